#!/usr/bin/env bash
# Puts the GeoIP databases the tests use in DIR (default target/geoip), each only when missing:
#   GeoLite2-City.mmdb  MaxMind's GeoLite2 City, from the PyPI package maxminddb-geolite2
#                       (which also brings Python's maxminddb reader, used as the tests' independent
#                       lookup);
#   ASN.mmdb            an ASN database in the GeoLite2-ASN layout, built by make_asn_mmdb.py from the
#                       npm package @ip-location-db/asn (RouteViews, RIRs, DB-IP; CC BY 4.0): no
#                       registry package ships a GeoLite2-ASN .mmdb.
# tests/geoip.rs reads TRAILGATE_GEOIP, else target/geoip.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:-$here/../target/geoip}"
mkdir -p "$dir"

if [ ! -s "$dir/GeoLite2-City.mmdb" ]; then
  python3 -c "import _maxminddb_geolite2, maxminddb" 2>/dev/null \
    || python3 -m pip install -q 'maxminddb-geolite2==2018.703'
  city="$(python3 -c 'import _maxminddb_geolite2, os; print(os.path.join(os.path.dirname(_maxminddb_geolite2.__file__), "GeoLite2-City.mmdb"))')"
  cp "$city" "$dir/GeoLite2-City.mmdb.tmp" && mv "$dir/GeoLite2-City.mmdb.tmp" "$dir/GeoLite2-City.mmdb"
fi

if [ ! -s "$dir/ASN.mmdb" ]; then
  python3 -c "import mmdb_writer, netaddr" 2>/dev/null || python3 -m pip install -q 'mmdb-writer==0.2.7'
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent '@ip-location-db/asn@2.3.2026061719' >/dev/null && tar xzf ip-location-db-asn-*.tgz)
  python3 "$here/make_asn_mmdb.py" "$work/package" "$dir/ASN.mmdb"
fi

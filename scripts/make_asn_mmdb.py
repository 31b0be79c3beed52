#!/usr/bin/env python3
"""Writes an ASN database in the GeoLite2-ASN layout (autonomous_system_number,
autonomous_system_organization) from the CSV files of the npm package @ip-location-db/asn
(RouteViews, the five RIRs and DB-IP's IP to ASN Lite, CC BY 4.0 by RouteViews, DB-IP and NRO).

No registry package ships a GeoLite2-ASN .mmdb; the tests need a real ASN database, so .ci/run
builds this one with the PyPI package mmdb-writer. Usage:

    make_asn_mmdb.py PACKAGE_DIR OUT.mmdb

PACKAGE_DIR holds asn-ipv4.csv and asn-ipv6.csv (start,end,asn,organisation; inclusive ranges).
"""

import csv
import sys
from pathlib import Path

from mmdb_writer import MMDBWriter, MmdbU32
from netaddr import IPRange, IPSet


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    package, out = Path(sys.argv[1]), Path(sys.argv[2])
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="ip-location-db-ASN (compat=GeoLite2-ASN)",
        languages=["en"],
        description={"en": "ASN data from @ip-location-db/asn (RouteViews, RIRs, DB-IP), CC BY 4.0"},
    )
    rows = 0
    for name in ("asn-ipv4.csv", "asn-ipv6.csv"):
        with open(package / name, newline="", encoding="utf-8") as f:
            for line, row in enumerate(csv.reader(f), start=1):
                if len(row) != 4:
                    sys.exit(f"{package / name}: line {line}: expected 4 fields, got {len(row)}")
                start, end, asn, organisation = row
                record = {"autonomous_system_number": MmdbU32(int(asn))}
                if organisation:
                    record["autonomous_system_organization"] = organisation
                writer.insert_network(IPSet(IPRange(start, end).cidrs()), record)
                rows += 1
    tmp = out.with_suffix(".tmp")
    writer.to_db_file(str(tmp))
    tmp.replace(out)
    print(f"{out}: {rows} ranges", file=sys.stderr)


if __name__ == "__main__":
    main()

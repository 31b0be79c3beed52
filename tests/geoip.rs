//! GeoIP and ASN lookups on real databases (scripts/fetch_geoip.sh: GeoLite2 City from PyPI, an
//! ASN database built from @ip-location-db/asn), checked against Python's maxminddb reader, an
//! implementation that shares no code with the Rust crate. Without the databases the tests skip
//! loudly; under CI=true they fail (.ci/run fetches them).

mod common;

use std::path::{Path, PathBuf};

use trailgate::enrich::{AddressKind, Enricher, GeoIp};

/// `TRAILGATE_GEOIP`, else `target/geoip` beside the checkout, when it holds both databases.
fn geoip_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("TRAILGATE_GEOIP")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/geoip"));
    if dir.join("GeoLite2-City.mmdb").is_file() && dir.join("ASN.mmdb").is_file() {
        return Some(dir);
    }
    assert!(
        !common::in_ci(),
        "{} lacks GeoLite2-City.mmdb or ASN.mmdb: run scripts/fetch_geoip.sh (CI must test GeoIP)",
        dir.display()
    );
    eprintln!(
        "SKIPPED: no GeoIP databases in {}; run scripts/fetch_geoip.sh or set TRAILGATE_GEOIP",
        dir.display()
    );
    None
}

/// (country, English city name, ASN, organisation) as Python's maxminddb reads them.
type Answer = (Option<String>, Option<String>, Option<u32>, Option<String>);

/// Python's maxminddb answers for `addresses`: (country, English city name, asn, organisation).
fn python_lookups(dir: &Path, addresses: &[String]) -> Vec<Answer> {
    let script = r#"
import json, sys, maxminddb
city = maxminddb.open_database(sys.argv[1])
asn = maxminddb.open_database(sys.argv[2])
out = []
for address in sys.stdin.read().split():
    c = city.get(address) or {}
    a = asn.get(address) or {}
    out.append([c.get("country", {}).get("iso_code"), c.get("city", {}).get("names", {}).get("en"),
                a.get("autonomous_system_number"), a.get("autonomous_system_organization")])
json.dump(out, sys.stdout)
"#;
    use std::io::Write as _;
    let mut child = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(dir.join("GeoLite2-City.mmdb"))
        .arg(dir.join("ASN.mmdb"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (fetch_geoip.sh installed maxminddb)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(addresses.join("\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn lookups_match_an_independent_reader() {
    let Some(dir) = geoip_dir() else {
        return;
    };
    let geo = GeoIp::open(std::slice::from_ref(&dir)).unwrap();
    assert!(geo.has_location() && geo.has_asn(), "{geo:?}");
    // Public addresses spread over the whole space (a fixed sequence), IPv6 ones, and a few
    // well-known ones.
    let mut addresses: Vec<String> = vec![
        "81.2.69.142".into(),
        "8.8.8.8".into(),
        "2a02:ffc0::1".into(),
        "2001:4860:4860::8888".into(),
    ];
    let mut x: u32 = 0x1234_5678;
    while addresses.len() < 2000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let ip = std::net::Ipv4Addr::from(x);
        if trailgate::enrich::classify(&ip.to_string()).0 == AddressKind::Public {
            addresses.push(ip.to_string());
        }
    }
    let expected = python_lookups(&dir, &addresses);
    let mut with_country = 0;
    let mut with_city = 0;
    let mut with_asn = 0;
    for (address, (country, city, asn, org)) in addresses.iter().zip(expected) {
        let ours = geo.lookup(address).unwrap();
        assert_eq!(ours.kind, Some(AddressKind::Public), "{address}");
        assert_eq!(ours.country, country, "{address} country");
        assert_eq!(ours.city, city, "{address} city");
        assert_eq!(ours.asn, asn, "{address} asn");
        assert_eq!(ours.as_org, org, "{address} organisation");
        with_country += usize::from(ours.country.is_some());
        with_city += usize::from(ours.city.is_some());
        with_asn += usize::from(ours.asn.is_some());
    }
    // The check means something only if the databases answered for most addresses.
    assert!(
        with_country > 1000 && with_asn > 1000 && with_city > 200,
        "{with_country} {with_city} {with_asn}"
    );
    let gb = geo.lookup("81.2.69.142").unwrap();
    assert_eq!(gb.country.as_deref(), Some("GB"));
    assert_eq!(gb.country_name.as_deref(), Some("United Kingdom"));
    assert_eq!(geo.lookup("8.8.8.8").unwrap().asn, Some(15169));
}

#[test]
fn addresses_that_are_not_public_are_not_looked_up() {
    let Some(dir) = geoip_dir() else {
        return;
    };
    let geo = GeoIp::open(&[dir.join("GeoLite2-City.mmdb"), dir.join("ASN.mmdb")]).unwrap();
    for (source, kind) in [
        ("10.1.2.3", AddressKind::Private),
        ("198.51.100.15", AddressKind::Reserved),
        ("192.0.2.0", AddressKind::Reserved),
        ("ec2.amazonaws.com", AddressKind::AwsService),
        ("AWS Internal", AddressKind::AwsInternal),
        ("fe80::1", AddressKind::Reserved),
    ] {
        let found = geo.lookup(source).unwrap();
        assert_eq!(found.kind, Some(kind), "{source}");
        assert_eq!((found.country, found.asn), (None, None), "{source}");
    }
    // The annotation rules see.
    let enricher = Enricher {
        accounts: None,
        geo: Some(geo),
    };
    let annotation = trailgate::enrich::annotation(
        Some(&enricher),
        &serde_json::json!({"sourceIPAddress": "81.2.69.142"}),
    );
    assert_eq!(annotation["geo"]["kind"], "public");
    assert_eq!(annotation["geo"]["country"], "GB");
    assert!(annotation["geo"]["asn"].is_u64(), "{annotation}");
    let annotation = trailgate::enrich::annotation(
        Some(&enricher),
        &serde_json::json!({"sourceIPAddress": "ec2.amazonaws.com"}),
    );
    assert_eq!(
        annotation,
        serde_json::json!({"geo": {"kind": "aws-service"}})
    );
}

#[test]
fn a_country_database_alone_is_enough() {
    let Some(dir) = geoip_dir() else {
        return;
    };
    let geo = GeoIp::open(&[dir.join("ASN.mmdb")]).unwrap();
    assert!(!geo.has_location() && geo.has_asn());
    let found = geo.lookup("8.8.8.8").unwrap();
    assert_eq!((found.country, found.asn), (None, Some(15169)));
}

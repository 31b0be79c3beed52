//! Where a call came from: country, city and network operator (ASN) of `sourceIPAddress`, from
//! MaxMind DB files (GeoLite2-City or GeoLite2-Country, and GeoLite2-ASN) read with the
//! `maxminddb` crate.
//!
//! Only public addresses are looked up. A `sourceIPAddress` that is an AWS service
//! (`ec2.amazonaws.com`), the literal `AWS Internal`, a private, shared, loopback, link-local,
//! documentation, multicast or otherwise reserved address is marked as such: a database would
//! answer nothing true about it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use maxminddb::{geoip2, Reader};
use serde::Serialize;

/// What kind of value a `sourceIPAddress` is. The tokens (`as_str`) are what reports and rule
/// conditions (`$.trailgate.geo.kind`) see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddressKind {
    /// A public address: looked up.
    Public,
    /// RFC 1918, RFC 6598 shared (carrier-grade NAT) or IPv6 unique local addresses.
    Private,
    /// Loopback, link-local, unspecified, documentation, benchmarking, multicast and the other
    /// IANA special-purpose blocks.
    Reserved,
    /// An AWS service acting for the caller (`ec2.amazonaws.com`).
    AwsService,
    /// `AWS Internal`: a call AWS made from its own network (console, some service calls).
    AwsInternal,
    /// Neither an address nor a name CloudTrail uses for AWS (kept as is, not looked up).
    NotAnAddress,
}

impl AddressKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AddressKind::Public => "public",
            AddressKind::Private => "private",
            AddressKind::Reserved => "reserved",
            AddressKind::AwsService => "aws-service",
            AddressKind::AwsInternal => "aws-internal",
            AddressKind::NotAnAddress => "not-an-address",
        }
    }
}

/// What is known about one source address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Geo {
    pub kind: Option<AddressKind>,
    /// ISO 3166-1 alpha-2 (`DE`), from the City or Country database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// English name (`Germany`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_name: Option<String>,
    /// English name, when the City database knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    /// The organisation the ASN is registered to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_org: Option<String>,
}

impl Geo {
    /// `DE (Berlin), AS3320 Deutsche Telekom AG`, `private address`, `AWS service`: for people.
    pub fn describe(&self) -> String {
        match self.kind {
            Some(AddressKind::Public) | None => {
                let mut parts = Vec::new();
                match (&self.country, &self.city) {
                    (Some(country), Some(city)) => parts.push(format!("{country} ({city})")),
                    (Some(country), None) => parts.push(country.clone()),
                    (None, _) => {}
                }
                match (self.asn, &self.as_org) {
                    (Some(asn), Some(org)) => parts.push(format!("AS{asn} {org}")),
                    (Some(asn), None) => parts.push(format!("AS{asn}")),
                    (None, _) => {}
                }
                if parts.is_empty() {
                    "not in the GeoIP databases".to_string()
                } else {
                    parts.join(", ")
                }
            }
            Some(AddressKind::Private) => "private address".to_string(),
            Some(AddressKind::Reserved) => "reserved address".to_string(),
            Some(AddressKind::AwsService) => "AWS service".to_string(),
            Some(AddressKind::AwsInternal) => "AWS internal".to_string(),
            Some(AddressKind::NotAnAddress) => "not an address".to_string(),
        }
    }
}

/// Classifies a `sourceIPAddress` without any database. `Public` comes with the parsed address.
pub fn classify(source: &str) -> (AddressKind, Option<IpAddr>) {
    let source = source.trim();
    match source.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => (classify_v4(v4), Some(IpAddr::V4(v4))),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => (classify_v4(v4), Some(IpAddr::V4(v4))),
            None => (classify_v6(v6), Some(IpAddr::V6(v6))),
        },
        Err(_) if source.eq_ignore_ascii_case("AWS Internal") => (AddressKind::AwsInternal, None),
        Err(_) if is_aws_service(source) => (AddressKind::AwsService, None),
        Err(_) => (AddressKind::NotAnAddress, None),
    }
}

/// `ec2.amazonaws.com`, `ssm.amazonaws.com.cn`, `elasticmapreduce.amazonaws.com`.
fn is_aws_service(source: &str) -> bool {
    let host = source.to_ascii_lowercase();
    [".amazonaws.com", ".amazonaws.com.cn", ".amazon.com"]
        .iter()
        .any(|suffix| host.ends_with(suffix) && host.len() > suffix.len())
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

fn classify_v4(ip: Ipv4Addr) -> AddressKind {
    let [a, b, c, _] = ip.octets();
    if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        return AddressKind::Private;
    }
    let reserved = a == 0
        || ip.is_loopback()
        || ip.is_link_local()
        || (a == 192 && b == 0 && c == 0)
        || ip.is_documentation()
        || (a == 198 && (b == 18 || b == 19))
        || ip.is_multicast()
        || a >= 240;
    if reserved {
        AddressKind::Reserved
    } else {
        AddressKind::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressKind {
    let s = ip.segments();
    if (s[0] & 0xfe00) == 0xfc00 {
        return AddressKind::Private;
    }
    let reserved = ip.is_unspecified()
        || ip.is_loopback()
        || (s[0] & 0xffc0) == 0xfe80
        || ip.is_multicast()
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || (s[0] == 0x2001 && s[1] < 0x0200)
        || (s[0] == 0x0064 && s[1] == 0xff9b)
        || s[0] == 0x0100
        || (s[0] & 0xe000) != 0x2000;
    if reserved {
        AddressKind::Reserved
    } else {
        AddressKind::Public
    }
}

/// A problem opening the databases or reading one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeoError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for GeoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for GeoError {}

/// Which record layout a database holds, from its `database_type` metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    City,
    Country,
    Asn,
}

fn layout_of(database_type: &str) -> Option<Layout> {
    let t = database_type.to_ascii_lowercase();
    if t.contains("asn") {
        Some(Layout::Asn)
    } else if t.contains("city") {
        Some(Layout::City)
    } else if t.contains("country") {
        Some(Layout::Country)
    } else {
        None
    }
}

struct Database {
    path: PathBuf,
    reader: Reader<Vec<u8>>,
}

/// The opened databases: at most one for locations (City preferred to Country) and one for ASNs.
pub struct GeoIp {
    location: Option<(Layout, Database)>,
    asn: Option<Database>,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoIp")
            .field("databases", &self.databases())
            .finish()
    }
}

impl GeoIp {
    /// Opens each path: a `.mmdb` file, or a directory whose `.mmdb` files (not its
    /// subdirectories) are opened. Each database is placed by its `database_type`; one that is
    /// neither City, Country nor ASN is an error when named, and passed over (with its name in
    /// `databases()`, never silently) inside a directory. Two databases of one kind, or none of
    /// any, are errors.
    pub fn open(paths: &[PathBuf]) -> Result<GeoIp, GeoError> {
        let mut geo = GeoIp {
            location: None,
            asn: None,
        };
        let mut opened = 0;
        for path in paths {
            if path.is_dir() {
                let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                    .map_err(|err| GeoError {
                        path: path.clone(),
                        message: format!("cannot list the directory: {err}"),
                    })?
                    .filter_map(|entry| entry.ok().map(|e| e.path()))
                    .filter(|p| {
                        p.is_file()
                            && p.extension()
                                .is_some_and(|e| e.eq_ignore_ascii_case("mmdb"))
                    })
                    .collect();
                files.sort();
                if files.is_empty() {
                    return Err(GeoError {
                        path: path.clone(),
                        message: "no .mmdb file in this directory (expected GeoLite2-City or GeoLite2-Country, and GeoLite2-ASN)".to_string(),
                    });
                }
                for file in files {
                    opened += geo.add(&file, false)?;
                }
            } else {
                opened += geo.add(path, true)?;
            }
        }
        if opened == 0 {
            return Err(GeoError {
                path: paths.first().cloned().unwrap_or_default(),
                message: "no City, Country or ASN database among the files given".to_string(),
            });
        }
        Ok(geo)
    }

    /// Opens one file and places it; 1 if it was used.
    fn add(&mut self, path: &Path, named: bool) -> Result<usize, GeoError> {
        let error = |message: String| GeoError {
            path: path.to_path_buf(),
            message,
        };
        let reader = Reader::open_readfile(path)
            .map_err(|err| error(format!("not a readable MaxMind DB file: {err}")))?;
        let database_type = reader.metadata().database_type.clone();
        let Some(layout) = layout_of(&database_type) else {
            if named {
                return Err(error(format!(
                    "a `{database_type}` database: expected GeoLite2-City, GeoLite2-Country or GeoLite2-ASN"
                )));
            }
            return Ok(0);
        };
        let database = Database {
            path: path.to_path_buf(),
            reader,
        };
        match layout {
            Layout::Asn => {
                if let Some(earlier) = &self.asn {
                    return Err(error(format!(
                        "a second ASN database (the first is {}): give one",
                        earlier.path.display()
                    )));
                }
                self.asn = Some(database);
            }
            Layout::City | Layout::Country => match &self.location {
                Some((earlier_layout, earlier)) if *earlier_layout == layout => {
                    return Err(error(format!(
                        "a second {} database (the first is {}): give one",
                        if layout == Layout::City {
                            "City"
                        } else {
                            "Country"
                        },
                        earlier.path.display()
                    )));
                }
                // City answers everything Country does, and more.
                Some((Layout::City, _)) => return Ok(0),
                _ => self.location = Some((layout, database)),
            },
        }
        Ok(1)
    }

    /// The files in use, for the report's "what was scanned".
    pub fn databases(&self) -> Vec<String> {
        let mut list = Vec::new();
        if let Some((_, db)) = &self.location {
            list.push(format!(
                "{} ({})",
                db.path.display(),
                db.reader.metadata().database_type
            ));
        }
        if let Some(db) = &self.asn {
            list.push(format!(
                "{} ({})",
                db.path.display(),
                db.reader.metadata().database_type
            ));
        }
        list
    }

    pub fn has_location(&self) -> bool {
        self.location.is_some()
    }

    pub fn has_asn(&self) -> bool {
        self.asn.is_some()
    }

    /// Classifies `source` and, for a public address, looks it up. An address absent from a
    /// database simply has no country or ASN; an error means a database is corrupt there.
    pub fn lookup(&self, source: &str) -> Result<Geo, GeoError> {
        let (kind, ip) = classify(source);
        let mut geo = Geo {
            kind: Some(kind),
            ..Geo::default()
        };
        let Some(ip) = ip.filter(|_| kind == AddressKind::Public) else {
            return Ok(geo);
        };
        let corrupt = |db: &Database, err: maxminddb::MaxMindDbError| GeoError {
            path: db.path.clone(),
            message: format!("looking up {ip}: {err}"),
        };
        if let Some((layout, db)) = &self.location {
            let found = db.reader.lookup(ip).map_err(|e| corrupt(db, e))?;
            match layout {
                Layout::City => {
                    if let Some(city) =
                        found.decode::<geoip2::City>().map_err(|e| corrupt(db, e))?
                    {
                        geo.country = city.country.iso_code.map(str::to_string);
                        geo.country_name = city.country.names.english.map(str::to_string);
                        geo.city = city.city.names.english.map(str::to_string);
                    }
                }
                _ => {
                    if let Some(country) = found
                        .decode::<geoip2::Country>()
                        .map_err(|e| corrupt(db, e))?
                    {
                        geo.country = country.country.iso_code.map(str::to_string);
                        geo.country_name = country.country.names.english.map(str::to_string);
                    }
                }
            }
        }
        if let Some(db) = &self.asn {
            let found = db.reader.lookup(ip).map_err(|e| corrupt(db, e))?;
            if let Some(asn) = found.decode::<geoip2::Asn>().map_err(|e| corrupt(db, e))? {
                geo.asn = asn.autonomous_system_number;
                geo.as_org = asn.autonomous_system_organization.map(str::to_string);
            }
        }
        Ok(geo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_sources() {
        let kind = |s: &str| classify(s).0;
        assert_eq!(kind("81.2.69.142"), AddressKind::Public);
        assert_eq!(kind("2a02:ffc0::1"), AddressKind::Public);
        assert_eq!(kind("::ffff:81.2.69.142"), AddressKind::Public);
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert_eq!(kind(private), AddressKind::Private, "{private}");
        }
        for reserved in [
            "127.0.0.1",
            "0.0.0.0",
            "169.254.169.254",
            "192.0.2.1",
            "198.51.100.15",
            "203.0.113.9",
            "198.18.0.1",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "2001:db8::1",
            "ff02::1",
        ] {
            assert_eq!(kind(reserved), AddressKind::Reserved, "{reserved}");
        }
        assert_eq!(kind("172.32.0.1"), AddressKind::Public);
        assert_eq!(kind("100.128.0.1"), AddressKind::Public);
        assert_eq!(kind("ec2.amazonaws.com"), AddressKind::AwsService);
        assert_eq!(kind("ssm.amazonaws.com.cn"), AddressKind::AwsService);
        assert_eq!(kind("AWS Internal"), AddressKind::AwsInternal);
        assert_eq!(kind("amazonaws.com"), AddressKind::NotAnAddress);
        assert_eq!(kind("evil.example.com"), AddressKind::NotAnAddress);
        assert_eq!(kind("x.amazonaws.com/../"), AddressKind::NotAnAddress);
    }

    #[test]
    fn describes_for_people() {
        let geo = Geo {
            kind: Some(AddressKind::Public),
            country: Some("GB".into()),
            city: Some("Willesden".into()),
            asn: Some(20712),
            as_org: Some("Andrews & Arnold Ltd".into()),
            ..Geo::default()
        };
        assert_eq!(
            geo.describe(),
            "GB (Willesden), AS20712 Andrews & Arnold Ltd"
        );
        let unknown = Geo {
            kind: Some(AddressKind::Public),
            ..Geo::default()
        };
        assert_eq!(unknown.describe(), "not in the GeoIP databases");
        assert_eq!(classify("10.0.0.1").0.as_str(), "private");
    }

    #[test]
    fn open_errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let err = GeoIp::open(&[dir.path().to_path_buf()]).unwrap_err();
        assert!(err.to_string().contains("no .mmdb file"), "{err}");
        let bogus = dir.path().join("GeoLite2-City.mmdb");
        std::fs::write(&bogus, b"not a database").unwrap();
        let err = GeoIp::open(std::slice::from_ref(&bogus)).unwrap_err();
        assert_eq!(err.path, bogus);
        assert!(
            err.message.contains("not a readable MaxMind DB file"),
            "{err}"
        );
        let err = GeoIp::open(&[dir.path().join("missing.mmdb")]).unwrap_err();
        assert!(
            err.message.contains("not a readable MaxMind DB file"),
            "{err}"
        );
    }
}

//! CIDR blocks for `in_cidr`: parsed once at load, matched against addresses and blocks in events.

use std::fmt;
use std::net::IpAddr;

/// An IPv4 or IPv6 network such as `10.0.0.0/8` or `::/0`. A bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or CIDR block"))?;
        let max = max_prefix(network);
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{text}` has an invalid prefix length (0 to {max})"))?,
        };
        Ok(Cidr {
            network: mask(network, prefix),
            prefix,
        })
    }

    /// True when `other` (an address or a block) lies wholly inside this network.
    pub fn contains(&self, other: &Cidr) -> bool {
        let same_family = matches!(
            (self.network, other.network),
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_))
        );
        same_family
            && other.prefix >= self.prefix
            && mask(other.network, self.prefix) == self.network
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn max_prefix(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((bits & mask).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((bits & mask).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Cidr {
        Cidr::parse(text).unwrap()
    }

    #[test]
    fn addresses_inside_and_outside() {
        let net = cidr("10.0.0.0/8");
        assert!(net.contains(&cidr("10.1.2.3")));
        assert!(!net.contains(&cidr("11.0.0.1")));
        assert!(net.contains(&cidr("10.2.0.0/16")));
        assert!(!net.contains(&cidr("0.0.0.0/0")));
    }

    #[test]
    fn whole_internet_and_ipv6() {
        assert!(cidr("0.0.0.0/0").contains(&cidr("203.0.113.9")));
        assert!(cidr("::/0").contains(&cidr("2001:db8::1")));
        assert!(!cidr("::/0").contains(&cidr("1.2.3.4")));
        assert!(cidr("2001:db8::/32").contains(&cidr("2001:db8:1::/48")));
    }

    #[test]
    fn host_bits_are_masked() {
        assert_eq!(cidr("192.168.1.77/24").to_string(), "192.168.1.0/24");
    }

    #[test]
    fn rejects_bad_blocks() {
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("not-an-ip").is_err());
        assert!(Cidr::parse("::/129").is_err());
    }
}

//! The network's settings: this host's address, its network, its
//! gateway. Pure, host-tested; `ip=` on the command line sets them.

use core::net::Ipv4Addr;

/// The network's settings: the address and prefix, and the gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub address: Ipv4Addr,
    pub prefix: u8,
    pub gateway: Ipv4Addr,
}

impl Config {
    /// QEMU's user network (slirp) and Bochs's: the guest is 10.0.2.15/24,
    /// the host and gateway 10.0.2.2.
    pub const DEFAULT: Config = Config {
        address: Ipv4Addr::new(10, 0, 2, 15),
        prefix: 24,
        gateway: Ipv4Addr::new(10, 0, 2, 2),
    };

    /// Parses `ADDRESS/PREFIX` (the `ip=` option), keeping the default
    /// gateway when it is on the new network, else the network's `.2`
    /// host, as slirp puts it. `ip=10.0.3.15/24` gives gateway 10.0.3.2.
    pub fn parse(text: &str) -> Option<Config> {
        let (address, prefix) = text.split_once('/').unwrap_or((text, "24"));
        let address: Ipv4Addr = address.parse().ok()?;
        let prefix: u8 = prefix.parse().ok().filter(|p| (8..=30).contains(p))?;
        let mask = u32::MAX << (32 - prefix);
        let network = u32::from(address) & mask;
        let host = u32::from(address) & !mask;
        if host == 0 || host == !mask {
            return None; // the network's own address, or its broadcast
        }
        let default = u32::from(Config::DEFAULT.gateway);
        let gateway = if default & mask == network { default } else { network | 2 };
        Some(Config { address, prefix, gateway: Ipv4Addr::from(gateway) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_slirps_network() {
        assert_eq!(Config::parse("10.0.2.15/24"), Some(Config::DEFAULT));
        assert_eq!(Config::parse("10.0.2.15"), Some(Config::DEFAULT));
    }

    #[test]
    fn another_network_gets_its_own_gateway() {
        let c = Config::parse("192.168.7.9/16").unwrap();
        assert_eq!(c.gateway, Ipv4Addr::new(192, 168, 0, 2));
        assert_eq!(c.prefix, 16);
    }
}

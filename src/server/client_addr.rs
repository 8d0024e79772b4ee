//! The client's address, once per request, for the sign-in limiter, sessions, the audit log and
//! the access log. Behind a reverse proxy every connection comes from the proxy, so the address
//! must be read from `X-Forwarded-For`; but anyone can send that header, so it is believed only
//! when the connection comes from a proxy the operator named (`SWITCHBOARD_TRUSTED_PROXIES`).

use super::config::ConfigError;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};

/// Addresses and networks whose `X-Forwarded-For` is believed. Empty (the default) believes
/// nobody: the peer address is the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// A comma- or space-separated list of addresses (`10.0.0.5`, `::1`) and networks in CIDR
    /// form (`10.0.0.0/8`, `fd00::/8`).
    pub fn parse(setting: &str, raw: &str) -> Result<Self, ConfigError> {
        let mut nets = Vec::new();
        for item in raw.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
            let bad = || {
                ConfigError::new(
                    setting,
                    item,
                    "addresses or networks separated by commas, for example 10.0.0.0/8, 192.168.1.7, fd00::/8",
                )
            };
            let (addr, bits) = match item.split_once('/') {
                Some((a, b)) => (a, Some(b.parse::<u8>().map_err(|_| bad())?)),
                None => (item, None),
            };
            let ip: IpAddr = addr.parse().map_err(|_| bad())?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = bits.unwrap_or(max);
            if bits > max {
                return Err(bad());
            }
            nets.push((ip, bits));
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|(net, bits)| in_network(ip, canonical(*net), *bits))
    }

    /// The client behind `peer`: the peer itself unless it is trusted; otherwise the nearest
    /// address in `X-Forwarded-For` (read from the right, the end our proxies appended to) that
    /// is not itself a trusted proxy. Entries left of it were written by the client and prove
    /// nothing. A trusted peer that sent no usable header is the client.
    pub fn client<'a>(&self, peer: IpAddr, forwarded_for: impl Iterator<Item = &'a str>) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for.flat_map(|v| v.split(',')).map(str::trim).collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(ip) if self.contains(ip) => client = ip,
                Some(ip) => return ip,
                // A hop we cannot read: stop believing the chain there.
                None => return client,
            }
        }
        client
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, as a dual-stack socket reports IPv4 peers)
/// is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - u32::from(bits)) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits)) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    hop.parse::<SocketAddr>().ok().map(|s| canonical(s.ip()))
}

/// The resolved client address of a request (absent when the server was not given peer
/// addresses, as in tests that call the router directly).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

/// Middleware: resolves the client address once, before anything logs or counts it.
pub async fn resolve(State(trusted): State<TrustedProxies>, mut req: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let headers = req.headers().get_all("x-forwarded-for");
        let client = trusted.client(peer.ip(), headers.iter().filter_map(|v| v.to_str().ok()));
        req.extensions_mut().insert(ClientAddr(client));
    }
    next.run(req).await
}

/// The client's address as text, for the limiter, sessions and the audit log.
pub fn of(extensions: &axum::http::Extensions) -> Option<String> {
    extensions.get::<ClientAddr>().map(|c| c.0.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn nobody_is_trusted_by_default() {
        let t = TrustedProxies::default();
        assert_eq!(t.client(ip("10.0.0.1"), ["203.0.113.9"].into_iter()), ip("10.0.0.1"));
    }

    #[test]
    fn a_trusted_peer_forwards_the_client_and_a_forged_entry_proves_nothing() {
        let t = TrustedProxies::parse("T", "10.0.0.0/8, 192.168.1.7,fd00::/8").unwrap();
        // The proxy appended the address it saw; the client wrote 1.1.1.1 itself.
        assert_eq!(t.client(ip("10.1.2.3"), ["1.1.1.1, 203.0.113.9"].into_iter()), ip("203.0.113.9"));
        // Two of our proxies in a row are skipped.
        assert_eq!(t.client(ip("192.168.1.7"), ["203.0.113.9", "10.0.0.4"].into_iter()), ip("203.0.113.9"));
        // Ports and brackets are read; IPv4-mapped peers are IPv4.
        assert_eq!(t.client(ip("::ffff:10.0.0.1"), ["203.0.113.9:4711"].into_iter()), ip("203.0.113.9"));
        assert_eq!(t.client(ip("fd00::1"), ["[2001:db8::5]:443"].into_iter()), ip("2001:db8::5"));
        // No header, or an unreadable one: the proxy itself.
        assert_eq!(t.client(ip("10.0.0.1"), std::iter::empty()), ip("10.0.0.1"));
        assert_eq!(t.client(ip("10.0.0.1"), ["unknown"].into_iter()), ip("10.0.0.1"));
        // A peer outside the list is the client whatever it claims.
        assert_eq!(t.client(ip("203.0.113.50"), ["10.0.0.1"].into_iter()), ip("203.0.113.50"));
        assert_eq!(t.client(ip("192.168.1.8"), ["1.1.1.1"].into_iter()), ip("192.168.1.8"));
    }

    #[test]
    fn bad_settings_are_named() {
        for raw in ["10.0.0.0/33", "fd00::/129", "proxy.internal", "10.0.0.1/x"] {
            let e = TrustedProxies::parse("SWITCHBOARD_TRUSTED_PROXIES", raw).unwrap_err();
            assert_eq!(e.setting, "SWITCHBOARD_TRUSTED_PROXIES");
        }
        assert!(TrustedProxies::parse("T", " ").unwrap().is_empty());
        assert!(TrustedProxies::parse("T", "0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
    }
}

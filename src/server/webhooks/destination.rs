//! Where a webhook may be sent. Endpoints on loopback, private, link-local and other internal
//! networks are refused (a customer could otherwise make Switchboard call its own
//! infrastructure), when the URL is saved and again at delivery time, after DNS resolution, by
//! the resolver the HTTP client uses, so a name that resolves to an internal address later (DNS
//! rebinding) is refused too. `SWITCHBOARD_ALLOW_PRIVATE_WEBHOOK_URLS` lifts the rule for tests
//! and local development.

use reqwest::Url;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Longest URL accepted.
pub const MAX_URL: usize = 2_000;

/// Whether an address is internal: anything but the public internet.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal_v4(v4);
            }
            is_internal_v6(v6)
        }
    }
}

/// Anything outside global unicast (2000::/3) is internal: loopback, unspecified, IPv4-compatible
/// `::/96`, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`, discard-only, unique local, site-local
/// `fec0::/10`, link-local, multicast. Inside it, the ranges that carry an IPv4 address or are
/// not routed: 6to4 `2002::/16`, the IETF protocol block `2001::/23` (Teredo, benchmarking,
/// ORCHID), documentation `2001:db8::/32` and `3fff::/20`.
fn is_internal_v6(ip: Ipv6Addr) -> bool {
    let [a, b, ..] = ip.segments();
    (a & 0xe000) != 0x2000
        || a == 0x2002
        || (a == 0x2001 && b < 0x0200)
        || (a == 0x2001 && b == 0x0db8)
        || (a & 0xfff0) == 0x3ff0
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT 100.64.0.0/10
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18.0.0/15
        || a >= 240 // reserved
}

fn internal_name(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h == "localhost"
        || h.ends_with(".localhost")
        || h.ends_with(".local")
        || h.ends_with(".internal")
        || h.ends_with(".localdomain")
        || !h.contains('.')
}

fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

/// Checks an endpoint URL as typed; the message names what is wrong and what to do.
pub fn check_url(raw: &str, allow_private: bool) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(
            "Enter the URL Switchboard should send events to, such as https://example.com/webhooks.".into()
        );
    }
    if raw.len() > MAX_URL {
        return Err(format!("The URL is {} characters long; at most {MAX_URL} are allowed.", raw.len()));
    }
    let url = Url::parse(raw).map_err(|e| {
        format!("{raw:?} is not a URL ({e}). Write it in full, such as https://example.com/webhooks.")
    })?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private && is_loopback_host(&url) => {}
        "http" => {
            return Err(format!(
                "{raw} uses http://. Webhooks carry your data and a signature: use https://{}",
                if allow_private { " (http:// is accepted only for loopback addresses here)." } else { "." }
            ))
        }
        other => return Err(format!("{raw} uses {other}://; webhook URLs must start with https://.")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Put no user name or password in the URL: it would be shown in the console and logs. Verify requests with the signing secret instead.".into());
    }
    if url.fragment().is_some() {
        return Err("Remove the #fragment from the URL: it is never sent to the server.".into());
    }
    if allow_private {
        return Ok(url);
    }
    let refused = |what: &str| {
        Err(format!(
            "{raw} points to {what}, which Switchboard does not send webhooks to. Use an address reachable on the public internet."
        ))
    };
    match url.host() {
        None => Err(format!("{raw} has no host name.")),
        Some(url::Host::Ipv4(ip)) if is_internal(IpAddr::V4(ip)) => {
            refused(&format!("the private, loopback or link-local address {ip}"))
        }
        Some(url::Host::Ipv6(ip)) if is_internal(IpAddr::V6(ip)) => {
            refused(&format!("the private, loopback or link-local address {ip}"))
        }
        Some(url::Host::Domain(d)) if internal_name(d) => refused(&format!("the internal host name {d}")),
        Some(_) => Ok(url),
    }
}

/// DNS resolution failed.
#[derive(Debug, thiserror::Error)]
#[error("DNS lookup of {host} failed: {message}")]
pub struct DnsFailure {
    pub host: String,
    pub message: String,
}

/// The name resolved only to internal addresses.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {ip}, a private, loopback or link-local address; Switchboard does not send webhooks there")]
pub struct BlockedAddress {
    pub host: String,
    pub ip: IpAddr,
}

/// The HTTP client's resolver: the system's, minus internal addresses (module docs).
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let looked_up =
                tokio::net::lookup_host((host.as_str(), 0)).await.map(|a| a.collect::<Vec<SocketAddr>>());
            let found = match looked_up {
                Ok(addrs) => addrs,
                Err(e) => return Err(Box::new(DnsFailure { host, message: e.to_string() }) as _),
            };
            if found.is_empty() {
                return Err(Box::new(DnsFailure { host, message: "no address".into() }) as _);
            }
            let usable: Vec<SocketAddr> =
                found.iter().copied().filter(|a| allow_private || !is_internal(a.ip())).collect();
            if usable.is_empty() {
                return Err(Box::new(BlockedAddress { host, ip: found[0].ip() }) as _);
            }
            Ok(Box::new(usable.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            // Every IPv6 range that maps to IPv4 or is not global.
            "::",
            "::127.0.0.1",         // IPv4-compatible ::/96
            "::8.8.8.8",           // ... whatever the address
            "64:ff9b::a00:1",      // NAT64 64:ff9b::/96 (10.0.0.1)
            "64:ff9b::808:808",    // ... even of a public address
            "64:ff9b:1::1",        // local-use NAT64 64:ff9b:1::/48
            "100::1",              // discard-only 100::/64
            "2002:a00:1::1",       // 6to4 2002::/16 (10.0.0.1)
            "2002:808:808::1",     // ... of any address
            "2001:0:4136:e378::1", // Teredo 2001::/32
            "2001:2::1",           // benchmarking 2001:2::/48
            "2001:10::1",          // ORCHID 2001:10::/28
            "2001:db8::1",         // documentation
            "3fff::1",             // documentation 3fff::/20
            "fec0::1",             // site-local fec0::/10
            "fc00::1",             // unique local fc00::/7
            "fe80::1%0",
            "ff02::1", // multicast
            "4000::1", // not yet allocated, outside 2000::/3
        ] {
            let parsed = ip.split('%').next().unwrap().parse();
            assert!(is_internal(parsed.unwrap()), "{ip}");
        }
        for ip in
            ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "2a00:1450:4001:81b::200e", "::ffff:8.8.8.8"]
        {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_with_messages_that_name_the_problem() {
        assert!(check_url("https://hooks.example.com/in", false).is_ok());
        let e = check_url("http://hooks.example.com/in", false).unwrap_err();
        assert!(e.contains("https://"), "{e}");
        let e = check_url("https://127.0.0.1:9000/hook", false).unwrap_err();
        assert!(e.contains("127.0.0.1") && e.contains("does not send"), "{e}");
        let e = check_url("https://169.254.169.254/latest/meta-data", false).unwrap_err();
        assert!(e.contains("169.254.169.254"), "{e}");
        let e = check_url("https://localhost/hook", false).unwrap_err();
        assert!(e.contains("internal host name"), "{e}");
        let e = check_url("https://[::1]/hook", false).unwrap_err();
        assert!(e.contains("::1"), "{e}");
        assert!(check_url("not a url", false).unwrap_err().contains("not a URL"));
        assert!(check_url("ftp://x.example.com", false).unwrap_err().contains("ftp://"));
        assert!(check_url("https://u:p@x.example.com", false).unwrap_err().contains("password"));
        assert!(check_url("", false).is_err());
        // Allowed for tests and development: http only to loopback.
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(check_url("http://localhost:9000/hook", true).is_ok());
        assert!(check_url("http://10.0.0.5/hook", true).is_err());
        assert!(check_url("https://10.0.0.5/hook", true).is_ok());
    }
}

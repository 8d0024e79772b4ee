//! Settings, from flags or environment variables, validated once at start-up so that a bad value
//! stops the program with a message naming the setting and the form it expects.

use std::fmt;
use std::net::SocketAddr;

/// Which database to use, decided from the URL's scheme.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(setting: &str, raw: &str) -> Result<Self, ConfigError> {
        let raw = raw.trim();
        if raw.starts_with("sqlite:") {
            Ok(DatabaseUrl::Sqlite(raw.to_string()))
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(raw.to_string()))
        } else {
            Err(ConfigError::new(
                setting,
                raw,
                "sqlite:PATH (for example sqlite:data/switchboard.db) or postgres://USER:PASSWORD@HOST:PORT/DATABASE",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            DatabaseUrl::Sqlite(s) | DatabaseUrl::Postgres(s) => s,
        }
    }
}

/// Database URLs carry passwords: print them with the password masked.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.as_str();
        match (s.find("://"), s.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                let userinfo = &s[scheme_end + 3..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => {
                        write!(f, "{}{}:***{}", &s[..scheme_end + 3], user, &s[at..])
                    }
                    None => f.write_str(s),
                }
            }
            _ => f.write_str(s),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid setting {setting}: got {value:?}, expected {expected}")]
pub struct ConfigError {
    pub setting: String,
    pub value: String,
    pub expected: String,
}

impl ConfigError {
    pub fn new(setting: &str, value: &str, expected: &str) -> Self {
        ConfigError { setting: setting.to_string(), value: value.to_string(), expected: expected.to_string() }
    }
}

pub fn parse_addr(setting: &str, raw: &str) -> Result<SocketAddr, ConfigError> {
    raw.trim().parse().map_err(|_| ConfigError::new(setting, raw, "HOST:PORT, for example 127.0.0.1:3000"))
}

pub fn parse_bool(setting: &str, raw: &str) -> Result<bool, ConfigError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(ConfigError::new(setting, raw, "true or false")),
    }
}

/// The address people use to reach the console (`SWITCHBOARD_PUBLIC_URL`): scheme, host and
/// port. Mutations must come from a page of this origin, and the session cookie is `Secure`
/// whenever it is https, which is how a deployment behind a TLS proxy is recognised even though
/// the server itself listens on plain HTTP (often on loopback).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    pub https: bool,
    /// `scheme://host[:port]`, lowercase, without a default port or a trailing slash.
    pub origin: String,
    /// Other spellings of the same origin that browsers may send (`localhost` for 127.0.0.1
    /// when the URL was derived from a loopback address).
    pub aliases: Vec<String>,
}

impl PublicUrl {
    pub fn parse(setting: &str, raw: &str) -> Result<Self, ConfigError> {
        let bad = || {
            ConfigError::new(
                setting,
                raw,
                "an origin such as https://console.example.com or http://127.0.0.1:3000",
            )
        };
        let trimmed = raw.trim().trim_end_matches('/');
        let (scheme, rest) = trimmed.split_once("://").ok_or_else(bad)?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return Err(bad()),
        };
        if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
            return Err(bad());
        }
        let authority = rest.to_ascii_lowercase();
        // `[v6]:port`, `[v6]`, `host:port` or `host`.
        let (host, port) = if let Some(end) = authority.strip_prefix('[').and_then(|a| a.find(']')) {
            let host = &authority[..end + 2];
            match &authority[end + 2..] {
                "" => (host.to_string(), None),
                p => (
                    host.to_string(),
                    Some(p.strip_prefix(':').and_then(|p| p.parse::<u16>().ok()).ok_or_else(bad)?),
                ),
            }
        } else {
            match authority.split_once(':') {
                Some((h, p)) => (h.to_string(), Some(p.parse::<u16>().map_err(|_| bad())?)),
                None => (authority.clone(), None),
            }
        };
        if host.is_empty() {
            return Err(bad());
        }
        let default_port = if https { 443 } else { 80 };
        let origin = match port {
            Some(p) if p != default_port => format!("{}://{host}:{p}", if https { "https" } else { "http" }),
            _ => format!("{}://{host}", if https { "https" } else { "http" }),
        };
        Ok(PublicUrl { https, origin, aliases: vec![] })
    }

    /// The default when `SWITCHBOARD_PUBLIC_URL` is not set: plain HTTP on the bind address.
    /// Only a concrete address can be derived from; `0.0.0.0` says nothing of how people reach it.
    pub fn from_bind(addr: SocketAddr) -> Result<Self, ConfigError> {
        if addr.ip().is_unspecified() {
            return Err(ConfigError::new(
                "SWITCHBOARD_PUBLIC_URL",
                "",
                "the origin people use to reach the console (for example https://console.example.com) \
                 when listening on all interfaces",
            ));
        }
        let host = match addr.ip() {
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        let mut url = PublicUrl::parse("SWITCHBOARD_ADDR", &format!("http://{host}:{}", addr.port()))?;
        if addr.ip().is_loopback() {
            url.aliases = vec![format!("http://localhost:{}", addr.port())];
        }
        Ok(url)
    }

    /// Whether an `Origin` header value (or a `Referer` URL) is this console.
    pub fn matches(&self, source: &str) -> bool {
        let Ok(other) = PublicUrl::parse("Origin", origin_of(source)) else { return false };
        other.origin == self.origin || self.aliases.contains(&other.origin)
    }
}

/// `https://host:port/path?q` -> `https://host:port`.
fn origin_of(url: &str) -> &str {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let end = rest.find(['/', '?', '#']).map(|j| i + 3 + j).unwrap_or(url.len());
            &url[..end]
        }
        None => url,
    }
}

/// Everything the running server needs to know.
#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    pub database_url: DatabaseUrl,
    /// Where people reach the console: the origin check and the cookie's `Secure` flag follow it.
    pub public_url: PublicUrl,
    /// Let webhook endpoints point at loopback and private networks (tests, local development).
    pub allow_private_webhook_urls: bool,
    /// Webhook delivery: retry schedule, timeout, concurrency (its `allow_private` follows
    /// `allow_private_webhook_urls`).
    pub delivery: super::webhooks::delivery::DeliverySettings,
    /// Calls per second per API key, by scope.
    pub api_limits: super::api::limits::RateLimits,
    /// Directory with the built front-end (`target/site` after a build).
    pub site_root: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_recognised_and_masked() {
        assert!(matches!(
            DatabaseUrl::parse("DATABASE_URL", "sqlite:data/x.db").unwrap(),
            DatabaseUrl::Sqlite(_)
        ));
        let pg = DatabaseUrl::parse("DATABASE_URL", "postgres://sb:hunter2@db:5432/sb").unwrap();
        assert_eq!(pg.to_string(), "postgres://sb:***@db:5432/sb");
        let err = DatabaseUrl::parse("DATABASE_URL", "mysql://x").unwrap_err();
        assert!(err.to_string().contains("DATABASE_URL"));
        assert!(err.to_string().contains("sqlite:PATH"));
    }

    #[test]
    fn public_url_decides_origin_and_secure_cookies() {
        let u = PublicUrl::parse("SWITCHBOARD_PUBLIC_URL", "https://Console.Example.com/").unwrap();
        assert!(u.https);
        assert_eq!(u.origin, "https://console.example.com");
        assert!(u.matches("https://console.example.com"));
        assert!(u.matches("https://console.example.com:443/requests?x=1"));
        assert!(!u.matches("http://console.example.com"), "scheme is compared");
        assert!(!u.matches("https://console.example.com.evil.test"));
        assert!(!u.matches("https://console.example.com:8443"));
        assert!(!u.matches("null"));
        let local = PublicUrl::from_bind("127.0.0.1:3000".parse().unwrap()).unwrap();
        assert!(!local.https);
        assert!(local.matches("http://127.0.0.1:3000") && local.matches("http://localhost:3000"));
        assert!(!local.matches("http://127.0.0.1:3001"));
        let err = PublicUrl::from_bind("0.0.0.0:3000".parse().unwrap()).unwrap_err();
        assert!(err.to_string().contains("SWITCHBOARD_PUBLIC_URL"));
        for bad in ["console.example.com", "ftp://x", "https://", "https://x/path", "https://x:99999"] {
            assert!(PublicUrl::parse("SWITCHBOARD_PUBLIC_URL", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_address_names_the_setting() {
        let err = parse_addr("SWITCHBOARD_ADDR", "localhost").unwrap_err();
        assert!(err.to_string().contains("SWITCHBOARD_ADDR"));
        assert!(err.to_string().contains("HOST:PORT"));
        assert_eq!(parse_addr("X", "127.0.0.1:3000").unwrap().port(), 3000);
    }
}

//! Settings, from flags or environment variables, validated once at start-up so that a bad value
//! stops the program with a message naming the setting and the form it expects.

use super::api::limits::RateLimits;
use super::store::DatabaseUrl;
use super::webhooks::delivery::DeliverySettings;
use super::worker::WorkerSettings;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

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

/// `DATABASE_URL`: which database, from the URL's scheme.
pub fn database_url(setting: &str, raw: &str) -> Result<DatabaseUrl, ConfigError> {
    DatabaseUrl::parse(raw).map_err(|expected| ConfigError::new(setting, raw, expected))
}

/// The key sealing webhook signing secrets for this database (`server::secrets`); `None` on PostgreSQL without the setting.
pub fn secret_key(url: &DatabaseUrl) -> Result<Option<[u8; 32]>, ConfigError> {
    if let Ok(v) = std::env::var("SWITCHBOARD_SECRET_KEY") {
        let v = v.trim();
        if v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()) {
            let mut key = [0u8; 32];
            hex::decode_to_slice(v, &mut key).map_err(|_| bad_key(v))?;
            return Ok(Some(key));
        }
        if v.chars().count() < 16 {
            return Err(bad_key(v));
        }
        return Ok(Some(Sha256::digest(v.as_bytes()).into()));
    }
    let DatabaseUrl::Sqlite(u) = url else { return Ok(None) };
    let path = u.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.contains(":memory:") {
        return Ok(None);
    }
    let file = std::path::PathBuf::from(format!("{path}.key"));
    let unreadable = |e: std::io::Error| {
        ConfigError::new(
            "SWITCHBOARD_SECRET_KEY",
            &file.display().to_string(),
            &format!("a readable key file ({e})"),
        )
    };
    let parse = |text: String| {
        let mut key = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut key).map_err(|_| {
            ConfigError::new(
                "SWITCHBOARD_SECRET_KEY",
                &file.display().to_string(),
                "a key file of 64 hex digits",
            )
        })?;
        Ok(Some(key))
    };
    if let Ok(text) = std::fs::read_to_string(&file) {
        return parse(text);
    }
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(unreadable)?;
    }
    let key: [u8; 32] = rand::random();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&file) {
        Ok(mut f) => {
            std::io::Write::write_all(&mut f, hex::encode(key).as_bytes()).map_err(unreadable)?;
            Ok(Some(key))
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            parse(std::fs::read_to_string(&file).map_err(unreadable)?)
        }
        Err(e) => Err(unreadable(e)),
    }
}

fn bad_key(v: &str) -> ConfigError {
    let _ = v;
    ConfigError::new(
        "SWITCHBOARD_SECRET_KEY",
        "(hidden)",
        "64 hex digits, or a passphrase of at least 16 characters",
    )
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
    /// Reverse proxies whose `X-Forwarded-For` names the client (`SWITCHBOARD_TRUSTED_PROXIES`).
    pub trusted_proxies: super::client_addr::TrustedProxies,
    /// Alerts: the SMTP server and sender, where links point.
    pub notifications: super::notifications::NotifierSettings,
}

/// The notifier's settings: `SWITCHBOARD_SMTP_URL` (no email without it) and
/// `SWITCHBOARD_SMTP_FROM`; links in messages point at `console_url`.
pub fn notifier_settings(
    console_url: &str,
    allow_private: bool,
) -> Result<super::notifications::NotifierSettings, ConfigError> {
    use super::notifications::NotifierSettings;
    let mut n = NotifierSettings {
        host: host_name("local"),
        ..NotifierSettings::standard(console_url, allow_private)
    };
    if let Ok(v) = std::env::var("SWITCHBOARD_SMTP_URL") {
        let v = v.trim();
        if !v.is_empty() {
            // The value may hold a password: the error shows the scheme and host only.
            let shown = v
                .split_once("://")
                .map(|(s, rest)| format!("{s}://{}", rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest)));
            NotifierSettings::check_smtp_url(v).map_err(|e| {
                ConfigError::new("SWITCHBOARD_SMTP_URL", &shown.unwrap_or_else(|| "(hidden)".into()), &e)
            })?;
            n.smtp_url = Some(v.to_string());
        }
    }
    if let Ok(v) = std::env::var("SWITCHBOARD_SMTP_FROM") {
        let v = v.trim();
        if !v.is_empty() {
            v.parse::<lettre::message::Mailbox>().map_err(|_| {
                ConfigError::new(
                    "SWITCHBOARD_SMTP_FROM",
                    v,
                    "an address such as Switchboard <alerts@example.com>",
                )
            })?;
            n.from = v.to_string();
        }
    }
    Ok(n)
}

/// `SWITCHBOARD_TRUSTED_PROXIES`: addresses or CIDR networks of the reverse proxies in front of
/// the console; none unless set.
pub fn trusted_proxies() -> Result<super::client_addr::TrustedProxies, ConfigError> {
    let raw = std::env::var("SWITCHBOARD_TRUSTED_PROXIES").unwrap_or_default();
    super::client_addr::TrustedProxies::parse("SWITCHBOARD_TRUSTED_PROXIES", &raw)
}

/// This machine's name, for naming worker and delivery leases (`HOSTNAME`), or `default`.
pub fn host_name(default: &str) -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| default.into())
}

/// `SWITCHBOARD_ALLOW_PRIVATE_WEBHOOK_URLS` for `switchboard worker` (`serve` takes it as an
/// option too): off unless set.
pub fn allow_private_webhook_urls() -> Result<bool, ConfigError> {
    match std::env::var("SWITCHBOARD_ALLOW_PRIVATE_WEBHOOK_URLS") {
        Ok(v) => parse_bool("SWITCHBOARD_ALLOW_PRIVATE_WEBHOOK_URLS", &v),
        Err(_) => Ok(false),
    }
}
/// `SWITCHBOARD_SCHEDULER=off` leaves scheduling to other processes (tests turn it off to
/// control exactly what runs).
pub fn scheduler_enabled() -> Result<bool, ConfigError> {
    match std::env::var("SWITCHBOARD_SCHEDULER") {
        Ok(v) => parse_bool("SWITCHBOARD_SCHEDULER", &v.replace("off", "false").replace("on", "true")),
        Err(_) => Ok(true),
    }
}

/// The worker's and sandbox's settings: the demo defaults, adjustable by environment variables
/// (tests make the sandbox fast and the lease short).
pub fn worker_settings() -> Result<WorkerSettings, ConfigError> {
    let mut w = WorkerSettings { host: host_name("local"), ..WorkerSettings::demo() };
    let num = |name: &str| -> Result<Option<f64>, ConfigError> {
        match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| *n >= 0.0)
                .map(Some)
                .ok_or_else(|| ConfigError::new(name, &v, "a number of zero or more")),
            _ => Ok(None),
        }
    };
    if let Some(ms) = num("SWITCHBOARD_SANDBOX_PAGE_DELAY_MS")? {
        w.sandbox.page_delay = std::time::Duration::from_millis(ms as u64);
    }
    if let Some(scale) = num("SWITCHBOARD_SANDBOX_RETRY_AFTER_SCALE")? {
        w.sandbox.retry_after_scale = scale;
    }
    if let Ok(v) = std::env::var("SWITCHBOARD_SANDBOX_FAILURES") {
        if !v.trim().is_empty() {
            w.sandbox.failures = parse_bool("SWITCHBOARD_SANDBOX_FAILURES", &v)?;
        }
    }
    if let Some(ms) = num("SWITCHBOARD_WORKER_LEASE_MS")? {
        w.lease = std::time::Duration::from_millis((ms as u64).max(200));
    }
    if let Some(n) = num("SWITCHBOARD_WORKER_CONCURRENCY")? {
        w.concurrency = (n as usize).max(1);
    }
    Ok(w)
}

/// Webhook delivery settings: the standard schedule, adjustable by environment variables
/// (tests shorten the schedule and the timeout).
pub fn delivery_settings(allow_private: bool) -> Result<DeliverySettings, ConfigError> {
    let mut d = DeliverySettings { host: host_name("local"), ..DeliverySettings::standard(allow_private) };
    if let Ok(v) = std::env::var("SWITCHBOARD_WEBHOOK_RETRY_SCHEDULE") {
        if !v.trim().is_empty() {
            d.schedule = DeliverySettings::parse_schedule(&v)
                .map_err(|e| ConfigError::new("SWITCHBOARD_WEBHOOK_RETRY_SCHEDULE", &v, &e))?;
            d.jitter = 0.0;
        }
    }
    let ms = |name: &str| -> Result<Option<u64>, ConfigError> {
        match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => v
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| ConfigError::new(name, &v, "a whole number of milliseconds")),
            _ => Ok(None),
        }
    };
    if let Some(t) = ms("SWITCHBOARD_WEBHOOK_TIMEOUT_MS")? {
        d.timeout = std::time::Duration::from_millis(t.max(100));
    }
    if let Some(l) = ms("SWITCHBOARD_WEBHOOK_LEASE_MS")? {
        d.lease = std::time::Duration::from_millis(l.max(200));
    }
    if let Ok(v) = std::env::var("SWITCHBOARD_WEBHOOK_PROXY") {
        let v = v.trim();
        if !v.is_empty() {
            reqwest::Proxy::all(v).map_err(|e| {
                ConfigError::new(
                    "SWITCHBOARD_WEBHOOK_PROXY",
                    v,
                    &format!("a proxy URL such as http://proxy:3128 ({e})"),
                )
            })?;
            d.proxy = Some(v.to_string());
        }
    }
    Ok(d)
}

/// Per-key API rate limits: the defaults, or `SWITCHBOARD_API_INGEST_RATE` and
/// `SWITCHBOARD_API_READ_RATE` (calls per second).
pub fn api_limits() -> Result<RateLimits, ConfigError> {
    let mut l = RateLimits::default();
    for (name, slot) in [
        ("SWITCHBOARD_API_INGEST_RATE", &mut l.ingest_per_second),
        ("SWITCHBOARD_API_READ_RATE", &mut l.read_per_second),
    ] {
        if let Ok(v) = std::env::var(name) {
            if !v.trim().is_empty() {
                *slot = v
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite() && *n > 0.0)
                    .ok_or_else(|| ConfigError::new(name, &v, "a positive number of calls per second"))?;
            }
        }
    }
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_recognised_and_masked() {
        assert!(matches!(database_url("DATABASE_URL", "sqlite:data/x.db").unwrap(), DatabaseUrl::Sqlite(_)));
        let pg = database_url("DATABASE_URL", "postgres://sb:hunter2@db:5432/sb").unwrap();
        assert_eq!(pg.to_string(), "postgres://sb:***@db:5432/sb");
        let err = database_url("DATABASE_URL", "mysql://x").unwrap_err();
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

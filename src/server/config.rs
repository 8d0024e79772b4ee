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

/// Everything the running server needs to know.
#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    pub database_url: DatabaseUrl,
    /// Mark the session cookie `Secure`; on by default outside loopback.
    pub secure_cookies: bool,
    /// Let webhook endpoints point at loopback and private networks (tests, local development).
    pub allow_private_webhook_urls: bool,
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
    fn bad_address_names_the_setting() {
        let err = parse_addr("SWITCHBOARD_ADDR", "localhost").unwrap_err();
        assert!(err.to_string().contains("SWITCHBOARD_ADDR"));
        assert!(err.to_string().contains("HOST:PORT"));
        assert_eq!(parse_addr("X", "127.0.0.1:3000").unwrap().port(), 3000);
    }
}

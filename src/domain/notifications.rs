//! Alerts: which issue changes an organization hears about, where (email recipients, a Slack
//! incoming webhook) and when (as they happen, in a daily digest). The vocabulary and the
//! settings form's checks, shared by the server and the browser build.

use super::issues::IssueSeverity;
use super::InvalidInput;
use serde::{Deserialize, Serialize};
use std::fmt;

string_enum!(
    /// The issue changes a notification can be about: a new issue, one that came back within
    /// the regression window, one resolved (by itself or by a person).
    IssueChangeKind { New => "new", Regressed => "regressed", Resolved => "resolved" }
);

string_enum!(
    /// Where a notification goes.
    NotificationChannel { Email => "email", Slack => "slack" }
);

string_enum!(
    /// What a notification is: one issue's change, the daily digest, or a test sent from the
    /// settings page.
    NotificationKind { Issue => "issue", Digest => "digest", Test => "test" }
);

string_enum!(
    /// Where a notification stands. `held` was never sent: the issue already had a
    /// notification on that channel within the hour (the daily digest still lists it).
    NotificationStatus { Pending => "pending", Sent => "sent", Failed => "failed", Held => "held" }
);

impl IssueChangeKind {
    /// How the change reads in a subject line.
    pub fn label(self) -> &'static str {
        match self {
            IssueChangeKind::New => "New issue",
            IssueChangeKind::Regressed => "Issue regressed",
            IssueChangeKind::Resolved => "Issue resolved",
        }
    }
}

/// At most this many email recipients.
pub const MAX_RECIPIENTS: usize = 20;
/// An issue gets at most one notification per channel within this window.
pub const NOTIFY_EVERY_MS: i64 = 3_600_000;

/// The settings as a person chose them, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationChoices {
    pub recipients: Vec<String>,
    pub severities: Vec<IssueSeverity>,
    pub changes: Vec<IssueChangeKind>,
    pub immediate: bool,
    pub digest: bool,
    /// The hour of the day (UTC) the digest is sent at.
    pub digest_hour: u8,
}

impl NotificationChoices {
    /// Reads the settings form: recipients separated by commas, spaces or lines; severities and
    /// changes as their names; the digest hour as 0-23. Every problem is named.
    pub fn parse(
        recipients: &str,
        severities: &[String],
        changes: &[String],
        immediate: bool,
        digest: bool,
        digest_hour: &str,
    ) -> Result<Self, InvalidInput> {
        let recipients = parse_recipients(recipients)?;
        let mut sev = vec![];
        for s in severities {
            let v = IssueSeverity::parse(s.trim()).ok_or_else(|| {
                InvalidInput::new(format!(
                    "{:?} is not a severity; choose critical, error or warning.",
                    short(s)
                ))
            })?;
            if !sev.contains(&v) {
                sev.push(v);
            }
        }
        let mut ch = vec![];
        for c in changes {
            let v = IssueChangeKind::parse(c.trim()).ok_or_else(|| {
                InvalidInput::new(format!(
                    "{:?} is not an issue change; choose new, regressed or resolved.",
                    short(c)
                ))
            })?;
            if !ch.contains(&v) {
                ch.push(v);
            }
        }
        let hour = digest_hour.trim();
        let digest_hour = if hour.is_empty() {
            8
        } else {
            hour.parse::<u8>().ok().filter(|h| *h < 24).ok_or_else(|| {
                InvalidInput::new(format!(
                    "The digest hour {:?} is not an hour of the day; enter 0 to 23 (UTC).",
                    short(hour)
                ))
            })?
        };
        if (immediate || digest) && sev.is_empty() {
            return Err(InvalidInput::new(
                "Choose at least one severity to hear about, or turn notifications off.",
            ));
        }
        if immediate && ch.is_empty() {
            return Err(InvalidInput::new(
                "Choose at least one change (new, regressed, resolved) to be told about as it happens.",
            ));
        }
        Ok(NotificationChoices { recipients, severities: sev, changes: ch, immediate, digest, digest_hour })
    }

    pub fn wants(&self, severity: IssueSeverity, change: IssueChangeKind) -> bool {
        self.immediate && self.severities.contains(&severity) && self.changes.contains(&change)
    }
}

fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

/// Email addresses separated by commas, semicolons, spaces or lines; repeats (in any case)
/// dropped; each checked for the shape `name@domain.tld`.
pub fn parse_recipients(raw: &str) -> Result<Vec<String>, InvalidInput> {
    let mut out: Vec<String> = vec![];
    for part in raw.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).filter(|p| !p.is_empty()) {
        check_email(part)?;
        if !out.iter().any(|o| o.eq_ignore_ascii_case(part)) {
            out.push(part.to_string());
        }
    }
    if out.len() > MAX_RECIPIENTS {
        return Err(InvalidInput::new(format!(
            "{} email recipients were given; at most {MAX_RECIPIENTS} are allowed. Use a team address.",
            out.len()
        )));
    }
    Ok(out)
}

fn check_email(a: &str) -> Result<(), InvalidInput> {
    let bad = |why: &str| Err(InvalidInput::new(format!("{:?} is not an email address: {why}.", short(a))));
    if a.len() > 254 {
        return bad("it is longer than 254 characters");
    }
    let Some((local, domain)) = a.rsplit_once('@') else { return bad("it has no @") };
    if local.is_empty() || local.len() > 64 {
        return bad("the part before the @ must have 1 to 64 characters");
    }
    if local.contains('@') {
        return bad("it has more than one @");
    }
    let allowed_local = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    if !local.chars().all(allowed_local)
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
    {
        return bad("the part before the @ has a character an address cannot hold");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2
        || labels.iter().any(|l| {
            l.is_empty()
                || l.len() > 63
                || l.starts_with('-')
                || l.ends_with('-')
                || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    {
        return bad("the part after the @ must be a domain such as example.com");
    }
    Ok(())
}

/// A list stored as text: `critical,error`.
pub fn join<T: Copy>(values: &[T], name: impl Fn(T) -> &'static str) -> String {
    values.iter().map(|v| name(*v)).collect::<Vec<_>>().join(",")
}

/// Reads a stored list back, skipping what is no longer a value.
pub fn split<T>(text: &str, parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
    text.split(',').filter_map(|s| parse(s.trim())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_split_deduplicated_and_checked() {
        let r = parse_recipients("ops@acme.test, OPS@acme.test;\nlead+alerts@acme.co.uk").unwrap();
        assert_eq!(r, vec!["ops@acme.test", "lead+alerts@acme.co.uk"]);
        for bad in [
            "ops",
            "@acme.test",
            "ops@acme",
            "a@b@c.test",
            "ops@-acme.test",
            "o..ps@acme.test",
            "ops@acme..test",
        ] {
            let e = parse_recipients(bad).unwrap_err().0;
            assert!(e.contains("is not an email address"), "{bad}: {e}");
        }
        let many: Vec<String> = (0..21).map(|i| format!("p{i}@acme.test")).collect();
        assert!(parse_recipients(&many.join(",")).unwrap_err().0.contains("at most 20"));
    }

    #[test]
    fn choices_name_what_is_wrong() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let ok = NotificationChoices::parse("", &s(&["critical"]), &s(&["new", "resolved"]), true, true, "7")
            .unwrap();
        assert!(ok.wants(IssueSeverity::Critical, IssueChangeKind::New));
        assert!(!ok.wants(IssueSeverity::Warning, IssueChangeKind::New));
        assert!(!ok.wants(IssueSeverity::Critical, IssueChangeKind::Regressed));
        assert_eq!(ok.digest_hour, 7);
        let e = |r: Result<NotificationChoices, InvalidInput>| r.unwrap_err().0;
        assert!(e(NotificationChoices::parse("", &s(&["fatal"]), &[], false, false, ""))
            .contains("not a severity"));
        assert!(e(NotificationChoices::parse("", &s(&["error"]), &s(&["x"]), true, false, ""))
            .contains("not an issue change"));
        assert!(e(NotificationChoices::parse("", &s(&["error"]), &s(&["new"]), true, true, "24"))
            .contains("0 to 23"));
        assert!(e(NotificationChoices::parse("", &[], &s(&["new"]), true, false, ""))
            .contains("at least one severity"));
        assert!(e(NotificationChoices::parse("", &s(&["error"]), &[], true, false, ""))
            .contains("at least one change"));
        // Everything off is a valid choice: nothing is sent.
        assert!(NotificationChoices::parse("", &[], &[], false, false, "").is_ok());
    }
}

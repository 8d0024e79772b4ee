//! How long an organization keeps its rows (issue 21): the choices, parsed the same in the
//! server and the browser.

use super::InvalidInput;

/// The retention periods an organization may choose, in days.
pub const CHOICES: [i64; 3] = [7, 30, 90];
/// Until an owner or admin chooses.
pub const DEFAULT_DAYS: i64 = 30;

pub fn parse_days(s: &str) -> Result<i64, InvalidInput> {
    match s.trim().parse::<i64>() {
        Ok(d) if CHOICES.contains(&d) => Ok(d),
        _ => Err(InvalidInput::new(format!(
            "Retention \u{201c}{}\u{201d} is not offered: choose 7, 30 or 90 days.",
            s.trim().chars().take(20).collect::<String>()
        ))),
    }
}

/// "Request logs are kept 30 days": what a list says of how far back it goes.
pub fn kept_note(what: &str, days: i64) -> String {
    format!("{what} are kept {days} days; older ones are deleted (the Overview's charts keep their counts for 13 months).")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_offered_periods_parse() {
        assert_eq!(parse_days(" 90 ").unwrap(), 90);
        assert!(parse_days("14").unwrap_err().0.contains("14"));
        assert!(parse_days("forever").is_err());
    }
}

//! The Errors page's choices (issue 21): the time range and the order of the groups, both in
//! the URL, parsed the same in the server and the browser.

use super::InvalidInput;
use serde::{Deserialize, Serialize};

const HOUR: i64 = 3_600_000;

/// How far back the Errors page looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum FailureRange {
    #[default]
    Day,
    Week,
    Month,
}

impl FailureRange {
    pub const ALL: [FailureRange; 3] = [FailureRange::Day, FailureRange::Week, FailureRange::Month];

    /// `24h`, `7d` or `30d`; empty is the default (24 hours).
    pub fn parse(s: &str) -> Result<Self, InvalidInput> {
        match s.trim() {
            "" | "24h" => Ok(FailureRange::Day),
            "7d" => Ok(FailureRange::Week),
            "30d" => Ok(FailureRange::Month),
            other => Err(InvalidInput::new(format!(
                "Unknown range \u{201c}{}\u{201d}: choose 24h, 7d or 30d.",
                other.chars().take(40).collect::<String>()
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FailureRange::Day => "24h",
            FailureRange::Week => "7d",
            FailureRange::Month => "30d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FailureRange::Day => "Last 24 hours",
            FailureRange::Week => "Last 7 days",
            FailureRange::Month => "Last 30 days",
        }
    }

    /// Whole hours: the rollups count per hour.
    pub fn hours(self) -> i64 {
        match self {
            FailureRange::Day => 24,
            FailureRange::Week => 24 * 7,
            FailureRange::Month => 24 * 30,
        }
    }

    pub fn millis(self) -> i64 {
        self.hours() * HOUR
    }

    /// The width of one point of a group's trend: an hour over a day, six over a week, a day
    /// over a month (24, 28 and 30 points).
    pub fn bin_millis(self) -> i64 {
        match self {
            FailureRange::Day => HOUR,
            FailureRange::Week => 6 * HOUR,
            FailureRange::Month => 24 * HOUR,
        }
    }

    /// `[from, to)`: the range ending with the current hour, in whole hours.
    pub fn window(self, now: i64) -> (i64, i64) {
        let to = (now.div_euclid(HOUR) + 1) * HOUR;
        (to - self.millis(), to)
    }
}

/// The order of the groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum FailureSort {
    /// Most failures first.
    #[default]
    Count,
    /// Most recently seen first.
    Recent,
    /// Largest increase over the previous period first.
    Change,
}

impl FailureSort {
    pub const ALL: [FailureSort; 3] = [FailureSort::Count, FailureSort::Recent, FailureSort::Change];

    pub fn parse(s: &str) -> Result<Self, InvalidInput> {
        match s.trim() {
            "" | "count" => Ok(FailureSort::Count),
            "recent" => Ok(FailureSort::Recent),
            "change" => Ok(FailureSort::Change),
            other => Err(InvalidInput::new(format!(
                "Unknown order \u{201c}{}\u{201d}: choose count, recent or change.",
                other.chars().take(40).collect::<String>()
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FailureSort::Count => "count",
            FailureSort::Recent => "recent",
            FailureSort::Change => "change",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FailureSort::Count => "Count",
            FailureSort::Recent => "Last seen",
            FailureSort::Change => "Change",
        }
    }
}

/// The change from the previous period as people read it: "new", "+40%", "−12%", "no change".
pub fn describe_change(previous: i64, now: i64) -> String {
    if previous == 0 {
        return if now == 0 { "no change".into() } else { "new".into() };
    }
    let pct = ((now - previous) as f64 / previous as f64 * 100.0).round() as i64;
    match pct {
        0 => "no change".into(),
        p if p > 0 => format!("+{p}%"),
        p => format!("\u{2212}{}%", -p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_orders_parse_and_name_what_is_wrong() {
        assert_eq!(FailureRange::parse("").unwrap(), FailureRange::Day);
        assert_eq!(FailureRange::parse("7d").unwrap(), FailureRange::Week);
        assert!(FailureRange::parse("1y").unwrap_err().0.contains("1y"));
        assert_eq!(FailureSort::parse("change").unwrap(), FailureSort::Change);
        assert!(FailureSort::parse("size").unwrap_err().0.contains("size"));
        for r in FailureRange::ALL {
            assert_eq!(FailureRange::parse(r.as_str()).unwrap(), r);
            assert_eq!(r.millis() % r.bin_millis(), 0);
        }
    }

    #[test]
    fn the_window_ends_with_the_current_hour() {
        let now = 10 * HOUR + 123;
        assert_eq!(FailureRange::Day.window(now), (11 * HOUR - 24 * HOUR, 11 * HOUR));
    }

    #[test]
    fn changes_read_as_people_say_them() {
        assert_eq!(describe_change(0, 5), "new");
        assert_eq!(describe_change(0, 0), "no change");
        assert_eq!(describe_change(10, 14), "+40%");
        assert_eq!(describe_change(10, 5), "\u{2212}50%");
        assert_eq!(describe_change(10, 10), "no change");
    }
}

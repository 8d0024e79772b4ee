//! The Errors page's choices (issue 21): the time range and the order of the groups, both in
//! the URL, parsed the same in the server and the browser.

use super::InvalidInput;
use serde::{Deserialize, Serialize};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

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

    /// The range's nominal length in days (the Day range is 24 hours).
    pub fn days(self) -> i64 {
        match self {
            FailureRange::Day => 1,
            FailureRange::Week => 7,
            FailureRange::Month => 30,
        }
    }

    /// The width of one bin of the Overview's charts: an hour over a day, six over a week, a
    /// day over a month (24, 25 to 28, and 30 bins).
    pub fn bin_millis(self) -> i64 {
        match self {
            FailureRange::Day => HOUR,
            FailureRange::Week => 6 * HOUR,
            FailureRange::Month => DAY,
        }
    }

    /// The width of one point of the Errors page's trends: an hour over a day, a UTC day over a
    /// week or a month (the per-day tables answer those).
    pub fn trend_bin_millis(self) -> i64 {
        match self {
            FailureRange::Day => HOUR,
            FailureRange::Week | FailureRange::Month => DAY,
        }
    }

    /// `[from, to)`, ending with the current hour: the last 24 whole hours, or the last 7 or 30
    /// UTC days with today (so a day-wide bin is a calendar day, and the per-day tables can
    /// answer every day but today).
    pub fn window(self, now: i64) -> (i64, i64) {
        let to = (now.div_euclid(HOUR) + 1) * HOUR;
        match self {
            FailureRange::Day => (to - 24 * HOUR, to),
            FailureRange::Week | FailureRange::Month => {
                (now.div_euclid(DAY) * DAY - (self.days() - 1) * DAY, to)
            }
        }
    }

    /// The period a window is compared with: the same stretch of time one range earlier (the
    /// 24 hours before, or the same days and hours a week or 30 days before).
    pub fn previous(self, (from, to): (i64, i64)) -> (i64, i64) {
        let shift = self.days() * DAY;
        (from - shift, to - shift)
    }

    /// What the period of [`FailureRange::previous`] is, after a count.
    pub fn previous_label(self) -> &'static str {
        match self {
            FailureRange::Day => "in the 24 hours before",
            FailureRange::Week => "in the same days and hours a week earlier",
            FailureRange::Month => "in the same days and hours 30 days earlier",
        }
    }

    /// How many bins of `bin_ms` cover `[from, to)` (the last one may end early).
    pub fn bins_between(from: i64, to: i64, bin_ms: i64) -> usize {
        ((to - from).max(0) + bin_ms - 1).div_euclid(bin_ms) as usize
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
            assert_eq!(DAY % r.bin_millis(), 0, "bins tile a day");
            assert_eq!(DAY % r.trend_bin_millis(), 0);
        }
    }

    #[test]
    fn the_window_ends_with_the_current_hour() {
        let now = 100 * DAY + 10 * HOUR + 123;
        let to = 100 * DAY + 11 * HOUR;
        assert_eq!(FailureRange::Day.window(now), (to - 24 * HOUR, to));
        assert_eq!(FailureRange::Day.previous((to - 24 * HOUR, to)), (to - 48 * HOUR, to - 24 * HOUR));
        // A week is today and the six UTC days before it; its bins start at midnight.
        let week = FailureRange::Week.window(now);
        assert_eq!(week, (94 * DAY, to));
        assert_eq!(FailureRange::bins_between(week.0, week.1, FailureRange::Week.bin_millis()), 26);
        assert_eq!(FailureRange::bins_between(week.0, week.1, DAY), 7);
        assert_eq!(FailureRange::Week.previous(week), (87 * DAY, to - 7 * DAY));
        let month = FailureRange::Month.window(now);
        assert_eq!(month, (71 * DAY, to));
        assert_eq!(FailureRange::bins_between(month.0, month.1, DAY), 30);
        // In the last hour of a day, today is whole.
        let late = FailureRange::Week.window(100 * DAY + 23 * HOUR + 5);
        assert_eq!(FailureRange::bins_between(late.0, late.1, 6 * HOUR), 28);
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

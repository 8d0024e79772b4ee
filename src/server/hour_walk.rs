//! Exact search over a log ordered by time-ordered ids, guided by counts per hour (issue 21):
//! the request log (`request_logs::find`) and the delivery log (`webhooks::delivery_log::find`)
//! read only the hours their rollups say hold matching rows, newest first (oldest first for a
//! newer page), until the page is full.
//!
//! [`HourWalk`] is the walk's arithmetic, kept apart from the reads so it can be tested alone:
//! which hours of rollups to ask about next ([`HourWalk::next_span`]: a day first, then each
//! stretch 8 times longer, so a common filter stops after one small read and a rare one over
//! months needs a handful), and which id ranges those hours make ([`HourWalk::ranges`]: each
//! hour widened by how far a row's id time may be from the time its rollup counts it under,
//! clipped to what is left to read, merged where they touch), and how many ranges to read at
//! once ([`HourWalk::batch`]: until the rollups promise a full page).

const HOUR: i64 = 3_600_000;
/// The first stretch of hours whose rollups are read.
const FIRST_SPAN: i64 = 24 * HOUR;
/// Id ranges read per statement, at most.
pub const RANGES_PER_READ: usize = 32;

/// One range of id times to read, `[from, to)` in milliseconds, with the rows the rollups
/// count in it (an upper bound when some filter is not part of the rollups).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub from: i64,
    pub to: i64,
    pub expected: i64,
}

#[derive(Debug, Clone)]
pub struct HourWalk {
    ascending: bool,
    /// The id times the query can reach, `[lo, hi)`.
    lo: i64,
    hi: i64,
    skew: i64,
    /// The rollup hours not asked about yet, `[a, b)`.
    a: i64,
    b: i64,
    span: i64,
    /// Ids beyond this time, in the walk's direction, have been read.
    frontier: i64,
}

/// The start of the hour of a time in milliseconds.
fn hour_of(ms: i64) -> i64 {
    ms.div_euclid(HOUR) * HOUR
}

impl HourWalk {
    /// A walk over id times `[lo, hi)`, newest first unless `ascending`, where a row's id time
    /// is at most `skew` milliseconds from the time its rollup hour comes from.
    pub fn new(lo: i64, hi: i64, ascending: bool, skew: i64) -> Self {
        let (a, b) = if lo < hi { (hour_of(lo - skew), hour_of(hi - 1 + skew) + HOUR) } else { (0, 0) };
        HourWalk {
            ascending,
            lo,
            hi,
            skew,
            a,
            b,
            span: FIRST_SPAN,
            frontier: if ascending { lo } else { hi },
        }
    }

    /// The next stretch of rollup hours to ask about, `[from_hour, to_hour)`; `None` when every
    /// hour has been.
    pub fn next_span(&mut self) -> Option<(i64, i64)> {
        if self.a >= self.b {
            return None;
        }
        let span = if self.ascending {
            let s = (self.a, self.a.saturating_add(self.span).min(self.b));
            self.a = s.1;
            s
        } else {
            let s = (self.b.saturating_sub(self.span).max(self.a), self.b);
            self.b = s.0;
            s
        };
        self.span = self.span.saturating_mul(8);
        Some(span)
    }

    /// The id ranges that `hours` (`(hour, rows)`, any order) make, in the walk's order.
    pub fn ranges(&self, mut hours: Vec<(i64, i64)>) -> Vec<TimeRange> {
        hours.sort_unstable();
        if !self.ascending {
            hours.reverse();
        }
        let mut ranges: Vec<TimeRange> = Vec::new();
        for (hour, n) in hours {
            let mut from = (hour - self.skew).max(self.lo);
            let mut to = (hour + HOUR + self.skew).min(self.hi);
            if self.ascending {
                from = from.max(self.frontier);
            } else {
                to = to.min(self.frontier);
            }
            if from >= to {
                continue;
            }
            match ranges.last_mut() {
                Some(last) if self.ascending && from <= last.to => {
                    last.to = last.to.max(to);
                    last.expected += n;
                }
                Some(last) if !self.ascending && to >= last.from => {
                    last.from = last.from.min(from);
                    last.expected += n;
                }
                _ => ranges.push(TimeRange { from, to, expected: n }),
            }
        }
        ranges
    }

    /// Takes from the front of `ranges` what one read covers: ranges until the rollups promise
    /// `needed` rows, at most [`RANGES_PER_READ`], and marks them read.
    pub fn batch(
        &mut self,
        ranges: &mut std::collections::VecDeque<TimeRange>,
        needed: i64,
    ) -> Vec<TimeRange> {
        let mut batch = Vec::new();
        let mut expected = 0;
        while batch.len() < RANGES_PER_READ && expected < needed {
            let Some(r) = ranges.pop_front() else { break };
            expected += r.expected;
            self.frontier = if self.ascending { r.to } else { r.from };
            batch.push(r);
        }
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_grow_from_the_newest_day_and_cover_every_hour_once() {
        let (lo, hi) = (10 * HOUR + 5, 500 * HOUR + 7);
        let mut w = HourWalk::new(lo, hi, false, HOUR);
        let mut spans = vec![];
        while let Some(s) = w.next_span() {
            spans.push(s);
        }
        assert_eq!(spans[0], (502 * HOUR - 24 * HOUR, 502 * HOUR));
        assert_eq!(spans[1].1, spans[0].0);
        assert_eq!(spans[1].1 - spans[1].0, 8 * 24 * HOUR);
        assert_eq!(spans.last().unwrap().0, 9 * HOUR);
        assert!(spans.windows(2).all(|p| p[0].0 == p[1].1));
        let mut up = HourWalk::new(lo, hi, true, 0);
        assert_eq!(up.next_span(), Some((10 * HOUR, 34 * HOUR)));
    }

    #[test]
    fn hours_become_ranges_widened_by_the_skew_clipped_and_merged() {
        let mut w = HourWalk::new(0, 100 * HOUR, false, HOUR);
        // 50 and 51 touch once widened; 40 stands alone; 99 is clipped to the end.
        let r = w.ranges(vec![(40 * HOUR, 1), (50 * HOUR, 2), (51 * HOUR, 3), (99 * HOUR, 4)]);
        assert_eq!(
            r,
            vec![
                TimeRange { from: 98 * HOUR, to: 100 * HOUR, expected: 4 },
                TimeRange { from: 49 * HOUR, to: 53 * HOUR, expected: 5 },
                TimeRange { from: 39 * HOUR, to: 42 * HOUR, expected: 1 },
            ]
        );
        // A read of the first two moves the frontier: hours asked about later never read the
        // same ids twice.
        let mut q: std::collections::VecDeque<_> = r.into();
        let b = w.batch(&mut q, 6);
        assert_eq!(b.len(), 2);
        assert_eq!(q.len(), 1);
        assert_eq!(
            w.ranges(vec![(48 * HOUR, 1)]),
            vec![TimeRange { from: 47 * HOUR, to: 49 * HOUR, expected: 1 }]
        );
        assert_eq!(w.ranges(vec![(50 * HOUR, 1)]), vec![]);
    }

    #[test]
    fn an_empty_reach_walks_nothing() {
        assert_eq!(HourWalk::new(5, 5, false, 0).next_span(), None);
    }
}

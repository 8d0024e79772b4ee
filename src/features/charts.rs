//! Charts drawn on the server: stacked bars and lines over time bins, as SVG with labelled
//! axes, an accessible title and description, a tooltip per bar or point, and a link from
//! every bar and point to the list behind it. No JavaScript draws or needs them.
//!
//! The markup is built as text here and inserted with `inner_html`: parsed by the browser's
//! HTML parser, every element (the links too) lands in the SVG namespace whether the server
//! rendered the page or the browser navigated to it. A chart is a labelled group (not an
//! image: it holds links); each link is named by what it counts, and left out of the tab order
//! (`tabindex="-1"`, or a 30-day chart would be a hundred tab stops): keyboard users get the
//! same links in the chart's data table, which the page renders beside it.

use super::ui::format_count;

/// A chart's viewBox: it scales to its container's width.
const W: f64 = 720.0;
const H: f64 = 250.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 48.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Series stacked in one bar per bin (counts).
    Bars,
    /// One line per series (rates, latencies); a missing value breaks the line.
    Lines,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    /// A CSS colour.
    pub color: &'static str,
    /// One value per bin; `None` where there is nothing to measure.
    pub values: Vec<Option<f64>>,
    /// Where each bin's bar or point links.
    pub links: Vec<String>,
}

impl Series {
    pub fn total(&self) -> f64 {
        self.values.iter().flatten().sum()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Unique on the page: the ids of the title and description derive from it.
    pub id: String,
    pub title: String,
    /// What a value is, with its unit: "Requests per hour", "Error rate (%)".
    pub y_label: String,
    /// What the bins are: "Hour starting (UTC)".
    pub x_label: String,
    /// How values are written: "%" and "ms" follow the number; anything else is a count.
    pub unit: &'static str,
    pub kind: ChartKind,
    /// Each bin's name, for tooltips and the data table.
    pub bins: Vec<String>,
    /// Which bins get a label under the axis, and the label.
    pub ticks: Vec<(usize, String)>,
    pub series: Vec<Series>,
    /// One sentence on what the chart shows, read by screen readers.
    pub summary: String,
}

/// A value as the chart writes it: "1,204", "12.5%", "340 ms".
pub fn format_value(v: f64, unit: &str) -> String {
    match unit {
        "%" => {
            if v != 0.0 && v.abs() < 0.1 {
                format!("{v:.2}%")
            } else {
                format!("{v:.1}%")
            }
        }
        "ms" => format!("{} ms", format_count(v.round() as i64)),
        _ => format_count(v.round() as i64),
    }
}

/// The top of the value axis: the smallest of 1, 2, 2.5, 5 times a power of ten at or above
/// `max`, so its quarters are round numbers too.
pub fn axis_max(max: f64) -> f64 {
    if max.is_nan() || max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * magnitude >= max - 1e-9 {
            return m * magnitude;
        }
    }
    10.0 * magnitude
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The chart as SVG markup.
pub fn svg(c: &Chart) -> String {
    use std::fmt::Write;
    let n = c.bins.len().max(1);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let bin_w = plot_w / n as f64;
    let max = match c.kind {
        ChartKind::Bars => (0..n)
            .map(|i| c.series.iter().map(|s| s.values.get(i).copied().flatten().unwrap_or(0.0)).sum::<f64>())
            .fold(0.0, f64::max),
        ChartKind::Lines => {
            c.series.iter().flat_map(|s| s.values.iter().flatten().copied()).fold(0.0, f64::max)
        }
    };
    let top = axis_max(max);
    let y = |v: f64| TOP + plot_h - (v / top).clamp(0.0, 1.0) * plot_h;
    let id = esc(&c.id);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg viewBox="0 0 {W} {H}" width="100%" role="group" aria-labelledby="{id}-title {id}-desc" data-testid="chart-{id}" font-family="ui-sans-serif, system-ui, sans-serif" font-size="11"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        esc(&c.title),
        esc(&c.summary)
    );
    // The value axis: five grid lines, each labelled.
    for k in 0..=4 {
        let v = top * k as f64 / 4.0;
        let yy = y(v);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}" stroke="{}" stroke-width="1"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#64748b">{}</text>"##,
            W - RIGHT,
            if k == 0 { "#94a3b8" } else { "#e2e8f0" },
            LEFT - 6.0,
            yy + 4.0,
            esc(&format_value(v, c.unit))
        );
    }
    let _ = write!(
        out,
        r##"<text transform="translate(12 {:.1}) rotate(-90)" text-anchor="middle" fill="#475569">{}</text>"##,
        TOP + plot_h / 2.0,
        esc(&c.y_label)
    );
    // The time axis.
    for (i, label) in &c.ticks {
        let x = LEFT + (*i as f64 + 0.5) * bin_w;
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}" stroke="#94a3b8"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#64748b">{}</text>"##,
            TOP + plot_h,
            TOP + plot_h + 4.0,
            TOP + plot_h + 17.0,
            esc(label)
        );
    }
    let _ = write!(
        out,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#475569">{}</text>"##,
        LEFT + plot_w / 2.0,
        H - 6.0,
        esc(&c.x_label)
    );
    let tip = |s: &Series, i: usize, v: f64| {
        esc(&format!(
            "{}: {} {}",
            c.bins.get(i).map(String::as_str).unwrap_or(""),
            format_value(v, c.unit),
            s.label
        ))
    };
    match c.kind {
        ChartKind::Bars => {
            let bar_w = (bin_w * 0.72).max(1.0);
            for i in 0..n {
                let x = LEFT + i as f64 * bin_w + (bin_w - bar_w) / 2.0;
                let mut base = 0.0;
                for s in &c.series {
                    let v = s.values.get(i).copied().flatten().unwrap_or(0.0);
                    if v <= 0.0 {
                        continue;
                    }
                    let (y0, y1) = (y(base), y(base + v));
                    base += v;
                    let _ = write!(
                        out,
                        r#"<a href="{}" tabindex="-1" aria-label="{tip}"><rect x="{x:.1}" y="{y1:.1}" width="{bar_w:.1}" height="{:.1}" fill="{}" data-series="{}" data-bin="{i}"><title>{tip}</title></rect></a>"#,
                        esc(s.links.get(i).map(String::as_str).unwrap_or("")),
                        (y0 - y1).max(0.5),
                        s.color,
                        esc(&s.label),
                        tip = tip(s, i, v)
                    );
                }
            }
        }
        ChartKind::Lines => {
            for s in &c.series {
                let mut d = String::new();
                let mut pen_down = false;
                for i in 0..n {
                    match s.values.get(i).copied().flatten() {
                        Some(v) => {
                            let x = LEFT + (i as f64 + 0.5) * bin_w;
                            let _ = write!(d, "{}{x:.1} {:.1} ", if pen_down { "L" } else { "M" }, y(v));
                            pen_down = true;
                        }
                        None => pen_down = false,
                    }
                }
                if !d.is_empty() {
                    let _ = write!(
                        out,
                        r#"<path d="{}" fill="none" stroke="{}" stroke-width="2" stroke-linejoin="round"/>"#,
                        d.trim_end(),
                        s.color
                    );
                }
                for i in 0..n {
                    if let Some(v) = s.values.get(i).copied().flatten() {
                        let x = LEFT + (i as f64 + 0.5) * bin_w;
                        let _ = write!(
                            out,
                            r#"<a href="{}" tabindex="-1" aria-label="{tip}"><circle cx="{x:.1}" cy="{:.1}" r="3.5" fill="{}" data-series="{}" data-bin="{i}"><title>{tip}</title></circle></a>"#,
                            esc(s.links.get(i).map(String::as_str).unwrap_or("")),
                            y(v),
                            s.color,
                            esc(&s.label),
                            tip = tip(s, i, v)
                        );
                    }
                }
            }
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(kind: ChartKind, values: Vec<Option<f64>>) -> Chart {
        Chart {
            id: "t".into(),
            title: "Requests <by> class".into(),
            y_label: "Requests per hour".into(),
            x_label: "Hour starting (UTC)".into(),
            unit: "",
            kind,
            bins: (0..values.len()).map(|i| format!("{i:02}:00")).collect(),
            ticks: vec![(0, "00:00".into())],
            series: vec![Series {
                label: "5xx".into(),
                color: "#dc2626",
                links: (0..values.len()).map(|i| format!("/requests?status=5xx&b={i}")).collect(),
                values,
            }],
            summary: "A test".into(),
        }
    }

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(axis_max(0.0), 1.0);
        assert_eq!(axis_max(7.0), 10.0);
        assert_eq!(axis_max(10.0), 10.0);
        assert_eq!(axis_max(11.0), 20.0);
        assert_eq!(axis_max(1_900.0), 2_000.0);
        assert_eq!(axis_max(2_100.0), 2_500.0);
        assert_eq!(axis_max(0.3), 0.5);
    }

    #[test]
    fn bars_link_each_nonzero_value_and_escape_text() {
        let s = svg(&chart(ChartKind::Bars, vec![Some(3.0), Some(0.0), None, Some(10.0)]));
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("Requests &lt;by&gt; class"));
        assert_eq!(s.matches("<rect").count(), 2, "zero and missing values draw nothing");
        assert!(s.contains(r#"href="/requests?status=5xx&amp;b=3""#));
        assert!(s.contains("03:00: 10 5xx"));
        // The tallest bar reaches the top of the axis (10).
        assert!(s.contains(&format!(r#"y="{TOP:.1}""#)), "{s}");
    }

    #[test]
    fn lines_break_where_values_are_missing() {
        let mut c = chart(ChartKind::Lines, vec![Some(1.0), Some(2.0), None, Some(4.0)]);
        c.unit = "ms";
        let s = svg(&c);
        assert_eq!(s.matches("<circle").count(), 3);
        let d = s.split(r#"<path d=""#).nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert!(s.contains("4 ms"));
        assert_eq!(format_value(12.345, "%"), "12.3%");
        assert_eq!(format_value(0.04, "%"), "0.04%");
        assert_eq!(format_value(1234.4, ""), "1,234");
    }
}

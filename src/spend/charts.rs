//! Charts drawn on the server as SVG: no JavaScript, no third-party code, and the same
//! figures always in a table beneath (the chart is a picture of the table, labelled for screen
//! readers as such). Colours are GOV.UK Frontend's, with text contrast of WCAG 2.2 AA.

use std::fmt::Write as _;

use crate::money::Pence;

const BAR: &str = "#1d70b8";
const TEXT: &str = "#0b0c0c";
const GRID: &str = "#b1b4b6";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let t: String = s.chars().take(n - 1).collect();
        format!("{t}…")
    }
}

/// Horizontal bars, largest first: suppliers, categories, bodies.
pub fn bars(title: &str, items: &[(String, i64)]) -> String {
    bars_of(title, items, |v| Pence(v).short())
}

/// Horizontal bars of counts (flags, payments) rather than money.
pub fn count_bars(title: &str, items: &[(String, i64)]) -> String {
    bars_of(title, items, |v| {
        crate::web::filters::pounds(v)
            .trim_start_matches('£')
            .to_owned()
    })
}

fn bars_of(title: &str, items: &[(String, i64)], value: fn(i64) -> String) -> String {
    if items.is_empty() {
        return String::new();
    }
    let max = items.iter().map(|i| i.1).max().unwrap_or(1).max(1) as f64;
    let row = 26;
    let (label_w, bar_w, value_w) = (260, 420, 110);
    let width = label_w + bar_w + value_w;
    let height = row * items.len() + 10;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="pk-chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{}. The same figures are in the table below." xmlns="http://www.w3.org/2000/svg">"#,
        esc(title)
    );
    for (i, (label, v)) in items.iter().enumerate() {
        let y = i * row + 5;
        let w = ((*v).max(0) as f64 / max * bar_w as f64).round() as i64;
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="14" text-anchor="end" fill="{TEXT}" font-family="Arial, sans-serif">{}</text><rect x="{}" y="{}" width="{w}" height="18" fill="{BAR}"/><text x="{}" y="{}" font-size="14" fill="{TEXT}" font-family="Arial, sans-serif">{}</text>"#,
            label_w - 8,
            y + 14,
            esc(&shorten(label, 34)),
            label_w,
            y,
            label_w as i64 + w + 6,
            y + 14,
            esc(&value(*v))
        );
    }
    s.push_str("</svg>");
    s
}

/// Columns over time: spend by month.
pub fn columns(title: &str, items: &[(String, i64)]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let max = items.iter().map(|i| i.1).max().unwrap_or(1).max(1) as f64;
    let (left, top, plot_h, bottom) = (70, 10, 200, 50);
    let col = (760 / items.len().max(1)).clamp(4, 60);
    let width = left + col * items.len() + 10;
    let height = top + plot_h + bottom;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="pk-chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{}. The same figures are in the table below." xmlns="http://www.w3.org/2000/svg">"#,
        esc(title)
    );
    for frac in [0.0, 0.5, 1.0] {
        let y = top as f64 + plot_h as f64 * (1.0 - frac);
        let _ = write!(
            s,
            r#"<line x1="{left}" x2="{}" y1="{y:.0}" y2="{y:.0}" stroke="{GRID}"/><text x="{}" y="{:.0}" font-size="12" text-anchor="end" fill="{TEXT}" font-family="Arial, sans-serif">{}</text>"#,
            width - 5,
            left - 6,
            y + 4.0,
            esc(&Pence((max * frac) as i64).short())
        );
    }
    let every = (items.len() / 12).max(1);
    for (i, (label, v)) in items.iter().enumerate() {
        let h = ((*v).max(0) as f64 / max * plot_h as f64).round() as usize;
        let x = left + i * col;
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="{}" height="{h}" fill="{BAR}"/>"#,
            x + 1,
            top + plot_h - h,
            col.saturating_sub(2).max(1)
        );
        if i % every == 0 {
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="{TEXT}" font-family="Arial, sans-serif">{}</text>"#,
                x + col / 2,
                top + plot_h + 18,
                esc(label)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_names_and_label_themselves() {
        let svg = bars(
            "Top suppliers",
            &[("A & B <Ltd>".into(), 100), ("C".into(), 50)],
        );
        assert!(svg.contains("A &amp; B &lt;Ltd&gt;"));
        assert!(svg.contains(r#"role="img""#) && svg.contains("table below"));
        assert!(
            !svg.contains("style="),
            "inline styles are blocked by the CSP"
        );
        assert_eq!(bars("x", &[]), "");
        assert!(columns("By month", &[("2024-01".into(), 5)]).contains("2024-01"));
    }
}

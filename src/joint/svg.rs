//! The plan as a server-rendered SVG timeline: one row per milestone, and under each gated
//! milestone one row per partner showing its paper deadline, meeting and call-in. Colours are
//! presentation attributes (the page's content security policy allows no inline styles), and
//! the same facts are in the table beside it, so nothing depends on seeing the picture.

use chrono::{Datelike, Duration, NaiveDate};

use super::planner::{Outcome, Plan};
use crate::web::filters::long_date;

const WIDTH: f64 = 960.0;
const LEFT: f64 = 320.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const ROW: f64 = 30.0;
const SUB_ROW: f64 = 20.0;

/// GOV.UK palette colours that keep their contrast on white.
const PARTNER_COLOURS: &[&str] = &[
    "#1d70b8", "#00703c", "#912b88", "#b58840", "#d4351c", "#003078",
];

pub fn escape(s: &str) -> String {
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

fn short(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// Renders the plan. `partners` gives the order (and so the colour) of partners: (slug, name).
pub fn timeline(plan: &Plan, partners: &[(String, String)]) -> String {
    let mut dates: Vec<NaiveDate> = vec![plan.start];
    for m in &plan.milestones {
        dates.extend(m.date);
        dates.extend(m.ready);
        for a in &m.approvals {
            if let Outcome::Scheduled {
                paper_deadline,
                acted_on_from,
                ..
            } = &a.outcome
            {
                dates.push(*paper_deadline);
                dates.push(*acted_on_from);
            }
        }
    }
    let first = dates.iter().min().copied().unwrap_or(plan.start);
    let last = dates.iter().max().copied().unwrap_or(plan.start);
    // From the first of the first month to the first of the month after the last date.
    let from = first.with_day(1).unwrap_or(first);
    let to = {
        let (y, m) = if last.month() == 12 {
            (last.year() + 1, 1)
        } else {
            (last.year(), last.month() + 1)
        };
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(last + Duration::days(31))
    };
    let span = (to - from).num_days().max(1) as f64;
    let x = |d: NaiveDate| LEFT + (d - from).num_days() as f64 / span * (WIDTH - LEFT - RIGHT);
    let colour = |slug: &str| {
        partners
            .iter()
            .position(|(s, _)| s == slug)
            .map(|i| PARTNER_COLOURS[i % PARTNER_COLOURS.len()])
            .unwrap_or("#505a5f")
    };

    let mut rows = String::new();
    let mut y = TOP;
    for m in &plan.milestones {
        let mid = y + ROW / 2.0;
        let weight = if m.critical { "bold" } else { "normal" };
        rows.push_str(&format!(
            r##"<text x="8" y="{:.1}" font-size="13" font-weight="{weight}" fill="#0b0c0c">{}</text>"##,
            mid + 4.0,
            escape(&m.name)
        ));
        rows.push_str(&format!(
            r##"<line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#f3f2f1"/>"##,
            y + ROW,
            WIDTH - RIGHT,
            y + ROW
        ));
        if let (Some(ready), Some(date)) = (m.ready, m.date) {
            // The wait between ready and the milestone: what governance costs.
            if date > ready {
                rows.push_str(&format!(
                    r##"<line x1="{:.1}" y1="{mid:.1}" x2="{:.1}" y2="{mid:.1}" stroke="#b1b4b6" stroke-width="3" stroke-dasharray="4 3"><title>Waiting for approvals: ready {} → {}</title></line>"##,
                    x(ready),
                    x(date),
                    short(ready),
                    short(date)
                ));
            }
            let cx = x(date);
            let (fill, stroke) = if m.critical {
                ("#d4351c", "#0b0c0c")
            } else {
                ("#0b0c0c", "#0b0c0c")
            };
            rows.push_str(&format!(
                r##"<path d="M{:.1} {:.1} L{:.1} {mid:.1} L{:.1} {:.1} L{:.1} {mid:.1} Z" fill="{fill}" stroke="{stroke}"><title>{}: {}{}</title></path>"##,
                cx,
                mid - 8.0,
                cx + 8.0,
                cx,
                mid + 8.0,
                cx - 8.0,
                escape(&m.name),
                long_date(date),
                if m.critical { " (critical path)" } else { "" }
            ));
            let label_x = if cx > WIDTH - 130.0 {
                cx - 12.0
            } else {
                cx + 12.0
            };
            let anchor = if cx > WIDTH - 130.0 { "end" } else { "start" };
            rows.push_str(&format!(
                r##"<text x="{label_x:.1}" y="{:.1}" font-size="12" text-anchor="{anchor}" fill="#0b0c0c">{}</text>"##,
                mid + 4.0,
                short(date)
            ));
        } else {
            rows.push_str(&format!(
                r##"<text x="{LEFT}" y="{:.1}" font-size="12" fill="#d4351c">Cannot be scheduled</text>"##,
                mid + 4.0
            ));
        }
        y += ROW;
        for a in &m.approvals {
            let Outcome::Scheduled {
                body,
                meeting,
                paper_deadline,
                acted_on_from,
                binding,
                ..
            } = &a.outcome
            else {
                continue;
            };
            let c = colour(&a.partner);
            let smid = y + SUB_ROW / 2.0;
            rows.push_str(&format!(
                r##"<text x="20" y="{:.1}" font-size="11" fill="{c}">{} · {}</text>"##,
                smid + 4.0,
                escape(&a.partner_name),
                escape(body)
            ));
            rows.push_str(&format!(
                r##"<line x1="{:.1}" y1="{smid:.1}" x2="{:.1}" y2="{smid:.1}" stroke="{c}" stroke-width="{}"><title>{}: papers {}, meeting {}, can act from {}</title></line>"##,
                x(*paper_deadline),
                x(*acted_on_from),
                if *binding { 4 } else { 2 },
                escape(&a.partner_name),
                short(*paper_deadline),
                short(*meeting),
                short(*acted_on_from)
            ));
            rows.push_str(&format!(
                r##"<rect x="{:.1}" y="{:.1}" width="6" height="6" fill="{c}"><title>{}: papers due {}</title></rect>"##,
                x(*paper_deadline) - 3.0,
                smid - 3.0,
                escape(&a.partner_name),
                long_date(*paper_deadline)
            ));
            rows.push_str(&format!(
                r##"<circle cx="{:.1}" cy="{smid:.1}" r="5" fill="#ffffff" stroke="{c}" stroke-width="2"><title>{} {} meets {}</title></circle>"##,
                x(*meeting),
                escape(&a.partner_name),
                escape(body),
                long_date(*meeting)
            ));
            y += SUB_ROW;
        }
    }
    let height = y + 50.0;

    let mut axis = String::new();
    let mut month = from;
    while month <= to {
        let mx = x(month);
        axis.push_str(&format!(
            r##"<line x1="{mx:.1}" y1="{:.1}" x2="{mx:.1}" y2="{:.1}" stroke="#dddddd"/>"##,
            TOP - 10.0,
            y
        ));
        let label = if month.month() == 1 || month == from {
            month.format("%b %Y").to_string()
        } else {
            month.format("%b").to_string()
        };
        axis.push_str(&format!(
            r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#505a5f">{label}</text>"##,
            mx + 2.0,
            TOP - 14.0
        ));
        month = if month.month() == 12 {
            NaiveDate::from_ymd_opt(month.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(month.year(), month.month() + 1, 1)
        }
        .unwrap_or(to + Duration::days(1));
    }

    let mut legend = String::new();
    let ly = y + 28.0;
    legend.push_str(&format!(
        r##"<path d="M14 {a:.1} L22 {b:.1} L14 {c:.1} L6 {b:.1} Z" fill="#d4351c" stroke="#0b0c0c"/><text x="28" y="{t:.1}" font-size="11" fill="#0b0c0c">critical milestone</text>"##,
        a = ly - 8.0,
        b = ly,
        c = ly + 8.0,
        t = ly + 4.0
    ));
    legend.push_str(&format!(
        r##"<rect x="150" y="{:.1}" width="6" height="6" fill="#505a5f"/><text x="162" y="{:.1}" font-size="11" fill="#0b0c0c">paper deadline</text><circle cx="265" cy="{ly:.1}" r="5" fill="#ffffff" stroke="#505a5f" stroke-width="2"/><text x="275" y="{:.1}" font-size="11" fill="#0b0c0c">meeting; the line runs on to the end of call-in</text>"##,
        ly - 3.0,
        ly + 4.0,
        ly + 4.0
    ));
    let mut lx = 560.0;
    for (slug, name) in partners {
        legend.push_str(&format!(
            r##"<rect x="{lx:.1}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#0b0c0c">{}</text>"##,
            ly - 6.0,
            colour(slug),
            lx + 16.0,
            ly + 4.0,
            escape(name)
        ));
        lx += 90.0;
    }

    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="pk-timeline" viewBox="0 0 {WIDTH} {height:.0}" width="100%" role="img" aria-labelledby="timeline-title timeline-desc"><title id="timeline-title">Timeline of the joint procurement</title><desc id="timeline-desc">From {} to {}. The table below gives every date.</desc><rect x="0" y="0" width="{WIDTH}" height="{height:.0}" fill="#ffffff"/>{axis}{rows}{legend}</svg>"##,
        long_date(plan.start),
        plan.end()
            .map(long_date)
            .unwrap_or_else(|| "no feasible end".into()),
    )
}

//! A plan as files other tools open: iCalendar (RFC 5545) for officers' calendars and CSV for
//! spreadsheets. Pure: the caller supplies the time stamp.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::planner::{Outcome, Plan};
use crate::web::filters::long_date;

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn ics_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character, and
/// ends it with CRLF.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

fn ics_date(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// Only letters, digits and hyphens: a UID part that no calendar misreads.
fn uid_part(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

struct Event {
    uid: String,
    date: NaiveDate,
    summary: String,
    description: String,
    category: &'static str,
}

/// The plan as an iCalendar file: every milestone, every approval meeting and every paper
/// deadline as an all-day event. UIDs are stable for the same plan, so importing an updated
/// plan moves events instead of duplicating them.
pub fn ics(plan: &Plan, title: &str, plan_id: &str, stamp: DateTime<Utc>) -> String {
    let base = uid_part(plan_id);
    let mut events = Vec::new();
    for m in &plan.milestones {
        let Some(date) = m.date else { continue };
        let mut description = m.explanation.clone();
        if m.critical {
            description.push_str("\nOn the critical path.");
        }
        events.push(Event {
            uid: format!("{base}-{}@procurekit", uid_part(&m.key)),
            date,
            summary: format!("{title}: {}", m.name),
            description,
            category: "Milestone",
        });
        for a in &m.approvals {
            let Outcome::Scheduled {
                body,
                meeting,
                paper_deadline,
                acted_on_from,
                call_in,
                ..
            } = &a.outcome
            else {
                continue;
            };
            let gate = a.gate.label();
            events.push(Event {
                uid: format!(
                    "{base}-{}-{}-meeting@procurekit",
                    uid_part(&m.key),
                    uid_part(&a.partner)
                ),
                date: *meeting,
                summary: format!("{}: {body} decides {gate} ({title})", a.partner_name),
                description: format!(
                    "{} decision needed before “{}”. Papers by {}. Call-in: {}; can be acted on from {}.",
                    gate,
                    m.name,
                    long_date(*paper_deadline),
                    call_in,
                    long_date(*acted_on_from)
                ),
                category: "Approval meeting",
            });
            events.push(Event {
                uid: format!(
                    "{base}-{}-{}-papers@procurekit",
                    uid_part(&m.key),
                    uid_part(&a.partner)
                ),
                date: *paper_deadline,
                summary: format!(
                    "{}: papers due for {body} ({gate}, {title})",
                    a.partner_name
                ),
                description: format!(
                    "Last day to submit papers for the {} meeting on {}.",
                    body,
                    long_date(*meeting)
                ),
                category: "Paper deadline",
            });
        }
    }
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//procurekit//Joint procurement planner//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        fold(line, &mut out);
    }
    fold(&format!("X-WR-CALNAME:{}", ics_text(title)), &mut out);
    let stamp = stamp.format("%Y%m%dT%H%M%SZ").to_string();
    for e in events {
        fold("BEGIN:VEVENT", &mut out);
        fold(&format!("UID:{}", e.uid), &mut out);
        fold(&format!("DTSTAMP:{stamp}"), &mut out);
        fold(
            &format!("DTSTART;VALUE=DATE:{}", ics_date(e.date)),
            &mut out,
        );
        fold(
            &format!("DTEND;VALUE=DATE:{}", ics_date(e.date + Duration::days(1))),
            &mut out,
        );
        fold(&format!("SUMMARY:{}", ics_text(&e.summary)), &mut out);
        fold(
            &format!("DESCRIPTION:{}", ics_text(&e.description)),
            &mut out,
        );
        fold(&format!("CATEGORIES:{}", ics_text(e.category)), &mut out);
        fold("TRANSP:TRANSPARENT", &mut out);
        fold("END:VEVENT", &mut out);
    }
    fold("END:VCALENDAR", &mut out);
    out
}

/// Quotes a CSV field when it needs it (RFC 4180), and defuses values a spreadsheet would run
/// as a formula: body names come from other organisations' profiles.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

pub const CSV_HEADER: &[&str] = &[
    "milestone",
    "milestone_date",
    "ready_date",
    "critical_path",
    "partner",
    "gate",
    "approving_body",
    "paper_deadline",
    "meeting",
    "can_act_from",
    "call_in",
    "slack_days",
    "sets_the_date",
    "note",
];

/// One row per milestone and partner approval (one row for a milestone without approvals).
pub fn csv(plan: &Plan) -> String {
    let mut out = String::new();
    let mut row = |cells: Vec<String>| {
        let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    };
    row(CSV_HEADER.iter().map(|s| (*s).to_owned()).collect());
    let iso = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    for m in &plan.milestones {
        let base = vec![
            m.name.clone(),
            iso(m.date),
            iso(m.ready),
            if m.critical { "yes" } else { "no" }.to_owned(),
        ];
        if m.approvals.is_empty() {
            let mut r = base.clone();
            r.extend(std::iter::repeat_n(String::new(), 9));
            r.push(m.problem.clone().unwrap_or_default());
            row(r);
        }
        for a in &m.approvals {
            let mut r = base.clone();
            r.push(a.partner_name.clone());
            r.push(a.gate.label().to_owned());
            match &a.outcome {
                Outcome::Scheduled {
                    body,
                    meeting,
                    paper_deadline,
                    acted_on_from,
                    call_in,
                    slack_days,
                    binding,
                    ..
                } => {
                    r.extend([
                        body.clone(),
                        paper_deadline.to_string(),
                        meeting.to_string(),
                        acted_on_from.to_string(),
                        call_in.clone(),
                        slack_days.to_string(),
                        if *binding { "yes" } else { "no" }.to_owned(),
                        String::new(),
                    ]);
                }
                Outcome::NotRequired { reason } | Outcome::Impossible { reason } => {
                    r.extend(std::iter::repeat_n(String::new(), 7));
                    r.push(reason.clone());
                }
            }
            row(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "é".repeat(60));
        fold(&line, &mut out);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, line);
    }

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(ics_text("a, b; c\\d\ne"), "a\\, b\\; c\\\\d\\ne");
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, \"b\""), "\"a, \"\"b\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    }
}

//! Formatting for people: dates the GOV.UK way ("4 June 2026"), times in London, money.

use chrono::{DateTime, NaiveDate, Utc};

/// Percent-encodes a value for a query string.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// "4 June 2026"
pub fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// A Unix time as "4 June 2026 at 3:05pm" (UTC, marked as such: the server does not guess
/// whether London is on GMT or BST for a past instant without a time-zone database).
pub fn date_time(ts: i64) -> String {
    match DateTime::<Utc>::from_timestamp(ts, 0) {
        Some(t) => {
            let time = t.format("%-I:%M%P").to_string();
            format!("{} at {} UTC", t.format("%-d %B %Y"), time)
        }
        None => "unknown".into(),
    }
}

/// Pounds with thousands separators: 123456 → "£123,456". Whole pounds only.
pub fn pounds(pounds: i64) -> String {
    let digits = pounds.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}£{}", if pounds < 0 { "-" } else { "" }, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(urlencode("/guide?a=b c"), "/guide%3Fa%3Db%20c");
        assert_eq!(
            long_date(NaiveDate::from_ymd_opt(2026, 6, 4).unwrap()),
            "4 June 2026"
        );
        assert_eq!(date_time(0), "1 January 1970 at 12:00am UTC");
        assert_eq!(pounds(250000), "£250,000");
        assert_eq!(pounds(999), "£999");
        assert_eq!(pounds(-1234567), "-£1,234,567");
    }
}

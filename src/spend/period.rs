//! The period a supplier-totals file covers. Such files (one total per supplier, no dates)
//! only make sense with a period: given by the person, or read from the file's name
//! ("lambeth_2010-12_…", "…_2009_q1_…", "LambethPaymentsOver500December2010.csv").

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error(
    "{0:?} is not a period: write a month (2010-12), a range of months (2009-01..2009-03) or a quarter (2009-Q1)"
)]
pub struct BadPeriod(String);

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_start(y: i32, m: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, 1)
}

fn month_end(y: i32, m: u32) -> Option<NaiveDate> {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1)?.pred_opt()
}

impl Period {
    pub fn months(y: i32, first: u32, last: u32) -> Option<Period> {
        Some(Period {
            start: month_start(y, first)?,
            end: month_end(y, last)?,
        })
    }

    /// `2010-12`, `2009-01..2009-03`, `2009-Q1` (calendar quarters).
    pub fn parse(s: &str) -> Result<Period, BadPeriod> {
        let bad = || BadPeriod(s.trim().to_owned());
        let t = s.trim();
        let ym = |x: &str| -> Option<(i32, u32)> {
            let (y, m) = x.trim().split_once('-')?;
            let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
            ((1990..=2100).contains(&y) && (1..=12).contains(&m)).then_some((y, m))
        };
        if let Some((a, b)) = t.split_once("..") {
            let (ya, ma) = ym(a).ok_or_else(bad)?;
            let (yb, mb) = ym(b).ok_or_else(bad)?;
            let p = Period {
                start: month_start(ya, ma).ok_or_else(bad)?,
                end: month_end(yb, mb).ok_or_else(bad)?,
            };
            return if p.start <= p.end { Ok(p) } else { Err(bad()) };
        }
        if let Some((y, q)) = t.to_ascii_lowercase().split_once("-q") {
            let y: i32 = y.parse().map_err(|_| bad())?;
            let q: u32 = q.parse().map_err(|_| bad())?;
            if !(1..=4).contains(&q) {
                return Err(bad());
            }
            return Period::months(y, q * 3 - 2, q * 3).ok_or_else(bad);
        }
        let (y, m) = ym(t).ok_or_else(bad)?;
        Period::months(y, m, m).ok_or_else(bad)
    }

    /// Reads a period from a file name, or `None` when the name does not say.
    pub fn from_file_name(name: &str) -> Option<Period> {
        let lower = name.to_ascii_lowercase();
        let stem = lower.rsplit(['/', '!']).next().unwrap_or(&lower);
        let chars: Vec<char> = stem.chars().collect();
        // Four-digit years 1990–2100 standing alone (not inside a longer number).
        let mut years: Vec<(usize, i32)> = Vec::new();
        for i in 0..chars.len().saturating_sub(3) {
            let w: String = chars[i..i + 4].iter().collect();
            let before = i == 0 || !chars[i - 1].is_ascii_digit();
            if let Ok(y) = w.parse::<i32>()
                && (1990..=2100).contains(&y)
                && before
            {
                years.push((i, y));
            }
        }
        let (at, year) = *years.first()?;
        let after: String = chars[at + 4..].iter().collect();
        // 2010-12, 2010_12, 201012
        let digits: String = after
            .trim_start_matches(['-', '_', ' ', '.'])
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if digits.len() == 2
            && let Ok(m) = digits.parse::<u32>()
            && (1..=12).contains(&m)
        {
            return Period::months(year, m, m);
        }
        // 2009_q1
        let rest = after.trim_start_matches(['-', '_', ' ', '.']);
        if let Some(q) = rest.strip_prefix('q')
            && let Some(d) = q.chars().next().and_then(|c| c.to_digit(10))
            && (1..=4).contains(&d)
        {
            return Period::months(year, d * 3 - 2, d * 3);
        }
        // Month names anywhere: "december2010", "2014_jan-mar".
        let mut named: Vec<(usize, u32)> = Vec::new();
        for (i, m) in MONTHS.iter().enumerate() {
            let mut from = 0;
            while let Some(p) = stem[from..].find(m) {
                let pos = from + p;
                let before_ok = pos == 0 || !stem.as_bytes()[pos - 1].is_ascii_alphabetic();
                if before_ok {
                    named.push((pos, i as u32 + 1));
                }
                from = pos + 1;
            }
        }
        named.sort();
        match named.as_slice() {
            [(_, m)] => Period::months(year, *m, *m),
            [(_, a), .., (_, b)] if a <= b => Period::months(year, *a, *b),
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        if self.start.month() == self.end.month() && self.start.year() == self.end.year() {
            self.start.format("%B %Y").to_string()
        } else {
            format!(
                "{} to {}",
                self.start.format("%B %Y"),
                self.end.format("%B %Y")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &str, b: &str) -> Option<Period> {
        Some(Period {
            start: a.parse().unwrap(),
            end: b.parse().unwrap(),
        })
    }

    #[test]
    fn periods_given_by_people() {
        assert_eq!(Period::parse("2010-12").ok(), p("2010-12-01", "2010-12-31"));
        assert_eq!(
            Period::parse("2009-01..2009-03").ok(),
            p("2009-01-01", "2009-03-31")
        );
        assert_eq!(Period::parse("2009-Q1").ok(), p("2009-01-01", "2009-03-31"));
        assert_eq!(Period::parse("2012-02").ok(), p("2012-02-01", "2012-02-29"));
        for bad in [
            "",
            "2010",
            "2010-13",
            "2009-Q5",
            "2010-03..2010-01",
            "Dec 2010",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn periods_read_from_file_names() {
        assert_eq!(
            Period::from_file_name("lambeth_2010-12_supplier_totals.csv"),
            p("2010-12-01", "2010-12-31")
        );
        assert_eq!(
            Period::from_file_name("windsor_maidenhead_2009_q1_supplier_totals.csv"),
            p("2009-01-01", "2009-03-31")
        );
        assert_eq!(
            Period::from_file_name("LambethPaymentsOver500December2010.csv"),
            p("2010-12-01", "2010-12-31")
        );
        assert_eq!(
            Period::from_file_name("oxford_city_2014_jan-mar.csv"),
            p("2014-01-01", "2014-03-31")
        );
        assert_eq!(
            Period::from_file_name("DCCSpendingOver500_201101.csv"),
            p("2011-01-01", "2011-01-31")
        );
        assert_eq!(Period::from_file_name("supplier_totals.csv"), None);
    }
}

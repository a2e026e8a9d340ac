//! Dates as spend files write them, and how the importer decides which way a file writes them
//! from the evidence in its date column rather than from the publisher's name.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// The date layouts seen in councils' files. Month-first files exist (US-configured finance
/// systems), so `d/m/y` against `m/d/y` is decided per file, never assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateFormat {
    /// 2022-08-17, also with a time: 2018-01-02 00:00:00 or 2018-01-02T00:00:00
    Iso,
    /// 17/08/2022, 17-08-2022, 17.08.2022, 17/08/22
    DayMonthYear,
    /// 08/17/2022
    MonthDayYear,
    /// 30-Oct-13, 30 Oct 2013, 30-October-2013
    DayMonthNameYear,
    /// 2022/08/17
    YearSlash,
    /// Excel's serial day numbers (45000 is 15 March 2023), from files saved without formats
    ExcelSerial,
}

impl DateFormat {
    pub const ALL: [DateFormat; 6] = [
        DateFormat::Iso,
        DateFormat::DayMonthYear,
        DateFormat::MonthDayYear,
        DateFormat::DayMonthNameYear,
        DateFormat::YearSlash,
        DateFormat::ExcelSerial,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            DateFormat::Iso => "year-month-day (2022-08-17)",
            DateFormat::DayMonthYear => "day/month/year (17/08/2022)",
            DateFormat::MonthDayYear => "month/day/year (08/17/2022)",
            DateFormat::DayMonthNameYear => "day month-name year (17-Aug-22)",
            DateFormat::YearSlash => "year/month/day (2022/08/17)",
            DateFormat::ExcelSerial => "spreadsheet day numbers (44790)",
        }
    }

    pub fn from_name(s: &str) -> Option<DateFormat> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "iso" | "ymd" | "yyyy-mm-dd" => DateFormat::Iso,
            "dmy" | "dd/mm/yyyy" | "day_month_year" => DateFormat::DayMonthYear,
            "mdy" | "mm/dd/yyyy" | "month_day_year" => DateFormat::MonthDayYear,
            "dmony" | "dd-mon-yy" | "day_month_name_year" => DateFormat::DayMonthNameYear,
            "y/m/d" | "yyyy/mm/dd" | "year_slash" => DateFormat::YearSlash,
            "excel" | "excel_serial" => DateFormat::ExcelSerial,
            _ => return None,
        })
    }

    pub fn parse(self, raw: &str) -> Option<NaiveDate> {
        let s = raw.trim();
        if s.is_empty() {
            return None;
        }
        match self {
            DateFormat::Iso => {
                let d = s.get(..10)?;
                let rest = &s[10..];
                if !(rest.is_empty() || rest.starts_with([' ', 'T'])) {
                    return None;
                }
                let [(y, yl), (m, _), (dd, _)] = three_numbers(d, '-')?;
                if yl != 4 {
                    return None;
                }
                ymd(y as i32, m, dd, false)
            }
            DateFormat::YearSlash => {
                let [(y, yl), (m, _), (d, _)] = three_numbers(s.split(' ').next()?, '/')?;
                if yl != 4 {
                    return None;
                }
                ymd(y as i32, m, d, false)
            }
            DateFormat::DayMonthYear | DateFormat::MonthDayYear => {
                let date = s.split([' ', 'T']).next()?;
                let sep = date.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
                let [(a, al), (b, bl), (y, yl)] = three_numbers(date, sep)?;
                if al > 2 || bl > 2 || !(yl == 2 || yl == 4) {
                    return None;
                }
                let (d, m) = if self == DateFormat::DayMonthYear {
                    (a, b)
                } else {
                    (b, a)
                };
                ymd(y as i32, m, d, true)
            }
            DateFormat::DayMonthNameYear => {
                let mut parts = s.split(['-', ' ', '/']).filter(|p| !p.is_empty());
                let d: u32 = parts.next()?.parse().ok()?;
                let m = month_number(parts.next()?)?;
                let y: i32 = parts.next()?.parse().ok()?;
                ymd(y, m, d, true)
            }
            DateFormat::ExcelSerial => {
                let n: i64 = s.split('.').next()?.parse().ok()?;
                // Plausible spend dates only (1990–2100), so that amounts or ids are never
                // taken for dates.
                if !(32874..=73050).contains(&n) {
                    return None;
                }
                NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(chrono::Duration::days(n))
            }
        }
    }
}

/// Three runs of digits separated by `sep`, with their lengths (1–4 digits each).
fn three_numbers(s: &str, sep: char) -> Option<[(u32, usize); 3]> {
    let mut it = s.split(sep);
    let mut out = [(0u32, 0usize); 3];
    for slot in &mut out {
        let part = it.next()?.trim();
        if part.is_empty() || part.len() > 4 || !part.bytes().all(|x| x.is_ascii_digit()) {
            return None;
        }
        *slot = (part.parse().ok()?, part.len());
    }
    if it.next().is_some() {
        return None;
    }
    Some(out)
}

fn ymd(y: i32, m: u32, d: u32, two_digit_years: bool) -> Option<NaiveDate> {
    let y = if two_digit_years && y < 100 {
        // Spend data starts in 2010: "13" is 2013, "99" is 1999.
        if y < 70 { 2000 + y } else { 1900 + y }
    } else {
        y
    };
    if !(1990..=2100).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

fn month_number(s: &str) -> Option<u32> {
    let s = s.to_ascii_lowercase();
    let names = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let key = s.get(..3)?;
    names
        .iter()
        .position(|n| *n == key)
        .map(|i| i as u32 + 1)
        .filter(|_| s.len() == 3 || s.starts_with("sept") || full_month_name(&s))
}

fn full_month_name(s: &str) -> bool {
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
    .contains(&s)
}

/// What the values of a column say about its dates: how many parse under each layout, and
/// how wide a span of time each layout would make them cover.
#[derive(Debug, Default)]
pub struct DateEvidence {
    seen: usize,
    counts: [usize; 6],
    min: [Option<NaiveDate>; 6],
    max: [Option<NaiveDate>; 6],
}

impl DateEvidence {
    pub fn add(&mut self, raw: &str) {
        if raw.trim().is_empty() {
            return;
        }
        self.seen += 1;
        for (i, f) in DateFormat::ALL.iter().enumerate() {
            if let Some(d) = f.parse(raw) {
                self.counts[i] += 1;
                self.min[i] = Some(self.min[i].map_or(d, |m| m.min(d)));
                self.max[i] = Some(self.max[i].map_or(d, |m| m.max(d)));
            }
        }
    }

    /// The share of non-empty values that parse under the best layout, and that layout.
    /// Ties between day-first and month-first (every day ≤ 12) go to the reading that keeps
    /// the file's dates closest together — a month's file spans weeks, not most of a year —
    /// and then to day-first, the UK convention.
    pub fn best(&self) -> Option<(DateFormat, f64, bool)> {
        if self.seen == 0 {
            return None;
        }
        let mut best: Option<(usize, usize)> = None;
        for i in 0..DateFormat::ALL.len() {
            let c = self.counts[i];
            if c == 0 {
                continue;
            }
            best = match best {
                None => Some((i, c)),
                Some((_, bc)) if c > bc => Some((i, c)),
                Some((bi, bc)) if c == bc && self.span(i) < self.span(bi) => Some((i, c)),
                keep => keep,
            };
        }
        let (i, c) = best?;
        let dmy = DateFormat::ALL
            .iter()
            .position(|f| *f == DateFormat::DayMonthYear)
            .unwrap_or(1);
        let mdy = DateFormat::ALL
            .iter()
            .position(|f| *f == DateFormat::MonthDayYear)
            .unwrap_or(2);
        // Ambiguous when both readings work for every value and give the same span.
        let ambiguous = (i == dmy || i == mdy)
            && self.counts[dmy] == self.counts[mdy]
            && self.span(dmy) == self.span(mdy);
        let i = if ambiguous { dmy } else { i };
        Some((DateFormat::ALL[i], c as f64 / self.seen as f64, ambiguous))
    }

    fn span(&self, i: usize) -> i64 {
        match (self.min[i], self.max[i]) {
            (Some(a), Some(b)) => (b - a).num_days(),
            _ => i64::MAX,
        }
    }
}

/// The calendar month of a date, as the rollups key it: "2022-08".
pub fn month_key(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// A financial year as people write it: 2022 is "2022/23".
pub fn financial_year_name(fy: i64) -> String {
    format!("{}/{:02}", fy, (fy + 1).rem_euclid(100))
}

/// The UK public-sector financial year a date falls in, named by the year it starts
/// (April 2022 – March 2023 is 2022).
pub fn financial_year(d: NaiveDate) -> i32 {
    if d.month() >= 4 {
        d.year()
    } else {
        d.year() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, dd)
    }

    #[test]
    fn layouts() {
        use DateFormat::*;
        assert_eq!(Iso.parse("2022-08-17"), d(2022, 8, 17));
        assert_eq!(Iso.parse("2018-01-02 00:00:00"), d(2018, 1, 2));
        assert_eq!(Iso.parse("2018-01-02T00:00:00Z"), d(2018, 1, 2));
        assert_eq!(Iso.parse("17/08/2022"), None);
        assert_eq!(DayMonthYear.parse("17/08/2022"), d(2022, 8, 17));
        assert_eq!(DayMonthYear.parse("17-08-22"), d(2022, 8, 17));
        assert_eq!(DayMonthYear.parse("17.08.2022"), d(2022, 8, 17));
        assert_eq!(DayMonthYear.parse("25/06/2012900"), None, "fused cells");
        assert_eq!(MonthDayYear.parse("08/17/2022"), d(2022, 8, 17));
        assert_eq!(MonthDayYear.parse("17/08/2022"), None);
        assert_eq!(DayMonthNameYear.parse("30-Oct-13"), d(2013, 10, 30));
        assert_eq!(DayMonthNameYear.parse("1 September 2014"), d(2014, 9, 1));
        assert_eq!(DayMonthNameYear.parse("1 Sept 2014"), d(2014, 9, 1));
        assert_eq!(YearSlash.parse("2022/08/17"), d(2022, 8, 17));
        assert_eq!(ExcelSerial.parse("44790"), d(2022, 8, 17));
        assert_eq!(ExcelSerial.parse("1234567"), None, "an id, not a date");
        assert_eq!(DayMonthYear.parse("31/02/2022"), None);
    }

    #[test]
    fn the_evidence_decides_day_or_month_first() {
        let mut e = DateEvidence::default();
        for s in ["06/01/2012", "06/13/2012", "06/30/2012"] {
            e.add(s);
        }
        assert_eq!(e.best().map(|b| b.0), Some(DateFormat::MonthDayYear));

        let mut e = DateEvidence::default();
        for s in ["01/06/2012", "13/06/2012"] {
            e.add(s);
        }
        assert_eq!(e.best().map(|b| b.0), Some(DateFormat::DayMonthYear));

        // Every day ≤ 12: the reading that keeps a month's payments within weeks wins.
        let mut e = DateEvidence::default();
        for s in ["03/04/2012", "03/05/2012", "03/11/2012"] {
            e.add(s);
        }
        assert_eq!(
            e.best().map(|b| (b.0, b.2)),
            Some((DateFormat::MonthDayYear, false))
        );

        // Truly ambiguous: day-first, and said so.
        let mut e = DateEvidence::default();
        e.add("05/05/2012");
        assert_eq!(
            e.best().map(|b| (b.0, b.2)),
            Some((DateFormat::DayMonthYear, true))
        );
    }

    #[test]
    fn months_and_financial_years() {
        let x = NaiveDate::from_ymd_opt(2023, 3, 31).unwrap();
        assert_eq!(month_key(x), "2023-03");
        assert_eq!(financial_year(x), 2022);
        assert_eq!(financial_year(x.succ_opt().unwrap()), 2023);
    }
}

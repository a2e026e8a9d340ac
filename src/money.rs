//! Money as integer pence, parsed once at the edge. Councils write amounts as "£1,234.56",
//! "1234.5", " 35,805,879.42 " or "(120.00)" for a credit; once parsed, an amount is a [`Pence`]
//! and arithmetic is exact (sums of millions of payments add up to the penny, never a float).
//!
//! Three parsers, for three sources: [`Pence::parse`] for amounts in forms and registers,
//! [`Pence::parse_pounds`] for values people type ("1.2m"), and [`Pence::parse_published`]
//! for the amount column of published spend files, which also carry ledger and spreadsheet
//! forms ("123.45-", "123.45 CR", "1.2E+05").

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::db::Arg;

/// An amount of money in pence. Negative amounts exist (credits, refunds); whether one is
/// acceptable is for the caller to decide.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Pence(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an amount of money: write it like 12500 or £12,500.00")]
pub struct BadMoney(pub String);

/// Why a spend file's amount cell is not a payment, for the import report.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BadAmount {
    #[error("the amount is empty")]
    Empty,
    #[error("{0:?} is not an amount of money")]
    NotMoney(String),
    #[error("{0:?} is too large to be a payment")]
    TooLarge(String),
}

/// The largest amount accepted: £10 trillion, far above any public contract, small enough that
/// sums of many amounts cannot overflow 64 bits.
const MAX_PENCE: i64 = 1_000_000_000_000_000;

impl Pence {
    pub const ZERO: Pence = Pence(0);

    /// Parses an amount as people and finance systems write it: an optional sign or
    /// parentheses, an optional `£` (or `GBP`), thousands separators, at most two decimal
    /// places (more are accepted when they are only float noise, such as `441.17999999999995`,
    /// and rounded to the nearest penny).
    pub fn parse(input: &str) -> Result<Pence, BadMoney> {
        let bad = || BadMoney(input.trim().to_owned());
        let mut s: &str = input.trim();
        let mut negative = false;
        if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            negative = true;
            s = inner.trim();
        }
        if let Some(rest) = s.strip_prefix('-') {
            negative = !negative;
            s = rest.trim_start();
        }
        s = s
            .strip_prefix('£')
            .or_else(|| s.strip_prefix("GBP"))
            .unwrap_or(s)
            .trim_start();
        if let Some(rest) = s.strip_prefix('-') {
            negative = !negative;
            s = rest.trim_start();
        }
        let digits: String = s.chars().filter(|c| *c != ',' && *c != ' ').collect();
        if digits.is_empty() {
            return Err(bad());
        }
        let (whole, frac) = digits.split_once('.').unwrap_or((&digits, ""));
        if whole.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        if !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || whole.len() > 16
        {
            return Err(bad());
        }
        let pounds: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let mut pence: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
            _ => frac[..2].parse().map_err(|_| bad())?,
        };
        // Rounds half up on the third decimal: float artefacts ("0.1299999") land on the penny.
        if frac.len() > 2 && frac.as_bytes()[2] >= b'5' {
            pence += 1;
        }
        let total = pounds
            .checked_mul(100)
            .and_then(|p| p.checked_add(pence))
            .filter(|p| *p <= MAX_PENCE)
            .ok_or_else(bad)?;
        Ok(Pence(if negative { -total } else { total }))
    }

    /// Parses an amount the ways spend files write it: `1234.5`, `£1,234.50`, ` 35,805,879.42 `,
    /// `(123.45)` and `123.45-` for negatives, `-441.17999999999995` (a spreadsheet's float
    /// artefact, rounded half away from zero to the penny), `1.2E+05`.
    pub fn parse_published(raw: &str) -> Result<Pence, BadAmount> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(BadAmount::Empty);
        }
        let bad = || BadAmount::NotMoney(s.to_owned());
        let mut negative = false;
        // Accounting negatives: "(123.45)".
        let mut t = s;
        if let Some(inner) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
            negative = true;
            t = inner.trim();
        }
        // Trailing minus or CR ("123.45-", "123.45 CR") from ledger exports.
        if let Some(x) = t
            .strip_suffix('-')
            .or_else(|| t.strip_suffix("CR"))
            .or_else(|| t.strip_suffix("cr"))
        {
            negative = !negative;
            t = x.trim_end();
        }
        let t = t.strip_prefix("GBP").unwrap_or(t);
        let mut body = String::with_capacity(t.len());
        for c in t.chars() {
            match c {
                '£' | ' ' | '\u{a0}' | ',' | '\'' => {}
                '-' if body.is_empty() => negative = !negative,
                '+' if body.is_empty() => {}
                '0'..='9' | '.' | 'e' | 'E' => body.push(c),
                '-' | '+' if body.ends_with(['e', 'E']) => body.push(c),
                _ => return Err(bad()),
            }
        }
        if body.is_empty() || !body.chars().any(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let pence = if body.contains(['e', 'E']) {
            // Scientific notation only comes from spreadsheets; its precision is already a
            // float's, so a float is no worse here.
            let v: f64 = body.parse().map_err(|_| bad())?;
            let p = (v * 100.0).round();
            if !p.is_finite() || p.abs() > 9.0e15 {
                return Err(BadAmount::TooLarge(s.to_owned()));
            }
            p as i64
        } else {
            decimal_to_pence(&body).ok_or_else(|| {
                if body.chars().filter(|c| *c == '.').count() > 1 {
                    bad()
                } else {
                    BadAmount::TooLarge(s.to_owned())
                }
            })?
        };
        Ok(Pence(if negative { -pence } else { pence }))
    }

    /// Parses pounds as people type them: "£250,000", "250000", "1,234.5", "1.2m", "250k".
    /// Negative amounts are refused: a value or budget is never below zero.
    pub fn parse_pounds(s: &str) -> Result<Pence, BadMoney> {
        let bad = || BadMoney(s.trim().to_owned());
        let t: String = s
            .trim()
            .trim_start_matches('£')
            .chars()
            .filter(|c| *c != ',' && !c.is_whitespace())
            .collect::<String>()
            .to_lowercase();
        let (number, multiplier) = if let Some(n) = t.strip_suffix("bn") {
            (n, 100_000_000_000i64)
        } else if let Some(n) = t.strip_suffix('m') {
            (n, 100_000_000)
        } else if let Some(n) = t.strip_suffix('k') {
            (n, 100_000)
        } else {
            (t.as_str(), 100)
        };
        if number.is_empty() || number.starts_with('-') {
            return Err(bad());
        }
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && frac.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || whole.len() > 13
            || (multiplier == 100 && frac.len() > 2)
            || frac.len() > 9
        {
            return Err(bad());
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        // Fractional part scaled to the multiplier: "1.25m" is 1.25 × 10⁸ pence.
        let mut frac_pence = 0i64;
        let mut scale = multiplier;
        for d in frac.chars() {
            scale /= 10;
            frac_pence += i64::from(d.to_digit(10).unwrap_or(0)) * scale;
        }
        whole
            .checked_mul(multiplier)
            .and_then(|w| w.checked_add(frac_pence))
            .map(Pence)
            .ok_or_else(bad)
    }

    pub fn pounds_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    pub fn pounds(self) -> i64 {
        self.0 / 100
    }

    pub fn pence(self) -> i64 {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// "£1,234.56", or "£1,234" for whole pounds.
    pub fn display(self) -> String {
        let pounds = crate::web::filters::pounds(self.0 / 100);
        let rem = (self.0 % 100).abs();
        if rem == 0 {
            pounds
        } else if self.0 < 0 && self.0 > -100 {
            format!("-£0.{rem:02}")
        } else {
            format!("{pounds}.{rem:02}")
        }
    }

    /// Always with pence, as a ledger shows a payment: "£1,234.00", "-£0.05".
    pub fn display_exact(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!(
            "{sign}{}.{:02}",
            crate::web::filters::pounds((abs / 100) as i64),
            abs % 100
        )
    }

    /// Whole pounds, rounded, for headlines and chart labels: "£1,235".
    pub fn display_pounds(self) -> String {
        let p = (self.0 as f64 / 100.0).round() as i64;
        crate::web::filters::pounds(p)
    }

    /// "£1.3m", "£250k", "-£900": for dense tables and chart axes.
    pub fn short(self) -> String {
        let p = self.0 as f64 / 100.0;
        let (sign, a) = if p < 0.0 { ("-", -p) } else { ("", p) };
        if a >= 1e9 {
            format!("{sign}£{:.1}bn", a / 1e9)
        } else if a >= 1e6 {
            format!("{sign}£{:.1}m", a / 1e6)
        } else if a >= 1e3 {
            format!("{sign}£{:.0}k", a / 1e3)
        } else {
            format!("{sign}£{a:.0}")
        }
    }

    /// The amount as a plain decimal for CSV files: "1234.56".
    pub fn decimal(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// "1234.567" → 123457 pence (half away from zero at the third decimal). Digits beyond the
/// third only matter for the rounding of exact halves, which float artefacts never are.
fn decimal_to_pence(body: &str) -> Option<i64> {
    let (whole, frac) = match body.split_once('.') {
        Some((w, f)) => (w, f),
        None => (body, ""),
    };
    if frac.contains('.') {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut f = frac.bytes();
    let d1 = f.next().map_or(0, |b| i64::from(b - b'0'));
    let d2 = f.next().map_or(0, |b| i64::from(b - b'0'));
    let d3 = f.next().map_or(0, |b| i64::from(b - b'0'));
    let round_up = d3 >= 5;
    whole
        .checked_mul(100)?
        .checked_add(d1 * 10 + d2 + i64::from(round_up))
}

impl fmt::Display for Pence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

impl From<Pence> for Arg {
    fn from(p: Pence) -> Self {
        Arg::I64(Some(p.0))
    }
}

impl From<Option<Pence>> for Arg {
    fn from(p: Option<Pence>) -> Self {
        Arg::I64(p.map(|p| p.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_as_councils_write_them() {
        for (text, pence) in [
            ("12500", 1_250_000),
            ("£12,500.00", 1_250_000),
            (" 35,805,879.42 ", 3_580_587_942),
            ("5015.2", 501_520),
            ("0.5", 50),
            (".5", 50),
            ("(120.00)", -12_000),
            ("-441.17999999999995", -44_118),
            ("£-10", -1_000),
            ("-£10", -1_000),
            ("GBP 99.99", 9_999),
            ("1 000", 100_000),
        ] {
            assert_eq!(Pence::parse(text), Ok(Pence(pence)), "{text}");
        }
        for bad in ["", "-", "£", "abc", "12.3.4", "1e6", "£12k", "1,2a", "."] {
            assert!(Pence::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Pence::parse("99999999999999999999").is_err(), "overflow");
    }

    #[test]
    fn amounts_for_people_and_files() {
        assert_eq!(Pence(1_250_000).display(), "£12,500");
        assert_eq!(Pence(123_456).display(), "£1,234.56");
        assert_eq!(Pence(-5).display(), "-£0.05");
        assert_eq!(Pence(-123_456).display(), "-£1,234.56");
        assert_eq!(Pence(123_456).decimal(), "1234.56");
        assert_eq!(Pence(-5).decimal(), "-0.05");
    }

    #[test]
    fn pounds_as_typed() {
        assert_eq!(Pence::parse_pounds("£250,000"), Ok(Pence(25_000_000)));
        assert_eq!(Pence::parse_pounds("1,234.5"), Ok(Pence(123_450)));
        assert_eq!(Pence::parse_pounds("1.25m"), Ok(Pence(125_000_000)));
        assert_eq!(Pence::parse_pounds("250k"), Ok(Pence(25_000_000)));
        assert_eq!(Pence::parse_pounds("£2bn"), Ok(Pence(200_000_000_000)));
        for bad in ["", "-5", "£", "12.345", "ten", "1.2.3", "99999999999999999"] {
            assert!(Pence::parse_pounds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display() {
        assert_eq!(Pence(25_000_000).display(), "£250,000");
        assert_eq!(Pence(123_450).display(), "£1,234.50");
        assert_eq!(Pence(125_000_000).short(), "£1.2m");
        assert_eq!(Pence(25_000_000).short(), "£250k");
    }

    #[test]
    fn amounts_as_spend_files_write_them() {
        for (raw, pence) in [
            ("1234.5", 123450),
            ("£1,234.50", 123450),
            (" 35,805,879.42 ", 3580587942),
            ("(123.45)", -12345),
            ("123.45-", -12345),
            ("-441.17999999999995", -44118),
            ("1.2E+05", 12000000),
            ("900", 90000),
            ("-0.01", -1),
            (".5", 50),
            ("£ 2,500", 250000),
            ("1,000.005", 100001),
            ("GBP 10", 1000),
        ] {
            assert_eq!(Pence::parse_published(raw), Ok(Pence(pence)), "{raw}");
        }
        for bad in ["", "  ", "abc", "12/06/2012", "1.2.3", "N/A", "£", "-"] {
            assert!(Pence::parse_published(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            Pence::parse_published("99999999999999999999"),
            Err(BadAmount::TooLarge(_))
        ));
    }

    #[test]
    fn money_for_ledgers_and_charts() {
        assert_eq!(Pence(123456).display_exact(), "£1,234.56");
        assert_eq!(Pence(-5).display_exact(), "-£0.05");
        assert_eq!(Pence(123456).display_pounds(), "£1,235");
        assert_eq!(Pence(123_456_789).short(), "£1.2m");
        assert_eq!(Pence(3_500_000).short(), "£35k");
        assert_eq!(Pence(-90_000).short(), "-£900");
    }
}

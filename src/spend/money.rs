//! Money as councils publish it, held as integer pence.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount of money in pence. Never a float: sums of millions of payments must add up to
/// the penny, and `0.1 + 0.2` must not be `0.30000000000000004`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Pence(pub i64);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BadAmount {
    #[error("the amount is empty")]
    Empty,
    #[error("{0:?} is not an amount of money")]
    NotMoney(String),
    #[error("{0:?} is too large to be a payment")]
    TooLarge(String),
}

impl Pence {
    /// Parses an amount the ways spend files write it: `1234.5`, `£1,234.50`, ` 35,805,879.42 `,
    /// `(123.45)` and `123.45-` for negatives, `-441.17999999999995` (a spreadsheet's float
    /// artefact, rounded half away from zero to the penny), `1.2E+05`.
    pub fn parse(raw: &str) -> Result<Pence, BadAmount> {
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

    pub fn pounds_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// "£1,234.56" (or "-£1,234.56").
    pub fn display(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!(
            "{sign}{}.{:02}",
            crate::web::filters::pounds((abs / 100) as i64),
            abs % 100
        )
    }

    /// Whole pounds with separators, for headlines and chart labels: "£1,235".
    pub fn display_pounds(self) -> String {
        let p = (self.0 as f64 / 100.0).round() as i64;
        crate::web::filters::pounds(p)
    }

    /// "£1.2m", "£350k", "£900": compact, for chart axes.
    pub fn display_short(self) -> String {
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

impl From<Pence> for crate::db::Arg {
    fn from(p: Pence) -> Self {
        crate::db::Arg::I64(Some(p.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_as_councils_write_them() {
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
            assert_eq!(Pence::parse(raw), Ok(Pence(pence)), "{raw}");
        }
        for bad in ["", "  ", "abc", "12/06/2012", "1.2.3", "N/A", "£", "-"] {
            assert!(Pence::parse(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            Pence::parse("99999999999999999999"),
            Err(BadAmount::TooLarge(_))
        ));
    }

    #[test]
    fn money_for_people() {
        assert_eq!(Pence(123456).display(), "£1,234.56");
        assert_eq!(Pence(-5).display(), "-£0.05");
        assert_eq!(Pence(123456).display_pounds(), "£1,235");
        assert_eq!(Pence(123_456_789).display_short(), "£1.2m");
        assert_eq!(Pence(3_500_000).display_short(), "£35k");
    }
}

//! Money as integer pence, parsed once at the edge. Councils write amounts as "£1,234.56",
//! "1234.5", " 35,805,879.42 " or "(120.00)" for a credit; once parsed, an amount is a [`Pence`]
//! and arithmetic is exact.

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

    /// The amount as a plain decimal for CSV files: "1234.56".
    pub fn decimal(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
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
}

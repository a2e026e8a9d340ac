//! Money as integer pence: no floating point between a council's ledger and a report.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Pence(pub i64);

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0:?} is not an amount of money: write pounds, like 250000 or £1,250,000.50")]
pub struct BadMoney(String);

impl Pence {
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

    pub fn pounds(self) -> i64 {
        self.0 / 100
    }

    /// "£1,250,000" (whole pounds) or "£1,234.50".
    pub fn display(self) -> String {
        let pounds = crate::web::filters::pounds(self.0 / 100);
        if self.0 % 100 == 0 {
            pounds
        } else {
            format!("{pounds}.{:02}", (self.0 % 100).abs())
        }
    }

    /// "£1.3m", "£250k": for dense tables and charts.
    pub fn short(self) -> String {
        let p = self.0 as f64 / 100.0;
        if p.abs() >= 1_000_000_000.0 {
            format!("£{:.1}bn", p / 1_000_000_000.0)
        } else if p.abs() >= 1_000_000.0 {
            format!("£{:.1}m", p / 1_000_000.0)
        } else if p.abs() >= 1_000.0 {
            format!("£{:.0}k", p / 1_000.0)
        } else {
            format!("£{p:.0}")
        }
    }
}

impl fmt::Display for Pence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

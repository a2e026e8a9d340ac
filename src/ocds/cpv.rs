//! CPV 2008 codes (Common Procurement Vocabulary, EU Regulation 213/2008): eight digits and a
//! check digit, `72212000-4`. The digits are a hierarchy: division (2), group (3), class (4),
//! category (5) and finer, padded with zeros. Notices write codes with or without the check
//! digit (Contracts Finder sends `72212000`); procurekit stores the full form from the CPV
//! list whenever the code is in it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::reference;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CpvCode {
    digits: String,
    /// The code with its check digit (`72212000-4`) when the code is in CPV 2008.
    full: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a CPV code (eight digits, optionally with a check digit, like 72212000-4)")]
pub struct BadCpvCode(pub String);

impl CpvCode {
    pub fn parse(s: &str) -> Result<CpvCode, BadCpvCode> {
        let t = s.trim();
        let bad = || BadCpvCode(t.to_owned());
        let (digits, check) = match t.split_once('-') {
            Some((d, c)) => (d.trim(), Some(c.trim())),
            None => (t, None),
        };
        if digits.len() != 8 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        if let Some(c) = check
            && (c.len() != 1 || !c.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(bad());
        }
        // The list's check digit is authoritative: a mistyped one is corrected, not kept.
        let full = reference::cpv().get(digits).map(|(full, _)| full.clone());
        Ok(CpvCode {
            digits: digits.to_owned(),
            full,
        })
    }

    /// The eight digits, `72212000`.
    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// `72212000-4`, or the eight digits when the code is not in CPV 2008.
    pub fn as_str(&self) -> &str {
        self.full.as_deref().unwrap_or(&self.digits)
    }

    pub fn is_known(&self) -> bool {
        self.full.is_some()
    }

    /// The English label from CPV 2008.
    pub fn label(&self) -> Option<&'static str> {
        reference::cpv()
            .get(&self.digits)
            .map(|(_, label)| label.as_str())
    }

    /// The significant digits: the code without its padding zeros (at least the division).
    pub fn prefix(&self) -> CpvPrefix {
        CpvPrefix::of_digits(&self.digits)
    }
}

impl fmt::Display for CpvCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for CpvCode {
    type Error = BadCpvCode;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CpvCode::parse(&s)
    }
}

impl From<CpvCode> for String {
    fn from(c: CpvCode) -> String {
        c.as_str().to_owned()
    }
}

/// The start of a CPV code that names a branch of the vocabulary: `72` (IT services), `722`
/// (software programming and consultancy), `72212` (programming services of application
/// software). Typed as a prefix or as a whole code (`72000000-5` means `72`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CpvPrefix(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a CPV code or the start of one (2 to 8 digits, like 72 or 72212000-4)")]
pub struct BadCpvPrefix(pub String);

impl CpvPrefix {
    pub fn parse(s: &str) -> Result<CpvPrefix, BadCpvPrefix> {
        let t = s.trim();
        let digits = t.split_once('-').map_or(t, |(d, _)| d.trim());
        if !(2..=8).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(BadCpvPrefix(t.to_owned()));
        }
        Ok(CpvPrefix::of_digits(digits))
    }

    fn of_digits(digits: &str) -> CpvPrefix {
        let trimmed = digits.trim_end_matches('0');
        let keep = trimmed.len().max(2).min(digits.len());
        CpvPrefix(digits[..keep].to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// How many leading digits two prefixes share: 8 is the same code, 2 the same division,
    /// under 2 nothing in common.
    pub fn shared_digits(&self, other: &CpvPrefix) -> usize {
        self.0
            .chars()
            .zip(other.0.chars())
            .take_while(|(a, b)| a == b)
            .count()
    }

    /// The level of the vocabulary a number of shared digits stands for, in words.
    pub fn level_name(digits: usize) -> &'static str {
        match digits {
            0 | 1 => "nothing",
            2 => "division",
            3 => "group",
            4 => "class",
            5 => "category",
            _ => "sub-category",
        }
    }

    /// The label of the branch (`72` → "IT services: consulting, …").
    pub fn label(&self) -> Option<&'static str> {
        let padded = format!("{:0<8}", self.0);
        reference::cpv().get(&padded).map(|(_, l)| l.as_str())
    }
}

impl fmt::Display for CpvPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_gain_their_check_digit() {
        let c = CpvCode::parse("79952000").unwrap();
        assert_eq!(c.as_str(), "79952000-2");
        assert_eq!(c.label(), Some("Event services"));
        assert_eq!(
            CpvCode::parse(" 72212000-4 ").unwrap().as_str(),
            "72212000-4"
        );
        // A wrong check digit is corrected from the list.
        assert_eq!(CpvCode::parse("72212000-9").unwrap().as_str(), "72212000-4");
        // Well-formed but not in CPV 2008: kept as digits, flagged unknown.
        let u = CpvCode::parse("99999999").unwrap();
        assert_eq!((u.as_str(), u.is_known()), ("99999999", false));
        for bad in [
            "",
            "7995200",
            "799520001",
            "7995200A",
            "72212000-",
            "72212000-44",
        ] {
            assert!(CpvCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes_drop_padding_zeros() {
        assert_eq!(CpvPrefix::parse("72000000-5").unwrap().as_str(), "72");
        assert_eq!(CpvPrefix::parse("72212000").unwrap().as_str(), "72212");
        assert_eq!(CpvPrefix::parse("722").unwrap().as_str(), "722");
        assert_eq!(CpvPrefix::parse("30200000").unwrap().as_str(), "302");
        // A division ending in zero keeps both digits.
        assert_eq!(CpvPrefix::parse("50000000").unwrap().as_str(), "50");
        assert!(CpvPrefix::parse("7").is_err());
        assert!(CpvPrefix::parse("72a").is_err());
        let a = CpvPrefix::parse("72212").unwrap();
        let b = CpvCode::parse("72260000").unwrap().prefix();
        assert_eq!(a.shared_digits(&b), 3);
        assert_eq!(CpvPrefix::level_name(3), "group");
        assert!(
            CpvPrefix::parse("72")
                .unwrap()
                .label()
                .unwrap()
                .starts_with("IT services")
        );
    }
}

//! Branches of the CPV 2008 vocabulary, for "the same thing" searches. The digits of a code
//! are a hierarchy: division (2), group (3), class (4), category (5) and finer, padded with
//! zeros. Codes themselves are [`crate::cpv::CpvCode`].

use std::fmt;

use crate::cpv::CpvCode;

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

    /// The branch a code stands for: `72212000-4` → `72212`.
    pub fn of_code(code: &CpvCode) -> CpvPrefix {
        CpvPrefix::of_digits(code.digits())
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
        CpvCode::parse(&format!("{:0<8}", self.0))
            .ok()
            .map(|c| c.label())
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
        let b = CpvPrefix::of_code(&CpvCode::parse("72260000").unwrap());
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

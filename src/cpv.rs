//! The Common Procurement Vocabulary (CPV 2008): eight digits and a check digit, in a
//! hierarchy read from the left — division (2 digits), group (3), class (4), category (5).

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

const CPV_CSV: &str = include_str!("../data/reference/cpv_2008_codes_en.csv");

fn labels() -> &'static HashMap<String, (char, String)> {
    static MAP: OnceLock<HashMap<String, (char, String)>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut map = HashMap::new();
        for line in CPV_CSV.trim_start_matches('\u{feff}').lines().skip(1) {
            let Some((code, label)) = line.split_once(',') else {
                continue;
            };
            let Some((digits, check)) = code.split_once('-') else {
                continue;
            };
            let label = label.trim().trim_matches('"').replace("\"\"", "\"");
            if let Some(c) = check.chars().next() {
                map.insert(digits.to_owned(), (c, label));
            }
        }
        map
    })
}

/// A CPV code known to the 2008 vocabulary, stored as its eight digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CpvCode(String);

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BadCpv {
    #[error("Enter a CPV code, like 72000000-5")]
    Empty,
    #[error("{0:?} is not a CPV code: CPV codes are 8 digits and a check digit, like 72000000-5")]
    Format(String),
    #[error("{0:?} is not in the CPV 2008 vocabulary")]
    Unknown(String),
    #[error("{0:?} has the wrong check digit: did you mean {1}?")]
    CheckDigit(String, String),
}

impl CpvCode {
    /// Accepts `72000000-5`, `72000000` (as Contracts Finder writes them) and surrounding text.
    pub fn parse(s: &str) -> Result<CpvCode, BadCpv> {
        let t = s.trim();
        if t.is_empty() {
            return Err(BadCpv::Empty);
        }
        let (digits, check) = match t.split_once('-') {
            Some((d, c)) => (d.trim(), Some(c.trim())),
            None => (t, None),
        };
        if digits.len() != 8 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(BadCpv::Format(t.to_owned()));
        }
        let Some((real_check, _)) = labels().get(digits) else {
            return Err(BadCpv::Unknown(t.to_owned()));
        };
        if let Some(c) = check
            && c != real_check.to_string()
        {
            return Err(BadCpv::CheckDigit(
                t.to_owned(),
                format!("{digits}-{real_check}"),
            ));
        }
        Ok(CpvCode(digits.to_owned()))
    }

    pub fn digits(&self) -> &str {
        &self.0
    }

    /// The code with its check digit, as notices print it: `72000000-5`.
    pub fn full(&self) -> String {
        match labels().get(&self.0) {
            Some((c, _)) => format!("{}-{c}", self.0),
            None => self.0.clone(),
        }
    }

    pub fn label(&self) -> &'static str {
        labels().get(&self.0).map(|(_, l)| l.as_str()).unwrap_or("")
    }

    /// The division: the first two digits (72 = IT services).
    pub fn division(&self) -> &str {
        &self.0[..2]
    }

    /// The group: the first three digits (722 = software programming and consultancy).
    pub fn group(&self) -> &str {
        &self.0[..3]
    }

    /// The division's own code, for naming it: 72000000.
    pub fn division_code(&self) -> CpvCode {
        CpvCode(format!("{}000000", self.division()))
    }

    /// Codes whose digits or label contain the text, for a search box.
    pub fn search(text: &str, limit: usize) -> Vec<CpvCode> {
        let t = text.trim().to_lowercase();
        if t.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<CpvCode> = labels()
            .iter()
            .filter(|(d, (_, l))| d.starts_with(&t) || l.to_lowercase().contains(&t))
            .map(|(d, _)| CpvCode(d.clone()))
            .collect();
        found.sort();
        found.truncate(limit);
        found
    }
}

impl TryFrom<String> for CpvCode {
    type Error = BadCpv;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CpvCode::parse(&s)
    }
}
impl From<CpvCode> for String {
    fn from(c: CpvCode) -> String {
        c.0
    }
}
impl fmt::Display for CpvCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.full(), self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks() {
        let c = CpvCode::parse("72000000-5").unwrap();
        assert_eq!(c.digits(), "72000000");
        assert!(c.label().starts_with("IT services"));
        assert_eq!(CpvCode::parse("72000000").unwrap(), c);
        assert_eq!(c.division(), "72");
        assert_eq!(CpvCode::parse("72212000").unwrap().group(), "722");
        assert_eq!(
            CpvCode::parse("72000000-4"),
            Err(BadCpv::CheckDigit("72000000-4".into(), "72000000-5".into()))
        );
        assert!(matches!(CpvCode::parse("7200000"), Err(BadCpv::Format(_))));
        assert!(matches!(
            CpvCode::parse("99999999"),
            Err(BadCpv::Unknown(_))
        ));
        assert_eq!(CpvCode::parse(" "), Err(BadCpv::Empty));
        assert_eq!(labels().len(), 9454);
        assert!(!CpvCode::search("housing", 5).is_empty());
    }
}

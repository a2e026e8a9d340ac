//! The supplier register: every company London pays, contracts with or hears from, known once
//! across spend files, estate registers, contract notices and supplier accounts. Identity comes
//! from the Companies House number or VAT number when a source gives one, otherwise from the
//! normalised name (and aliases learnt from imports and admins' merge decisions).

pub mod admin;
pub mod fuzzy;
pub mod names;
pub mod resolver;
pub mod store;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use names::{is_redacted, normalise_name};

/// A Companies House company number: eight characters, either eight digits (England and Wales,
/// written with leading zeros) or a two-letter prefix and six digits (SC Scotland, NI Northern
/// Ireland, OC LLPs, SO Scottish LLPs, …). Sources often drop the leading zeros ("1234567").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CompanyNumber(String);

#[derive(Debug, thiserror::Error, PartialEq)]
#[error(
    "{0:?} is not a Companies House number (8 digits like 01234567, or 2 letters and 6 digits like SC123456)"
)]
pub struct BadCompanyNumber(String);

impl CompanyNumber {
    pub fn parse(s: &str) -> Result<CompanyNumber, BadCompanyNumber> {
        let t: String = s
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let bad = || BadCompanyNumber(s.trim().to_owned());
        if t.is_empty() || t.len() > 8 {
            return Err(bad());
        }
        if t.chars().all(|c| c.is_ascii_digit()) {
            // All zeros is a placeholder some finance systems export, not a company.
            if t.chars().all(|c| c == '0') {
                return Err(bad());
            }
            return Ok(CompanyNumber(format!("{t:0>8}")));
        }
        let (prefix, digits) = t.split_at(2.min(t.len()));
        if prefix.chars().all(|c| c.is_ascii_uppercase())
            && !digits.is_empty()
            && digits.len() <= 6
            && digits.chars().all(|c| c.is_ascii_digit())
        {
            return Ok(CompanyNumber(format!("{prefix}{digits:0>6}")));
        }
        Err(bad())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The OCDS organisation identifier (org-id.guide scheme GB-COH).
    pub fn org_id(&self) -> String {
        format!("GB-COH-{}", self.0)
    }
}

impl TryFrom<String> for CompanyNumber {
    type Error = BadCompanyNumber;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CompanyNumber::parse(&s)
    }
}
impl From<CompanyNumber> for String {
    fn from(c: CompanyNumber) -> String {
        c.0
    }
}
impl fmt::Display for CompanyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A UK VAT registration number: 9 digits (or 12 for a branch), written with or without the
/// `GB` prefix and spaces. Stored as the digits only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VatNumber(String);

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0:?} is not a UK VAT number (9 digits, optionally with GB in front)")]
pub struct BadVatNumber(String);

impl VatNumber {
    pub fn parse(s: &str) -> Result<VatNumber, BadVatNumber> {
        let t: String = s
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_uppercase();
        let digits = t.strip_prefix("GB").unwrap_or(&t);
        if (digits.len() == 9 || digits.len() == 12)
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.chars().all(|c| c == '0')
        {
            Ok(VatNumber(digits.to_owned()))
        } else {
            Err(BadVatNumber(s.trim().to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_numbers() {
        assert_eq!(
            CompanyNumber::parse("1234567").unwrap().as_str(),
            "01234567"
        );
        assert_eq!(
            CompanyNumber::parse(" 01234567 ").unwrap().as_str(),
            "01234567"
        );
        assert_eq!(
            CompanyNumber::parse("sc123456").unwrap().as_str(),
            "SC123456"
        );
        assert_eq!(CompanyNumber::parse("OC3001").unwrap().as_str(), "OC003001");
        assert_eq!(
            CompanyNumber::parse("01234567").unwrap().org_id(),
            "GB-COH-01234567"
        );
        for bad in [
            "",
            "0",
            "00000000",
            "123456789",
            "S1234567",
            "AB12C456",
            "n/a",
        ] {
            assert!(CompanyNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn vat_numbers() {
        assert_eq!(
            VatNumber::parse("GB 123 4567 89").unwrap().as_str(),
            "123456789"
        );
        assert_eq!(VatNumber::parse("123456789").unwrap().as_str(), "123456789");
        for bad in ["", "GB", "12345678", "000000000", "GB12345678X"] {
            assert!(VatNumber::parse(bad).is_err(), "{bad}");
        }
    }
}

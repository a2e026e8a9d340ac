//! The technology estate and contracts register: City Tools kept live. Each organisation
//! records its technology systems (service area, product, supplier, manufacturer, contract
//! dates, annual value, hosting, satisfaction) by hand or by importing a CSV, and chooses who
//! sees each record. Across London the register answers: who uses which product, whose
//! contracts end soon, and how concentrated the supplier market is.
//!
//! Values with rules ([`Hosting`], [`Satisfaction`], dates, money) are parsed once, here, by
//! the same functions for the web form and for every import layout, so a value means the same
//! whichever door it came through.

pub mod api;
pub mod cli;
pub mod demo;
pub mod import;
pub mod matcher;
pub mod store;
pub mod web;

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::db::Arg;
use crate::money::Pence;
use crate::suppliers::CompanyNumber;
use crate::visibility::Visibility;

/// Where a system runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Hosting {
    /// In the organisation's own (or its managed service provider's) data centre.
    OnPremises,
    /// The organisation's own instance on a cloud platform (IaaS/PaaS).
    Cloud,
    /// Partly on premises, partly in the cloud.
    Hybrid,
    /// Software as a service: the supplier runs it, the organisation subscribes.
    Saas,
}

impl Hosting {
    pub const ALL: [Hosting; 4] = [
        Hosting::OnPremises,
        Hosting::Cloud,
        Hosting::Hybrid,
        Hosting::Saas,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Hosting::OnPremises => "on_premises",
            Hosting::Cloud => "cloud",
            Hosting::Hybrid => "hybrid",
            Hosting::Saas => "saas",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Hosting::OnPremises => "On-premises",
            Hosting::Cloud => "Cloud",
            Hosting::Hybrid => "Hybrid",
            Hosting::Saas => "SaaS",
        }
    }

    /// Reads hosting as people write it in spreadsheets ("On-prem", "Software as a Service").
    pub fn parse_loose(s: &str) -> Result<Option<Hosting>, String> {
        let n: String = s
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        Ok(Some(match n.as_str() {
            "" => return Ok(None),
            "onpremises" | "onpremise" | "onprem" | "onsite" | "premises" | "local" => {
                Hosting::OnPremises
            }
            "cloud" | "cloudhosted" | "iaas" | "paas" | "publiccloud" | "privatecloud" => {
                Hosting::Cloud
            }
            "hybrid" => Hosting::Hybrid,
            "saas" | "softwareasaservice" => Hosting::Saas,
            _ => {
                return Err(format!(
                    "{:?} is not a hosting type: use on-premises, cloud, hybrid or SaaS",
                    s.trim()
                ));
            }
        }))
    }
}

impl fmt::Display for Hosting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("hosting must be on_premises, cloud, hybrid or saas")]
pub struct BadHosting;

impl FromStr for Hosting {
    type Err = BadHosting;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Hosting::ALL
            .into_iter()
            .find(|h| h.as_str() == s)
            .ok_or(BadHosting)
    }
}
crate::text_column!(Hosting);

impl From<Option<Hosting>> for Arg {
    fn from(h: Option<Hosting>) -> Self {
        Arg::Text(h.map(|h| h.as_str().to_owned()))
    }
}

/// How satisfied the organisation is with a system, 1 (very dissatisfied) to 5 (very
/// satisfied): the scale City Tools asked boroughs to rate their systems on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Satisfaction(u8);

impl Satisfaction {
    pub fn new(n: i64) -> Option<Satisfaction> {
        (1..=5)
            .contains(&n)
            .then(|| Satisfaction(u8::try_from(n).unwrap_or(1)))
    }

    pub fn parse_loose(s: &str) -> Result<Option<Satisfaction>, String> {
        let t = s.trim();
        if t.is_empty() {
            return Ok(None);
        }
        // "4/5" and "4 out of 5" are common in survey exports.
        let first = t
            .split(['/', ' '])
            .next()
            .unwrap_or(t)
            .trim_end_matches(".0");
        first
            .parse::<i64>()
            .ok()
            .and_then(Satisfaction::new)
            .map(Some)
            .ok_or_else(|| {
                format!("{t:?} is not a satisfaction score: use a whole number from 1 to 5")
            })
    }

    pub fn value(self) -> u8 {
        self.0
    }

    pub fn label(self) -> &'static str {
        match self.0 {
            1 => "1 – very dissatisfied",
            2 => "2 – dissatisfied",
            3 => "3 – neither",
            4 => "4 – satisfied",
            _ => "5 – very satisfied",
        }
    }
}

impl TryFrom<i64> for Satisfaction {
    type Error = String;
    fn try_from(n: i64) -> Result<Self, Self::Error> {
        Satisfaction::new(n).ok_or_else(|| format!("satisfaction {n} is not between 1 and 5"))
    }
}
impl From<Satisfaction> for i64 {
    fn from(s: Satisfaction) -> i64 {
        i64::from(s.0)
    }
}
impl From<Option<Satisfaction>> for Arg {
    fn from(s: Option<Satisfaction>) -> Self {
        Arg::I64(s.map(i64::from))
    }
}

/// How a record came to be: typed into the form, imported from a file, or demo data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Form,
    Import,
    Demo,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Form => "form",
            Source::Import => "import",
            Source::Demo => "demo",
        }
    }
}

impl FromStr for Source {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "form" => Ok(Source::Form),
            "import" => Ok(Source::Import),
            "demo" => Ok(Source::Demo),
            _ => Err(format!("unknown source {s:?}")),
        }
    }
}
crate::text_column!(Source);

impl From<Source> for Arg {
    fn from(s: Source) -> Self {
        Arg::Text(Some(s.as_str().to_owned()))
    }
}

/// A system record, checked and ready to store. Built by the form, the importers and the demo.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemRecord {
    pub service_area: String,
    pub system_name: String,
    pub supplier_name: String,
    pub company_number: Option<CompanyNumber>,
    pub manufacturer: Option<String>,
    pub contract_reference: Option<String>,
    pub contract_start: Option<NaiveDate>,
    pub contract_end: Option<NaiveDate>,
    pub annual_value: Option<Pence>,
    pub hosting: Option<Hosting>,
    pub satisfaction: Option<Satisfaction>,
    pub notes: String,
    pub visibility: Visibility,
}

impl SystemRecord {
    /// The record's identity within its organisation (see `record_key` in the migration).
    pub fn record_key(&self) -> String {
        [
            comparable(self.contract_reference.as_deref().unwrap_or("")),
            comparable(&self.system_name),
            crate::suppliers::normalise_name(&self.supplier_name),
            self.contract_start
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ]
        .join("|")
    }
}

/// Lower case, letters and digits only, single spaces: how product names and references are
/// compared ("Civica Pay", "CIVICA-PAY" and "civica pay." are one product).
pub fn comparable(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Supplier names that stand for no single company: a register's "Various providers", a
/// system built in-house. Kept as written but never added to the supplier register, and left
/// out of supplier concentration.
pub fn is_not_one_supplier(name: &str) -> bool {
    matches!(
        comparable(name).as_str(),
        "various"
            | "various providers"
            | "various suppliers"
            | "multiple"
            | "multiple suppliers"
            | "multiple providers"
            | "tbc"
            | "tba"
            | "n a"
            | "na"
            | "none"
            | "unknown"
            | "in house"
            | "inhouse"
            | "internal"
            | "council"
            | "self"
    )
}

/// The longest text kept in each field; longer input is refused with a message, not cut.
pub const MAX_SHORT: usize = 300;
pub const MAX_NOTES: usize = 5000;

/// Markers that mean "no date recorded" in real registers.
fn no_date_marker(s: &str) -> bool {
    matches!(
        comparable(s).as_str(),
        "" | "tbc" | "tba" | "n a" | "na" | "unknown" | "ongoing" | "rolling" | "none"
    ) || s.trim() == "-"
}

/// Parses a contract date as registers write it: ISO (`2026-03-31`, also with a time after
/// it), or the UK's day-first `31/03/2026` (also `31-03-2026`, `31.03.2026`). Two-digit years
/// and American month-first dates are refused rather than guessed. "TBC", "N/A" and blanks
/// mean no date.
pub fn parse_date_loose(s: &str) -> Result<Option<NaiveDate>, String> {
    let t = s.trim();
    if no_date_marker(t) {
        return Ok(None);
    }
    let date_part = t.split([' ', 'T']).next().unwrap_or(t);
    let bad = || {
        format!(
            "{t:?} is not a date: write it as YYYY-MM-DD (2026-03-31) or DD/MM/YYYY (31/03/2026)"
        )
    };
    let parts: Vec<&str> = date_part.split(['-', '/', '.']).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(bad());
    }
    let (y, m, d) = if parts[0].len() == 4 {
        (parts[0], parts[1], parts[2])
    } else if parts[2].len() == 4 {
        (parts[2], parts[1], parts[0])
    } else {
        return Err(bad());
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return Err(bad());
    };
    if !(1900..=2200).contains(&y) {
        return Err(format!("{t:?} has a year outside 1900–2200: check it"));
    }
    NaiveDate::from_ymd_opt(y, m, d)
        .map(Some)
        .ok_or_else(|| format!("{t:?} is not a real date"))
}

/// A visibility as people write it in a file ("Public", "London", "private").
pub fn parse_visibility_loose(s: &str) -> Result<Option<Visibility>, String> {
    match comparable(s).as_str() {
        "" => Ok(None),
        "private" | "internal" | "only my organisation" => Ok(Some(Visibility::Private)),
        "london" | "london authorities" | "shared with london" => Ok(Some(Visibility::London)),
        "public" | "everyone" | "open" => Ok(Some(Visibility::Public)),
        _ => Err(format!(
            "{:?} is not a visibility: use private, london or public",
            s.trim()
        )),
    }
}

/// Checks a required short text field.
pub fn required_text(label: &str, s: &str) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(format!("Enter the {label}"));
    }
    optional_text(label, t, MAX_SHORT).map(Option::unwrap_or_default)
}

pub fn optional_text(label: &str, s: &str, max: usize) -> Result<Option<String>, String> {
    let t = s.trim();
    if t.chars().count() > max {
        return Err(format!("The {label} must be {max} characters or fewer"));
    }
    Ok((!t.is_empty()).then(|| t.to_owned()))
}

/// An annual value: blank or "-" for not known; never negative.
pub fn parse_annual_value(s: &str) -> Result<Option<Pence>, String> {
    let t = s.trim();
    if t.is_empty() || t == "-" || no_date_marker(t) {
        return Ok(None);
    }
    let p = Pence::parse(t).map_err(|_| {
        format!("{t:?} is not an amount of money: write it like 12500 or £12,500.00")
    })?;
    if p.is_negative() {
        return Err(format!("The annual value cannot be negative (got {t:?})"));
    }
    Ok(Some(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn dates_as_registers_write_them() {
        assert_eq!(parse_date_loose("2026-03-31"), Ok(d(2026, 3, 31)));
        assert_eq!(parse_date_loose("31/03/2026"), Ok(d(2026, 3, 31)));
        assert_eq!(parse_date_loose("1/4/2026"), Ok(d(2026, 4, 1)));
        assert_eq!(parse_date_loose("2018-01-02 00:00:00"), Ok(d(2018, 1, 2)));
        for none in ["", " ", "TBC", "n/a", "-", "Ongoing"] {
            assert_eq!(parse_date_loose(none), Ok(None), "{none:?}");
        }
        for bad in [
            "31/02/2026",
            "22/04/222",
            "2026-13-01",
            "X",
            "31/03/26",
            "March 2026",
        ] {
            assert!(parse_date_loose(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn hosting_and_satisfaction_as_people_write_them() {
        assert_eq!(
            Hosting::parse_loose("On-prem"),
            Ok(Some(Hosting::OnPremises))
        );
        assert_eq!(
            Hosting::parse_loose("on premises"),
            Ok(Some(Hosting::OnPremises))
        );
        assert_eq!(
            Hosting::parse_loose("Software as a Service"),
            Ok(Some(Hosting::Saas))
        );
        assert_eq!(Hosting::parse_loose(" "), Ok(None));
        assert!(Hosting::parse_loose("hosted").is_err(), "ambiguous");
        assert_eq!(Satisfaction::parse_loose("4").unwrap().unwrap().value(), 4);
        assert_eq!(
            Satisfaction::parse_loose("4/5").unwrap().unwrap().value(),
            4
        );
        for bad in ["0", "6", "great", "3.5"] {
            assert!(Satisfaction::parse_loose(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_and_keys() {
        assert_eq!(comparable("CIVICA-Pay."), "civica pay");
        assert!(is_not_one_supplier("Various Providers"));
        assert!(is_not_one_supplier("In-house"));
        assert!(!is_not_one_supplier("Various Solutions Ltd"));
        assert_eq!(parse_annual_value("£1,000"), Ok(Some(Pence(100_000))));
        assert_eq!(parse_annual_value("-"), Ok(None));
        assert!(parse_annual_value("-5").is_err());
    }
}

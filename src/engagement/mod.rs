//! Engagement: suppliers' own accounts and profiles and the supplier directory; market
//! engagement events (RFIs, supplier days, demos) with registration, a questionnaire and
//! anonymised questions and answers; and the pitch inbox, where a supplier pitches once and
//! every borough that asked for pitches in its categories triages it on its own.
//!
//! This module holds the small types with meaning that the rest of the capability parses once
//! at the edge ([`Category`], [`Certification`], [`TriageStatus`]…); `suppliers`, `pitches`
//! and `events` hold the SQL; `web` and `api` the doors.

pub mod api;
pub mod demo;
pub mod events;
pub mod notice;
pub mod pitches;
pub mod similarity;
pub mod suppliers;
pub mod web;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::cpv::CpvCode;
use crate::db::Arg;

/// A category suppliers and boroughs match on: a CPV division ("72", IT services) or group
/// ("722", software programming and consultancy). Finer CPV codes are rounded up to their
/// group: a pitch is about a kind of work, and a borough asks for kinds of work.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Category(String);

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BadCategory {
    #[error(
        "{0:?} is not a category: enter a CPV division or group (like 72 or 722) or a CPV code (like 72200000-7)"
    )]
    Format(String),
    #[error("{0:?} is not a division or group of the CPV 2008 vocabulary")]
    Unknown(String),
}

impl Category {
    /// Accepts "72", "722", "72000000", "72200000-7" or "72212000" (rounded to group 722).
    pub fn parse(s: &str) -> Result<Category, BadCategory> {
        let t = s.trim();
        let digits = t.split_once('-').map(|(d, _)| d.trim()).unwrap_or(t);
        // A check digit only ever follows a full eight-digit code.
        let dashed_short = t.contains('-') && digits.len() != 8;
        if dashed_short || digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(BadCategory::Format(t.to_owned()));
        }
        let prefix = match digits.len() {
            2 => digits.to_owned(),
            3 => {
                if digits.ends_with('0') {
                    digits[..2].to_owned()
                } else {
                    digits.to_owned()
                }
            }
            8 => {
                // A full code: check it against the vocabulary (and its check digit), then round.
                let code = CpvCode::parse(t).map_err(|_| BadCategory::Unknown(t.to_owned()))?;
                return Ok(Category::of(&code));
            }
            _ => return Err(BadCategory::Format(t.to_owned())),
        };
        let head = format!("{prefix:0<8}");
        if CpvCode::parse(&head).is_err() {
            return Err(BadCategory::Unknown(t.to_owned()));
        }
        Ok(Category(prefix))
    }

    /// The category a CPV code belongs to: its group, or its division for a division's own code.
    pub fn of(code: &CpvCode) -> Category {
        if code.group().ends_with('0') {
            Category(code.division().to_owned())
        } else {
            Category(code.group().to_owned())
        }
    }

    /// Parses a list typed as text: codes separated by commas, spaces or new lines.
    pub fn parse_list(s: &str) -> Result<Vec<Category>, Vec<BadCategory>> {
        let mut good = Vec::new();
        let mut bad = Vec::new();
        for part in s.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
            if part.trim().is_empty() {
                continue;
            }
            match Category::parse(part) {
                Ok(c) => {
                    if !good.contains(&c) {
                        good.push(c)
                    }
                }
                Err(e) => bad.push(e),
            }
        }
        if bad.is_empty() { Ok(good) } else { Err(bad) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_division(&self) -> bool {
        self.0.len() == 2
    }

    /// The CPV code that names this category (72000000-5 for "72").
    pub fn code(&self) -> Option<CpvCode> {
        CpvCode::parse(&format!("{:0<8}", self.0)).ok()
    }

    pub fn label(&self) -> &'static str {
        self.code().map(|c| c.label()).unwrap_or("")
    }

    /// Two categories overlap when one contains the other: division 72 and group 722 do,
    /// groups 722 and 723 do not. A pitch reaches a borough when any of its categories
    /// overlaps any of the borough's.
    pub fn overlaps(&self, other: &Category) -> bool {
        self.0.starts_with(&other.0) || other.0.starts_with(&self.0)
    }

    /// The divisions offered as tick boxes, with their groups: the ones technology is bought
    /// under. Any other division or group can be typed.
    pub const TECHNOLOGY_DIVISIONS: [&'static str; 7] = ["48", "72", "30", "32", "64", "73", "79"];

    /// The tick-box choices: each technology division followed by its groups.
    pub fn picker() -> Vec<(Category, Vec<Category>)> {
        Category::TECHNOLOGY_DIVISIONS
            .iter()
            .map(|d| {
                let groups = (1..=9)
                    .filter_map(|g| Category::parse(&format!("{d}{g}")).ok())
                    .filter(|c| !c.is_division())
                    .collect();
                (Category((*d).to_owned()), groups)
            })
            .collect()
    }
}

impl TryFrom<String> for Category {
    type Error = BadCategory;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Category::parse(&s)
    }
}
impl From<Category> for String {
    fn from(c: Category) -> String {
        c.0
    }
}
impl From<&Category> for Arg {
    fn from(c: &Category) -> Self {
        Arg::Text(Some(c.0.clone()))
    }
}
impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.label())
    }
}

/// Small enums stored as text: their words, labels for people, parsing and SQL glue.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $bad:ident, $what:literal {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal, $label:literal;)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }
        }

        #[derive(Debug, thiserror::Error, PartialEq)]
        #[error("unknown {what} {value:?}", what = $what, value = .0)]
        pub struct $bad(pub String);

        impl FromStr for $name {
            type Err = $bad;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $bad(s.to_owned()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }

        impl From<$name> for Arg {
            fn from(v: $name) -> Self {
                Arg::Text(Some(v.as_str().to_owned()))
            }
        }

        crate::text_column!($name);
    };
}

text_enum! {
    /// Certifications and assurances a supplier can state on its profile.
    Certification, BadCertification, "certification" {
        CyberEssentials = "cyber_essentials", "Cyber Essentials";
        CyberEssentialsPlus = "cyber_essentials_plus", "Cyber Essentials Plus";
        Iso27001 = "iso_27001", "ISO/IEC 27001 (information security)";
        Soc2 = "soc2", "SOC 2 report";
        NhsDspt = "nhs_dspt", "NHS Data Security and Protection Toolkit";
        Iso9001 = "iso_9001", "ISO 9001 (quality management)";
        WcagAudit = "wcag_audit", "Independent WCAG 2.2 AA accessibility audit";
        AccessibilityStatement = "accessibility_statement", "Published accessibility statement";
    }
}

impl Certification {
    pub fn is_accessibility(self) -> bool {
        matches!(
            self,
            Certification::WcagAudit | Certification::AccessibilityStatement
        )
    }
}

text_enum! {
    /// How a supplier charges, as a pitch states it (so boroughs can compare like with like).
    PricingModel, BadPricingModel, "pricing model" {
        Subscription = "subscription", "Subscription (per user, seat or site)";
        Usage = "usage", "By use (per transaction, case or resident)";
        Licence = "licence", "Licence with support and maintenance";
        FixedPrice = "fixed_price", "Fixed-price project";
        DayRate = "day_rate", "Day rates (time and materials)";
        OpenSource = "open_source", "Free and open source, with paid support if wanted";
        Other = "other", "Something else (explain below)";
    }
}

text_enum! {
    /// Where one borough's triage of a pitch stands. New → under review → a decision:
    /// shortlisted, declined or referred (to a market engagement or a procurement).
    TriageStatus, BadTriageStatus, "triage status" {
        New = "new", "New";
        UnderReview = "under_review", "Under review";
        Shortlisted = "shortlisted", "Shortlisted";
        Declined = "declined", "Declined";
        Referred = "referred", "Referred";
    }
}

impl TriageStatus {
    /// A decision answers the supplier: it needs a reason, and it stops the response clock.
    pub fn is_decision(self) -> bool {
        matches!(
            self,
            TriageStatus::Shortlisted | TriageStatus::Declined | TriageStatus::Referred
        )
    }

    pub fn tag_class(self) -> &'static str {
        match self {
            TriageStatus::New => "govuk-tag--blue",
            TriageStatus::UnderReview => "govuk-tag--yellow",
            TriageStatus::Shortlisted => "govuk-tag--green",
            TriageStatus::Declined => "govuk-tag--red",
            TriageStatus::Referred => "govuk-tag--purple",
        }
    }

    /// The choices on the triage form: a pitch never goes back to "new".
    pub const CHOICES: [TriageStatus; 4] = [
        TriageStatus::UnderReview,
        TriageStatus::Shortlisted,
        TriageStatus::Declined,
        TriageStatus::Referred,
    ];
}

text_enum! {
    /// What kind of market engagement an event is.
    EngagementKind, BadEngagementKind, "kind of engagement" {
        Rfi = "rfi", "Request for information (questionnaire)";
        SupplierDay = "supplier_day", "Supplier day";
        Demo = "demo", "Product demonstrations";
    }
}

text_enum! {
    EventFormat, BadEventFormat, "event format" {
        Online = "online", "Online";
        InPerson = "in_person", "In person";
        Hybrid = "hybrid", "In person and online";
    }
}

text_enum! {
    /// Draft (the running boroughs only) → open (published; suppliers register) → completed
    /// (outcome recorded, summary published), or cancelled.
    EngagementStatus, BadEngagementStatus, "engagement status" {
        Draft = "draft", "Draft";
        Open = "open", "Open";
        Completed = "completed", "Completed";
        Cancelled = "cancelled", "Cancelled";
    }
}

impl EngagementStatus {
    pub fn tag_class(self) -> &'static str {
        match self {
            EngagementStatus::Draft => "govuk-tag--grey",
            EngagementStatus::Open => "govuk-tag--green",
            EngagementStatus::Completed => "govuk-tag--blue",
            EngagementStatus::Cancelled => "govuk-tag--red",
        }
    }
}

/// Checks a free-text field: trimmed, required or not, and at most `max` characters.
/// Returns the message for the error summary, naming the field as the form does.
pub fn check_text(value: &str, label: &str, required: bool, max: usize) -> Result<(), String> {
    let n = value.chars().count();
    if required && value.trim().is_empty() {
        Err(format!("Enter {}", label.to_lowercase()))
    } else if n > max {
        Err(format!(
            "{label} must be {} characters or fewer (it has {})",
            thousands(max),
            thousands(n)
        ))
    } else {
        Ok(())
    }
}

fn thousands(n: usize) -> String {
    crate::web::filters::pounds(n as i64)
        .trim_start_matches('£')
        .to_owned()
}

/// A web address a supplier gives: http(s) only, so a profile cannot carry a `javascript:` link.
pub fn check_url(value: &str) -> Result<(), String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(());
    }
    let ok = (v.starts_with("https://") || v.starts_with("http://"))
        && v.len() <= 300
        && !v.chars().any(|c| c.is_whitespace() || c.is_control())
        && v.split("://").nth(1).is_some_and(|rest| rest.contains('.'));
    if ok {
        Ok(())
    } else {
        Err("Enter a web address starting with https://, like https://www.example.co.uk".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_are_divisions_or_groups() {
        assert_eq!(Category::parse("72").unwrap().as_str(), "72");
        assert_eq!(Category::parse("722").unwrap().as_str(), "722");
        assert_eq!(Category::parse("720").unwrap().as_str(), "72");
        assert_eq!(Category::parse("72000000-5").unwrap().as_str(), "72");
        assert_eq!(Category::parse("72212000").unwrap().as_str(), "722");
        assert!(
            Category::parse("72")
                .unwrap()
                .label()
                .starts_with("IT services")
        );
        assert!(matches!(
            Category::parse("72000000-4"),
            Err(BadCategory::Unknown(_))
        ));
        assert!(matches!(
            Category::parse("01"),
            Err(BadCategory::Unknown(_))
        ));
        for bad in ["", "7", "7222", "IT", "72-x"] {
            assert!(Category::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Category::parse_list("72, 48\n722; 72").unwrap(),
            vec![
                Category::parse("72").unwrap(),
                Category::parse("48").unwrap(),
                Category::parse("722").unwrap()
            ]
        );
        assert_eq!(Category::parse_list("72, nonsense").unwrap_err().len(), 1);
    }

    #[test]
    fn categories_overlap_when_one_contains_the_other() {
        let c = |s| Category::parse(s).unwrap();
        assert!(c("72").overlaps(&c("722")));
        assert!(c("722").overlaps(&c("72")));
        assert!(c("722").overlaps(&c("722")));
        assert!(!c("722").overlaps(&c("723")));
        assert!(!c("72").overlaps(&c("48")));
    }

    #[test]
    fn the_picker_offers_technology_divisions_and_their_groups() {
        let p = Category::picker();
        assert_eq!(p.len(), 7);
        let (d, groups) = &p[1];
        assert_eq!(d.as_str(), "72");
        assert_eq!(groups.len(), 9);
        assert!(groups.iter().all(|g| g.as_str().starts_with("72")));
    }

    #[test]
    fn enums_round_trip() {
        for s in TriageStatus::ALL {
            assert_eq!(s.as_str().parse::<TriageStatus>().unwrap(), *s);
        }
        for c in Certification::ALL {
            assert_eq!(c.as_str().parse::<Certification>().unwrap(), *c);
        }
        assert!("maybe".parse::<TriageStatus>().is_err());
        assert!(TriageStatus::Referred.is_decision());
        assert!(!TriageStatus::UnderReview.is_decision());
    }

    #[test]
    fn text_and_links_are_checked() {
        assert!(check_text("", "Title", true, 10).is_err());
        assert!(check_text("", "Title", false, 10).is_ok());
        assert_eq!(
            check_text(&"x".repeat(1200), "Problem", true, 1000).unwrap_err(),
            "Problem must be 1,000 characters or fewer (it has 1,200)"
        );
        assert!(check_url("https://example.co.uk/x").is_ok());
        assert!(check_url("").is_ok());
        for bad in [
            "javascript:alert(1)",
            "example.com",
            "https://nodot",
            "http://a b.com",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}

//! The data and API standard: London's requirements on data access and APIs as data, supplier
//! product profiles self-assessed against them and verified (or disputed) by boroughs, an
//! OpenAPI checker that gives mechanical evidence, and tender wording generated for a type of
//! system.

pub mod api;
pub mod demo;
pub mod openapi;
pub mod scorecard;
pub mod standard;
pub mod store;
pub mod tender;
pub mod web;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::db::Arg;

pub use standard::{Requirement, Standard, SystemType};

/// How strongly a requirement is asked for: a "must" is pass or fail in a tender, a "should"
/// is scored. Ordered so that sorting puts "must" first.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Must,
    Should,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "must",
            Level::Should => "should",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Must => "Must",
            Level::Should => "Should",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A supplier's answer for one requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    Meets,
    Partly,
    DoesNot,
    NotApplicable,
}

impl ClaimStatus {
    pub const ALL: [ClaimStatus; 4] = [
        ClaimStatus::Meets,
        ClaimStatus::Partly,
        ClaimStatus::DoesNot,
        ClaimStatus::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Meets => "meets",
            ClaimStatus::Partly => "partly",
            ClaimStatus::DoesNot => "does_not",
            ClaimStatus::NotApplicable => "not_applicable",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClaimStatus::Meets => "Meets",
            ClaimStatus::Partly => "Partly meets",
            ClaimStatus::DoesNot => "Does not meet",
            ClaimStatus::NotApplicable => "Not applicable",
        }
    }

    pub fn tag_class(self) -> &'static str {
        match self {
            ClaimStatus::Meets => "govuk-tag--green",
            ClaimStatus::Partly => "govuk-tag--yellow",
            ClaimStatus::DoesNot => "govuk-tag--red",
            ClaimStatus::NotApplicable => "govuk-tag--grey",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("choose meets, partly, does_not or not_applicable")]
pub struct BadClaimStatus;

impl FromStr for ClaimStatus {
    type Err = BadClaimStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ClaimStatus::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(BadClaimStatus)
    }
}

impl From<ClaimStatus> for Arg {
    fn from(c: ClaimStatus) -> Self {
        Arg::Text(Some(c.as_str().into()))
    }
}
crate::text_column!(ClaimStatus);

/// A borough's view of a supplier's claim, after checking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Verified,
    Disputed,
}

impl Verdict {
    pub const ALL: [Verdict; 2] = [Verdict::Verified, Verdict::Disputed];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::Disputed => "disputed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Verified => "Verified",
            Verdict::Disputed => "Disputed",
        }
    }

    pub fn tag_class(self) -> &'static str {
        match self {
            Verdict::Verified => "govuk-tag--green",
            Verdict::Disputed => "govuk-tag--red",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("choose verified or disputed")]
pub struct BadVerdict;

impl FromStr for Verdict {
    type Err = BadVerdict;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Verdict::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or(BadVerdict)
    }
}

impl From<Verdict> for Arg {
    fn from(v: Verdict) -> Self {
        Arg::Text(Some(v.as_str().into()))
    }
}
crate::text_column!(Verdict);

/// A link offered as evidence: an absolute http(s) address people can follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceUrl(String);

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BadEvidenceUrl {
    #[error("Enter a web address starting with https:// or http://")]
    Scheme,
    #[error("The web address must be 500 characters or fewer")]
    TooLong,
    #[error("Enter a web address without spaces, like https://docs.example.com/api")]
    Format,
}

impl EvidenceUrl {
    pub fn parse(s: &str) -> Result<EvidenceUrl, BadEvidenceUrl> {
        let s = s.trim();
        if s.len() > 500 {
            return Err(BadEvidenceUrl::TooLong);
        }
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or(BadEvidenceUrl::Scheme)?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty()
            || !host.contains('.')
            || s.chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<')
        {
            return Err(BadEvidenceUrl::Format);
        }
        Ok(EvidenceUrl(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_statuses_and_verdicts_round_trip() {
        for c in ClaimStatus::ALL {
            assert_eq!(c.as_str().parse::<ClaimStatus>().unwrap(), c);
        }
        for v in Verdict::ALL {
            assert_eq!(v.as_str().parse::<Verdict>().unwrap(), v);
        }
        assert!("Meets".parse::<ClaimStatus>().is_err());
        assert!(Level::Must < Level::Should);
    }

    #[test]
    fn evidence_links_must_be_web_addresses() {
        assert_eq!(
            EvidenceUrl::parse(" https://docs.example.com/api#auth ")
                .unwrap()
                .as_str(),
            "https://docs.example.com/api#auth"
        );
        assert_eq!(
            EvidenceUrl::parse("javascript:alert(1)"),
            Err(BadEvidenceUrl::Scheme)
        );
        assert_eq!(
            EvidenceUrl::parse("docs.example.com"),
            Err(BadEvidenceUrl::Scheme)
        );
        assert_eq!(
            EvidenceUrl::parse("https://localhost"),
            Err(BadEvidenceUrl::Format)
        );
        assert_eq!(
            EvidenceUrl::parse("https://a.b/x y"),
            Err(BadEvidenceUrl::Format)
        );
        let long = format!("https://a.example/{}", "x".repeat(500));
        assert_eq!(EvidenceUrl::parse(&long), Err(BadEvidenceUrl::TooLong));
    }
}

//! OCDS in and out. Contracting notices published as Open Contracting Data Standard 1.1
//! (Contracts Finder, Find a Tender) are imported: releases kept as published, merged into one
//! compiled record per contracting process (`ocid`), buyers matched to London authorities and
//! suppliers to the shared supplier register. Officers find past London procurements of the
//! same thing, with how they ended. Going out, procurekit publishes OCDS release packages:
//! today the imported releases, and [`export::releases_for`] builds the releases of a
//! procurement (planning → tender → award → contract) for the pipeline to publish.

pub mod api;
pub mod cli;
pub mod cpv;
pub mod export;
pub mod import;
pub mod matcher;
pub mod merge;
pub mod package;
pub mod procurements;
pub mod read;
pub mod reference;
pub mod similar;
pub mod store;
pub mod summary;
pub mod text;
pub mod web;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::db::Arg;
use crate::money::Pence;

pub use cpv::CpvPrefix;
pub use export::{ExportProcurement, OcidPrefix};
pub use similar::{PastProcurement, similar_past_procurements};

/// An OCDS amount (decimal pounds, a JSON number) in pence, rounded to the penny once, here.
/// Amounts beyond what procurekit's money can hold are no amount.
pub fn pence_from_amount(pounds: f64) -> Option<Pence> {
    let pence = (pounds * 100.0).round();
    (pence.is_finite() && pence.abs() < 1.0e18).then_some(Pence(pence as i64))
}

/// Pence as an OCDS amount (an `f64` holds every amount below £90 trillion to the penny).
pub fn amount_of(p: Pence) -> f64 {
    p.0 as f64 / 100.0
}

/// How a contracting process stands, or how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Planned, no tender yet.
    Planned,
    /// Open for tenders.
    Open,
    /// The tender closed and no award was published.
    Closed,
    /// Awarded (or in standstill), no contract published.
    Awarded,
    /// A contract was signed.
    Contracted,
    /// Cancelled or withdrawn.
    Cancelled,
    /// Ended without an award.
    Unsuccessful,
    Unknown,
}

impl Outcome {
    pub const ALL: [Outcome; 8] = [
        Outcome::Planned,
        Outcome::Open,
        Outcome::Closed,
        Outcome::Awarded,
        Outcome::Contracted,
        Outcome::Cancelled,
        Outcome::Unsuccessful,
        Outcome::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Planned => "planned",
            Outcome::Open => "open",
            Outcome::Closed => "closed",
            Outcome::Awarded => "awarded",
            Outcome::Contracted => "contracted",
            Outcome::Cancelled => "cancelled",
            Outcome::Unsuccessful => "unsuccessful",
            Outcome::Unknown => "unknown",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Planned => "Planned",
            Outcome::Open => "Open for tenders",
            Outcome::Closed => "Closed, no award published",
            Outcome::Awarded => "Awarded",
            Outcome::Contracted => "Contract signed",
            Outcome::Cancelled => "Cancelled",
            Outcome::Unsuccessful => "Ended without an award",
            Outcome::Unknown => "Not known",
        }
    }

    /// Whether the process reached a supplier: what "how did it go" usually asks.
    pub fn reached_award(self) -> bool {
        matches!(self, Outcome::Awarded | Outcome::Contracted)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown outcome {0:?}")]
pub struct BadOutcome(String);

impl FromStr for Outcome {
    type Err = BadOutcome;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| BadOutcome(s.into()))
    }
}
crate::text_column!(Outcome);

impl From<Outcome> for Arg {
    fn from(o: Outcome) -> Self {
        Arg::Text(Some(o.as_str().into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pounds_become_pence_once() {
        assert_eq!(pence_from_amount(93527.5), Some(Pence(9_352_750)));
        assert_eq!(pence_from_amount(0.1 + 0.2), Some(Pence(30)));
        assert_eq!(pence_from_amount(f64::NAN), None);
        assert_eq!(pence_from_amount(1e300), None);
        assert_eq!(amount_of(Pence(9_352_750)), 93527.5);
    }

    #[test]
    fn outcomes_round_trip() {
        for o in Outcome::ALL {
            assert_eq!(o.as_str().parse::<Outcome>().unwrap(), o);
        }
    }
}

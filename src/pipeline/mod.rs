//! Procurements as first-class records: they move through the guide's five stages with a
//! checklist drawn from the guide, are published to the London pipeline and the public
//! opportunities board, carry their notices, and find "who else is buying this".

pub mod alerts;
pub mod api;
pub mod board;
pub mod collaboration;
pub mod matching;
pub mod store;
pub mod web;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::db::Arg;
use crate::guide::content::Section;

/// Where a procurement stands in the guide's lifecycle.
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
pub enum Stage {
    Preparation,
    Strategy,
    Design,
    Execution,
    Management,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Preparation,
        Stage::Strategy,
        Stage::Design,
        Stage::Execution,
        Stage::Management,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Preparation => "preparation",
            Stage::Strategy => "strategy",
            Stage::Design => "design",
            Stage::Execution => "execution",
            Stage::Management => "management",
        }
    }

    pub fn title(self) -> &'static str {
        self.section().title()
    }

    /// The guide section whose pages make up this stage's checklist.
    pub fn section(self) -> Section {
        match self {
            Stage::Preparation => Section::Preparation,
            Stage::Strategy => Section::Strategy,
            Stage::Design => Section::Design,
            Stage::Execution => Section::Execution,
            Stage::Management => Section::Management,
        }
    }

    pub fn index(self) -> usize {
        Stage::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    pub fn next(self) -> Option<Stage> {
        Stage::ALL.get(self.index() + 1).copied()
    }

    pub fn previous(self) -> Option<Stage> {
        self.index()
            .checked_sub(1)
            .and_then(|i| Stage::ALL.get(i).copied())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown stage {0:?}")]
pub struct BadStage(String);

impl FromStr for Stage {
    type Err = BadStage;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stage::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| BadStage(s.into()))
    }
}
crate::text_column!(Stage);
impl From<Stage> for Arg {
    fn from(s: Stage) -> Self {
        Arg::Text(Some(s.as_str().into()))
    }
}
impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// Where a procurement stands with the market: planned (pipeline), tendering, awarded,
/// or cancelled. Follows the notices it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Planned,
    TenderOpen,
    Awarded,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Planned,
        Status::TenderOpen,
        Status::Awarded,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Planned => "planned",
            Status::TenderOpen => "tender_open",
            Status::Awarded => "awarded",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Planned => "Planned",
            Status::TenderOpen => "Open for tenders",
            Status::Awarded => "Awarded",
            Status::Cancelled => "Cancelled",
        }
    }

    pub fn tag_class(self) -> &'static str {
        match self {
            Status::Planned => "govuk-tag--blue",
            Status::TenderOpen => "govuk-tag--green",
            Status::Awarded => "govuk-tag--grey",
            Status::Cancelled => "govuk-tag--red",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown status {0:?}")]
pub struct BadStatus(String);

impl FromStr for Status {
    type Err = BadStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| BadStatus(s.into()))
    }
}
crate::text_column!(Status);
impl From<Status> for Arg {
    fn from(s: Status) -> Self {
        Arg::Text(Some(s.as_str().into()))
    }
}

/// The procedure a borough expects to use (Procurement Act 2023), as a pipeline notice asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    NotDecided,
    Open,
    CompetitiveFlexible,
    FrameworkCallOff,
    DynamicMarket,
    DirectAward,
    BelowThreshold,
}

impl Procedure {
    pub const ALL: [Procedure; 7] = [
        Procedure::NotDecided,
        Procedure::Open,
        Procedure::CompetitiveFlexible,
        Procedure::FrameworkCallOff,
        Procedure::DynamicMarket,
        Procedure::DirectAward,
        Procedure::BelowThreshold,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Procedure::NotDecided => "not_decided",
            Procedure::Open => "open",
            Procedure::CompetitiveFlexible => "competitive_flexible",
            Procedure::FrameworkCallOff => "framework_call_off",
            Procedure::DynamicMarket => "dynamic_market",
            Procedure::DirectAward => "direct_award",
            Procedure::BelowThreshold => "below_threshold",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Procedure::NotDecided => "Not decided yet",
            Procedure::Open => "Open procedure",
            Procedure::CompetitiveFlexible => "Competitive flexible procedure",
            Procedure::FrameworkCallOff => "Call-off from a framework",
            Procedure::DynamicMarket => "Award through a dynamic market",
            Procedure::DirectAward => "Direct award",
            Procedure::BelowThreshold => "Below-threshold procurement",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown procedure {0:?}")]
pub struct BadProcedure(String);

impl FromStr for Procedure {
    type Err = BadProcedure;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Procedure::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| BadProcedure(s.into()))
    }
}
crate::text_column!(Procedure);
impl From<Procedure> for Arg {
    fn from(p: Procedure) -> Self {
        Arg::Text(Some(p.as_str().into()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Todo,
    Doing,
    Done,
    NotNeeded,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 4] = [
        ItemStatus::Todo,
        ItemStatus::Doing,
        ItemStatus::Done,
        ItemStatus::NotNeeded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Todo => "todo",
            ItemStatus::Doing => "doing",
            ItemStatus::Done => "done",
            ItemStatus::NotNeeded => "not_needed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemStatus::Todo => "To do",
            ItemStatus::Doing => "In progress",
            ItemStatus::Done => "Done",
            ItemStatus::NotNeeded => "Not needed",
        }
    }

    pub fn tag_class(self) -> &'static str {
        match self {
            ItemStatus::Todo => "govuk-tag--grey",
            ItemStatus::Doing => "govuk-tag--blue",
            ItemStatus::Done => "govuk-tag--green",
            ItemStatus::NotNeeded => "govuk-tag--grey",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, ItemStatus::Done | ItemStatus::NotNeeded)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown checklist status {0:?}")]
pub struct BadItemStatus(String);

impl FromStr for ItemStatus {
    type Err = BadItemStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ItemStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| BadItemStatus(s.into()))
    }
}
crate::text_column!(ItemStatus);
impl From<ItemStatus> for Arg {
    fn from(s: ItemStatus) -> Self {
        Arg::Text(Some(s.as_str().into()))
    }
}

/// Value bands for the opportunities board, around the Procurement Act thresholds that change
/// what a supplier must do (from 1 January 2026: £30,000 for below-threshold notices by
/// sub-central authorities; £207,720 for sub-central supplies and services; both inc. VAT).
pub const VALUE_BANDS: &[(&str, &str, i64, i64)] = &[
    ("under-30k", "Under £30,000", 0, 3_000_000),
    (
        "30k-to-threshold",
        "£30,000 to £207,720",
        3_000_000,
        20_772_000,
    ),
    (
        "threshold-to-2m",
        "£207,720 to £2 million",
        20_772_000,
        200_000_000,
    ),
    ("over-2m", "Over £2 million", 200_000_000, i64::MAX),
];

//! Contract management: the contracts a borough manages after award, with KPIs and their
//! measurements, review meetings and their actions, a continuous-improvement plan, risks,
//! extension options, notice dates and documents; a dashboard of what needs attention, with
//! reminders; the Procurement Act 2023 duties on KPIs and performance notices; and supplier
//! insight shared across London.
//!
//! A contract comes from an awarded procurement, a joint procurement (one per partner), the
//! estate's contracts register, or manual entry: see [`store::create_from`].

pub mod act;
pub mod api;
pub mod attention;
pub mod documents;
pub mod insight;
pub mod reminders;
pub mod seed;
pub mod store;
pub mod web;

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

/// "4 June 2026", for templates (which hand functions references).
pub fn long_date(d: &NaiveDate) -> String {
    crate::web::filters::long_date(*d)
}

/// A text value the database or a form gave that is not one of a type's values.
#[derive(Debug, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
}

/// A closed set of values stored as text: its database text, its label for people, parsing,
/// and reading it from a column on either backend. The text is the serde name too (a unit
/// test holds them together).
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal, $label:literal;)+
    }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

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

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|x| x.as_str() == s)
                    .ok_or_else(|| UnknownValue { what: $what, value: s.to_owned() })
            }
        }

        crate::text_column!($name);

        impl From<$name> for crate::db::Arg {
            fn from(v: $name) -> Self {
                crate::db::Arg::Text(Some(v.as_str().to_owned()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

text_enum!(
    /// Whether sections 52 and 71 of the Procurement Act 2023 (KPIs, performance notices)
    /// apply to a contract, or which exception the borough relies on.
    KpiDuty, "KPI duty" {
        /// The contract was procured under the Act: the duties apply over £5 million.
        Applies = "applies", "The Procurement Act 2023 duties apply";
        /// Procured under the Public Contracts Regulations 2015 or earlier rules.
        EarlierRules = "earlier_rules", "Procured under earlier rules (before 24 February 2025)";
        Framework = "framework", "It is a framework (section 52 does not apply)";
        Concession = "concession", "It is a concession contract";
        LightTouch = "light_touch", "It is a light touch contract";
        /// Section 52(2): performance could not appropriately be assessed by KPIs.
        NotAssessable = "not_assessable", "Performance cannot appropriately be assessed by KPIs (section 52(2))";
    }
);

text_enum!(
    /// Where a contract's record came from.
    SourceKind, "contract source" {
        Manual = "manual", "Entered by hand";
        Procurement = "procurement", "An awarded procurement";
        JointPartner = "joint_partner", "A joint procurement";
        EstateRecord = "estate_record", "The contracts register";
    }
);

/// Where a contract comes from: the kind is stored with the id of the source record, so the
/// contract page can link back and one source record makes one contract per organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractSource {
    /// An awarded procurement of the same organisation (`procurements.id`).
    Procurement(i64),
    /// A joint procurement: each partner organisation gets its own contract.
    JointPartner {
        joint_id: i64,
        org_id: i64,
    },
    /// A row of the estate's contracts register.
    EstateRecord(i64),
    Manual,
}

impl ContractSource {
    pub fn kind(self) -> SourceKind {
        match self {
            ContractSource::Procurement(_) => SourceKind::Procurement,
            ContractSource::JointPartner { .. } => SourceKind::JointPartner,
            ContractSource::EstateRecord(_) => SourceKind::EstateRecord,
            ContractSource::Manual => SourceKind::Manual,
        }
    }

    pub fn id(self) -> Option<i64> {
        match self {
            ContractSource::Procurement(id) | ContractSource::EstateRecord(id) => Some(id),
            ContractSource::JointPartner { joint_id, .. } => Some(joint_id),
            ContractSource::Manual => None,
        }
    }
}

text_enum!(
    /// Which way is better for a KPI.
    Direction, "direction" {
        Higher = "higher", "Higher is better";
        Lower = "lower", "Lower is better";
    }
);

text_enum!(
    /// How often a KPI is measured; it also says how long a measurement's period is.
    Frequency, "frequency" {
        Monthly = "monthly", "Monthly";
        Quarterly = "quarterly", "Quarterly";
        SixMonthly = "six_monthly", "Every six months";
        Annually = "annually", "Annually";
    }
);

impl Frequency {
    /// How a measurement's period reads: "month ending 31 March 2026".
    pub fn period_text(self, end: &NaiveDate) -> String {
        let span = match self {
            Frequency::Monthly => "Month",
            Frequency::Quarterly => "Quarter",
            Frequency::SixMonthly => "Six months",
            Frequency::Annually => "Year",
        };
        format!("{span} ending {}", crate::web::filters::long_date(*end))
    }

    /// The same, to follow other words: "month ending 31 March 2026".
    pub fn period_phrase(self, end: &NaiveDate) -> String {
        let text = self.period_text(end);
        let mut chars = text.chars();
        match chars.next() {
            Some(first) => first.to_lowercase().collect::<String>() + chars.as_str(),
            None => text,
        }
    }
}

text_enum!(
    ActionKind, "kind of work" {
        /// An action agreed at a review meeting (or outside one).
        Action = "action", "Action";
        /// An item of the continuous-improvement plan.
        Improvement = "improvement", "Improvement";
    }
);

text_enum!(
    ActionStatus, "status" {
        Open = "open", "Not started";
        InProgress = "in_progress", "In progress";
        Done = "done", "Done";
        Dropped = "dropped", "Dropped";
    }
);

impl ActionStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, ActionStatus::Done | ActionStatus::Dropped)
    }

    pub fn tag_class(self) -> &'static str {
        match self {
            ActionStatus::Open => "govuk-tag--grey",
            ActionStatus::InProgress => "govuk-tag--blue",
            ActionStatus::Done => "govuk-tag--green",
            ActionStatus::Dropped => "govuk-tag--grey",
        }
    }
}

text_enum!(
    /// A red / amber / green rating of a risk.
    Rag, "RAG rating" {
        Red = "red", "Red";
        Amber = "amber", "Amber";
        Green = "green", "Green";
    }
);

impl Rag {
    pub fn tag_class(self) -> &'static str {
        match self {
            Rag::Red => "govuk-tag--red",
            Rag::Amber => "govuk-tag--orange",
            Rag::Green => "govuk-tag--green",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            Rag::Red => "Likely and serious: needs action now",
            Rag::Amber => "Could happen or would hurt: keep a close eye on it",
            Rag::Green => "Under control",
        }
    }
}

text_enum!(
    RiskStatus, "risk status" {
        Open = "open", "Open";
        Closed = "closed", "Closed";
    }
);

text_enum!(
    ExtensionStatus, "extension status" {
        Available = "available", "Available";
        Used = "used", "Used";
        Declined = "declined", "Not used";
    }
);

text_enum!(
    /// The ratings of a contract performance notice, in the words of the Procurement
    /// Regulations 2024, regulation 39(5).
    PerformanceRating, "performance rating" {
        Good = "good", "Good";
        ApproachingTarget = "approaching_target", "Approaching target";
        RequiresImprovement = "requires_improvement", "Requires improvement";
        Inadequate = "inadequate", "Inadequate";
        Other = "other", "Other";
    }
);

impl PerformanceRating {
    /// The description regulation 39(5) gives each rating.
    pub fn description(self) -> &'static str {
        match self {
            PerformanceRating::Good => {
                "Performance is meeting or exceeding the key performance indicators"
            }
            PerformanceRating::ApproachingTarget => {
                "Performance is close to meeting the key performance indicators"
            }
            PerformanceRating::RequiresImprovement => {
                "Performance is below the key performance indicators"
            }
            PerformanceRating::Inadequate => {
                "Performance is significantly below the key performance indicators"
            }
            PerformanceRating::Other => {
                "Performance cannot be described as good, approaching target, requires improvement or inadequate"
            }
        }
    }
}

text_enum!(
    AssessmentStatus, "assessment status" {
        Draft = "draft", "Draft";
        Published = "published", "Published";
    }
);

/// Where a KPI stands against its target, from its latest measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KpiStatus {
    NoData,
    OnTarget,
    /// Missing the target, but within the contract's "approaching" threshold.
    Approaching,
    OffTarget,
}

impl KpiStatus {
    /// Compares a measurement with a target, the better side given by `direction`.
    pub fn of(
        value: Option<f64>,
        target: f64,
        direction: Direction,
        approaching: Option<f64>,
    ) -> KpiStatus {
        let Some(v) = value else {
            return KpiStatus::NoData;
        };
        let at_least = |x: f64, bar: f64| match direction {
            Direction::Higher => x >= bar,
            Direction::Lower => x <= bar,
        };
        if at_least(v, target) {
            KpiStatus::OnTarget
        } else if approaching.is_some_and(|a| at_least(v, a)) {
            KpiStatus::Approaching
        } else {
            KpiStatus::OffTarget
        }
    }

    pub fn misses_target(self) -> bool {
        matches!(self, KpiStatus::Approaching | KpiStatus::OffTarget)
    }

    pub fn label(self) -> &'static str {
        match self {
            KpiStatus::NoData => "No measurement yet",
            KpiStatus::OnTarget => "On target",
            KpiStatus::Approaching => "Close to target",
            KpiStatus::OffTarget => "Below target",
        }
    }

    pub fn tag_class(self) -> &'static str {
        match self {
            KpiStatus::NoData => "govuk-tag--grey",
            KpiStatus::OnTarget => "govuk-tag--green",
            KpiStatus::Approaching => "govuk-tag--yellow",
            KpiStatus::OffTarget => "govuk-tag--red",
        }
    }

    /// What a performance notice would most likely say for a KPI in this state; the
    /// officer confirms or changes it. "Inadequate" is a judgement, never suggested.
    pub fn suggested_rating(self) -> Option<PerformanceRating> {
        match self {
            KpiStatus::NoData => None,
            KpiStatus::OnTarget => Some(PerformanceRating::Good),
            KpiStatus::Approaching => Some(PerformanceRating::ApproachingTarget),
            KpiStatus::OffTarget => Some(PerformanceRating::RequiresImprovement),
        }
    }
}

/// A KPI target or measurement as people type it: "95", "95.5", "95%", "1,200". Finite only.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0:?} is not a number: write it like 95, 95.5 or 1,200")]
pub struct BadNumber(String);

pub fn parse_number(s: &str) -> Result<f64, BadNumber> {
    let t: String = s
        .trim()
        .trim_end_matches('%')
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    let ok = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        && t.len() <= 20;
    match t.parse::<f64>() {
        Ok(v) if ok && v.is_finite() => Ok(v),
        _ => Err(BadNumber(s.trim().to_owned())),
    }
}

/// A number for people: no trailing ".0", at most two decimals.
pub fn number_text(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// A score of 1 (poor) to 5 (excellent) in a supplier rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Score(u8);

impl Score {
    pub fn parse(s: &str) -> Option<Score> {
        match s.trim().parse::<u8>() {
            Ok(n @ 1..=5) => Some(Score(n)),
            _ => None,
        }
    }

    pub fn from_column(v: Option<i64>) -> Option<Score> {
        v.and_then(|n| u8::try_from(n).ok())
            .filter(|n| (1..=5).contains(n))
            .map(Score)
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// The five things a borough rates a supplier on, in the order forms and tables show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aspect {
    Delivery,
    Responsiveness,
    DataAccess,
    PriceTransparency,
    ContinuousImprovement,
}

impl Aspect {
    pub const ALL: [Aspect; 5] = [
        Aspect::Delivery,
        Aspect::Responsiveness,
        Aspect::DataAccess,
        Aspect::PriceTransparency,
        Aspect::ContinuousImprovement,
    ];

    /// The column and form field name.
    pub fn key(self) -> &'static str {
        match self {
            Aspect::Delivery => "delivery",
            Aspect::Responsiveness => "responsiveness",
            Aspect::DataAccess => "data_access",
            Aspect::PriceTransparency => "price_transparency",
            Aspect::ContinuousImprovement => "continuous_improvement",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Aspect::Delivery => "Delivery",
            Aspect::Responsiveness => "Responsiveness",
            Aspect::DataAccess => "Access to the borough's data",
            Aspect::PriceTransparency => "Price transparency",
            Aspect::ContinuousImprovement => "Continuous improvement",
        }
    }

    pub fn question(self) -> &'static str {
        match self {
            Aspect::Delivery => "Did they deliver what the contract asks, on time and well?",
            Aspect::Responsiveness => "Do they answer and fix problems promptly?",
            Aspect::DataAccess => {
                "Can the borough get its own data out, through APIs or extracts, without extra charges?"
            }
            Aspect::PriceTransparency => "Are prices, rate cards and changes clear and fair?",
            Aspect::ContinuousImprovement => {
                "Do they bring improvements, new features and savings over the contract's life?"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_values_are_their_serde_names() {
        fn check<T: serde::Serialize + Copy>(all: &[T], text: fn(T) -> &'static str) {
            for v in all {
                assert_eq!(
                    serde_json::to_value(v).unwrap(),
                    serde_json::json!(text(*v))
                );
            }
        }
        check(KpiDuty::ALL, KpiDuty::as_str);
        check(SourceKind::ALL, SourceKind::as_str);
        check(Direction::ALL, Direction::as_str);
        check(Frequency::ALL, Frequency::as_str);
        check(ActionKind::ALL, ActionKind::as_str);
        check(ActionStatus::ALL, ActionStatus::as_str);
        check(Rag::ALL, Rag::as_str);
        check(RiskStatus::ALL, RiskStatus::as_str);
        check(ExtensionStatus::ALL, ExtensionStatus::as_str);
        check(PerformanceRating::ALL, PerformanceRating::as_str);
        check(AssessmentStatus::ALL, AssessmentStatus::as_str);
        assert!("Higher".parse::<Direction>().is_err());
    }

    #[test]
    fn a_kpi_misses_its_target_on_the_worse_side_of_its_direction() {
        use Direction::*;
        assert_eq!(KpiStatus::of(None, 95.0, Higher, None), KpiStatus::NoData);
        assert_eq!(
            KpiStatus::of(Some(95.0), 95.0, Higher, None),
            KpiStatus::OnTarget
        );
        assert_eq!(
            KpiStatus::of(Some(94.9), 95.0, Higher, None),
            KpiStatus::OffTarget
        );
        assert_eq!(
            KpiStatus::of(Some(92.0), 95.0, Higher, Some(90.0)),
            KpiStatus::Approaching
        );
        assert_eq!(
            KpiStatus::of(Some(89.0), 95.0, Higher, Some(90.0)),
            KpiStatus::OffTarget
        );
        // Days to fix a repair: fewer is better.
        assert_eq!(
            KpiStatus::of(Some(3.0), 5.0, Lower, None),
            KpiStatus::OnTarget
        );
        assert_eq!(
            KpiStatus::of(Some(6.0), 5.0, Lower, Some(7.0)),
            KpiStatus::Approaching
        );
        assert_eq!(
            KpiStatus::of(Some(8.0), 5.0, Lower, Some(7.0)),
            KpiStatus::OffTarget
        );
    }

    #[test]
    fn numbers_as_typed() {
        assert_eq!(parse_number("95"), Ok(95.0));
        assert_eq!(parse_number(" 95.5% "), Ok(95.5));
        assert_eq!(parse_number("1,200"), Ok(1200.0));
        assert_eq!(parse_number("-2"), Ok(-2.0));
        for bad in ["", "ninety", "1e400", "NaN", "inf", "12..3", "%"] {
            assert!(parse_number(bad).is_err(), "{bad}");
        }
        assert_eq!(number_text(95.0), "95");
        assert_eq!(number_text(95.5), "95.5");
        assert_eq!(number_text(2.0 / 3.0), "0.67");
    }

    #[test]
    fn scores_are_one_to_five() {
        assert_eq!(Score::parse("3").map(Score::get), Some(3));
        for bad in ["0", "6", "", "x", "-1", "2.5"] {
            assert!(Score::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(Score::from_column(Some(7)), None);
    }
}

//! A borough's governance profile, as a value: the approval gates a procurement passes, the
//! body that approves each gate at each value, when those bodies meet, how early papers must
//! be in, how long call-in lasts, and when no decisions are taken (blackouts). Pure: parsing
//! and rules only; the store reads and writes it, the planner reasons over it.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::calendar;

/// The approval points a procurement passes in a council's constitution.
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
#[serde(rename_all = "snake_case")]
pub enum GateKind {
    /// Approval to spend: the case for the purchase.
    BusinessCase,
    /// Approval of the procurement strategy and route to market, before going out to tender.
    ProcurementStrategy,
    /// A spend control check (typically for technology or consultancy spend).
    SpendControl,
    /// Approval to award the contract to the winning bidder.
    ContractAward,
    /// Approval to vary or extend a contract.
    ContractVariation,
}

impl GateKind {
    pub const ALL: [GateKind; 5] = [
        GateKind::BusinessCase,
        GateKind::ProcurementStrategy,
        GateKind::SpendControl,
        GateKind::ContractAward,
        GateKind::ContractVariation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GateKind::BusinessCase => "business_case",
            GateKind::ProcurementStrategy => "procurement_strategy",
            GateKind::SpendControl => "spend_control",
            GateKind::ContractAward => "contract_award",
            GateKind::ContractVariation => "contract_variation",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            GateKind::BusinessCase => "Business case",
            GateKind::ProcurementStrategy => "Procurement strategy and route to market",
            GateKind::SpendControl => "Spend control",
            GateKind::ContractAward => "Contract award",
            GateKind::ContractVariation => "Contract variation or extension",
        }
    }

    /// The label inside a sentence ("approval of the contract award").
    pub fn lower(self) -> String {
        self.label().to_lowercase()
    }
}

impl fmt::Display for GateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error(
    "Choose a gate: business case, procurement strategy, spend control, contract award or contract variation"
)]
pub struct BadGate;

impl FromStr for GateKind {
    type Err = BadGate;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GateKind::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or(BadGate)
    }
}
crate::text_column!(GateKind);
impl From<GateKind> for crate::db::Arg {
    fn from(g: GateKind) -> Self {
        crate::db::Arg::Text(Some(g.as_str().into()))
    }
}

/// What kind of body takes a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    /// The executive meeting as a whole.
    Cabinet,
    /// A decision by one cabinet member under delegated executive powers.
    CabinetMember,
    /// A committee of councillors (for example a procurement committee).
    Committee,
    /// An officer board that approves procurements (for example a procurement board).
    ProcurementBoard,
    /// An officer board that controls spend (technology, consultancy, agency).
    SpendControlBoard,
    /// A chief officer or director deciding under delegated powers.
    OfficerDelegation,
}

impl BodyKind {
    pub const ALL: [BodyKind; 6] = [
        BodyKind::Cabinet,
        BodyKind::CabinetMember,
        BodyKind::Committee,
        BodyKind::ProcurementBoard,
        BodyKind::SpendControlBoard,
        BodyKind::OfficerDelegation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BodyKind::Cabinet => "cabinet",
            BodyKind::CabinetMember => "cabinet_member",
            BodyKind::Committee => "committee",
            BodyKind::ProcurementBoard => "procurement_board",
            BodyKind::SpendControlBoard => "spend_control_board",
            BodyKind::OfficerDelegation => "officer_delegation",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BodyKind::Cabinet => "Cabinet",
            BodyKind::CabinetMember => "Cabinet member decision",
            BodyKind::Committee => "Committee of councillors",
            BodyKind::ProcurementBoard => "Procurement board (officers)",
            BodyKind::SpendControlBoard => "Spend control board",
            BodyKind::OfficerDelegation => "Officer delegation",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("Choose what kind of body this is")]
pub struct BadBodyKind;

impl FromStr for BodyKind {
    type Err = BadBodyKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BodyKind::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or(BadBodyKind)
    }
}
crate::text_column!(BodyKind);
impl From<BodyKind> for crate::db::Arg {
    fn from(g: BodyKind) -> Self {
        crate::db::Arg::Text(Some(g.as_str().into()))
    }
}

/// Whether a period counts every day or working days only (Monday to Friday, not bank
/// holidays in England). Constitutions say which; the two differ by a week over Christmas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    Working,
    Calendar,
}

impl DayCount {
    pub fn as_str(self) -> &'static str {
        match self {
            DayCount::Working => "working",
            DayCount::Calendar => "calendar",
        }
    }
}

impl FromStr for DayCount {
    type Err = BadDayCount;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "working" => Ok(DayCount::Working),
            "calendar" => Ok(DayCount::Calendar),
            _ => Err(BadDayCount),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("Say whether the days are working days or calendar days")]
pub struct BadDayCount;
crate::text_column!(DayCount);
impl From<DayCount> for crate::db::Arg {
    fn from(g: DayCount) -> Self {
        crate::db::Arg::Text(Some(g.as_str().into()))
    }
}

/// A number of days counted one way or the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Period {
    pub days: u32,
    pub count: DayCount,
}

impl Period {
    pub const NONE: Period = Period {
        days: 0,
        count: DayCount::Working,
    };

    pub fn working(days: u32) -> Period {
        Period {
            days,
            count: DayCount::Working,
        }
    }

    pub fn calendar(days: u32) -> Period {
        Period {
            days,
            count: DayCount::Calendar,
        }
    }

    /// The last day of the period that starts the day after `from`.
    pub fn last_day_after(self, from: NaiveDate) -> NaiveDate {
        match self.count {
            DayCount::Working => calendar::add_working_days(from, self.days),
            DayCount::Calendar => from + Duration::days(i64::from(self.days)),
        }
    }

    /// The first day a decision taken on `decided` can be acted on: the day after its
    /// call-in period ends (counted from the day after the decision), or the day itself when
    /// there is no call-in.
    pub fn acted_on_from(self, decided: NaiveDate) -> NaiveDate {
        if self.days == 0 {
            decided
        } else {
            self.last_day_after(decided) + Duration::days(1)
        }
    }

    pub fn describe(self) -> String {
        match (self.days, self.count) {
            (0, _) => "none".into(),
            (1, DayCount::Working) => "1 working day".into(),
            (1, DayCount::Calendar) => "1 calendar day".into(),
            (n, DayCount::Working) => format!("{n} working days"),
            (n, DayCount::Calendar) => format!("{n} calendar days"),
        }
    }
}

/// Which occurrence of a weekday in a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ordinal {
    First,
    Second,
    Third,
    Fourth,
    Last,
}

impl Ordinal {
    fn word(self) -> &'static str {
        match self {
            Ordinal::First => "first",
            Ordinal::Second => "second",
            Ordinal::Third => "third",
            Ordinal::Fourth => "fourth",
            Ordinal::Last => "last",
        }
    }
}

/// A recurring meeting rule, written the way committee services describe their calendars.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MeetingRule {
    /// "second Tuesday monthly", "last Thursday monthly".
    MonthlyNth {
        ordinal: Ordinal,
        weekday: Weekday,
        from: Option<NaiveDate>,
    },
    /// "every Wednesday", "every other Wednesday from 2026-01-07",
    /// "every 4 weeks on Monday from 2026-01-12". The start date is a meeting day and fixes
    /// which weeks are meeting weeks.
    EveryNWeeks {
        weeks: u32,
        weekday: Weekday,
        from: Option<NaiveDate>,
    },
    /// Officer delegations: a decision can be taken on any working day.
    EveryWorkingDay,
}

/// Why a rule could not be read. Each message tells the officer what to write instead.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum RuleError {
    #[error("Enter a meeting rule")]
    Empty,
    #[error(
        "“{0}”: not every month has a fifth {1}. Write “last {1} monthly”, or add the dates as extra meetings"
    )]
    Fifth(String, String),
    #[error("“{0}”: {1}")]
    Date(String, String),
    #[error(
        "“{rule}” starts on {date}, which is a {actual}, not a {wanted}: the start date must be one of the meeting days"
    )]
    StartNotOnWeekday {
        rule: String,
        date: String,
        actual: String,
        wanted: String,
    },
    #[error(
        "“{0}” needs a start date to know which weeks are meeting weeks, like “every other Wednesday from 7 January 2026”"
    )]
    NeedsStart(String),
    #[error("“{0}”: meetings can repeat every 1 to 8 weeks")]
    Interval(String),
    #[error(
        "We could not read “{0}”. Write a rule like “second Tuesday monthly”, “last Thursday monthly”, “every Wednesday”, “every other Wednesday from 7 January 2026”, “every 4 weeks on Monday from 12 January 2026” or “every working day”"
    )]
    Unreadable(String),
}

fn weekday_word(s: &str) -> Option<Weekday> {
    let s = s.trim_end_matches('s');
    Some(match s {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" | "tues" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thu" | "thur" | "thurs" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        "sunday" | "sun" => Weekday::Sun,
        _ => return None,
    })
}

pub fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// Reads a date as officers type it: "2026-01-07", "7 January 2026", "7 Jan 2026",
/// "07/01/2026" (day first, as in the UK).
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let s = s.trim().trim_end_matches('.');
    if s.is_empty() {
        return Err("enter a date".into());
    }
    for fmt in [
        "%Y-%m-%d",
        "%d %B %Y",
        "%d %b %Y",
        "%d/%m/%Y",
        "%A %d %B %Y",
        "%a %d %b %Y",
    ] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            if !(1990..=2200).contains(&d.year()) {
                return Err(format!(
                    "“{s}” must be a date with a 4-digit year, like 7 January 2026"
                ));
            }
            return Ok(d);
        }
    }
    Err(format!(
        "“{s}” is not a date we can read: write it like 7 January 2026 or 2026-01-07"
    ))
}

impl MeetingRule {
    pub fn parse(input: &str) -> Result<MeetingRule, RuleError> {
        let original = input.trim().to_owned();
        if original.is_empty() {
            return Err(RuleError::Empty);
        }
        let lower = original.to_lowercase().replace([',', ';'], " ");
        // "… from <date>" is the start date, whatever the rule.
        let (head, from) = match lower.split_once(" from ") {
            Some((h, d)) => {
                let date = parse_date(d).map_err(|e| RuleError::Date(original.clone(), e))?;
                (h.trim().to_owned(), Some(date))
            }
            None => (lower.trim().to_owned(), None),
        };
        let words: Vec<&str> = head
            .split_whitespace()
            .filter(|w| !matches!(*w, "the" | "of" | "in" | "a" | "on" | "at"))
            .collect();
        let unreadable = || RuleError::Unreadable(original.clone());
        let check_start = |weekday: Weekday| -> Result<(), RuleError> {
            if let Some(d) = from
                && d.weekday() != weekday
            {
                return Err(RuleError::StartNotOnWeekday {
                    rule: original.clone(),
                    date: crate::web::filters::long_date(d),
                    actual: weekday_name(d.weekday()).into(),
                    wanted: weekday_name(weekday).into(),
                });
            }
            Ok(())
        };
        match words.as_slice() {
            ["every" | "any", "working", "day"] | ["each", "working", "day"] | ["daily"] => {
                Ok(MeetingRule::EveryWorkingDay)
            }
            // every Wednesday / weekly on Wednesday
            ["every" | "weekly" | "each", day] if weekday_word(day).is_some() => {
                let weekday = weekday_word(day).ok_or_else(unreadable)?;
                check_start(weekday)?;
                Ok(MeetingRule::EveryNWeeks {
                    weeks: 1,
                    weekday,
                    from,
                })
            }
            // every other Wednesday / every second Wednesday / fortnightly on Wednesday
            ["every", "other" | "second" | "alternate", day] | ["fortnightly", day]
                if weekday_word(day).is_some() =>
            {
                let weekday = weekday_word(day).ok_or_else(unreadable)?;
                Self::n_weeks(&original, 2, weekday, from, check_start)
            }
            // every 3 weeks on Monday
            ["every", n, "weeks" | "week", day] if weekday_word(day).is_some() => {
                let weeks: u32 = n.parse().map_err(|_| unreadable())?;
                let weekday = weekday_word(day).ok_or_else(unreadable)?;
                Self::n_weeks(&original, weeks, weekday, from, check_start)
            }
            [ord, day, rest @ ..] if weekday_word(day).is_some() => {
                let monthly = matches!(
                    rest,
                    [] | ["monthly"] | ["month"] | ["every", "month"] | ["each", "month"]
                );
                if !monthly {
                    return Err(unreadable());
                }
                let weekday = weekday_word(day).ok_or_else(unreadable)?;
                let ordinal = match *ord {
                    "first" | "1st" => Ordinal::First,
                    "second" | "2nd" => Ordinal::Second,
                    "third" | "3rd" => Ordinal::Third,
                    "fourth" | "4th" => Ordinal::Fourth,
                    "last" | "final" => Ordinal::Last,
                    "fifth" | "5th" => {
                        return Err(RuleError::Fifth(
                            original.clone(),
                            weekday_name(weekday).into(),
                        ));
                    }
                    _ => return Err(unreadable()),
                };
                check_start(weekday)?;
                Ok(MeetingRule::MonthlyNth {
                    ordinal,
                    weekday,
                    from,
                })
            }
            _ => Err(unreadable()),
        }
    }

    fn n_weeks(
        original: &str,
        weeks: u32,
        weekday: Weekday,
        from: Option<NaiveDate>,
        check_start: impl Fn(Weekday) -> Result<(), RuleError>,
    ) -> Result<MeetingRule, RuleError> {
        if !(1..=8).contains(&weeks) {
            return Err(RuleError::Interval(original.into()));
        }
        if weeks > 1 && from.is_none() {
            return Err(RuleError::NeedsStart(original.into()));
        }
        check_start(weekday)?;
        Ok(MeetingRule::EveryNWeeks {
            weeks,
            weekday,
            from,
        })
    }

    /// True when the rule puts a meeting on `date` (before exceptions, blackouts and bank
    /// holidays, which the calendar applies).
    pub fn matches(&self, date: NaiveDate) -> bool {
        match *self {
            MeetingRule::EveryWorkingDay => calendar::is_working_day(date),
            MeetingRule::MonthlyNth {
                ordinal,
                weekday,
                from,
            } => {
                if from.is_some_and(|f| date < f) || date.weekday() != weekday {
                    return false;
                }
                let nth = (date.day() - 1) / 7; // 0-based occurrence in the month
                match ordinal {
                    Ordinal::First => nth == 0,
                    Ordinal::Second => nth == 1,
                    Ordinal::Third => nth == 2,
                    Ordinal::Fourth => nth == 3,
                    Ordinal::Last => (date + Duration::days(7)).month() != date.month(),
                }
            }
            MeetingRule::EveryNWeeks {
                weeks,
                weekday,
                from,
            } => {
                if date.weekday() != weekday {
                    return false;
                }
                match from {
                    None => true,
                    Some(f) if date < f => false,
                    Some(f) => ((date - f).num_days() / 7) % i64::from(weeks.max(1)) == 0,
                }
            }
        }
    }
}

impl fmt::Display for MeetingRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let from = |d: &Option<NaiveDate>| match d {
            Some(d) => format!(" from {}", crate::web::filters::long_date(*d)),
            None => String::new(),
        };
        match self {
            MeetingRule::EveryWorkingDay => f.write_str("every working day"),
            MeetingRule::MonthlyNth {
                ordinal,
                weekday,
                from: start,
            } => write!(
                f,
                "{} {} monthly{}",
                ordinal.word(),
                weekday_name(*weekday),
                from(start)
            ),
            MeetingRule::EveryNWeeks {
                weeks,
                weekday,
                from: start,
            } => match weeks {
                1 => write!(f, "every {}{}", weekday_name(*weekday), from(start)),
                2 => write!(f, "every other {}{}", weekday_name(*weekday), from(start)),
                n => write!(
                    f,
                    "every {n} weeks on {}{}",
                    weekday_name(*weekday),
                    from(start)
                ),
            },
        }
    }
}

/// When a body meets: recurring rules, plus dates added and dates cancelled by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingCalendar {
    pub rules: Vec<MeetingRule>,
    pub extra: BTreeSet<NaiveDate>,
    pub cancelled: BTreeSet<NaiveDate>,
}

impl MeetingCalendar {
    /// Scheduled on `date` by a rule or as an extra date (cancellations not applied).
    pub fn scheduled(&self, date: NaiveDate) -> bool {
        self.extra.contains(&date) || self.rules.iter().any(|r| r.matches(date))
    }
}

/// A body that approves gates: its calendar, paper deadline and call-in period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalBody {
    /// The body's id within its profile (its database id once stored).
    pub id: i64,
    pub name: String,
    pub kind: BodyKind,
    pub calendar: MeetingCalendar,
    /// Papers must be with the clerk this many working days before the meeting.
    pub paper_deadline_days: u32,
    /// After a decision, how long before it can be acted on (call-in for executive
    /// decisions, or an internal standstill).
    pub call_in: Period,
}

/// Which body approves a gate for procurements whose value is in `[min, max)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateRule {
    pub id: i64,
    pub gate: GateKind,
    pub body_id: i64,
    pub min_pence: i64,
    /// Exclusive; `None` for no upper limit.
    pub max_pence: Option<i64>,
}

impl GateRule {
    pub fn applies_to(&self, value_pence: i64) -> bool {
        value_pence >= self.min_pence && self.max_pence.is_none_or(|m| value_pence < m)
    }

    pub fn overlaps(&self, other: &GateRule) -> bool {
        self.gate == other.gate
            && self.max_pence.is_none_or(|m| other.min_pence < m)
            && other.max_pence.is_none_or(|m| self.min_pence < m)
    }

    /// "£500,000 to £5,000,000", "£5,000,000 and over", "any value".
    pub fn value_band(&self) -> String {
        let p = |v: i64| crate::web::filters::pounds(v / 100);
        match (self.min_pence, self.max_pence) {
            (0, None) => "any value".into(),
            (min, None) => format!("{} and over", p(min)),
            (0, Some(max)) => format!("under {}", p(max)),
            (min, Some(max)) => format!("{} up to {}", p(min), p(max)),
        }
    }
}

/// A period in which a borough takes no decisions (pre-election period, recess, Christmas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blackout {
    pub id: i64,
    pub label: String,
    pub start: NaiveDate,
    /// Inclusive.
    pub end: NaiveDate,
    /// Repeats on the same dates every year (August recess, Christmas).
    pub yearly: bool,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum BlackoutError {
    #[error("Enter a name for the blackout, like “Pre-election period 2030” or “August recess”")]
    NoLabel,
    #[error(
        "The blackout ends ({end}) before it starts ({start}): the end date must be the same as or after the start date"
    )]
    EndsBeforeStart { start: String, end: String },
    #[error("A blackout that repeats every year must be shorter than a year")]
    TooLongForYearly,
}

fn shift_years(d: NaiveDate, years: i32) -> NaiveDate {
    let y = d.year() + years;
    d.with_year(y)
        .or_else(|| NaiveDate::from_ymd_opt(y, d.month(), 28))
        .unwrap_or(d)
}

impl Blackout {
    pub fn new(
        id: i64,
        label: &str,
        start: NaiveDate,
        end: NaiveDate,
        yearly: bool,
    ) -> Result<Blackout, BlackoutError> {
        let label = label.trim();
        if label.is_empty() {
            return Err(BlackoutError::NoLabel);
        }
        if end < start {
            return Err(BlackoutError::EndsBeforeStart {
                start: crate::web::filters::long_date(start),
                end: crate::web::filters::long_date(end),
            });
        }
        if yearly && end >= shift_years(start, 1) {
            return Err(BlackoutError::TooLongForYearly);
        }
        Ok(Blackout {
            id,
            label: label.chars().take(120).collect(),
            start,
            end,
            yearly,
        })
    }

    /// The occurrence of this blackout that contains `date`, if any.
    pub fn occurrence_containing(&self, date: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        if !self.yearly {
            return (self.start <= date && date <= self.end).then_some((self.start, self.end));
        }
        // A yearly blackout may run over the new year (20 December to 3 January), so the
        // occurrence that started the year before can contain the date too.
        let base = date.year() - self.start.year();
        (base - 1..=base).find_map(|k| {
            if k < 0 {
                return None;
            }
            let (s, e) = (shift_years(self.start, k), shift_years(self.end, k));
            (s <= date && date <= e).then_some((s, e))
        })
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.occurrence_containing(date).is_some()
    }

    pub fn describe(&self) -> String {
        use crate::web::filters::long_date;
        if self.yearly {
            format!(
                "{} to {} every year",
                self.start.format("%-d %B"),
                self.end.format("%-d %B")
            )
        } else {
            format!("{} to {}", long_date(self.start), long_date(self.end))
        }
    }
}

/// A borough's governance profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GovernanceProfile {
    pub org_slug: String,
    pub org_name: String,
    pub bodies: Vec<ApprovalBody>,
    pub gates: Vec<GateRule>,
    pub blackouts: Vec<Blackout>,
    /// An example for demonstration, not the borough's real constitution.
    pub is_example: bool,
}

/// Which body, if any, approves a gate at a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    Required(&'a GateRule, &'a ApprovalBody),
    /// The profile has rules for this gate, but none at this value: no approval needed.
    NotAtThisValue,
    /// The profile says nothing about this gate.
    NotInProfile,
}

/// Why a date is not a usable meeting of a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAMeeting {
    NotScheduled,
    Cancelled,
    BankHoliday(&'static str),
    Weekend,
    Blackout(String),
}

impl GovernanceProfile {
    pub fn body(&self, id: i64) -> Option<&ApprovalBody> {
        self.bodies.iter().find(|b| b.id == id)
    }

    pub fn route(&self, gate: GateKind, value_pence: i64) -> Route<'_> {
        let mut any = false;
        for r in self.gates.iter().filter(|r| r.gate == gate) {
            any = true;
            if r.applies_to(value_pence)
                && let Some(b) = self.body(r.body_id)
            {
                return Route::Required(r, b);
            }
        }
        if any {
            Route::NotAtThisValue
        } else {
            Route::NotInProfile
        }
    }

    pub fn blackout_on(&self, date: NaiveDate) -> Option<&Blackout> {
        self.blackouts.iter().find(|b| b.contains(date))
    }

    /// Whether `body` can take a decision on `date`: scheduled, not cancelled (in the
    /// profile or in `also_cancelled`), a working day, and outside every blackout.
    pub fn meeting_check(
        &self,
        body: &ApprovalBody,
        date: NaiveDate,
        also_cancelled: &dyn Fn(NaiveDate) -> bool,
    ) -> Result<(), NotAMeeting> {
        if !body.calendar.scheduled(date) {
            return Err(NotAMeeting::NotScheduled);
        }
        if body.calendar.cancelled.contains(&date) || also_cancelled(date) {
            return Err(NotAMeeting::Cancelled);
        }
        if calendar::is_weekend(date) {
            return Err(NotAMeeting::Weekend);
        }
        if let Some(h) = calendar::bank_holiday(date) {
            return Err(NotAMeeting::BankHoliday(h.name));
        }
        if let Some(b) = self.blackout_on(date) {
            return Err(NotAMeeting::Blackout(b.label.clone()));
        }
        Ok(())
    }

    /// The next `n` usable meetings of a body on or after `from` (within three years).
    pub fn next_meetings(&self, body: &ApprovalBody, from: NaiveDate, n: usize) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut d = from;
        for _ in 0..(366 * 3) {
            if out.len() >= n {
                break;
            }
            if self.meeting_check(body, d, &|_| false).is_ok() {
                out.push(d);
            }
            d += Duration::days(1);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    #[test]
    fn rules_read_the_way_committee_services_write_them() {
        let r = MeetingRule::parse("Second Tuesday monthly").unwrap();
        assert_eq!(r.to_string(), "second Tuesday monthly");
        assert!(r.matches(d("2026-09-08")));
        assert!(!r.matches(d("2026-09-01")));
        let r = MeetingRule::parse("last Thursday of the month").unwrap();
        assert!(r.matches(d("2026-09-24")));
        assert!(!r.matches(d("2026-09-17")));
        let r = MeetingRule::parse("every other Wednesday from 7 January 2026").unwrap();
        assert_eq!(r.to_string(), "every other Wednesday from 7 January 2026");
        assert!(r.matches(d("2026-01-21")));
        assert!(!r.matches(d("2026-01-14")));
        assert!(!r.matches(d("2025-12-24")));
        let r = MeetingRule::parse("every 4 weeks on Monday from 2026-01-12").unwrap();
        assert!(r.matches(d("2026-02-09")));
        assert!(!r.matches(d("2026-01-26")));
        assert_eq!(
            MeetingRule::parse("every working day").unwrap(),
            MeetingRule::EveryWorkingDay
        );
        let r = MeetingRule::parse("every Thursday").unwrap();
        assert!(r.matches(d("2026-09-03")));
    }

    #[test]
    fn a_rule_round_trips_through_its_canonical_text() {
        for text in [
            "first Monday monthly",
            "last Friday monthly from 2 January 2026",
            "every Wednesday",
            "every other Tuesday from 6 January 2026",
            "every 3 weeks on Thursday from 8 January 2026",
            "every working day",
        ] {
            let r = MeetingRule::parse(text).unwrap();
            assert_eq!(MeetingRule::parse(&r.to_string()).unwrap(), r, "{text}");
        }
    }

    #[test]
    fn a_fifth_weekday_rule_is_refused_with_a_way_forward() {
        let e = MeetingRule::parse("fifth Friday").unwrap_err();
        assert!(
            e.to_string().contains("not every month has a fifth Friday"),
            "{e}"
        );
        assert!(e.to_string().contains("last Friday monthly"));
    }

    #[test]
    fn unreadable_and_inconsistent_rules_say_what_to_write() {
        assert!(matches!(
            MeetingRule::parse("when the chair decides"),
            Err(RuleError::Unreadable(_))
        ));
        assert!(matches!(
            MeetingRule::parse("every other Wednesday"),
            Err(RuleError::NeedsStart(_))
        ));
        let e = MeetingRule::parse("every other Wednesday from 2026-01-06").unwrap_err();
        assert!(
            e.to_string().contains("is a Tuesday, not a Wednesday"),
            "{e}"
        );
        assert!(matches!(
            MeetingRule::parse("every 12 weeks on Monday from 2026-01-05"),
            Err(RuleError::Interval(_))
        ));
        assert!(matches!(
            MeetingRule::parse("every other Monday from 31 February 2026"),
            Err(RuleError::Date(..))
        ));
    }

    #[test]
    fn blackouts_check_their_dates_and_repeat_over_new_year() {
        let e = Blackout::new(0, "Christmas", d("2026-12-20"), d("2026-12-01"), false).unwrap_err();
        assert!(
            e.to_string()
                .contains("ends (1 December 2026) before it starts (20 December 2026)")
        );
        assert_eq!(
            Blackout::new(0, " ", d("2026-12-20"), d("2027-01-03"), true).unwrap_err(),
            BlackoutError::NoLabel
        );
        let xmas = Blackout::new(0, "Christmas", d("2025-12-20"), d("2026-01-03"), true).unwrap();
        assert!(xmas.contains(d("2028-01-02")));
        assert!(xmas.contains(d("2027-12-24")));
        assert!(!xmas.contains(d("2027-01-04")));
        assert!(
            !xmas.contains(d("2025-01-02")),
            "not before it first started"
        );
        assert!(Blackout::new(0, "x", d("2026-01-01"), d("2027-01-01"), true).is_err());
    }

    #[test]
    fn call_in_counts_working_or_calendar_days_from_the_day_after_the_decision() {
        // Decided Tuesday 8 December 2026: five working days are 9, 10, 11, 14, 15 December.
        assert_eq!(
            Period::working(5).acted_on_from(d("2026-12-08")),
            d("2026-12-16")
        );
        // Decided Tuesday 22 December 2026: 23, 24, 29, 30, 31 December (25 and 28 are bank
        // holidays).
        assert_eq!(
            Period::working(5).acted_on_from(d("2026-12-22")),
            d("2027-01-01")
        );
        assert_eq!(
            Period::calendar(5).acted_on_from(d("2026-12-22")),
            d("2026-12-28")
        );
        assert_eq!(Period::NONE.acted_on_from(d("2026-12-22")), d("2026-12-22"));
    }

    #[test]
    fn gate_rules_pick_the_body_by_value() {
        let r = GateRule {
            id: 1,
            gate: GateKind::ContractAward,
            body_id: 1,
            min_pence: 50_000_000,
            max_pence: Some(500_000_000),
        };
        assert!(r.applies_to(50_000_000));
        assert!(!r.applies_to(500_000_000));
        assert_eq!(r.value_band(), "£500,000 up to £5,000,000");
        let above = GateRule {
            min_pence: 499_999_999,
            max_pence: None,
            ..r.clone()
        };
        assert!(r.overlaps(&above));
        let after = GateRule {
            min_pence: 500_000_000,
            max_pence: None,
            ..r.clone()
        };
        assert!(!r.overlaps(&after));
    }

    #[test]
    fn dates_are_read_as_uk_officers_write_them() {
        assert_eq!(parse_date("7 January 2026"), Ok(d("2026-01-07")));
        assert_eq!(parse_date("7 Jan 2026"), Ok(d("2026-01-07")));
        assert_eq!(parse_date("07/01/2026"), Ok(d("2026-01-07")));
        assert_eq!(parse_date("2026-01-07"), Ok(d("2026-01-07")));
        assert!(parse_date("next Tuesday").is_err());
    }
}

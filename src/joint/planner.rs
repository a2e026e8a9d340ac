//! The timeline planner: given a joint procurement's milestones and each partner's
//! governance profile, the earliest date of every milestone at which every partner's
//! approvals have landed. Pure: no database, no clock, no I/O; the same input always gives
//! the same plan, which is what lets the property tests below hold it to its promises.
//!
//! The model, in the officers' terms:
//! - A milestone can happen once its predecessors have happened and its minimum duration has
//!   passed since each of them (its *ready* date). Without predecessors it counts from the
//!   plan's start.
//! - If the milestone needs a gate (say contract award), every partner whose profile requires
//!   that gate at its share of the value must decide it first. The papers can only be written
//!   once the milestone is ready, so the decision is the first meeting of the approving body
//!   whose paper deadline is on or after the ready date, that is scheduled, not cancelled, not
//!   a weekend or bank holiday, and outside the partner's blackouts. The milestone can then
//!   happen once call-in has run out.
//! - Milestones land on working days.
//!
//! Every rule only ever pushes dates later, so adding a partner or a cancellation can only
//! delay a milestone, and lifting a cancellation can only bring it forward: the property tests
//! check exactly that.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use super::calendar;
use super::governance::{GateKind, GovernanceProfile, NotAMeeting, Period, Route};
use crate::web::filters::long_date;

/// How far ahead the planner looks for a meeting before calling a gate impossible.
pub const HORIZON_DAYS: i64 = 3 * 365;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    /// Short, stable identifier ("award"); used by slips and exports.
    pub key: String,
    pub name: String,
    /// Minimum time after each predecessor (or after the start, without predecessors).
    pub after: Period,
    pub depends_on: Vec<String>,
    /// The gate every partner must pass before this milestone, if any.
    pub gate: Option<GateKind>,
    /// The milestone must happen by this date (for example, the current contract ends).
    pub deadline: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    /// The partner's share of the contract value, which picks the approving body.
    pub value_pence: i64,
    pub profile: GovernanceProfile,
}

impl Partner {
    pub fn slug(&self) -> &str {
        &self.profile.org_slug
    }
    pub fn name(&self) -> &str {
        &self.profile.org_name
    }
}

/// What has changed since the plan was made: cancelled meetings and slipped milestones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub cancelled: BTreeSet<CancelledMeeting>,
    /// Milestone key → not before this date.
    pub slips: BTreeMap<String, NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CancelledMeeting {
    pub partner: String,
    pub body_id: i64,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanInput {
    pub start: NaiveDate,
    pub milestones: Vec<Milestone>,
    pub partners: Vec<Partner>,
    pub changes: Changes,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("Two milestones are called “{0}”: give each its own key")]
    DuplicateKey(String),
    #[error("“{milestone}” depends on “{missing}”, which is not a milestone of this plan")]
    UnknownDependency { milestone: String, missing: String },
    #[error("The milestones depend on each other in a circle ({0}): one of them must come first")]
    Cycle(String),
    #[error("“{0}” slips, but it is not a milestone of this plan")]
    UnknownSlip(String),
}

/// What set a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReadySetBy {
    Start,
    Predecessor { key: String },
    Slip { not_before: NaiveDate },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub date: NaiveDate,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Scheduled {
        body_id: i64,
        body: String,
        meeting: NaiveDate,
        paper_deadline: NaiveDate,
        /// The first day the decision can be acted on (after call-in).
        acted_on_from: NaiveDate,
        call_in: String,
        /// Days between the decision being usable and the milestone.
        slack_days: i64,
        /// This partner's decision sets the milestone's date.
        binding: bool,
        /// Meetings that would have been in time but could not be used, and why.
        skipped: Vec<Skipped>,
    },
    NotRequired {
        reason: String,
    },
    Impossible {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approval {
    pub partner: String,
    pub partner_name: String,
    pub gate: GateKind,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedMilestone {
    pub key: String,
    pub name: String,
    pub gate: Option<GateKind>,
    /// When the work before it allows it (papers can go in from this date).
    pub ready: Option<NaiveDate>,
    pub ready_set_by: ReadySetBy,
    /// The earliest feasible date; `None` when it cannot be scheduled.
    pub date: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    /// The latest date that still lets this milestone and those after it meet their
    /// deadlines (`None` when no deadline applies).
    pub latest: Option<NaiveDate>,
    pub approvals: Vec<Approval>,
    /// On the chain of dates that sets the end of the plan.
    pub critical: bool,
    /// How the date was set, in words.
    pub explanation: String,
    /// Why the milestone cannot be scheduled or misses its deadline.
    pub problem: Option<String>,
}

impl PlannedMilestone {
    pub fn binding_approvals(&self) -> impl Iterator<Item = &Approval> {
        self.approvals
            .iter()
            .filter(|a| matches!(a.outcome, Outcome::Scheduled { binding: true, .. }))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub start: NaiveDate,
    pub milestones: Vec<PlannedMilestone>,
    /// Partners whose approvals set dates on the critical path, by slug.
    pub critical_partners: Vec<String>,
    /// Every problem in the plan, in words.
    pub problems: Vec<String>,
    /// Things the officer should check (a profile silent about a gate, say).
    pub warnings: Vec<String>,
}

impl Plan {
    pub fn milestone(&self, key: &str) -> Option<&PlannedMilestone> {
        self.milestones.iter().find(|m| m.key == key)
    }

    pub fn end(&self) -> Option<NaiveDate> {
        self.milestones.iter().filter_map(|m| m.date).max()
    }

    pub fn is_feasible(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Milestones in an order where every milestone comes after its predecessors.
fn order(milestones: &[Milestone]) -> Result<Vec<usize>, PlanError> {
    let mut index = BTreeMap::new();
    for (i, m) in milestones.iter().enumerate() {
        if index.insert(m.key.as_str(), i).is_some() {
            return Err(PlanError::DuplicateKey(m.key.clone()));
        }
    }
    for m in milestones {
        for d in &m.depends_on {
            if !index.contains_key(d.as_str()) {
                return Err(PlanError::UnknownDependency {
                    milestone: m.name.clone(),
                    missing: d.clone(),
                });
            }
        }
    }
    let mut done = vec![false; milestones.len()];
    let mut out = Vec::with_capacity(milestones.len());
    while out.len() < milestones.len() {
        let next = (0..milestones.len()).find(|&i| {
            !done[i]
                && milestones[i]
                    .depends_on
                    .iter()
                    .all(|d| index.get(d.as_str()).is_some_and(|&j| done[j]))
        });
        match next {
            Some(i) => {
                done[i] = true;
                out.push(i);
            }
            None => {
                let stuck: Vec<&str> = (0..milestones.len())
                    .filter(|&i| !done[i])
                    .map(|i| milestones[i].name.as_str())
                    .collect();
                return Err(PlanError::Cycle(stuck.join(", ")));
            }
        }
    }
    Ok(out)
}

fn after(period: Period, from: NaiveDate) -> NaiveDate {
    if period.days == 0 {
        from
    } else {
        period.last_day_after(from)
    }
}

/// The first usable meeting for papers ready on `ready`, and the meetings passed over.
struct Found {
    meeting: NaiveDate,
    paper_deadline: NaiveDate,
    skipped: Vec<Skipped>,
}

fn describe_skip(why: &NotAMeeting) -> Option<String> {
    match why {
        NotAMeeting::NotScheduled => None,
        NotAMeeting::Cancelled => Some("cancelled".into()),
        NotAMeeting::BankHoliday(name) => Some(format!("bank holiday ({name})")),
        NotAMeeting::Weekend => Some("at a weekend".into()),
        NotAMeeting::Blackout(label) => Some(format!("in the {label} blackout")),
    }
}

fn find_meeting(
    profile: &GovernanceProfile,
    body: &super::governance::ApprovalBody,
    ready: NaiveDate,
    until: NaiveDate,
    cancelled: &dyn Fn(NaiveDate) -> bool,
) -> Result<Found, Vec<Skipped>> {
    let mut skipped = Vec::new();
    let mut d = ready;
    while d <= until {
        if body.calendar.scheduled(d) {
            let deadline = calendar::sub_working_days(d, body.paper_deadline_days);
            if deadline >= ready {
                match profile.meeting_check(body, d, cancelled) {
                    Ok(()) => {
                        return Ok(Found {
                            meeting: d,
                            paper_deadline: deadline,
                            skipped,
                        });
                    }
                    Err(why) => {
                        if let Some(reason) = describe_skip(&why)
                            && skipped.len() < 12
                        {
                            skipped.push(Skipped { date: d, reason });
                        }
                    }
                }
            }
        }
        d += Duration::days(1);
    }
    Err(skipped)
}

fn skipped_text(skipped: &[Skipped]) -> String {
    skipped
        .iter()
        .map(|s| format!("{} {}", long_date(s.date), s.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Plans the milestones. Errors only for a malformed plan (unknown or circular
/// dependencies); an impossible date is part of the plan, explained in words.
pub fn plan(input: &PlanInput) -> Result<Plan, PlanError> {
    let ord = order(&input.milestones)?;
    for key in input.changes.slips.keys() {
        if !input.milestones.iter().any(|m| &m.key == key) {
            return Err(PlanError::UnknownSlip(key.clone()));
        }
    }
    let latest_by_index = latest_dates(&input.milestones, &ord);
    let mut planned: BTreeMap<usize, PlannedMilestone> = BTreeMap::new();
    let mut warnings = Vec::new();

    for &i in &ord {
        let m = &input.milestones[i];
        // The ready date: after the start or each predecessor, and not before a slip.
        let mut ready = Some(after(m.after, input.start));
        let mut ready_set_by = ReadySetBy::Start;
        let mut blocked_by = None;
        if !m.depends_on.is_empty() {
            ready = None;
            for dep in &m.depends_on {
                let Some(p) = planned.values().find(|p| &p.key == dep) else {
                    continue;
                };
                match p.date {
                    Some(dd) => {
                        let r = after(m.after, dd);
                        if ready.is_none_or(|cur| r > cur) {
                            ready = Some(r);
                            ready_set_by = ReadySetBy::Predecessor { key: dep.clone() };
                        }
                    }
                    None => blocked_by = Some(p.name.clone()),
                }
            }
        }
        if let Some(name) = blocked_by {
            planned.insert(
                i,
                PlannedMilestone {
                    key: m.key.clone(),
                    name: m.name.clone(),
                    gate: m.gate,
                    ready: None,
                    ready_set_by,
                    date: None,
                    deadline: m.deadline,
                    latest: latest_by_index.get(&i).and_then(|(l, _)| *l),
                    approvals: Vec::new(),
                    critical: false,
                    explanation: format!("Waits for “{name}”, which cannot be scheduled."),
                    problem: None,
                },
            );
            continue;
        }
        let mut ready = ready.unwrap_or(input.start);
        if let Some(&slip) = input.changes.slips.get(&m.key)
            && slip > ready
        {
            ready = slip;
            ready_set_by = ReadySetBy::Slip { not_before: slip };
        }

        let mut approvals = Vec::new();
        let mut latest = ready;
        let mut problem = None;
        if let Some(gate) = m.gate {
            for p in &input.partners {
                let outcome = match p.profile.route(gate, p.value_pence) {
                    Route::NotInProfile => {
                        warnings.push(format!(
                            "{}’s governance profile does not say who approves the {}; the plan assumes no approval is needed. Check with {}.",
                            p.name(),
                            gate.lower(),
                            p.name()
                        ));
                        Outcome::NotRequired {
                            reason: "Not in the governance profile".into(),
                        }
                    }
                    Route::NotAtThisValue => Outcome::NotRequired {
                        reason: format!(
                            "Not required at {}",
                            crate::web::filters::pounds(p.value_pence / 100)
                        ),
                    },
                    Route::Required(_, body) => {
                        let slug = p.slug().to_owned();
                        let cancelled = |d: NaiveDate| {
                            input.changes.cancelled.contains(&CancelledMeeting {
                                partner: slug.clone(),
                                body_id: body.id,
                                date: d,
                            })
                        };
                        let until = ready + Duration::days(HORIZON_DAYS);
                        match find_meeting(&p.profile, body, ready, until, &cancelled) {
                            Ok(found) => {
                                let acted = body.call_in.acted_on_from(found.meeting);
                                latest = latest.max(acted);
                                Outcome::Scheduled {
                                    body_id: body.id,
                                    body: body.name.clone(),
                                    meeting: found.meeting,
                                    paper_deadline: found.paper_deadline,
                                    acted_on_from: acted,
                                    call_in: body.call_in.describe(),
                                    slack_days: 0,
                                    binding: false,
                                    skipped: found.skipped,
                                }
                            }
                            Err(skipped) => {
                                let mut reason = format!(
                                    "{} has no {} meeting between {} and {} that it could use",
                                    p.name(),
                                    body.name,
                                    long_date(ready),
                                    long_date(until)
                                );
                                if skipped.is_empty() {
                                    reason.push_str(
                                        ": its calendar has no rule or listed date in that time. Add the body’s meeting dates to the governance profile.",
                                    );
                                } else {
                                    reason.push_str(&format!(" ({}).", skipped_text(&skipped)));
                                }
                                problem = Some(reason.clone());
                                Outcome::Impossible { reason }
                            }
                        }
                    }
                };
                approvals.push(Approval {
                    partner: p.slug().to_owned(),
                    partner_name: p.name().to_owned(),
                    gate,
                    outcome,
                });
            }
        }

        let date = if problem.is_some() {
            None
        } else {
            Some(calendar::working_day_on_or_after(latest))
        };
        if let Some(date) = date {
            for a in &mut approvals {
                if let Outcome::Scheduled {
                    acted_on_from,
                    slack_days,
                    binding,
                    ..
                } = &mut a.outcome
                {
                    *slack_days = (date - *acted_on_from).num_days();
                    // A decision that lands when the milestone is ready anyway delays nothing.
                    *binding = *acted_on_from == latest && latest > ready;
                }
            }
        }
        let mut explanation = match &ready_set_by {
            ReadySetBy::Start => format!(
                "Ready {} ({} after the start).",
                long_date(ready),
                m.after.describe()
            ),
            ReadySetBy::Predecessor { key } => {
                let name = input
                    .milestones
                    .iter()
                    .find(|x| &x.key == key)
                    .map(|x| x.name.as_str())
                    .unwrap_or(key);
                format!(
                    "Ready {} ({} after “{}”).",
                    long_date(ready),
                    m.after.describe(),
                    name
                )
            }
            ReadySetBy::Slip { not_before } => {
                format!("Slipped: not before {}.", long_date(*not_before))
            }
        };
        let binding: Vec<String> = approvals
            .iter()
            .filter_map(|a| match &a.outcome {
                Outcome::Scheduled {
                    binding: true,
                    body,
                    meeting,
                    paper_deadline,
                    call_in,
                    ..
                } => Some(format!(
                    "{}’s {} decides on {} (papers by {}, call-in {})",
                    a.partner_name,
                    body,
                    long_date(*meeting),
                    long_date(*paper_deadline),
                    call_in
                )),
                _ => None,
            })
            .collect();
        if !binding.is_empty() {
            explanation.push_str(&format!(
                " Set by the {}: {}.",
                m.gate.map(|g| g.lower()).unwrap_or_default(),
                binding.join("; ")
            ));
        }
        let (latest_date, because) = latest_by_index.get(&i).cloned().unwrap_or((None, None));
        if let (Some(date), Some(deadline)) = (date, latest_date)
            && date > deadline
        {
            problem = Some(deadline_problem(
                m,
                &approvals,
                ready,
                date,
                deadline,
                because.as_deref(),
                input,
            ));
        }
        planned.insert(
            i,
            PlannedMilestone {
                key: m.key.clone(),
                name: m.name.clone(),
                gate: m.gate,
                ready: Some(ready),
                ready_set_by,
                date,
                deadline: m.deadline,
                latest: latest_date,
                approvals,
                critical: false,
                explanation,
                problem,
            },
        );
    }

    let mut milestones: Vec<PlannedMilestone> = (0..input.milestones.len())
        .filter_map(|i| planned.remove(&i))
        .collect();
    let critical_partners = mark_critical(&mut milestones);
    // A milestone late only because the one before it is late is not a problem of its own:
    // report where the lateness starts.
    let problems = milestones
        .iter()
        .filter(|m| match &m.ready_set_by {
            ReadySetBy::Predecessor { key } => milestones
                .iter()
                .find(|p| &p.key == key)
                .is_none_or(|p| p.problem.is_none() || p.date.is_none()),
            _ => true,
        })
        .filter_map(|m| m.problem.as_ref().map(|p| format!("{}: {}", m.name, p)))
        .collect();
    warnings.sort();
    warnings.dedup();
    Ok(Plan {
        start: input.start,
        milestones,
        critical_partners,
        problems,
        warnings,
    })
}

/// Explains a missed deadline by the binding partner's calendar between the ready date and
/// the last meeting that would still have left time for call-in.
fn deadline_problem(
    m: &Milestone,
    approvals: &[Approval],
    ready: NaiveDate,
    date: NaiveDate,
    deadline: NaiveDate,
    because: Option<&str>,
    input: &PlanInput,
) -> String {
    let by = match because {
        Some(why) => format!("must happen by {} {why}", long_date(deadline)),
        None => format!("must happen by {}", long_date(deadline)),
    };
    let mut text = format!(
        "{by}, but the earliest feasible date is {}",
        long_date(date)
    );
    for a in approvals {
        let Outcome::Scheduled {
            binding: true,
            body_id,
            body,
            skipped,
            ..
        } = &a.outcome
        else {
            continue;
        };
        let Some(p) = input.partners.iter().find(|p| p.slug() == a.partner) else {
            continue;
        };
        let Some(b) = p.profile.body(*body_id) else {
            continue;
        };
        // The last meeting date whose decision could still be acted on by the deadline.
        let mut last = deadline;
        while last > ready && b.call_in.acted_on_from(last) > deadline {
            last -= Duration::days(1);
        }
        text.push_str(&format!(
            ": {} has no {} meeting between {} and {} that it could use",
            a.partner_name,
            body,
            long_date(ready),
            long_date(last)
        ));
        let in_window: Vec<Skipped> = skipped.iter().filter(|s| s.date <= last).cloned().collect();
        if !in_window.is_empty() {
            text.push_str(&format!(" ({})", skipped_text(&in_window)));
        }
        break;
    }
    text.push('.');
    if m.gate.is_none() {
        text = format!(
            "{by}, but the milestones before it only allow {}.",
            long_date(date)
        );
    }
    text
}

/// The last day `d` with `after(period, d) <= limit`: how late a predecessor can be.
fn latest_before(period: Period, limit: NaiveDate) -> NaiveDate {
    let mut d = match period.count {
        super::governance::DayCount::Calendar => limit - Duration::days(i64::from(period.days)),
        super::governance::DayCount::Working => limit,
    };
    // Working days: step back to the last day that still fits (at most a few weeks).
    while after(period, d) > limit {
        d -= Duration::days(1);
    }
    d
}

/// For each milestone (by index), the latest date that lets it and everything after it meet
/// their deadlines, and why, when that comes from a later milestone ("so that “Contract
/// starts” can happen by 31 December 2027"). A backward pass over durations only: a
/// necessary bound, which is what explaining a missed deadline needs.
fn latest_dates(
    milestones: &[Milestone],
    ord: &[usize],
) -> BTreeMap<usize, (Option<NaiveDate>, Option<String>)> {
    let mut out: BTreeMap<usize, (Option<NaiveDate>, Option<String>)> = BTreeMap::new();
    for &i in ord.iter().rev() {
        let m = &milestones[i];
        let mut best: (Option<NaiveDate>, Option<String>) = (m.deadline, None);
        for (j, s) in milestones.iter().enumerate() {
            if !s.depends_on.contains(&m.key) {
                continue;
            }
            let Some((Some(limit), _)) = out.get(&j) else {
                continue;
            };
            let bound = latest_before(s.after, *limit);
            if best.0.is_none_or(|b| bound < b) {
                let why = match (s.deadline, out.get(&j).and_then(|(_, w)| w.clone())) {
                    (Some(dl), _) if dl == *limit => {
                        format!("so that “{}” can happen by {}", s.name, long_date(dl))
                    }
                    (_, Some(w)) => w,
                    _ => format!("so that “{}” can happen by {}", s.name, long_date(*limit)),
                };
                best = (Some(bound), Some(why));
            }
        }
        out.insert(i, best);
    }
    out
}

/// Walks back from the last milestone through whatever set each date, marking the chain,
/// and returns the partners whose decisions set dates on it.
fn mark_critical(milestones: &mut [PlannedMilestone]) -> Vec<String> {
    let Some(end) = milestones.iter().filter_map(|m| m.date).max() else {
        return Vec::new();
    };
    let mut todo: Vec<String> = milestones
        .iter()
        .filter(|m| m.date == Some(end))
        .map(|m| m.key.clone())
        .collect();
    let mut partners = BTreeSet::new();
    while let Some(key) = todo.pop() {
        let Some(m) = milestones.iter_mut().find(|m| m.key == key) else {
            continue;
        };
        if m.critical {
            continue;
        }
        m.critical = true;
        let by_approval: Vec<String> = m.binding_approvals().map(|a| a.partner.clone()).collect();
        partners.extend(by_approval);
        if let ReadySetBy::Predecessor { key } = &m.ready_set_by {
            todo.push(key.clone());
        }
    }
    partners.into_iter().collect()
}

/// A milestone whose date changed between two plans, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moved {
    pub key: String,
    pub name: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Positive when later.
    pub days: Option<i64>,
    pub why: String,
}

/// What moved from `before` to `after`, in milestone order, each with its reason.
pub fn compare(before: &Plan, after: &Plan, changes: &Changes) -> Vec<Moved> {
    let mut out = Vec::new();
    for new in &after.milestones {
        let Some(old) = before.milestone(&new.key) else {
            continue;
        };
        if old.date == new.date {
            continue;
        }
        let days = match (old.date, new.date) {
            (Some(a), Some(b)) => Some((b - a).num_days()),
            _ => None,
        };
        out.push(Moved {
            key: new.key.clone(),
            name: new.name.clone(),
            from: old.date,
            to: new.date,
            days,
            why: why_moved(old, new, after, changes),
        });
    }
    out
}

fn why_moved(
    old: &PlannedMilestone,
    new: &PlannedMilestone,
    after: &Plan,
    changes: &Changes,
) -> String {
    let mut reasons = Vec::new();
    if let ReadySetBy::Slip { not_before } = new.ready_set_by {
        reasons.push(format!("it slipped to {}", long_date(not_before)));
    }
    // A meeting this milestone relied on was cancelled.
    for a in &old.approvals {
        if let Outcome::Scheduled {
            body_id,
            body,
            meeting,
            ..
        } = &a.outcome
            && changes.cancelled.contains(&CancelledMeeting {
                partner: a.partner.clone(),
                body_id: *body_id,
                date: *meeting,
            })
        {
            let next = new
                .approvals
                .iter()
                .find(|n| n.partner == a.partner)
                .map(|n| match &n.outcome {
                    Outcome::Scheduled {
                        meeting,
                        paper_deadline,
                        call_in,
                        ..
                    } => format!(
                        "; the next it can use is {} (papers by {}, then call-in of {})",
                        long_date(*meeting),
                        long_date(*paper_deadline),
                        call_in
                    ),
                    Outcome::Impossible { reason } => format!("; {reason}"),
                    Outcome::NotRequired { .. } => String::new(),
                })
                .unwrap_or_default();
            reasons.push(format!(
                "{}’s {} meeting on {} was cancelled{}",
                a.partner_name,
                body,
                long_date(*meeting),
                next
            ));
        }
    }
    if reasons.is_empty()
        && let ReadySetBy::Predecessor { key } = &new.ready_set_by
        && let Some(p) = after.milestone(key)
    {
        let when = p
            .date
            .map(long_date)
            .unwrap_or_else(|| "no feasible date".into());
        reasons.push(format!("it follows “{}”, which moved to {}", p.name, when));
        // Moving by more than the predecessor did means a meeting was missed on the way.
        if let Some(a) = new.binding_approvals().next()
            && let Outcome::Scheduled { body, meeting, .. } = &a.outcome
        {
            reasons.push(format!(
                "so {}’s next usable {} meeting is {}",
                a.partner_name,
                body,
                long_date(*meeting)
            ));
        }
    }
    if reasons.is_empty() {
        return new.explanation.clone();
    }
    let mut s = reasons.join(", ");
    if let Some(first) = s.get(0..1) {
        s = format!("{}{}", first.to_uppercase(), &s[1..]);
    }
    s.push('.');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::joint::examples;
    use crate::joint::governance::{
        ApprovalBody, Blackout, BodyKind, DayCount, GateRule, MeetingCalendar, MeetingRule, Ordinal,
    };
    use chrono::{Datelike, Weekday};
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    fn partner(slug: &str, value_pence: i64) -> Partner {
        Partner {
            value_pence,
            profile: examples::profile(slug).expect("example profile"),
        }
    }

    /// One milestone, ready on the start date, that needs `gate` from every partner.
    fn one_gate(start: &str, gate: GateKind, partners: Vec<Partner>) -> PlanInput {
        PlanInput {
            start: d(start),
            milestones: vec![Milestone {
                key: "m".into(),
                name: "Contract awarded".into(),
                after: Period::NONE,
                depends_on: vec![],
                gate: Some(gate),
                deadline: None,
            }],
            partners,
            changes: Changes::default(),
        }
    }

    fn scheduled(
        p: &Plan,
        key: &str,
        partner: &str,
    ) -> (NaiveDate, NaiveDate, NaiveDate, i64, bool) {
        let m = p.milestone(key).expect("milestone");
        let a = m
            .approvals
            .iter()
            .find(|a| a.partner == partner)
            .expect("approval");
        match &a.outcome {
            Outcome::Scheduled {
                paper_deadline,
                meeting,
                acted_on_from,
                slack_days,
                binding,
                ..
            } => (
                *paper_deadline,
                *meeting,
                *acted_on_from,
                *slack_days,
                *binding,
            ),
            other => panic!("{partner}: {other:?}"),
        }
    }

    // Hand-computed against the example calendars, papers ready Monday 4 January 2027.
    //
    // Camden, Cabinet, second Wednesday monthly, papers 8 working days before, call-in 5
    // working days. 13 January: papers would be due 31 December (1 January is a bank
    // holiday), before the papers are ready. 10 February: papers by Friday 29 January;
    // call-in runs 11, 12, 15, 16, 17 February; acted on from Thursday 18 February.
    #[test]
    fn camden_awards_at_the_february_cabinet() {
        let p = plan(&one_gate(
            "2027-01-04",
            GateKind::ContractAward,
            vec![partner("camden", 150_000_000)],
        ))
        .unwrap();
        let (papers, meeting, acted, _, binding) = scheduled(&p, "m", "camden");
        assert_eq!(papers, d("2027-01-29"));
        assert_eq!(meeting, d("2027-02-10"));
        assert_eq!(acted, d("2027-02-18"));
        assert!(binding);
        assert_eq!(p.milestone("m").unwrap().date, Some(d("2027-02-18")));
    }

    // Hackney, Procurement and Insourcing Committee, first Monday monthly, papers 7 working
    // days before, call-in 5 working days. 4 January is in the Christmas blackout and its
    // papers would have been due 21 December anyway. 1 February: papers by Thursday
    // 21 January; call-in 2, 3, 4, 5, 8 February; acted on from Tuesday 9 February.
    #[test]
    fn hackney_awards_at_the_february_committee() {
        let p = plan(&one_gate(
            "2027-01-04",
            GateKind::ContractAward,
            vec![partner("hackney", 120_000_000)],
        ))
        .unwrap();
        let (papers, meeting, acted, _, _) = scheduled(&p, "m", "hackney");
        assert_eq!(papers, d("2027-01-21"));
        assert_eq!(meeting, d("2027-02-01"));
        assert_eq!(acted, d("2027-02-09"));
    }

    // Lambeth, Cabinet every 4 weeks on Monday from 12 January 2026 (so 11 January and
    // 8 February 2027), papers 10 working days before, call-in 7 calendar days.
    // 11 January: papers would be due 23 December. 8 February: papers by Monday 25 January;
    // call-in to 15 February; acted on from Tuesday 16 February.
    #[test]
    fn lambeth_awards_at_its_four_weekly_cabinet_with_calendar_day_call_in() {
        let p = plan(&one_gate(
            "2027-01-04",
            GateKind::ContractAward,
            vec![partner("lambeth", 90_000_000)],
        ))
        .unwrap();
        let (papers, meeting, acted, _, _) = scheduled(&p, "m", "lambeth");
        assert_eq!(papers, d("2027-01-25"));
        assert_eq!(meeting, d("2027-02-08"));
        assert_eq!(acted, d("2027-02-16"));
    }

    fn three() -> Vec<Partner> {
        examples::DEMO_PARTNERS
            .iter()
            .map(|(slug, v)| partner(slug, *v))
            .collect()
    }

    #[test]
    fn the_joint_award_waits_for_the_slowest_partner_who_is_then_critical() {
        let p = plan(&one_gate("2027-01-04", GateKind::ContractAward, three())).unwrap();
        let m = p.milestone("m").unwrap();
        assert_eq!(m.date, Some(d("2027-02-18")));
        assert_eq!(p.critical_partners, vec!["camden".to_owned()]);
        assert_eq!(scheduled(&p, "m", "camden").3, 0);
        assert_eq!(scheduled(&p, "m", "hackney").3, 9);
        assert_eq!(scheduled(&p, "m", "lambeth").3, 2);
        assert!(!scheduled(&p, "m", "hackney").4);
        assert!(
            m.explanation
                .contains("Camden’s Cabinet decides on 10 February 2027"),
            "{}",
            m.explanation
        );
    }

    // Cancelling Camden's 10 February Cabinet: the next is the extra meeting on Wednesday
    // 24 February (papers by Friday 12 February); call-in 25, 26 February, 1, 2, 3 March;
    // acted on from Thursday 4 March.
    #[test]
    fn a_cancelled_meeting_moves_the_plan_and_says_why() {
        let mut input = one_gate("2027-01-04", GateKind::ContractAward, three());
        let before = plan(&input).unwrap();
        input.changes.cancelled.insert(CancelledMeeting {
            partner: "camden".into(),
            body_id: 1,
            date: d("2027-02-10"),
        });
        let after = plan(&input).unwrap();
        assert_eq!(after.milestone("m").unwrap().date, Some(d("2027-03-04")));
        assert_eq!(scheduled(&after, "m", "camden").1, d("2027-02-24"));
        let moved = compare(&before, &after, &input.changes);
        assert_eq!(moved.len(), 1);
        assert_eq!(moved[0].days, Some(14));
        assert!(
            moved[0].why.contains("Camden’s Cabinet meeting on 10 February 2027 was cancelled; the next it can use is 24 February 2027"),
            "{}",
            moved[0].why
        );
        // Cancelling 24 February too: second Wednesday of March is 10 March; acted on from
        // 18 March.
        input.changes.cancelled.insert(CancelledMeeting {
            partner: "camden".into(),
            body_id: 1,
            date: d("2027-02-24"),
        });
        let again = plan(&input).unwrap();
        assert_eq!(again.milestone("m").unwrap().date, Some(d("2027-03-18")));
        let skipped = match &again.milestone("m").unwrap().approvals[0].outcome {
            Outcome::Scheduled { skipped, .. } => skipped.clone(),
            _ => vec![],
        };
        assert_eq!(skipped.len(), 2);
        assert_eq!(skipped[0].reason, "cancelled");
    }

    // Hackney's Cabinet (fourth Monday monthly) with papers ready 1 July 2027: 26 July and
    // 23 August are in the summer recess (25 July to 6 September), so the first usable
    // meeting is 27 September, acted on from 5 October. A decision taken after 22 September
    // could not clear 5 working days' call-in by 30 September.
    #[test]
    fn a_missed_deadline_is_explained_by_the_partners_calendar() {
        let mut input = one_gate(
            "2027-07-01",
            GateKind::BusinessCase,
            vec![partner("hackney", 120_000_000)],
        );
        input.milestones[0].deadline = Some(d("2027-09-30"));
        let p = plan(&input).unwrap();
        let m = p.milestone("m").unwrap();
        assert_eq!(scheduled(&p, "m", "hackney").1, d("2027-09-27"));
        assert_eq!(m.date, Some(d("2027-10-05")));
        let problem = m.problem.as_deref().unwrap_or_default();
        assert!(
            problem.contains("Hackney has no Cabinet meeting between 1 July 2027 and 22 September 2027 that it could use"),
            "{problem}"
        );
        assert!(
            problem.contains("26 July 2027 in the Summer recess blackout"),
            "{problem}"
        );
        assert!(!p.is_feasible());
    }

    // With the contract to start by Friday 31 December 2027: signed by 1 November (60 days
    // before), awarded by 20 October (8 working days before 1 November). Hackney's decision
    // must be acted on by then, so its meeting must be by 12 October (5 working days'
    // call-in: 13, 14, 15, 18, 19 October). Without its 4 October meeting the window from
    // 24 August (award ready) to 12 October has only 6 September, in its summer recess.
    #[test]
    fn a_deadline_at_the_end_is_traced_back_to_the_partner_whose_meeting_is_missing() {
        let mut milestones = examples::joint_milestones();
        if let Some(last) = milestones.last_mut() {
            last.deadline = Some(d("2027-12-31"));
        }
        let mut input = PlanInput {
            start: d("2027-01-04"),
            milestones,
            partners: three(),
            changes: Changes::default(),
        };
        let ok = plan(&input).unwrap();
        assert!(ok.is_feasible(), "{:?}", ok.problems);
        assert_eq!(ok.milestone("award").unwrap().latest, Some(d("2027-10-20")));
        assert_eq!(
            ok.milestone("signed").unwrap().latest,
            Some(d("2027-11-01"))
        );
        input.changes.cancelled.insert(CancelledMeeting {
            partner: "hackney".into(),
            body_id: 2,
            date: d("2027-10-04"),
        });
        let late = plan(&input).unwrap();
        assert_eq!(late.problems.len(), 1, "{:?}", late.problems);
        assert_eq!(
            late.problems[0],
            "Contract awarded: must happen by 20 October 2027 so that “Contract starts” can happen by 31 December 2027, but the earliest feasible date is 9 November 2027: Hackney has no Procurement and Insourcing Committee meeting between 24 August 2027 and 12 October 2027 that it could use (6 September 2027 in the Summer recess blackout; 4 October 2027 cancelled)."
        );
    }

    #[test]
    fn a_body_with_no_meetings_left_makes_the_milestone_impossible_in_words() {
        let mut hackney = partner("hackney", 120_000_000);
        for b in &mut hackney.profile.bodies {
            b.calendar.rules.clear();
            b.calendar.extra.clear();
        }
        let p = plan(&one_gate(
            "2027-01-04",
            GateKind::ContractAward,
            vec![hackney],
        ))
        .unwrap();
        let m = p.milestone("m").unwrap();
        assert_eq!(m.date, None);
        assert!(
            p.problems[0].contains("Hackney has no Procurement and Insourcing Committee meeting between 4 January 2027 and"),
            "{:?}",
            p.problems
        );
    }

    #[test]
    fn the_demo_plan_chains_milestones_and_marks_the_critical_path() {
        let p = plan(&PlanInput {
            start: d("2027-01-04"),
            milestones: examples::joint_milestones(),
            partners: three(),
            changes: Changes::default(),
        })
        .unwrap();
        assert!(p.is_feasible(), "{:?}", p.problems);
        let dates: Vec<NaiveDate> = p.milestones.iter().filter_map(|m| m.date).collect();
        assert_eq!(dates.len(), 8);
        assert!(dates.windows(2).all(|w| w[0] <= w[1]));
        let last = p.milestones.last().unwrap();
        assert!(last.critical);
        assert!(!p.critical_partners.is_empty());
    }

    #[test]
    fn a_slip_moves_the_milestone_and_everything_after_it() {
        let mut input = PlanInput {
            start: d("2027-01-04"),
            milestones: examples::joint_milestones(),
            partners: three(),
            changes: Changes::default(),
        };
        let before = plan(&input).unwrap();
        input
            .changes
            .slips
            .insert("evaluated".into(), d("2027-12-01"));
        let after = plan(&input).unwrap();
        let moved = compare(&before, &after, &input.changes);
        let keys: Vec<&str> = moved.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, vec!["evaluated", "award", "signed", "start"]);
        assert!(
            moved[0].why.starts_with("It slipped to 1 December 2027"),
            "{}",
            moved[0].why
        );
        assert!(
            moved[1]
                .why
                .starts_with("It follows “Evaluation complete”, which moved to"),
            "{}",
            moved[1].why
        );
    }

    #[test]
    fn malformed_plans_are_refused_with_reasons() {
        let mut input = one_gate("2027-01-04", GateKind::ContractAward, three());
        input.milestones[0].depends_on = vec!["nowhere".into()];
        assert!(matches!(
            plan(&input),
            Err(PlanError::UnknownDependency { .. })
        ));
        input.milestones[0].depends_on = vec!["m".into()];
        assert!(matches!(plan(&input), Err(PlanError::Cycle(_))));
    }

    // ---- Properties ----

    fn weekday(i: u8) -> Weekday {
        [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ][usize::from(i % 5)]
    }

    fn base() -> NaiveDate {
        d("2027-01-01")
    }

    fn rule() -> impl Strategy<Value = MeetingRule> {
        prop_oneof![
            (0u8..5, 0u8..5).prop_map(|(o, w)| MeetingRule::MonthlyNth {
                ordinal: [
                    Ordinal::First,
                    Ordinal::Second,
                    Ordinal::Third,
                    Ordinal::Fourth,
                    Ordinal::Last
                ][usize::from(o)],
                weekday: weekday(w),
                from: None,
            }),
            (1u32..5, 0i64..400).prop_map(|(weeks, offset)| {
                let from = base() + Duration::days(offset);
                MeetingRule::EveryNWeeks {
                    weeks,
                    weekday: from.weekday(),
                    from: Some(from),
                }
            }),
            Just(MeetingRule::EveryWorkingDay),
        ]
    }

    fn body(id: i64) -> impl Strategy<Value = ApprovalBody> {
        (
            prop::collection::vec(rule(), 0..3),
            prop::collection::btree_set(0i64..900, 0..4),
            prop::collection::btree_set(0i64..900, 0..6),
            0u32..12,
            0u32..10,
            any::<bool>(),
        )
            .prop_map(move |(rules, extra, cancelled, paper, call_in, working)| {
                ApprovalBody {
                    id,
                    name: format!("Body {id}"),
                    kind: BodyKind::Committee,
                    calendar: MeetingCalendar {
                        rules,
                        extra: extra
                            .into_iter()
                            .map(|o| base() + Duration::days(o))
                            .collect(),
                        cancelled: cancelled
                            .into_iter()
                            .map(|o| base() + Duration::days(o))
                            .collect(),
                    },
                    paper_deadline_days: paper,
                    call_in: Period {
                        days: call_in,
                        count: if working {
                            DayCount::Working
                        } else {
                            DayCount::Calendar
                        },
                    },
                }
            })
    }

    fn blackout() -> impl Strategy<Value = Blackout> {
        (0i64..700, 0i64..60, any::<bool>()).prop_map(|(s, len, yearly)| Blackout {
            id: 0,
            label: "Blackout".into(),
            start: base() + Duration::days(s),
            end: base() + Duration::days(s + len),
            yearly,
        })
    }

    fn profile(slug: String) -> impl Strategy<Value = GovernanceProfile> {
        (
            body(1),
            body(2),
            prop::collection::vec(blackout(), 0..3),
            0i64..2,
            0i64..2,
        )
            .prop_map(move |(b1, b2, blackouts, g1, g2)| GovernanceProfile {
                org_slug: slug.clone(),
                org_name: slug.clone(),
                bodies: vec![b1, b2],
                gates: vec![
                    GateRule {
                        id: 1,
                        gate: GateKind::BusinessCase,
                        body_id: g1 + 1,
                        min_pence: 0,
                        max_pence: None,
                    },
                    GateRule {
                        id: 2,
                        gate: GateKind::ContractAward,
                        body_id: g2 + 1,
                        min_pence: 0,
                        max_pence: None,
                    },
                ],
                blackouts,
                is_example: false,
            })
    }

    fn milestones() -> impl Strategy<Value = Vec<Milestone>> {
        prop::collection::vec(
            (
                0u32..40,
                any::<bool>(),
                0u8..3,
                prop::collection::vec(any::<prop::sample::Index>(), 0..3),
            ),
            1..6,
        )
        .prop_map(|specs| {
            specs
                .into_iter()
                .enumerate()
                .map(|(i, (days, working, gate, deps))| Milestone {
                    key: format!("m{i}"),
                    name: format!("Milestone {i}"),
                    after: Period {
                        days,
                        count: if working {
                            DayCount::Working
                        } else {
                            DayCount::Calendar
                        },
                    },
                    depends_on: if i == 0 {
                        vec![]
                    } else {
                        let mut v: Vec<String> =
                            deps.iter().map(|ix| format!("m{}", ix.index(i))).collect();
                        v.sort();
                        v.dedup();
                        v
                    },
                    gate: [
                        None,
                        Some(GateKind::BusinessCase),
                        Some(GateKind::ContractAward),
                    ][usize::from(gate)],
                    deadline: None,
                })
                .collect()
        })
    }

    fn input() -> impl Strategy<Value = PlanInput> {
        (
            0i64..500,
            milestones(),
            prop::collection::vec(any::<u8>(), 1..4).prop_flat_map(|ps| {
                ps.iter()
                    .enumerate()
                    .map(|(i, _)| profile(format!("p{i}")))
                    .collect::<Vec<_>>()
            }),
        )
            .prop_map(|(offset, milestones, profiles)| PlanInput {
                start: base() + Duration::days(offset),
                milestones,
                partners: profiles
                    .into_iter()
                    .map(|profile| Partner {
                        value_pence: 1,
                        profile,
                    })
                    .collect(),
                changes: Changes::default(),
            })
    }

    /// Later or equal, with "cannot be scheduled" later than any date.
    fn not_earlier(new: Option<NaiveDate>, old: Option<NaiveDate>) -> bool {
        match (new, old) {
            (_, None) => new.is_none(),
            (None, Some(_)) => true,
            (Some(n), Some(o)) => n >= o,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn every_decision_is_on_a_real_meeting_outside_blackouts_with_papers_in_time(input in input()) {
            let p = plan(&input).unwrap();
            for m in &p.milestones {
                let Some(date) = m.date else { continue };
                let ready = m.ready.unwrap();
                prop_assert!(date >= ready);
                prop_assert!(calendar::is_working_day(date));
                for a in &m.approvals {
                    let Outcome::Scheduled { body_id, meeting, paper_deadline, acted_on_from, .. } = &a.outcome else { continue };
                    let partner = input.partners.iter().find(|x| x.slug() == a.partner).unwrap();
                    let body = partner.profile.body(*body_id).unwrap();
                    prop_assert!(body.calendar.scheduled(*meeting), "not a meeting day: {meeting}");
                    prop_assert!(!body.calendar.cancelled.contains(meeting));
                    prop_assert!(partner.profile.blackout_on(*meeting).is_none(), "in a blackout: {meeting}");
                    prop_assert!(calendar::is_working_day(*meeting));
                    prop_assert_eq!(*paper_deadline, calendar::sub_working_days(*meeting, body.paper_deadline_days));
                    prop_assert!(*paper_deadline >= ready, "papers due {paper_deadline} before ready {ready}");
                    prop_assert_eq!(*acted_on_from, body.call_in.acted_on_from(*meeting));
                    prop_assert!(date >= *acted_on_from, "call-in not over");
                }
            }
        }

        #[test]
        fn a_plan_without_problems_meets_every_deadline_and_one_that_misses_says_so(
            input in input(),
            offset in 0i64..400,
        ) {
            let mut input = input;
            let deadline = input.start + Duration::days(offset);
            if let Some(last) = input.milestones.last_mut() {
                last.deadline = Some(deadline);
            }
            let p = plan(&input).unwrap();
            let late = p.milestones.iter().any(|m| match (m.date, m.latest) {
                (Some(d), Some(l)) => d > l,
                _ => false,
            });
            prop_assert_eq!(late, p.milestones.iter().any(|m| m.problem.is_some() && m.date.is_some()));
            if late {
                prop_assert!(!p.problems.is_empty());
            }
            let last = p.milestones.last().unwrap();
            if let Some(d) = last.date && p.problems.is_empty() {
                prop_assert!(d <= deadline);
            }
        }

        #[test]
        fn adding_a_partner_never_makes_a_milestone_earlier(input in input(), extra in profile("extra".into())) {
            let before = plan(&input).unwrap();
            let mut more = input.clone();
            more.partners.push(Partner { value_pence: 1, profile: extra });
            let after = plan(&more).unwrap();
            for (old, new) in before.milestones.iter().zip(&after.milestones) {
                prop_assert!(not_earlier(new.date, old.date), "{}: {:?} → {:?}", new.key, old.date, new.date);
            }
        }

        #[test]
        fn removing_a_cancellation_never_makes_a_milestone_later(input in input(), pick in any::<prop::sample::Index>()) {
            // Cancel every meeting the plan relies on, then lift one of those cancellations.
            let first = plan(&input).unwrap();
            let mut cancelled: Vec<CancelledMeeting> = first
                .milestones
                .iter()
                .flat_map(|m| m.approvals.iter())
                .filter_map(|a| match &a.outcome {
                    Outcome::Scheduled { body_id, meeting, .. } => Some(CancelledMeeting { partner: a.partner.clone(), body_id: *body_id, date: *meeting }),
                    _ => None,
                })
                .collect();
            prop_assume!(!cancelled.is_empty());
            let mut with = input.clone();
            with.changes.cancelled = cancelled.iter().cloned().collect();
            let cancelled_plan = plan(&with).unwrap();
            let lifted = cancelled.remove(pick.index(cancelled.len()));
            let mut without = with.clone();
            without.changes.cancelled.remove(&lifted);
            let lifted_plan = plan(&without).unwrap();
            for (c, l) in cancelled_plan.milestones.iter().zip(&lifted_plan.milestones) {
                prop_assert!(not_earlier(c.date, l.date), "{}: {:?} with the cancellation, {:?} without", c.key, c.date, l.date);
            }
            // And cancelling never brings anything forward.
            for (f, c) in first.milestones.iter().zip(&cancelled_plan.milestones) {
                prop_assert!(not_earlier(c.date, f.date));
            }
        }
    }
}

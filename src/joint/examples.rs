//! Example governance profiles for demo boroughs, and an example joint procurement to plan
//! with them. They are shaped like real London constitutions (cabinet, cabinet member and
//! officer decisions; procurement boards; call-in; August recess; pre-election periods) but
//! they are NOT any borough's real constitution: every page that shows one says so.

use chrono::NaiveDate;

use super::governance::{
    ApprovalBody, Blackout, BodyKind, GateKind, GateRule, GovernanceProfile, MeetingCalendar,
    MeetingRule, Period,
};
use super::planner::Milestone;

/// Shown wherever an example profile appears.
pub const EXAMPLE_LABEL: &str = "Example profile, not the borough’s real constitution";

const M: i64 = 100_000_000; // £1m in pence
const K: i64 = 100_000; // £1k in pence

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn body(
    id: i64,
    name: &str,
    kind: BodyKind,
    rules: &[&str],
    paper_deadline_days: u32,
    call_in: Period,
) -> ApprovalBody {
    ApprovalBody {
        id,
        name: name.into(),
        kind,
        calendar: MeetingCalendar {
            // The rule texts are fixed here and covered by a test, so none is dropped.
            rules: rules
                .iter()
                .filter_map(|r| MeetingRule::parse(r).ok())
                .collect(),
            ..Default::default()
        },
        paper_deadline_days,
        call_in,
    }
}

fn gate(id: i64, gate: GateKind, body_id: i64, min: i64, max: Option<i64>) -> GateRule {
    GateRule {
        id,
        gate,
        body_id,
        min_pence: min,
        max_pence: max,
    }
}

fn blackout(id: i64, label: &str, start: NaiveDate, end: NaiveDate, yearly: bool) -> Blackout {
    Blackout {
        id,
        label: label.into(),
        start,
        end,
        yearly,
    }
}

fn elections(id: i64) -> [Blackout; 2] {
    // London borough elections: 7 May 2026 and (first Thursday in May) 2 May 2030. The
    // pre-election period runs from the notice of election, about six weeks before.
    [
        blackout(
            id,
            "Pre-election period 2026",
            date(2026, 3, 27),
            date(2026, 5, 7),
            false,
        ),
        blackout(
            id + 1,
            "Pre-election period 2030",
            date(2030, 3, 22),
            date(2030, 5, 2),
            false,
        ),
    ]
}

/// The example profiles, by organisation slug.
pub fn profiles() -> Vec<GovernanceProfile> {
    vec![camden(), hackney(), lambeth(), southwark(), islington()]
}

pub fn profile(slug: &str) -> Option<GovernanceProfile> {
    profiles().into_iter().find(|p| p.org_slug == slug)
}

pub fn camden() -> GovernanceProfile {
    let mut calendar_cabinet = body(
        1,
        "Cabinet",
        BodyKind::Cabinet,
        &["second Wednesday monthly"],
        8,
        Period::working(5),
    );
    // No Cabinet in the August recess; an extra budget meeting in late February.
    calendar_cabinet.calendar.extra.insert(date(2027, 2, 24));
    let mut blackouts = vec![
        blackout(
            1,
            "August recess",
            date(2026, 8, 1),
            date(2026, 8, 31),
            true,
        ),
        blackout(
            2,
            "Christmas and New Year",
            date(2025, 12, 19),
            date(2026, 1, 4),
            true,
        ),
    ];
    blackouts.extend(elections(3));
    GovernanceProfile {
        org_slug: "camden".into(),
        org_name: "Camden".into(),
        bodies: vec![
            calendar_cabinet,
            body(
                2,
                "Cabinet Member for Finance",
                BodyKind::CabinetMember,
                &["every Thursday"],
                5,
                Period::working(5),
            ),
            body(
                3,
                "Procurement Board",
                BodyKind::ProcurementBoard,
                &["every other Tuesday from 6 January 2026"],
                3,
                Period::NONE,
            ),
            body(
                4,
                "Director decision",
                BodyKind::OfficerDelegation,
                &["every working day"],
                0,
                Period::NONE,
            ),
        ],
        gates: vec![
            gate(1, GateKind::BusinessCase, 4, 0, Some(500 * K)),
            gate(2, GateKind::BusinessCase, 3, 500 * K, None),
            gate(3, GateKind::ProcurementStrategy, 3, 0, Some(M)),
            gate(4, GateKind::ProcurementStrategy, 2, M, Some(5 * M)),
            gate(5, GateKind::ProcurementStrategy, 1, 5 * M, None),
            gate(6, GateKind::ContractAward, 4, 0, Some(500 * K)),
            gate(7, GateKind::ContractAward, 1, 500 * K, None),
            gate(8, GateKind::ContractVariation, 4, 0, Some(M)),
            gate(9, GateKind::ContractVariation, 2, M, None),
        ],
        blackouts,
        is_example: true,
    }
}

pub fn hackney() -> GovernanceProfile {
    let mut committee = body(
        2,
        "Procurement and Insourcing Committee",
        BodyKind::Committee,
        &["first Monday monthly"],
        7,
        Period::working(5),
    );
    // The first Monday of May is always a bank holiday: that month the committee meets on
    // the Tuesday instead.
    committee.calendar.extra.insert(date(2027, 5, 4));
    committee.calendar.extra.insert(date(2028, 5, 2));
    let mut blackouts = vec![
        blackout(
            1,
            "Summer recess",
            date(2026, 7, 25),
            date(2026, 9, 6),
            true,
        ),
        blackout(
            2,
            "Christmas and New Year",
            date(2025, 12, 18),
            date(2026, 1, 5),
            true,
        ),
    ];
    blackouts.extend(elections(3));
    GovernanceProfile {
        org_slug: "hackney".into(),
        org_name: "Hackney".into(),
        bodies: vec![
            body(
                1,
                "Cabinet",
                BodyKind::Cabinet,
                &["fourth Monday monthly"],
                10,
                Period::working(5),
            ),
            committee,
            body(
                3,
                "Group Director decision",
                BodyKind::OfficerDelegation,
                &["every working day"],
                0,
                Period::NONE,
            ),
        ],
        gates: vec![
            gate(1, GateKind::BusinessCase, 3, 0, Some(M)),
            gate(2, GateKind::BusinessCase, 1, M, None),
            gate(3, GateKind::ProcurementStrategy, 2, 0, Some(2 * M)),
            gate(4, GateKind::ProcurementStrategy, 1, 2 * M, None),
            gate(5, GateKind::ContractAward, 3, 0, Some(250 * K)),
            gate(6, GateKind::ContractAward, 2, 250 * K, None),
            gate(7, GateKind::ContractVariation, 3, 0, Some(500 * K)),
            gate(8, GateKind::ContractVariation, 2, 500 * K, None),
        ],
        blackouts,
        is_example: true,
    }
}

pub fn lambeth() -> GovernanceProfile {
    let mut blackouts = vec![
        blackout(
            1,
            "August recess",
            date(2026, 8, 1),
            date(2026, 8, 31),
            true,
        ),
        blackout(
            2,
            "Christmas and New Year",
            date(2025, 12, 21),
            date(2026, 1, 3),
            true,
        ),
    ];
    blackouts.extend(elections(3));
    GovernanceProfile {
        org_slug: "lambeth".into(),
        org_name: "Lambeth".into(),
        bodies: vec![
            body(
                1,
                "Cabinet",
                BodyKind::Cabinet,
                &["every 4 weeks on Monday from 12 January 2026"],
                10,
                // Counted in calendar days in this example constitution.
                Period::calendar(7),
            ),
            body(
                2,
                "Procurement Board",
                BodyKind::ProcurementBoard,
                &["every other Wednesday from 7 January 2026"],
                5,
                Period::NONE,
            ),
            body(
                3,
                "Technology Spend Control Board",
                BodyKind::SpendControlBoard,
                &["every Tuesday"],
                2,
                Period::NONE,
            ),
            body(
                4,
                "Corporate Director decision",
                BodyKind::OfficerDelegation,
                &["every working day"],
                0,
                Period::working(3),
            ),
        ],
        gates: vec![
            gate(1, GateKind::BusinessCase, 4, 0, Some(250 * K)),
            gate(2, GateKind::BusinessCase, 2, 250 * K, None),
            gate(3, GateKind::ProcurementStrategy, 2, 0, Some(M)),
            gate(4, GateKind::ProcurementStrategy, 1, M, None),
            gate(5, GateKind::SpendControl, 3, 100 * K, None),
            gate(6, GateKind::ContractAward, 4, 0, Some(500 * K)),
            gate(7, GateKind::ContractAward, 1, 500 * K, None),
            gate(8, GateKind::ContractVariation, 4, 0, None),
        ],
        blackouts,
        is_example: true,
    }
}

pub fn southwark() -> GovernanceProfile {
    let mut blackouts = vec![
        blackout(
            1,
            "August recess",
            date(2026, 8, 1),
            date(2026, 8, 31),
            true,
        ),
        blackout(
            2,
            "Christmas and New Year",
            date(2025, 12, 22),
            date(2026, 1, 2),
            true,
        ),
    ];
    blackouts.extend(elections(3));
    GovernanceProfile {
        org_slug: "southwark".into(),
        org_name: "Southwark".into(),
        bodies: vec![
            body(
                1,
                "Cabinet",
                BodyKind::Cabinet,
                &["third Tuesday monthly"],
                10,
                Period::working(5),
            ),
            body(
                2,
                "Strategic Director decision",
                BodyKind::OfficerDelegation,
                &["every working day"],
                0,
                Period::NONE,
            ),
        ],
        gates: vec![
            gate(1, GateKind::BusinessCase, 2, 0, Some(M)),
            gate(2, GateKind::BusinessCase, 1, M, None),
            gate(3, GateKind::ProcurementStrategy, 2, 0, Some(4 * M)),
            gate(4, GateKind::ProcurementStrategy, 1, 4 * M, None),
            gate(5, GateKind::ContractAward, 2, 0, Some(4 * M)),
            gate(6, GateKind::ContractAward, 1, 4 * M, None),
        ],
        blackouts,
        is_example: true,
    }
}

pub fn islington() -> GovernanceProfile {
    let mut blackouts = vec![blackout(
        1,
        "Christmas and New Year",
        date(2025, 12, 20),
        date(2026, 1, 4),
        true,
    )];
    blackouts.extend(elections(2));
    GovernanceProfile {
        org_slug: "islington".into(),
        org_name: "Islington".into(),
        bodies: vec![
            body(
                1,
                "Executive",
                BodyKind::Cabinet,
                &["third Thursday monthly"],
                8,
                Period::working(5),
            ),
            body(
                2,
                "Procurement Board",
                BodyKind::ProcurementBoard,
                &["every Wednesday"],
                3,
                Period::NONE,
            ),
        ],
        gates: vec![
            gate(1, GateKind::BusinessCase, 2, 0, None),
            gate(2, GateKind::ProcurementStrategy, 2, 0, Some(2 * M)),
            gate(3, GateKind::ProcurementStrategy, 1, 2 * M, None),
            gate(4, GateKind::ContractAward, 1, 0, None),
        ],
        blackouts,
        is_example: true,
    }
}

fn milestone(
    key: &str,
    name: &str,
    after: Period,
    depends_on: &[&str],
    gate: Option<GateKind>,
) -> Milestone {
    Milestone {
        key: key.into(),
        name: name.into(),
        after,
        depends_on: depends_on.iter().map(|s| (*s).to_owned()).collect(),
        gate,
        deadline: None,
    }
}

/// A joint procurement of a shared technology system, from business case to contract start.
pub fn joint_milestones() -> Vec<Milestone> {
    use GateKind::*;
    vec![
        milestone(
            "business-case",
            "Business case approved",
            Period::working(10),
            &[],
            Some(BusinessCase),
        ),
        milestone(
            "market",
            "Market engagement complete",
            Period::calendar(42),
            &["business-case"],
            None,
        ),
        milestone(
            "tender",
            "Tender published",
            Period::working(15),
            &["market"],
            Some(ProcurementStrategy),
        ),
        milestone(
            "returned",
            "Tenders returned",
            Period::calendar(35),
            &["tender"],
            None,
        ),
        milestone(
            "evaluated",
            "Evaluation complete",
            Period::working(20),
            &["returned"],
            None,
        ),
        milestone(
            "award",
            "Contract awarded",
            Period::working(5),
            &["evaluated"],
            Some(ContractAward),
        ),
        // The Procurement Act 2023 standstill: eight working days after the contract award
        // notice before the contract can be entered into.
        milestone(
            "signed",
            "Contract signed",
            Period::working(8),
            &["award"],
            None,
        ),
        milestone(
            "start",
            "Contract starts",
            Period::calendar(60),
            &["signed"],
            None,
        ),
    ]
}

/// The demo's partners and their shares: (slug, value in pence).
pub const DEMO_PARTNERS: &[(&str, i64)] = &[
    ("camden", 150_000_000),
    ("hackney", 120_000_000),
    ("lambeth", 90_000_000),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_rule_reads() {
        // `body` drops a rule that does not parse; make sure none was dropped.
        for p in profiles() {
            for b in &p.bodies {
                assert_eq!(b.calendar.rules.len(), 1, "{} {}", p.org_slug, b.name);
            }
            for g in &p.gates {
                assert!(p.body(g.body_id).is_some(), "{} gate {}", p.org_slug, g.id);
            }
            for (i, a) in p.gates.iter().enumerate() {
                for b in &p.gates[i + 1..] {
                    assert!(!a.overlaps(b), "{} gates {} and {}", p.org_slug, a.id, b.id);
                }
            }
            assert!(p.is_example);
        }
    }

    #[test]
    fn demo_shares_are_what_the_docs_say() {
        assert_eq!(DEMO_PARTNERS[0].1, 150_000_000);
        assert_eq!(DEMO_PARTNERS[1].1, 120_000_000);
        assert_eq!(DEMO_PARTNERS[2].1, 90_000_000);
    }
}

//! SQL for governance profiles. A profile is an owned record (organisation + visibility):
//! every read goes through the viewer's scope, every write checks that the organisation is
//! the writer's own.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Serialize;

use super::governance::{
    ApprovalBody, Blackout, BodyKind, DayCount, GateKind, GateRule, GovernanceProfile,
    MeetingCalendar, MeetingRule, Period,
};
use crate::args;
use crate::db::{Db, DbError, DbResult, now};
use crate::visibility::{Viewer, Visibility};

/// The profile's own columns, with its organisation's names.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct ProfileMeta {
    pub org_id: i64,
    pub org_slug: String,
    pub org_name: String,
    pub org_full_name: String,
    pub visibility: Visibility,
    pub is_example: bool,
    pub notes: String,
    pub updated_at: i64,
}

impl ProfileMeta {
    pub fn updated(&self) -> String {
        crate::web::filters::date_time(self.updated_at)
    }
}

/// A stored profile: its metadata and the profile value the planner reasons over.
#[derive(Debug, Clone)]
pub struct StoredProfile {
    pub meta: ProfileMeta,
    pub profile: GovernanceProfile,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("A body with that name is already in the profile: give it a different name")]
    DuplicateBodyName,
    #[error("{0}")]
    BodyInUse(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

const META_SELECT: &str = "SELECT p.org_id, o.slug AS org_slug, o.short_name AS org_name,
        o.name AS org_full_name, p.visibility, p.is_example, p.notes, p.updated_at
    FROM governance_profiles p JOIN organisations o ON o.id = p.org_id";

/// Profiles the viewer may see, in alphabetical order of borough.
pub async fn list(db: &Db, viewer: &Viewer) -> DbResult<Vec<ProfileMeta>> {
    let scope = viewer.scope("p", 1);
    db.fetch_all(
        format!("{META_SELECT} WHERE {} ORDER BY o.short_name", scope.sql),
        scope.args,
    )
    .await
}

/// A profile's metadata by the organisation's slug, if the viewer may see it.
pub async fn meta(db: &Db, viewer: &Viewer, slug: &str) -> DbResult<Option<ProfileMeta>> {
    let scope = viewer.scope("p", 2);
    let mut a = args![slug];
    a.extend(scope.args);
    db.fetch_optional(
        format!("{META_SELECT} WHERE o.slug = $1 AND {}", scope.sql),
        a,
    )
    .await
}

#[derive(sqlx::FromRow)]
struct BodyRow {
    id: i64,
    name: String,
    kind: BodyKind,
    meeting_rules: String,
    paper_deadline_days: i64,
    call_in_days: i64,
    call_in_count: DayCount,
}

#[derive(sqlx::FromRow)]
struct DateRow {
    body_id: i64,
    meeting_date: NaiveDate,
    kind: String,
}

#[derive(sqlx::FromRow)]
struct GateRow {
    id: i64,
    gate: GateKind,
    body_id: i64,
    min_pence: i64,
    max_pence: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct BlackoutRow {
    id: i64,
    label: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
    yearly: bool,
}

fn days(n: i64) -> u32 {
    u32::try_from(n.clamp(0, 366)).unwrap_or(0)
}

/// The whole profile, if the viewer may see it.
pub async fn get(db: &Db, viewer: &Viewer, slug: &str) -> DbResult<Option<StoredProfile>> {
    let Some(meta) = meta(db, viewer, slug).await? else {
        return Ok(None);
    };
    let profile = load(db, &meta).await?;
    Ok(Some(StoredProfile { meta, profile }))
}

async fn load(db: &Db, meta: &ProfileMeta) -> DbResult<GovernanceProfile> {
    let org = meta.org_id;
    let bodies: Vec<BodyRow> = db
        .fetch_all(
            "SELECT id, name, kind, meeting_rules, paper_deadline_days, call_in_days, call_in_count
             FROM governance_bodies WHERE org_id = $1 ORDER BY id",
            args![org],
        )
        .await?;
    let dates: Vec<DateRow> = db
        .fetch_all(
            "SELECT d.body_id, d.meeting_date, d.kind FROM governance_meeting_dates d
             JOIN governance_bodies b ON b.id = d.body_id WHERE b.org_id = $1
             ORDER BY d.meeting_date",
            args![org],
        )
        .await?;
    let gates: Vec<GateRow> = db
        .fetch_all(
            "SELECT id, gate, body_id, min_pence, max_pence FROM governance_gates
             WHERE org_id = $1 ORDER BY gate, min_pence",
            args![org],
        )
        .await?;
    let blackouts: Vec<BlackoutRow> = db
        .fetch_all(
            "SELECT id, label, start_date, end_date, yearly FROM governance_blackouts
             WHERE org_id = $1 ORDER BY start_date",
            args![org],
        )
        .await?;
    let bodies = bodies
        .into_iter()
        .map(|b| {
            let on = |kind: &str| -> BTreeSet<NaiveDate> {
                dates
                    .iter()
                    .filter(|d| d.body_id == b.id && d.kind == kind)
                    .map(|d| d.meeting_date)
                    .collect()
            };
            ApprovalBody {
                id: b.id,
                name: b.name,
                kind: b.kind,
                calendar: MeetingCalendar {
                    // Rules were parsed before they were stored, in their canonical text; a
                    // line that no longer parses (hand-edited database) is left out rather than
                    // taking the page down.
                    rules: b
                        .meeting_rules
                        .lines()
                        .filter_map(|l| MeetingRule::parse(l).ok())
                        .collect(),
                    extra: on("extra"),
                    cancelled: on("cancelled"),
                },
                paper_deadline_days: days(b.paper_deadline_days),
                call_in: Period {
                    days: days(b.call_in_days),
                    count: b.call_in_count,
                },
            }
        })
        .collect();
    Ok(GovernanceProfile {
        org_slug: meta.org_slug.clone(),
        org_name: meta.org_name.clone(),
        bodies,
        gates: {
            // In the order a procurement meets them, then by value.
            let mut gates = gates;
            gates.sort_by_key(|g| (g.gate, g.min_pence));
            gates
        }
        .into_iter()
        .map(|g| GateRule {
            id: g.id,
            gate: g.gate,
            body_id: g.body_id,
            min_pence: g.min_pence,
            max_pence: g.max_pence,
        })
        .collect(),
        blackouts: blackouts
            .into_iter()
            .map(|b| Blackout {
                id: b.id,
                label: b.label,
                start: b.start_date,
                end: b.end_date,
                yearly: b.yearly,
            })
            .collect(),
        is_example: meta.is_example,
    })
}

/// Starts an empty profile for an organisation (no-op when it has one).
pub async fn create(
    db: &Db,
    org_id: i64,
    user_id: Option<i64>,
    visibility: Visibility,
) -> DbResult<()> {
    db.execute(
        "INSERT INTO governance_profiles (org_id, visibility, is_example, notes, updated_at, updated_by)
         VALUES ($1, $2, FALSE, '', $3, $4) ON CONFLICT (org_id) DO NOTHING",
        args![org_id, visibility, now(), user_id],
    )
    .await?;
    Ok(())
}

async fn touch(db: &Db, org_id: i64, user_id: i64) -> DbResult<()> {
    db.execute(
        "UPDATE governance_profiles SET updated_at = $1, updated_by = $2 WHERE org_id = $3",
        args![now(), user_id, org_id],
    )
    .await?;
    Ok(())
}

/// Who can see the profile, the note at its head, and whether it is still marked as an
/// example (the admin clears the mark once it reflects their real constitution).
pub async fn update_settings(
    db: &Db,
    org_id: i64,
    user_id: i64,
    visibility: Visibility,
    notes: &str,
    is_example: bool,
) -> DbResult<()> {
    db.execute(
        "UPDATE governance_profiles SET visibility = $1, notes = $2, is_example = $3, updated_at = $4, updated_by = $5
         WHERE org_id = $6",
        args![visibility, notes, is_example, now(), user_id, org_id],
    )
    .await?;
    Ok(())
}

/// A body as submitted, already validated.
#[derive(Debug, Clone)]
pub struct BodyDraft {
    pub name: String,
    pub kind: BodyKind,
    pub rules: Vec<MeetingRule>,
    pub extra: BTreeSet<NaiveDate>,
    pub cancelled: BTreeSet<NaiveDate>,
    pub paper_deadline_days: u32,
    pub call_in: Period,
}

impl BodyDraft {
    pub fn rules_text(&self) -> String {
        self.rules
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Adds (`id = None`) or replaces a body and its listed dates, all or nothing.
pub async fn save_body(
    db: &Db,
    org_id: i64,
    user_id: i64,
    id: Option<i64>,
    b: &BodyDraft,
) -> Result<Option<i64>, StoreError> {
    let mut tx = db.begin().await?;
    let rules = b.rules_text();
    let result = match id {
        None => {
            tx.scalar::<i64>(
                "INSERT INTO governance_bodies (org_id, name, kind, meeting_rules, paper_deadline_days, call_in_days, call_in_count)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                args![
                    org_id,
                    &b.name,
                    b.kind,
                    &rules,
                    b.paper_deadline_days,
                    b.call_in.days,
                    b.call_in.count
                ],
            )
            .await
        }
        Some(id) => tx
            .scalar::<i64>(
                "UPDATE governance_bodies SET name = $1, kind = $2, meeting_rules = $3, paper_deadline_days = $4,
                    call_in_days = $5, call_in_count = $6
                 WHERE id = $7 AND org_id = $8 RETURNING id",
                args![
                    &b.name,
                    b.kind,
                    &rules,
                    b.paper_deadline_days,
                    b.call_in.days,
                    b.call_in.count,
                    id,
                    org_id
                ],
            )
            .await,
    };
    let body_id = match result {
        Ok(Some(id)) => id,
        Ok(None) => return Ok(None),
        Err(e) if e.is_unique_violation() => return Err(StoreError::DuplicateBodyName),
        Err(e) => return Err(e.into()),
    };
    tx.execute(
        "DELETE FROM governance_meeting_dates WHERE body_id = $1",
        args![body_id],
    )
    .await?;
    for (kind, dates) in [("extra", &b.extra), ("cancelled", &b.cancelled)] {
        for d in dates {
            tx.execute(
                "INSERT INTO governance_meeting_dates (body_id, meeting_date, kind) VALUES ($1, $2, $3)",
                args![body_id, *d, kind],
            )
            .await?;
        }
    }
    tx.execute(
        "UPDATE governance_profiles SET updated_at = $1, updated_by = $2 WHERE org_id = $3",
        args![now(), user_id, org_id],
    )
    .await?;
    tx.commit().await?;
    Ok(Some(body_id))
}

/// Deletes a body that no gate uses. Returns false when there is no such body.
pub async fn delete_body(
    db: &Db,
    profile: &GovernanceProfile,
    org_id: i64,
    user_id: i64,
    id: i64,
) -> Result<bool, StoreError> {
    let users: Vec<String> = profile
        .gates
        .iter()
        .filter(|g| g.body_id == id)
        .map(|g| format!("{} ({})", g.gate.label(), g.value_band()))
        .collect();
    if !users.is_empty() {
        return Err(StoreError::BodyInUse(format!(
            "This body approves {}. Change or delete those gates first.",
            users.join(", ")
        )));
    }
    let n = db
        .execute(
            "DELETE FROM governance_bodies WHERE id = $1 AND org_id = $2",
            args![id, org_id],
        )
        .await?;
    touch(db, org_id, user_id).await?;
    Ok(n > 0)
}

pub async fn save_gate(db: &Db, org_id: i64, user_id: i64, g: &GateRule) -> DbResult<Option<i64>> {
    let id = if g.id == 0 {
        db.scalar::<i64>(
            "INSERT INTO governance_gates (org_id, gate, body_id, min_pence, max_pence)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            args![org_id, g.gate, g.body_id, g.min_pence, g.max_pence],
        )
        .await?
    } else {
        db.scalar::<i64>(
            "UPDATE governance_gates SET gate = $1, body_id = $2, min_pence = $3, max_pence = $4
             WHERE id = $5 AND org_id = $6 RETURNING id",
            args![g.gate, g.body_id, g.min_pence, g.max_pence, g.id, org_id],
        )
        .await?
    };
    touch(db, org_id, user_id).await?;
    Ok(id)
}

pub async fn delete_gate(db: &Db, org_id: i64, user_id: i64, id: i64) -> DbResult<bool> {
    let n = db
        .execute(
            "DELETE FROM governance_gates WHERE id = $1 AND org_id = $2",
            args![id, org_id],
        )
        .await?;
    touch(db, org_id, user_id).await?;
    Ok(n > 0)
}

pub async fn save_blackout(
    db: &Db,
    org_id: i64,
    user_id: i64,
    b: &Blackout,
) -> DbResult<Option<i64>> {
    let id = if b.id == 0 {
        db.scalar::<i64>(
            "INSERT INTO governance_blackouts (org_id, label, start_date, end_date, yearly)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            args![org_id, &b.label, b.start, b.end, b.yearly],
        )
        .await?
    } else {
        db.scalar::<i64>(
            "UPDATE governance_blackouts SET label = $1, start_date = $2, end_date = $3, yearly = $4
             WHERE id = $5 AND org_id = $6 RETURNING id",
            args![&b.label, b.start, b.end, b.yearly, b.id, org_id],
        )
        .await?
    };
    touch(db, org_id, user_id).await?;
    Ok(id)
}

pub async fn delete_blackout(db: &Db, org_id: i64, user_id: i64, id: i64) -> DbResult<bool> {
    let n = db
        .execute(
            "DELETE FROM governance_blackouts WHERE id = $1 AND org_id = $2",
            args![id, org_id],
        )
        .await?;
    touch(db, org_id, user_id).await?;
    Ok(n > 0)
}

const SEED_NOTE: &str = "Added by procurekit demo to show how governance profiles and the timeline planner work. Its bodies, thresholds and calendars are shaped like a London constitution but are made up.";

/// Seeds the example profiles for the demo boroughs that have no profile yet, shared with
/// London authorities and marked as examples. Idempotent; a borough's own profile is never
/// overwritten.
pub async fn seed_examples(db: &Db) -> DbResult<usize> {
    let mut seeded = 0;
    for p in super::examples::profiles() {
        let Some(org) = crate::accounts::store::find_organisation(db, &p.org_slug).await? else {
            continue;
        };
        let mut tx = db.begin().await?;
        let inserted = tx
            .execute(
                "INSERT INTO governance_profiles (org_id, visibility, is_example, notes, updated_at, updated_by)
                 VALUES ($1, 'london', TRUE, $2, $3, NULL) ON CONFLICT (org_id) DO NOTHING",
                args![org.id, SEED_NOTE, now()],
            )
            .await?;
        if inserted == 0 {
            continue;
        }
        let mut ids = Vec::new();
        for b in &p.bodies {
            let draft = BodyDraft {
                name: b.name.clone(),
                kind: b.kind,
                rules: b.calendar.rules.clone(),
                extra: b.calendar.extra.clone(),
                cancelled: b.calendar.cancelled.clone(),
                paper_deadline_days: b.paper_deadline_days,
                call_in: b.call_in,
            };
            let id = tx
                .scalar::<i64>(
                    "INSERT INTO governance_bodies (org_id, name, kind, meeting_rules, paper_deadline_days, call_in_days, call_in_count)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    args![
                        org.id,
                        &draft.name,
                        draft.kind,
                        draft.rules_text(),
                        draft.paper_deadline_days,
                        draft.call_in.days,
                        draft.call_in.count
                    ],
                )
                .await?
                .unwrap_or_default();
            for (kind, dates) in [("extra", &draft.extra), ("cancelled", &draft.cancelled)] {
                for d in dates {
                    tx.execute(
                        "INSERT INTO governance_meeting_dates (body_id, meeting_date, kind) VALUES ($1, $2, $3)",
                        args![id, *d, kind],
                    )
                    .await?;
                }
            }
            ids.push((b.id, id));
        }
        for g in &p.gates {
            let Some((_, body_id)) = ids.iter().find(|(example, _)| *example == g.body_id) else {
                continue;
            };
            tx.execute(
                "INSERT INTO governance_gates (org_id, gate, body_id, min_pence, max_pence) VALUES ($1, $2, $3, $4, $5)",
                args![org.id, g.gate, *body_id, g.min_pence, g.max_pence],
            )
            .await?;
        }
        for b in &p.blackouts {
            tx.execute(
                "INSERT INTO governance_blackouts (org_id, label, start_date, end_date, yearly) VALUES ($1, $2, $3, $4, $5)",
                args![org.id, &b.label, b.start, b.end, b.yearly],
            )
            .await?;
        }
        tx.commit().await?;
        seeded += 1;
    }
    Ok(seeded)
}

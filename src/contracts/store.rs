//! SQL for contracts and everything they carry. Every read of a contract goes through
//! [`Viewer::scope`]; the parts of a contract (KPIs, reviews, risks…) are only ever read
//! after their contract was found for the viewer, by the contract's id.

use chrono::{Months, NaiveDate};
use serde::Serialize;

use super::{
    ActionKind, ActionStatus, ContractSource, Direction, ExtensionStatus, Frequency, KpiDuty,
    KpiStatus, Rag, RiskStatus, SourceKind,
};
use crate::accounts::User;
use crate::args;
use crate::db::{Db, DbError, DbResult, Tx, now};
use crate::money::Pence;
use crate::suppliers::CompanyNumber;
use crate::visibility::{Viewer, Visibility};

#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the source record belongs to another organisation")]
    SourceNotYours,
    #[error("a joint procurement's contract belongs to the partner it is for")]
    PartnerMismatch,
    /// One source record makes one contract per organisation: here is the one it made.
    #[error("a contract already exists for this record")]
    AlreadyExists(i64),
    #[error(
        "Enter the supplier's name as the contract gives it (a company name, not a redacted or empty one)"
    )]
    NoSupplier,
    #[error("contracts can be shared with London authorities, not published")]
    PublicNotAllowed,
    #[error("there is already a measurement for that period")]
    DuplicatePeriod,
}

pub type ContractResult<T> = Result<T, ContractError>;

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Contract {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub org_short_name: String,
    pub org_gss_code: Option<String>,
    pub title: String,
    pub reference: String,
    pub description: String,
    pub supplier_id: i64,
    pub supplier_name: String,
    pub supplier_company_number: Option<String>,
    /// Whole-life value including VAT, in pence.
    pub value_pence: Option<i64>,
    pub start_date: Option<NaiveDate>,
    pub end_date: NaiveDate,
    /// The last date to give notice (to end the contract or not to renew it).
    pub notice_date: Option<NaiveDate>,
    pub owner_user_id: Option<i64>,
    pub owner_name: Option<String>,
    pub kpi_duty: KpiDuty,
    pub visibility: Visibility,
    pub source_kind: SourceKind,
    pub source_id: Option<i64>,
    pub updated_at: i64,
}

impl Contract {
    pub fn value(&self) -> Option<Pence> {
        self.value_pence.map(Pence)
    }

    pub fn value_text(&self) -> String {
        self.value()
            .map(Pence::display)
            .unwrap_or_else(|| "Not recorded".into())
    }

    pub fn url(&self) -> String {
        format!("/contracts/{}", self.id)
    }

    /// Where the record came from, as a link when procurekit has a page for it.
    pub fn source_link(&self) -> Option<String> {
        match (self.source_kind, self.source_id) {
            (SourceKind::Procurement, Some(id)) => Some(format!("/procurements/{id}")),
            _ => None,
        }
    }
}

pub fn date_text(d: &Option<NaiveDate>) -> String {
    d.map(crate::web::filters::long_date)
        .unwrap_or_else(|| "Not recorded".into())
}

const SELECT: &str = "SELECT c.id, c.org_id, o.name AS org_name, o.short_name AS org_short_name,
        o.gss_code AS org_gss_code, c.title, c.reference, c.description, c.supplier_id,
        s.name AS supplier_name, s.company_number AS supplier_company_number, c.value_pence,
        c.start_date, c.end_date, c.notice_date, c.owner_user_id, u.name AS owner_name,
        c.kpi_duty, c.visibility, c.source_kind, c.source_id, c.updated_at
    FROM contracts c
    JOIN organisations o ON o.id = c.org_id
    JOIN suppliers s ON s.id = c.supplier_id
    LEFT JOIN users u ON u.id = c.owner_user_id";

/// A contract's fields as an officer (or an import) sets them, already parsed and checked.
#[derive(Debug, Clone)]
pub struct ContractInput {
    pub title: String,
    pub reference: String,
    pub description: String,
    /// The supplier as the source names it; resolved against the shared supplier register.
    pub supplier_name: String,
    pub supplier_company_number: Option<CompanyNumber>,
    pub value: Option<Pence>,
    pub start_date: Option<NaiveDate>,
    pub end_date: NaiveDate,
    pub notice_date: Option<NaiveDate>,
    pub owner_user_id: Option<i64>,
    pub kpi_duty: KpiDuty,
    pub visibility: Visibility,
}

pub async fn log(
    tx: &mut Tx,
    contract_id: i64,
    user_id: Option<i64>,
    detail: &str,
) -> DbResult<()> {
    tx.execute(
        "INSERT INTO contract_activity (contract_id, at, user_id, detail) VALUES ($1, $2, $3, $4)",
        args![contract_id, now(), user_id, detail],
    )
    .await?;
    Ok(())
}

async fn resolve_supplier(tx: &mut Tx, input: &ContractInput) -> ContractResult<i64> {
    crate::suppliers::store::resolve(
        tx,
        &input.supplier_name,
        input.supplier_company_number.as_ref(),
        None,
    )
    .await?
    .map(|(id, _)| id)
    .ok_or(ContractError::NoSupplier)
}

/// Creates a contract for `org_id` from `source`, in one transaction, and returns its id.
///
/// This is the one way contracts are made, whatever they come from:
/// - [`ContractSource::Procurement`]: the procurement must belong to `org_id` (the page
///   prefills `input` from its award or contract details notice);
/// - [`ContractSource::JointPartner`]: call once per partner, with `org_id` the partner's
///   organisation (each partner manages its own contract);
/// - [`ContractSource::EstateRecord`]: a row of the estate's contracts register;
/// - [`ContractSource::Manual`]: typed in by an officer.
///
/// The source kind and id are stored, and one source record makes at most one contract per
/// organisation: a second call answers [`ContractError::AlreadyExists`] with the first
/// contract's id. The supplier is resolved against the shared register (company number first,
/// then name). `created_by` is the person who made it, if a person did.
///
/// For joint and estate sources, the caller checks the source record exists and that
/// `org_id` may use it: those tables live in their own capabilities.
pub async fn create_from(
    db: &Db,
    source: ContractSource,
    org_id: i64,
    created_by: Option<i64>,
    input: &ContractInput,
) -> ContractResult<i64> {
    if input.visibility == Visibility::Public {
        return Err(ContractError::PublicNotAllowed);
    }
    let mut tx = db.begin().await?;
    match source {
        ContractSource::Procurement(pid) => {
            let owner = tx
                .scalar::<i64>("SELECT org_id FROM procurements WHERE id = $1", args![pid])
                .await?;
            if owner != Some(org_id) {
                return Err(ContractError::SourceNotYours);
            }
        }
        ContractSource::JointPartner {
            org_id: partner, ..
        } if partner != org_id => {
            return Err(ContractError::PartnerMismatch);
        }
        _ => {}
    }
    if let Some(sid) = source.id()
        && let Some(existing) = tx
            .scalar::<i64>(
                "SELECT id FROM contracts WHERE source_kind = $1 AND source_id = $2 AND org_id = $3",
                args![source.kind(), sid, org_id],
            )
            .await?
    {
        return Err(ContractError::AlreadyExists(existing));
    }
    let supplier_id = resolve_supplier(&mut tx, input).await?;
    let t = now();
    let id = tx
        .scalar::<i64>(
            "INSERT INTO contracts (org_id, title, reference, description, supplier_id, value_pence,
                start_date, end_date, notice_date, owner_user_id, kpi_duty, visibility, source_kind,
                source_id, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
             RETURNING id",
            args![
                org_id,
                &input.title,
                &input.reference,
                &input.description,
                supplier_id,
                input.value.map(|p| p.0),
                input.start_date,
                input.end_date,
                input.notice_date,
                input.owner_user_id,
                input.kpi_duty,
                input.visibility,
                source.kind(),
                source.id(),
                created_by,
                t
            ],
        )
        .await?
        .unwrap_or_default();
    log(
        &mut tx,
        id,
        created_by,
        &format!("Created from {}", source.kind().label().to_lowercase()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// One contract, if the viewer may see it.
pub async fn get(db: &Db, viewer: &Viewer, id: i64) -> DbResult<Option<Contract>> {
    let scope = viewer.scope("c", 2);
    let mut a = args![id];
    a.extend(scope.args);
    db.fetch_optional(format!("{SELECT} WHERE c.id = $1 AND {}", scope.sql), a)
        .await
}

/// Every contract of an organisation, ending soonest first.
pub async fn list_for_org(db: &Db, org_id: i64) -> DbResult<Vec<Contract>> {
    db.fetch_all(
        format!("{SELECT} WHERE c.org_id = $1 ORDER BY c.end_date, c.id"),
        args![org_id],
    )
    .await
}

/// Other organisations' contracts the viewer may see (those shared with London).
pub async fn list_shared(db: &Db, viewer: &Viewer) -> DbResult<Vec<Contract>> {
    let scope = viewer.scope("c", 2);
    let mut a = args![viewer.org_id().unwrap_or(-1)];
    a.extend(scope.args);
    db.fetch_all(
        format!(
            "{SELECT} WHERE c.org_id <> $1 AND {} ORDER BY o.short_name, c.end_date",
            scope.sql
        ),
        a,
    )
    .await
}

/// The contracts the viewer may see with one supplier (or entries merged into it).
pub async fn list_for_supplier(
    db: &Db,
    viewer: &Viewer,
    supplier_id: i64,
) -> DbResult<Vec<Contract>> {
    let scope = viewer.scope("c", 2);
    let mut a = args![supplier_id];
    a.extend(scope.args);
    db.fetch_all(
        format!(
            "{SELECT} WHERE (s.id = $1 OR s.merged_into = $1) AND {} ORDER BY c.end_date",
            scope.sql
        ),
        a,
    )
    .await
}

/// The contract an organisation already made from a procurement, if any.
pub async fn for_procurement(db: &Db, org_id: i64, procurement_id: i64) -> DbResult<Option<i64>> {
    for_source(db, org_id, super::SourceKind::Procurement, procurement_id).await
}

/// The contract a partner made from a joint procurement, if any.
pub async fn for_joint(db: &Db, org_id: i64, joint_id: i64) -> DbResult<Option<i64>> {
    for_source(db, org_id, super::SourceKind::JointPartner, joint_id).await
}

/// The organisation's contract made from one of its estate register rows, if there is one.
pub async fn for_estate(db: &Db, org_id: i64, estate_id: i64) -> DbResult<Option<i64>> {
    for_source(db, org_id, super::SourceKind::EstateRecord, estate_id).await
}

/// The organisation's contract made from one source record: at most one (see `create_from`).
async fn for_source(
    db: &Db,
    org_id: i64,
    kind: super::SourceKind,
    source_id: i64,
) -> DbResult<Option<i64>> {
    db.scalar(
        "SELECT id FROM contracts WHERE source_kind = $1 AND source_id = $2 AND org_id = $3",
        args![kind, source_id, org_id],
    )
    .await
}

/// What changed, in words, for the activity log.
fn changes(before: &Contract, after: &ContractInput, supplier_id: i64) -> Vec<String> {
    let mut c = Vec::new();
    if before.title != after.title {
        c.push(format!("title to “{}”", after.title));
    }
    if before.reference != after.reference {
        c.push("reference".into());
    }
    if before.description != after.description {
        c.push("description".into());
    }
    if before.supplier_id != supplier_id {
        c.push(format!("supplier to {}", after.supplier_name));
    }
    if before.value_pence != after.value.map(|p| p.0) {
        c.push(format!(
            "value to {}",
            after
                .value
                .map(Pence::display)
                .unwrap_or_else(|| "not recorded".into())
        ));
    }
    if before.start_date != after.start_date || before.end_date != after.end_date {
        c.push("dates".into());
    }
    if before.notice_date != after.notice_date {
        c.push("notice date".into());
    }
    if before.owner_user_id != after.owner_user_id {
        c.push("owner".into());
    }
    if before.kpi_duty != after.kpi_duty {
        c.push("Procurement Act duties".into());
    }
    if before.visibility != after.visibility {
        c.push(format!(
            "visibility to {}",
            after.visibility.label().to_lowercase()
        ));
    }
    c
}

pub async fn update(
    db: &Db,
    user: &User,
    before: &Contract,
    input: &ContractInput,
) -> ContractResult<()> {
    if input.visibility == Visibility::Public {
        return Err(ContractError::PublicNotAllowed);
    }
    let mut tx = db.begin().await?;
    let supplier_id = resolve_supplier(&mut tx, input).await?;
    let changed = changes(before, input, supplier_id);
    if changed.is_empty() {
        return Ok(());
    }
    tx.execute(
        "UPDATE contracts SET title = $1, reference = $2, description = $3, supplier_id = $4,
            value_pence = $5, start_date = $6, end_date = $7, notice_date = $8, owner_user_id = $9,
            kpi_duty = $10, visibility = $11, updated_at = $12
         WHERE id = $13 AND org_id = $14",
        args![
            &input.title,
            &input.reference,
            &input.description,
            supplier_id,
            input.value.map(|p| p.0),
            input.start_date,
            input.end_date,
            input.notice_date,
            input.owner_user_id,
            input.kpi_duty,
            input.visibility,
            now(),
            before.id,
            user.org_id
        ],
    )
    .await?;
    log(
        &mut tx,
        before.id,
        Some(user.id),
        &format!("Changed {}", changed.join(", ")),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn touch(tx: &mut Tx, contract_id: i64) -> DbResult<()> {
    tx.execute(
        "UPDATE contracts SET updated_at = $1 WHERE id = $2",
        args![now(), contract_id],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Activity {
    pub at: i64,
    pub user_name: Option<String>,
    pub detail: String,
}

impl Activity {
    pub fn when(&self) -> String {
        crate::web::filters::date_time(self.at)
    }
}

pub async fn activity(db: &Db, contract_id: i64) -> DbResult<Vec<Activity>> {
    db.fetch_all(
        "SELECT a.at, u.name AS user_name, a.detail FROM contract_activity a
         LEFT JOIN users u ON u.id = a.user_id WHERE a.contract_id = $1 ORDER BY a.id DESC LIMIT 50",
        args![contract_id],
    )
    .await
}

// ---- Extension options ----

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Extension {
    pub id: i64,
    pub months: i64,
    pub decide_by: NaiveDate,
    pub status: ExtensionStatus,
}

pub async fn extensions(db: &Db, contract_id: i64) -> DbResult<Vec<Extension>> {
    db.fetch_all(
        "SELECT id, months, decide_by, status FROM contract_extensions WHERE contract_id = $1 ORDER BY decide_by, id",
        args![contract_id],
    )
    .await
}

pub async fn add_extension(
    db: &Db,
    user: &User,
    c: &Contract,
    months: i64,
    decide_by: NaiveDate,
) -> DbResult<()> {
    let mut tx = db.begin().await?;
    tx.execute(
        "INSERT INTO contract_extensions (contract_id, months, decide_by, status) VALUES ($1, $2, $3, 'available')",
        args![c.id, months, decide_by],
    )
    .await?;
    log(
        &mut tx,
        c.id,
        Some(user.id),
        &format!(
            "Added an option to extend by {months} months (decide by {})",
            crate::web::filters::long_date(decide_by)
        ),
    )
    .await?;
    touch(&mut tx, c.id).await?;
    tx.commit().await
}

/// Records the decision on an extension option. Using it moves the end date (and the notice
/// date, which is tied to the end) on by the option's length.
pub async fn decide_extension(
    db: &Db,
    user: &User,
    c: &Contract,
    ext: &Extension,
    used: bool,
) -> DbResult<()> {
    let mut tx = db.begin().await?;
    let status = if used {
        ExtensionStatus::Used
    } else {
        ExtensionStatus::Declined
    };
    let changed = tx
        .execute(
            "UPDATE contract_extensions SET status = $1, decided_at = $2, decided_by = $3
             WHERE id = $4 AND contract_id = $5 AND status = 'available'",
            args![status, now(), user.id, ext.id, c.id],
        )
        .await?;
    if changed == 0 {
        // Decided already (another tab, another person): nothing more to do.
        return Ok(());
    }
    let months = Months::new(u32::try_from(ext.months).unwrap_or(0));
    if used {
        let end = c.end_date.checked_add_months(months).unwrap_or(c.end_date);
        let notice = c.notice_date.and_then(|d| d.checked_add_months(months));
        tx.execute(
            "UPDATE contracts SET end_date = $1, notice_date = $2, updated_at = $3 WHERE id = $4",
            args![end, notice, now(), c.id],
        )
        .await?;
        log(
            &mut tx,
            c.id,
            Some(user.id),
            &format!(
                "Used the option to extend by {} months: the contract now ends on {}",
                ext.months,
                crate::web::filters::long_date(end)
            ),
        )
        .await?;
    } else {
        log(
            &mut tx,
            c.id,
            Some(user.id),
            &format!(
                "Decided not to use the option to extend by {} months",
                ext.months
            ),
        )
        .await?;
        touch(&mut tx, c.id).await?;
    }
    tx.commit().await
}

// ---- KPIs and measurements ----

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Kpi {
    pub id: i64,
    pub contract_id: i64,
    pub name: String,
    pub definition: String,
    pub unit: String,
    pub target: f64,
    pub direction: Direction,
    pub approaching_threshold: Option<f64>,
    pub frequency: Frequency,
    pub latest_value: Option<f64>,
    pub latest_period_end: Option<NaiveDate>,
    pub measurement_count: i64,
}

impl Kpi {
    pub fn status(&self) -> KpiStatus {
        KpiStatus::of(
            self.latest_value,
            self.target,
            self.direction,
            self.approaching_threshold,
        )
    }

    /// "At least 95 %" / "At most 5 days".
    pub fn target_text(&self) -> String {
        let word = match self.direction {
            Direction::Higher => "At least",
            Direction::Lower => "At most",
        };
        format!("{word} {}", self.with_unit(self.target))
    }

    pub fn with_unit(&self, v: f64) -> String {
        let n = super::number_text(v);
        match self.unit.as_str() {
            "%" => format!("{n}%"),
            "" => n,
            u => format!("{n} {u}"),
        }
    }

    /// [`Kpi::with_unit`] for templates, which pass references.
    pub fn unit_text(&self, v: &f64) -> String {
        self.with_unit(*v)
    }

    pub fn latest_text(&self) -> String {
        match (self.latest_value, self.latest_period_end) {
            (Some(v), Some(end)) => format!(
                "{} ({})",
                self.with_unit(v),
                self.frequency.period_phrase(&end)
            ),
            _ => "No measurement yet".into(),
        }
    }
}

const KPI_SELECT: &str = "SELECT k.id, k.contract_id, k.name, k.definition, k.unit, k.target,
        k.direction, k.approaching_threshold, k.frequency,
        m.value AS latest_value, m.period_end AS latest_period_end,
        (SELECT COUNT(*) FROM kpi_measurements x WHERE x.kpi_id = k.id) AS measurement_count
    FROM contract_kpis k
    LEFT JOIN kpi_measurements m ON m.id = (
        SELECT m2.id FROM kpi_measurements m2 WHERE m2.kpi_id = k.id
        ORDER BY m2.period_end DESC, m2.id DESC LIMIT 1)";

pub async fn kpis(db: &Db, contract_id: i64) -> DbResult<Vec<Kpi>> {
    db.fetch_all(
        format!("{KPI_SELECT} WHERE k.contract_id = $1 ORDER BY k.position, k.id"),
        args![contract_id],
    )
    .await
}

/// The KPIs of all of an organisation's contracts, for the dashboard.
pub async fn kpis_for_org(db: &Db, org_id: i64) -> DbResult<Vec<Kpi>> {
    db.fetch_all(
        format!(
            "{KPI_SELECT} JOIN contracts c ON c.id = k.contract_id WHERE c.org_id = $1 ORDER BY k.contract_id, k.position"
        ),
        args![org_id],
    )
    .await
}

pub async fn kpi(db: &Db, contract_id: i64, kpi_id: i64) -> DbResult<Option<Kpi>> {
    db.fetch_optional(
        format!("{KPI_SELECT} WHERE k.contract_id = $1 AND k.id = $2"),
        args![contract_id, kpi_id],
    )
    .await
}

#[derive(Debug, Clone)]
pub struct KpiInput {
    pub name: String,
    pub definition: String,
    pub unit: String,
    pub target: f64,
    pub direction: Direction,
    pub approaching_threshold: Option<f64>,
    pub frequency: Frequency,
}

pub async fn add_kpi(db: &Db, user: &User, c: &Contract, k: &KpiInput) -> DbResult<i64> {
    let mut tx = db.begin().await?;
    let position = tx
        .scalar::<Option<i64>>(
            "SELECT MAX(position) FROM contract_kpis WHERE contract_id = $1",
            args![c.id],
        )
        .await?
        .flatten()
        .unwrap_or(0)
        + 1;
    let id = tx
        .scalar::<i64>(
            "INSERT INTO contract_kpis (contract_id, name, definition, unit, target, direction,
                approaching_threshold, frequency, position, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            args![
                c.id,
                &k.name,
                &k.definition,
                &k.unit,
                k.target,
                k.direction,
                k.approaching_threshold,
                k.frequency,
                position,
                now()
            ],
        )
        .await?
        .unwrap_or_default();
    log(
        &mut tx,
        c.id,
        Some(user.id),
        &format!("Added the KPI “{}”", k.name),
    )
    .await?;
    touch(&mut tx, c.id).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_kpi(
    db: &Db,
    user: &User,
    c: &Contract,
    kpi: &Kpi,
    k: &KpiInput,
) -> DbResult<()> {
    let mut tx = db.begin().await?;
    tx.execute(
        "UPDATE contract_kpis SET name = $1, definition = $2, unit = $3, target = $4, direction = $5,
            approaching_threshold = $6, frequency = $7
         WHERE id = $8 AND contract_id = $9",
        args![
            &k.name,
            &k.definition,
            &k.unit,
            k.target,
            k.direction,
            k.approaching_threshold,
            k.frequency,
            kpi.id,
            c.id
        ],
    )
    .await?;
    log(
        &mut tx,
        c.id,
        Some(user.id),
        &format!("Changed the KPI “{}”", k.name),
    )
    .await?;
    touch(&mut tx, c.id).await?;
    tx.commit().await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Measurement {
    pub id: i64,
    pub period_end: NaiveDate,
    pub value: f64,
    pub note: String,
    pub recorded_by: Option<String>,
}

pub async fn measurements(db: &Db, kpi_id: i64) -> DbResult<Vec<Measurement>> {
    db.fetch_all(
        "SELECT m.id, m.period_end, m.value, m.note, u.name AS recorded_by
         FROM kpi_measurements m LEFT JOIN users u ON u.id = m.recorded_by
         WHERE m.kpi_id = $1 ORDER BY m.period_end DESC, m.id DESC",
        args![kpi_id],
    )
    .await
}

#[derive(Debug, Clone)]
pub struct MeasurementInput {
    pub period_end: NaiveDate,
    pub value: f64,
    pub note: String,
}

pub async fn add_measurement(
    db: &Db,
    user: &User,
    c: &Contract,
    kpi: &Kpi,
    m: &MeasurementInput,
) -> ContractResult<i64> {
    let mut tx = db.begin().await?;
    let exists = tx
        .scalar::<i64>(
            "SELECT id FROM kpi_measurements WHERE kpi_id = $1 AND period_end = $2",
            args![kpi.id, m.period_end],
        )
        .await?;
    if exists.is_some() {
        return Err(ContractError::DuplicatePeriod);
    }
    let id = tx
        .scalar::<i64>(
            "INSERT INTO kpi_measurements (kpi_id, period_end, value, note, recorded_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            args![kpi.id, m.period_end, m.value, &m.note, user.id, now()],
        )
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                ContractError::DuplicatePeriod
            } else {
                e.into()
            }
        })?
        .unwrap_or_default();
    log(
        &mut tx,
        c.id,
        Some(user.id),
        &format!(
            "Recorded {} for “{}” ({})",
            kpi.with_unit(m.value),
            kpi.name,
            kpi.frequency.period_phrase(&m.period_end)
        ),
    )
    .await?;
    touch(&mut tx, c.id).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn delete_measurement(
    db: &Db,
    user: &User,
    c: &Contract,
    kpi: &Kpi,
    measurement_id: i64,
) -> DbResult<bool> {
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            "DELETE FROM kpi_measurements WHERE id = $1 AND kpi_id = $2",
            args![measurement_id, kpi.id],
        )
        .await?;
    if n > 0 {
        log(
            &mut tx,
            c.id,
            Some(user.id),
            &format!("Deleted a measurement of “{}”", kpi.name),
        )
        .await?;
        touch(&mut tx, c.id).await?;
    }
    tx.commit().await?;
    Ok(n > 0)
}

// ---- Review meetings ----

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Review {
    pub id: i64,
    pub held_on: NaiveDate,
    pub attendees: String,
    pub minutes: String,
    pub recorded_by: Option<String>,
    /// Whether the borough has rated the supplier after this review.
    pub rated: bool,
}

const REVIEW_SELECT: &str = "SELECT r.id, r.held_on, r.attendees, r.minutes, u.name AS recorded_by,
        EXISTS (SELECT 1 FROM supplier_ratings sr WHERE sr.review_id = r.id) AS rated
    FROM contract_reviews r LEFT JOIN users u ON u.id = r.created_by";

pub async fn reviews(db: &Db, contract_id: i64) -> DbResult<Vec<Review>> {
    db.fetch_all(
        format!("{REVIEW_SELECT} WHERE r.contract_id = $1 ORDER BY r.held_on DESC, r.id DESC"),
        args![contract_id],
    )
    .await
}

pub async fn review(db: &Db, contract_id: i64, review_id: i64) -> DbResult<Option<Review>> {
    db.fetch_optional(
        format!("{REVIEW_SELECT} WHERE r.contract_id = $1 AND r.id = $2"),
        args![contract_id, review_id],
    )
    .await
}

#[derive(Debug, Clone)]
pub struct ReviewInput {
    pub held_on: NaiveDate,
    pub attendees: String,
    pub minutes: String,
}

pub async fn add_review(db: &Db, user: &User, c: &Contract, r: &ReviewInput) -> DbResult<i64> {
    let mut tx = db.begin().await?;
    let id = tx
        .scalar::<i64>(
            "INSERT INTO contract_reviews (contract_id, held_on, attendees, minutes, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            args![c.id, r.held_on, &r.attendees, &r.minutes, user.id, now()],
        )
        .await?
        .unwrap_or_default();
    log(
        &mut tx,
        c.id,
        Some(user.id),
        &format!(
            "Recorded the review meeting of {}",
            crate::web::filters::long_date(r.held_on)
        ),
    )
    .await?;
    touch(&mut tx, c.id).await?;
    tx.commit().await?;
    Ok(id)
}

// ---- Actions and the continuous-improvement plan ----

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Action {
    pub id: i64,
    pub contract_id: i64,
    pub kind: ActionKind,
    pub review_id: Option<i64>,
    pub description: String,
    pub benefit: String,
    pub owner_user_id: Option<i64>,
    pub owner_name: Option<String>,
    pub owner_is_supplier: bool,
    pub due_on: NaiveDate,
    pub status: ActionStatus,
}

impl Action {
    pub fn owner_text(&self) -> String {
        match (&self.owner_name, self.owner_is_supplier) {
            (Some(n), _) => n.clone(),
            (None, true) => "The supplier".into(),
            (None, false) => "Not assigned".into(),
        }
    }

    pub fn is_overdue(&self, today: &NaiveDate) -> bool {
        !self.status.is_finished() && self.due_on < *today
    }
}

const ACTION_SELECT: &str = "SELECT a.id, a.contract_id, a.kind, a.review_id, a.description,
        a.benefit, a.owner_user_id, u.name AS owner_name, a.owner_is_supplier, a.due_on, a.status
    FROM contract_actions a LEFT JOIN users u ON u.id = a.owner_user_id";

pub async fn actions(db: &Db, contract_id: i64, kind: ActionKind) -> DbResult<Vec<Action>> {
    db.fetch_all(
        format!("{ACTION_SELECT} WHERE a.contract_id = $1 AND a.kind = $2 ORDER BY a.due_on, a.id"),
        args![contract_id, kind],
    )
    .await
}

pub async fn actions_of_review(db: &Db, contract_id: i64, review_id: i64) -> DbResult<Vec<Action>> {
    db.fetch_all(
        format!(
            "{ACTION_SELECT} WHERE a.contract_id = $1 AND a.review_id = $2 ORDER BY a.due_on, a.id"
        ),
        args![contract_id, review_id],
    )
    .await
}

/// Unfinished work past its due date across an organisation's contracts.
pub async fn overdue_for_org(db: &Db, org_id: i64, today: NaiveDate) -> DbResult<Vec<Action>> {
    db.fetch_all(
        format!(
            "{ACTION_SELECT} JOIN contracts c ON c.id = a.contract_id
             WHERE c.org_id = $1 AND a.due_on < $2 AND a.status IN ('open', 'in_progress')
             ORDER BY a.due_on, a.id"
        ),
        args![org_id, today],
    )
    .await
}

/// Who owns a piece of work: someone in the borough, the supplier, or nobody yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Nobody,
    Person(i64),
    Supplier,
}

#[derive(Debug, Clone)]
pub struct ActionInput {
    pub kind: ActionKind,
    pub review_id: Option<i64>,
    pub description: String,
    pub benefit: String,
    pub owner: Owner,
    pub due_on: NaiveDate,
}

pub async fn add_action(db: &Db, user: &User, c: &Contract, a: &ActionInput) -> DbResult<i64> {
    let (owner_id, is_supplier) = match a.owner {
        Owner::Nobody => (None, false),
        Owner::Person(id) => (Some(id), false),
        Owner::Supplier => (None, true),
    };
    let mut tx = db.begin().await?;
    let t = now();
    let id = tx
        .scalar::<i64>(
            "INSERT INTO contract_actions (contract_id, kind, review_id, description, benefit,
                owner_user_id, owner_is_supplier, due_on, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $9) RETURNING id",
            args![
                c.id,
                a.kind,
                a.review_id,
                &a.description,
                &a.benefit,
                owner_id,
                is_supplier,
                a.due_on,
                t
            ],
        )
        .await?
        .unwrap_or_default();
    let what = match a.kind {
        ActionKind::Action => "an action",
        ActionKind::Improvement => "an improvement to the plan",
    };
    log(
        &mut tx,
        c.id,
        Some(user.id),
        &format!("Added {what}: “{}”", short(&a.description)),
    )
    .await?;
    touch(&mut tx, c.id).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn action(db: &Db, contract_id: i64, action_id: i64) -> DbResult<Option<Action>> {
    db.fetch_optional(
        format!("{ACTION_SELECT} WHERE a.contract_id = $1 AND a.id = $2"),
        args![contract_id, action_id],
    )
    .await
}

pub async fn set_action_status(
    db: &Db,
    user: &User,
    c: &Contract,
    a: &Action,
    status: ActionStatus,
) -> DbResult<()> {
    if a.status == status {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    tx.execute(
        "UPDATE contract_actions SET status = $1, updated_at = $2 WHERE id = $3 AND contract_id = $4",
        args![status, now(), a.id, c.id],
    )
    .await?;
    log(
        &mut tx,
        c.id,
        Some(user.id),
        &format!(
            "Marked “{}” {}",
            short(&a.description),
            status.label().to_lowercase()
        ),
    )
    .await?;
    touch(&mut tx, c.id).await?;
    tx.commit().await
}

/// The first words of a long text, for the activity log.
fn short(s: &str) -> String {
    let mut out: String = s.chars().take(80).collect();
    if s.chars().count() > 80 {
        out.push('…');
    }
    out
}

// ---- Risks ----

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Risk {
    pub id: i64,
    pub contract_id: i64,
    pub description: String,
    pub rag: Rag,
    pub mitigation: String,
    pub owner_user_id: Option<i64>,
    pub owner_name: Option<String>,
    pub status: RiskStatus,
}

const RISK_SELECT: &str = "SELECT r.id, r.contract_id, r.description, r.rag, r.mitigation,
        r.owner_user_id, u.name AS owner_name, r.status
    FROM contract_risks r LEFT JOIN users u ON u.id = r.owner_user_id";

pub async fn risks(db: &Db, contract_id: i64) -> DbResult<Vec<Risk>> {
    // Open risks first, worst first.
    db.fetch_all(
        format!(
            "{RISK_SELECT} WHERE r.contract_id = $1
             ORDER BY CASE r.status WHEN 'open' THEN 0 ELSE 1 END,
                      CASE r.rag WHEN 'red' THEN 0 WHEN 'amber' THEN 1 ELSE 2 END, r.id"
        ),
        args![contract_id],
    )
    .await
}

pub async fn red_risks_for_org(db: &Db, org_id: i64) -> DbResult<Vec<Risk>> {
    db.fetch_all(
        format!(
            "{RISK_SELECT} JOIN contracts c ON c.id = r.contract_id
             WHERE c.org_id = $1 AND r.rag = 'red' AND r.status = 'open' ORDER BY r.contract_id, r.id"
        ),
        args![org_id],
    )
    .await
}

pub async fn risk(db: &Db, contract_id: i64, risk_id: i64) -> DbResult<Option<Risk>> {
    db.fetch_optional(
        format!("{RISK_SELECT} WHERE r.contract_id = $1 AND r.id = $2"),
        args![contract_id, risk_id],
    )
    .await
}

#[derive(Debug, Clone)]
pub struct RiskInput {
    pub description: String,
    pub rag: Rag,
    pub mitigation: String,
    pub owner_user_id: Option<i64>,
}

pub async fn add_risk(db: &Db, user: &User, c: &Contract, r: &RiskInput) -> DbResult<i64> {
    let mut tx = db.begin().await?;
    let t = now();
    let id = tx
        .scalar::<i64>(
            "INSERT INTO contract_risks (contract_id, description, rag, mitigation, owner_user_id, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'open', $6, $6) RETURNING id",
            args![c.id, &r.description, r.rag, &r.mitigation, r.owner_user_id, t],
        )
        .await?
        .unwrap_or_default();
    log(
        &mut tx,
        c.id,
        Some(user.id),
        &format!(
            "Added a {} risk: “{}”",
            r.rag.label().to_lowercase(),
            short(&r.description)
        ),
    )
    .await?;
    touch(&mut tx, c.id).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_risk(
    db: &Db,
    user: &User,
    c: &Contract,
    r: &Risk,
    rag: Rag,
    status: RiskStatus,
) -> DbResult<()> {
    if r.rag == rag && r.status == status {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    tx.execute(
        "UPDATE contract_risks SET rag = $1, status = $2, updated_at = $3 WHERE id = $4 AND contract_id = $5",
        args![rag, status, now(), r.id, c.id],
    )
    .await?;
    log(
        &mut tx,
        c.id,
        Some(user.id),
        &format!(
            "Risk “{}” is now {} and {}",
            short(&r.description),
            rag.label().to_lowercase(),
            status.label().to_lowercase()
        ),
    )
    .await?;
    touch(&mut tx, c.id).await?;
    tx.commit().await
}

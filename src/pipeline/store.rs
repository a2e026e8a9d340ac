//! SQL for procurements, their checklists, activity and notices.

use chrono::NaiveDate;
use serde::Serialize;

use super::{ItemStatus, Procedure, Stage, Status};
use crate::accounts::User;
use crate::args;
use crate::cpv::CpvCode;
use crate::db::{Arg, Db, DbResult, Tx, now};
use crate::guide::Content;
use crate::money::Pence;
use crate::visibility::{Viewer, Visibility};

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Procurement {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub org_short_name: String,
    pub title: String,
    pub need: String,
    pub cpv_code: String,
    pub estimated_value_pence: Option<i64>,
    pub incumbent: String,
    pub incumbent_end_date: Option<NaiveDate>,
    pub owner_user_id: Option<i64>,
    pub owner_name: Option<String>,
    pub team: String,
    pub stage: Stage,
    pub status: Status,
    pub procedure_kind: Procedure,
    pub expected_tender_date: Option<NaiveDate>,
    pub expected_start_date: Option<NaiveDate>,
    pub contract_months: Option<i64>,
    pub sme_suitable: bool,
    pub visibility: Visibility,
    pub published_at: Option<i64>,
    pub updated_at: i64,
}

impl Procurement {
    pub fn cpv(&self) -> Option<CpvCode> {
        CpvCode::parse(&self.cpv_code).ok()
    }

    pub fn cpv_full(&self) -> String {
        self.cpv()
            .map(|c| c.full())
            .unwrap_or_else(|| self.cpv_code.clone())
    }

    pub fn cpv_label(&self) -> &'static str {
        self.cpv().map(|c| c.label()).unwrap_or("")
    }

    pub fn value(&self) -> Option<Pence> {
        self.estimated_value_pence.map(Pence)
    }

    pub fn value_text(&self) -> String {
        self.value()
            .map(Pence::display)
            .unwrap_or_else(|| "Not given".into())
    }

    /// When the contract would end: start plus length, when both are known.
    pub fn expected_end_date(&self) -> Option<NaiveDate> {
        let start = self.expected_start_date?;
        let months = u32::try_from(self.contract_months?).ok()?;
        start.checked_add_months(chrono::Months::new(months))
    }

    pub fn date_text(d: &Option<NaiveDate>) -> String {
        d.map(crate::web::filters::long_date)
            .unwrap_or_else(|| "Not given".into())
    }

    pub fn url(&self) -> String {
        format!("/procurements/{}", self.id)
    }
}

pub const SELECT: &str =
    "SELECT p.id, p.org_id, o.name AS org_name, o.short_name AS org_short_name,
        p.title, p.need, p.cpv_code, p.estimated_value_pence, p.incumbent, p.incumbent_end_date,
        p.owner_user_id, u.name AS owner_name, p.team, p.stage, p.status, p.procedure_kind,
        p.expected_tender_date, p.expected_start_date, p.contract_months, p.sme_suitable,
        p.visibility, p.published_at, p.updated_at
    FROM procurements p
    JOIN organisations o ON o.id = p.org_id
    LEFT JOIN users u ON u.id = p.owner_user_id";

/// A procurement's fields as an officer sets them, already parsed and checked.
#[derive(Debug, Clone)]
pub struct ProcurementInput {
    pub title: String,
    pub need: String,
    pub cpv: CpvCode,
    pub value: Option<Pence>,
    pub incumbent: String,
    pub incumbent_end_date: Option<NaiveDate>,
    pub owner_user_id: Option<i64>,
    pub team: String,
    pub procedure: Procedure,
    pub expected_tender_date: Option<NaiveDate>,
    pub expected_start_date: Option<NaiveDate>,
    pub contract_months: Option<i64>,
    pub sme_suitable: bool,
    pub visibility: Visibility,
}

pub async fn log(
    tx: &mut Tx,
    procurement_id: i64,
    user: &User,
    action: &str,
    detail: &str,
) -> DbResult<()> {
    tx.execute(
        "INSERT INTO procurement_activity (procurement_id, at, user_id, action, detail) VALUES ($1, $2, $3, $4, $5)",
        args![procurement_id, now(), user.id, action, detail],
    )
    .await?;
    Ok(())
}

/// Creates a procurement in the creator's organisation, with a checklist item for every guide
/// page of every stage, in one transaction.
pub async fn create(
    db: &Db,
    content: &Content,
    user: &User,
    input: &ProcurementInput,
) -> DbResult<i64> {
    let mut tx = db.begin().await?;
    let t = now();
    let published = (input.visibility != Visibility::Private).then_some(t);
    let id = tx
        .scalar::<i64>(
            "INSERT INTO procurements (org_id, title, need, cpv_code, cpv_division, cpv_group,
                estimated_value_pence, incumbent, incumbent_end_date, owner_user_id, team, stage,
                status, procedure_kind, expected_tender_date, expected_start_date, contract_months,
                sme_suitable, visibility, published_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'preparation', 'planned', $12,
                $13, $14, $15, $16, $17, $18, $19, $19) RETURNING id",
            args![
                user.org_id,
                &input.title,
                &input.need,
                input.cpv.digits(),
                input.cpv.division(),
                input.cpv.group(),
                input.value.map(|p| p.0),
                &input.incumbent,
                input.incumbent_end_date,
                input.owner_user_id,
                &input.team,
                input.procedure,
                input.expected_tender_date,
                input.expected_start_date,
                input.contract_months,
                input.sme_suitable,
                input.visibility,
                published,
                t
            ],
        )
        .await?
        .unwrap_or_default();
    let mut position = 0i64;
    for stage in Stage::ALL {
        for page in content.pages_in(stage.section()) {
            position += 1;
            tx.execute(
                "INSERT INTO checklist_items (procurement_id, stage, guide_slug, title, position, status)
                 VALUES ($1, $2, $3, $4, $5, 'todo')",
                args![id, stage, &page.slug, &page.title, position],
            )
            .await?;
        }
    }
    log(
        &mut tx,
        id,
        user,
        "created",
        &format!("Created “{}”", input.title),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// One procurement, if the viewer may see it.
pub async fn get(db: &Db, viewer: &Viewer, id: i64) -> DbResult<Option<Procurement>> {
    let scope = viewer.scope("p", 2);
    let mut a = args![id];
    a.extend(scope.args);
    db.fetch_optional(format!("{SELECT} WHERE p.id = $1 AND {}", scope.sql), a)
        .await
}

/// One procurement the user's organisation owns (for changes); `None` otherwise.
pub async fn get_own(db: &Db, user: &User, id: i64) -> DbResult<Option<Procurement>> {
    db.fetch_optional(
        format!("{SELECT} WHERE p.id = $1 AND p.org_id = $2"),
        args![id, user.org_id],
    )
    .await
}

pub async fn list_for_org(db: &Db, org_id: i64) -> DbResult<Vec<Procurement>> {
    db.fetch_all(
        format!("{SELECT} WHERE p.org_id = $1 ORDER BY p.updated_at DESC"),
        args![org_id],
    )
    .await
}

/// What changed between two versions, in words, for the activity log.
fn changes(before: &Procurement, after: &ProcurementInput) -> Vec<String> {
    let mut c = Vec::new();
    if before.title != after.title {
        c.push(format!("title to “{}”", after.title));
    }
    if before.need != after.need {
        c.push("the need".into());
    }
    if before.cpv_code != after.cpv.digits() {
        c.push(format!("CPV to {}", after.cpv.full()));
    }
    if before.estimated_value_pence != after.value.map(|p| p.0) {
        c.push(format!(
            "estimated value to {}",
            after
                .value
                .map(Pence::display)
                .unwrap_or_else(|| "not given".into())
        ));
    }
    if before.procedure_kind != after.procedure {
        c.push(format!("procedure to {}", after.procedure.label()));
    }
    if before.expected_tender_date != after.expected_tender_date {
        c.push("expected tender date".into());
    }
    if before.expected_start_date != after.expected_start_date
        || before.contract_months != after.contract_months
    {
        c.push("expected contract dates".into());
    }
    if before.incumbent != after.incumbent || before.incumbent_end_date != after.incumbent_end_date
    {
        c.push("incumbent contract".into());
    }
    if before.owner_user_id != after.owner_user_id || before.team != after.team {
        c.push("owner or team".into());
    }
    if before.sme_suitable != after.sme_suitable {
        c.push(
            if after.sme_suitable {
                "marked suitable for SMEs"
            } else {
                "no longer marked suitable for SMEs"
            }
            .into(),
        );
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
    before: &Procurement,
    input: &ProcurementInput,
) -> DbResult<()> {
    let changed = changes(before, input);
    if changed.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    let t = now();
    // First publication is remembered: the board sorts and alerts by it.
    let published = match (before.published_at, input.visibility) {
        (Some(p), _) => Some(p),
        (None, Visibility::Private) => None,
        (None, _) => Some(t),
    };
    tx.execute(
        "UPDATE procurements SET title = $1, need = $2, cpv_code = $3, cpv_division = $4, cpv_group = $5,
            estimated_value_pence = $6, incumbent = $7, incumbent_end_date = $8, owner_user_id = $9,
            team = $10, procedure_kind = $11, expected_tender_date = $12, expected_start_date = $13,
            contract_months = $14, sme_suitable = $15, visibility = $16, published_at = $17, updated_at = $18
         WHERE id = $19 AND org_id = $20",
        args![
            &input.title,
            &input.need,
            input.cpv.digits(),
            input.cpv.division(),
            input.cpv.group(),
            input.value.map(|p| p.0),
            &input.incumbent,
            input.incumbent_end_date,
            input.owner_user_id,
            &input.team,
            input.procedure,
            input.expected_tender_date,
            input.expected_start_date,
            input.contract_months,
            input.sme_suitable,
            input.visibility,
            published,
            t,
            before.id,
            user.org_id
        ],
    )
    .await?;
    log(
        &mut tx,
        before.id,
        user,
        "edited",
        &format!("Changed {}", changed.join(", ")),
    )
    .await?;
    tx.commit().await
}

pub async fn set_stage(db: &Db, user: &User, p: &Procurement, stage: Stage) -> DbResult<()> {
    let mut tx = db.begin().await?;
    tx.execute(
        "UPDATE procurements SET stage = $1, updated_at = $2 WHERE id = $3 AND org_id = $4",
        args![stage, now(), p.id, user.org_id],
    )
    .await?;
    let verb = if stage > p.stage {
        "Moved on"
    } else {
        "Moved back"
    };
    log(
        &mut tx,
        p.id,
        user,
        "stage",
        &format!("{verb} from {} to {}", p.stage.title(), stage.title()),
    )
    .await?;
    tx.commit().await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct ChecklistItem {
    pub id: i64,
    pub stage: Stage,
    pub guide_slug: String,
    pub title: String,
    pub status: ItemStatus,
    pub assignee_user_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub due_date: Option<NaiveDate>,
}

impl ChecklistItem {
    pub fn is_assigned_to(&self, user_id: &i64) -> bool {
        self.assignee_user_id == Some(*user_id)
    }

    pub fn due_text(&self) -> String {
        self.due_date
            .map(crate::web::filters::long_date)
            .unwrap_or_default()
    }
}

pub async fn checklist(db: &Db, procurement_id: i64) -> DbResult<Vec<ChecklistItem>> {
    db.fetch_all(
        "SELECT c.id, c.stage, c.guide_slug, c.title, c.status, c.assignee_user_id, u.name AS assignee_name, c.due_date
         FROM checklist_items c LEFT JOIN users u ON u.id = c.assignee_user_id
         WHERE c.procurement_id = $1 ORDER BY c.position",
        args![procurement_id],
    )
    .await
}

pub async fn update_item(
    db: &Db,
    user: &User,
    p: &Procurement,
    item: &ChecklistItem,
    status: ItemStatus,
    assignee: Option<i64>,
    due: Option<NaiveDate>,
) -> DbResult<()> {
    let mut tx = db.begin().await?;
    tx.execute(
        "UPDATE checklist_items SET status = $1, assignee_user_id = $2, due_date = $3
         WHERE id = $4 AND procurement_id = $5",
        args![status, assignee, due, item.id, p.id],
    )
    .await?;
    tx.execute(
        "UPDATE procurements SET updated_at = $1 WHERE id = $2",
        args![now(), p.id],
    )
    .await?;
    let mut what = Vec::new();
    if item.status != status {
        what.push(format!("marked {}", status.label().to_lowercase()));
    }
    if item.assignee_user_id != assignee {
        what.push("changed who does it".to_owned());
    }
    if item.due_date != due {
        what.push("changed its due date".to_owned());
    }
    if !what.is_empty() {
        log(
            &mut tx,
            p.id,
            user,
            "checklist",
            &format!("“{}”: {}", item.title, what.join(", ")),
        )
        .await?;
    }
    tx.commit().await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Activity {
    pub at: i64,
    pub user_name: Option<String>,
    pub action: String,
    pub detail: String,
}

impl Activity {
    pub fn when(&self) -> String {
        crate::web::filters::date_time(self.at)
    }
}

pub async fn activity(db: &Db, procurement_id: i64) -> DbResult<Vec<Activity>> {
    db.fetch_all(
        "SELECT a.at, u.name AS user_name, a.action, a.detail FROM procurement_activity a
         LEFT JOIN users u ON u.id = a.user_id WHERE a.procurement_id = $1 ORDER BY a.id DESC",
        args![procurement_id],
    )
    .await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NoticeKind {
    Tender,
    Award,
    Contract,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Tender => "tender",
            NoticeKind::Award => "award",
            NoticeKind::Contract => "contract",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NoticeKind::Tender => "Tender notice",
            NoticeKind::Award => "Contract award notice",
            NoticeKind::Contract => "Contract details notice",
        }
    }

    pub fn parse(s: &str) -> Option<NoticeKind> {
        match s {
            "tender" => Some(NoticeKind::Tender),
            "award" => Some(NoticeKind::Award),
            "contract" => Some(NoticeKind::Contract),
            _ => None,
        }
    }
}

impl std::str::FromStr for NoticeKind {
    type Err = super::BadStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NoticeKind::parse(s).ok_or_else(|| super::BadStatus(s.into()))
    }
}
crate::text_column!(NoticeKind);

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Notice {
    pub id: i64,
    pub kind: NoticeKind,
    pub published_on: NaiveDate,
    pub tender_deadline: Option<NaiveDate>,
    pub supplier_id: Option<i64>,
    pub supplier_name: Option<String>,
    pub value_pence: Option<i64>,
    pub contract_start: Option<NaiveDate>,
    pub contract_end: Option<NaiveDate>,
    pub details: String,
}

impl Notice {
    pub fn value_text(&self) -> String {
        self.value_pence
            .map(|p| Pence(p).display())
            .unwrap_or_default()
    }
}

pub struct NoticeInput {
    pub kind: NoticeKind,
    pub published_on: NaiveDate,
    pub tender_deadline: Option<NaiveDate>,
    pub supplier_name: Option<String>,
    pub supplier_company_number: Option<crate::suppliers::CompanyNumber>,
    pub value: Option<Pence>,
    pub contract_start: Option<NaiveDate>,
    pub contract_end: Option<NaiveDate>,
    pub details: String,
}

/// Records a notice and moves the procurement's status with it: a tender notice opens it,
/// an award or contract notice closes it as awarded.
pub async fn add_notice(db: &Db, user: &User, p: &Procurement, n: &NoticeInput) -> DbResult<()> {
    let mut tx = db.begin().await?;
    let supplier_id = match &n.supplier_name {
        Some(name) => crate::suppliers::store::resolve(
            &mut tx,
            name,
            n.supplier_company_number.as_ref(),
            None,
        )
        .await?
        .map(|(id, _)| id),
        None => None,
    };
    tx.execute(
        "INSERT INTO procurement_notices (procurement_id, kind, published_on, tender_deadline, supplier_id,
            value_pence, contract_start, contract_end, details, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        args![
            p.id,
            n.kind.as_str(),
            n.published_on,
            n.tender_deadline,
            supplier_id,
            n.value.map(|v| v.0),
            n.contract_start,
            n.contract_end,
            &n.details,
            now()
        ],
    )
    .await?;
    let status = match n.kind {
        NoticeKind::Tender => Status::TenderOpen,
        NoticeKind::Award | NoticeKind::Contract => Status::Awarded,
    };
    tx.execute(
        "UPDATE procurements SET status = $1, updated_at = $2 WHERE id = $3",
        args![status, now(), p.id],
    )
    .await?;
    log(
        &mut tx,
        p.id,
        user,
        "notice",
        &format!("Recorded a {}", n.kind.label().to_lowercase()),
    )
    .await?;
    tx.commit().await
}

pub async fn notices(db: &Db, procurement_id: i64) -> DbResult<Vec<Notice>> {
    db.fetch_all(
        "SELECT n.id, n.kind, n.published_on, n.tender_deadline, n.supplier_id, s.name AS supplier_name,
                n.value_pence, n.contract_start, n.contract_end, n.details
         FROM procurement_notices n LEFT JOIN suppliers s ON s.id = n.supplier_id
         WHERE n.procurement_id = $1 ORDER BY n.published_on, n.id",
        args![procurement_id],
    )
    .await
}

pub async fn cancel(db: &Db, user: &User, p: &Procurement, reason: &str) -> DbResult<()> {
    let mut tx = db.begin().await?;
    tx.execute(
        "UPDATE procurements SET status = 'cancelled', updated_at = $1 WHERE id = $2 AND org_id = $3",
        args![now(), p.id, user.org_id],
    )
    .await?;
    log(
        &mut tx,
        p.id,
        user,
        "cancelled",
        &format!("Cancelled: {reason}"),
    )
    .await?;
    tx.commit().await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Person {
    pub id: i64,
    pub name: String,
}

/// People of an organisation, for owner and assignee choices.
pub async fn people(db: &Db, org_id: i64) -> DbResult<Vec<Person>> {
    db.fetch_all(
        "SELECT id, name FROM users WHERE org_id = $1 AND active ORDER BY name",
        args![org_id],
    )
    .await
}

/// A helper for dynamic queries: appends a condition with one argument, numbering it.
pub fn push_cond(sql: &mut String, args: &mut Vec<Arg>, cond: &str, arg: Arg) {
    args.push(arg);
    sql.push_str(" AND ");
    sql.push_str(&cond.replace("$?", &format!("${}", args.len())));
}

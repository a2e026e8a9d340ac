//! SQL for imported OCDS notices. Imported notices are public: reads take no viewer.

use chrono::NaiveDate;
use serde::Serialize;

use super::Outcome;
use super::cpv::CpvPrefix;
use crate::args;
use crate::cpv::CpvCode;
use crate::db::{Arg, Db, DbResult, Tx, like_pattern, now};
use crate::money::Pence;

/// What storing something found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New,
    Changed,
    Unchanged,
}

pub struct NewRelease<'a> {
    pub ocid: &'a str,
    pub release_id: &'a str,
    pub release_at: i64,
    pub release_date: &'a str,
    pub tags: &'a str,
    pub json: &'a str,
    pub hash: &'a str,
    pub package_uri: Option<&'a str>,
}

/// Stores a release unless the same release (same ocid and id, same content) is there.
/// A publisher re-issuing a release id with different content is taken at its word: the
/// newer content replaces the older. The insert goes first and yields on conflict, so two
/// imports of the same file at once (two instances on one PostgreSQL) cannot collide.
pub async fn upsert_release(tx: &mut Tx, r: &NewRelease<'_>) -> DbResult<Stored> {
    let inserted = tx
        .execute(
            "INSERT INTO ocds_releases (ocid, release_id, release_at, release_date, tags, release_json,
             content_hash, package_uri, imported_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
             ON CONFLICT (ocid, release_id) DO NOTHING",
            args![
                r.ocid,
                r.release_id,
                r.release_at,
                r.release_date,
                r.tags,
                r.json,
                r.hash,
                r.package_uri,
                now()
            ],
        )
        .await?;
    if inserted == 1 {
        return Ok(Stored::New);
    }
    let changed = tx
        .execute(
            "UPDATE ocds_releases SET release_at = $3, release_date = $4, tags = $5, release_json = $6,
             content_hash = $7, package_uri = $8, updated_at = $9
             WHERE ocid = $1 AND release_id = $2 AND content_hash <> $7",
            args![
                r.ocid,
                r.release_id,
                r.release_at,
                r.release_date,
                r.tags,
                r.json,
                r.hash,
                r.package_uri,
                now()
            ],
        )
        .await?;
    Ok(if changed == 1 {
        Stored::Changed
    } else {
        Stored::Unchanged
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredRelease {
    pub release_at: i64,
    pub release_date: String,
    pub release_json: String,
}

/// Every stored release of one contracting process, oldest first.
pub async fn releases_of(tx: &mut Tx, ocid: &str) -> DbResult<Vec<StoredRelease>> {
    tx.fetch_all(
        "SELECT release_at, release_date, release_json FROM ocds_releases WHERE ocid = $1
         ORDER BY release_at, id",
        args![ocid],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExistingRecord {
    pub id: i64,
    pub content_hash: String,
}

pub async fn existing_record(tx: &mut Tx, ocid: &str) -> DbResult<Option<ExistingRecord>> {
    tx.fetch_optional(
        "SELECT id, content_hash FROM ocds_records WHERE ocid = $1",
        args![ocid],
    )
    .await
}

pub struct NewRecord<'a> {
    pub ocid: &'a str,
    pub compiled_release: &'a str,
    pub compiled_from: &'static str,
    pub hash: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub buyer_name: &'a str,
    pub buyer_org_id: Option<i64>,
    pub buyer_council_code: Option<&'a str>,
    pub buyer_gss_code: Option<&'a str>,
    pub tender_status: Option<&'a str>,
    pub outcome: Outcome,
    pub procurement_method: Option<&'a str>,
    pub procurement_method_details: Option<&'a str>,
    pub tender_value: Option<Pence>,
    pub awarded_value: Option<Pence>,
    pub tender_deadline: Option<NaiveDate>,
    pub award_date: Option<NaiveDate>,
    pub contract_start: Option<NaiveDate>,
    pub contract_end: Option<NaiveDate>,
    pub first_published_at: i64,
    pub last_release_at: i64,
    pub search_text: &'a str,
    pub source_uri: Option<&'a str>,
}

/// Inserts or replaces a record's compiled release and summary; returns its id. A record
/// another import created meanwhile is replaced rather than duplicated.
pub async fn save_record(tx: &mut Tx, r: &NewRecord<'_>, existing: Option<i64>) -> DbResult<i64> {
    let values = args![
        r.ocid,
        r.compiled_release,
        r.compiled_from,
        r.hash,
        r.title,
        r.description,
        r.buyer_name,
        r.buyer_org_id,
        r.buyer_council_code,
        r.buyer_gss_code,
        r.tender_status,
        r.outcome,
        r.procurement_method,
        r.procurement_method_details,
        r.tender_value.map(|p| p.0),
        r.awarded_value.map(|p| p.0),
        r.tender_deadline,
        r.award_date,
        r.contract_start,
        r.contract_end,
        r.first_published_at,
        r.last_release_at,
        r.search_text,
        r.source_uri,
        now()
    ];
    match existing {
        Some(id) => {
            let mut values = values;
            values.push(Arg::from(id));
            tx.execute(
                "UPDATE ocds_records SET ocid = $1, compiled_release = $2, compiled_from = $3, content_hash = $4,
                 title = $5, description = $6, buyer_name = $7, buyer_org_id = $8, buyer_council_code = $9,
                 buyer_gss_code = $10, tender_status = $11, outcome = $12, procurement_method = $13,
                 procurement_method_details = $14, tender_value_pence = $15, awarded_value_pence = $16,
                 tender_deadline = $17, award_date = $18, contract_start = $19, contract_end = $20,
                 first_published_at = $21, last_release_at = $22, search_text = $23, source_uri = $24,
                 updated_at = $25
                 WHERE id = $26",
                values,
            )
            .await?;
            Ok(id)
        }
        None => Ok(tx
            .scalar::<i64>(
                "INSERT INTO ocds_records (ocid, compiled_release, compiled_from, content_hash, title, description,
                 buyer_name, buyer_org_id, buyer_council_code, buyer_gss_code, tender_status, outcome,
                 procurement_method, procurement_method_details, tender_value_pence, awarded_value_pence,
                 tender_deadline, award_date, contract_start, contract_end, first_published_at,
                 last_release_at, search_text, source_uri, imported_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20, $21, $22, $23, $24, $25, $25)
                 ON CONFLICT (ocid) DO UPDATE SET compiled_release = excluded.compiled_release,
                 compiled_from = excluded.compiled_from, content_hash = excluded.content_hash,
                 title = excluded.title, description = excluded.description, buyer_name = excluded.buyer_name,
                 buyer_org_id = excluded.buyer_org_id, buyer_council_code = excluded.buyer_council_code,
                 buyer_gss_code = excluded.buyer_gss_code, tender_status = excluded.tender_status,
                 outcome = excluded.outcome, procurement_method = excluded.procurement_method,
                 procurement_method_details = excluded.procurement_method_details,
                 tender_value_pence = excluded.tender_value_pence, awarded_value_pence = excluded.awarded_value_pence,
                 tender_deadline = excluded.tender_deadline, award_date = excluded.award_date,
                 contract_start = excluded.contract_start, contract_end = excluded.contract_end,
                 first_published_at = excluded.first_published_at, last_release_at = excluded.last_release_at,
                 search_text = excluded.search_text, source_uri = excluded.source_uri,
                 updated_at = excluded.updated_at
                 RETURNING id",
                values,
            )
            .await?
            .unwrap_or_default()),
    }
}

pub async fn replace_cpv(tx: &mut Tx, record_id: i64, codes: &[CpvCode]) -> DbResult<()> {
    tx.execute(
        "DELETE FROM ocds_record_cpv WHERE record_id = $1",
        args![record_id],
    )
    .await?;
    for c in codes {
        tx.execute(
            "INSERT INTO ocds_record_cpv (record_id, code, full_code) VALUES ($1, $2, $3)
             ON CONFLICT (record_id, code) DO NOTHING",
            args![record_id, c.digits(), c.full()],
        )
        .await?;
    }
    Ok(())
}

pub struct SupplierLink<'a> {
    pub supplier_id: i64,
    pub name: &'a str,
    pub company_number: Option<&'a str>,
}

pub async fn replace_suppliers(
    tx: &mut Tx,
    record_id: i64,
    links: &[SupplierLink<'_>],
) -> DbResult<()> {
    tx.execute(
        "DELETE FROM ocds_record_suppliers WHERE record_id = $1",
        args![record_id],
    )
    .await?;
    for l in links {
        // Two parties of one notice can be one supplier (a name and its trading name): the
        // first spelling is kept.
        tx.execute(
            "INSERT INTO ocds_record_suppliers (record_id, supplier_id, name, company_number)
             VALUES ($1, $2, $3, $4) ON CONFLICT (record_id, supplier_id) DO NOTHING",
            args![record_id, l.supplier_id, l.name, l.company_number],
        )
        .await?;
    }
    Ok(())
}

pub async fn supplier_ids_of(tx: &mut Tx, record_id: i64) -> DbResult<Vec<i64>> {
    #[derive(sqlx::FromRow)]
    struct Id {
        supplier_id: i64,
    }
    Ok(tx
        .fetch_all::<Id>(
            "SELECT supplier_id FROM ocds_record_suppliers WHERE record_id = $1",
            args![record_id],
        )
        .await?
        .into_iter()
        .map(|r| r.supplier_id)
        .collect())
}

// ---- Reading ----

/// One imported notice as lists show it.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Notice {
    pub id: i64,
    pub ocid: String,
    pub title: String,
    pub buyer_name: String,
    pub buyer_org_id: Option<i64>,
    /// The London authority's short name, when the buyer is one.
    pub buyer_org_name: Option<String>,
    pub buyer_org_slug: Option<String>,
    pub outcome: Outcome,
    pub tender_value_pence: Option<i64>,
    pub awarded_value_pence: Option<i64>,
    pub contract_start: Option<NaiveDate>,
    pub contract_end: Option<NaiveDate>,
    pub first_published_at: i64,
    pub last_release_at: i64,
}

impl Notice {
    pub fn tender_value(&self) -> Option<Pence> {
        self.tender_value_pence.map(Pence)
    }
    pub fn awarded_value(&self) -> Option<Pence> {
        self.awarded_value_pence.map(Pence)
    }
    pub fn updated(&self) -> String {
        day(self.last_release_at)
    }
}

/// A Unix time as "5 July 2019".
pub fn day(ts: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(ts, 0)
        .map(|d| crate::web::filters::long_date(d.date_naive()))
        .unwrap_or_default()
}

const NOTICE_COLUMNS: &str = "r.id, r.ocid, r.title, r.buyer_name, r.buyer_org_id,
    o.short_name AS buyer_org_name, o.slug AS buyer_org_slug, r.outcome, r.tender_value_pence,
    r.awarded_value_pence, r.contract_start, r.contract_end, r.first_published_at, r.last_release_at";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BuyerFilter {
    #[default]
    Anyone,
    /// Any of the 33 London authorities.
    London,
    /// One organisation.
    Organisation(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    HighestValue,
}

#[derive(Debug, Clone, Default)]
pub struct NoticeFilter {
    /// Every word must appear in the title, description, buyer or a supplier's name.
    pub words: Vec<String>,
    pub cpv: Option<CpvPrefix>,
    pub buyer: BuyerFilter,
    pub outcome: Option<Outcome>,
    pub sort: Sort,
}

/// A WHERE clause assembled from fixed fragments; values only ever go into `args`.
#[derive(Default)]
struct Where {
    parts: Vec<String>,
    args: Vec<Arg>,
}

impl Where {
    fn push(&mut self, sql_with_placeholder: impl Fn(usize) -> String, arg: Arg) {
        self.args.push(arg);
        self.parts.push(sql_with_placeholder(self.args.len()));
    }

    fn sql(&self) -> String {
        if self.parts.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.parts.join(" AND "))
        }
    }
}

fn filter_clause(f: &NoticeFilter) -> Where {
    let mut w = Where::default();
    for word in &f.words {
        w.push(
            |n| format!("r.search_text LIKE ${n} ESCAPE '\\'"),
            Arg::from(like_pattern(&word.to_lowercase())),
        );
    }
    if let Some(p) = &f.cpv {
        // The prefix is digits only (CpvPrefix), so it cannot widen the pattern.
        w.push(
            |n| {
                format!(
                    "EXISTS (SELECT 1 FROM ocds_record_cpv c WHERE c.record_id = r.id AND c.code LIKE ${n})"
                )
            },
            Arg::from(format!("{}%", p.as_str())),
        );
    }
    match f.buyer {
        BuyerFilter::Anyone => {}
        BuyerFilter::London => w.parts.push("r.buyer_org_id IS NOT NULL".into()),
        BuyerFilter::Organisation(id) => {
            w.push(|n| format!("r.buyer_org_id = ${n}"), Arg::from(id))
        }
    }
    if let Some(o) = f.outcome {
        w.push(|n| format!("r.outcome = ${n}"), Arg::from(o));
    }
    w
}

/// A page of notices matching the filter, and how many match in all.
pub async fn search(
    db: &Db,
    f: &NoticeFilter,
    offset: i64,
    limit: i64,
) -> DbResult<(Vec<Notice>, i64)> {
    let w = filter_clause(f);
    let total = db
        .scalar::<i64>(
            format!("SELECT COUNT(*) FROM ocds_records r {}", w.sql()),
            w.args.clone(),
        )
        .await?
        .unwrap_or(0);
    let order = match f.sort {
        Sort::Newest => "r.last_release_at DESC, r.id DESC",
        Sort::Oldest => "r.last_release_at ASC, r.id ASC",
        Sort::HighestValue => {
            "COALESCE(r.awarded_value_pence, r.tender_value_pence, -1) DESC, r.id DESC"
        }
    };
    let mut args = w.args.clone();
    let n = args.len();
    args.push(Arg::from(limit));
    args.push(Arg::from(offset));
    let rows = db
        .fetch_all(
            format!(
                "SELECT {NOTICE_COLUMNS} FROM ocds_records r LEFT JOIN organisations o ON o.id = r.buyer_org_id
                 {} ORDER BY {order} LIMIT ${} OFFSET ${}",
                w.sql(),
                n + 1,
                n + 2
            ),
            args,
        )
        .await?;
    Ok((rows, total))
}

/// Everything about one notice.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoticeDetail {
    #[sqlx(flatten)]
    pub notice: Notice,
    pub description: String,
    pub compiled_release: String,
    pub compiled_from: String,
    pub buyer_council_code: Option<String>,
    pub buyer_gss_code: Option<String>,
    pub tender_status: Option<String>,
    pub procurement_method: Option<String>,
    pub procurement_method_details: Option<String>,
    pub tender_deadline: Option<NaiveDate>,
    pub award_date: Option<NaiveDate>,
    pub source_uri: Option<String>,
    pub imported_at: i64,
}

pub async fn by_ocid(db: &Db, ocid: &str) -> DbResult<Option<NoticeDetail>> {
    db.fetch_optional(
        format!(
            "SELECT {NOTICE_COLUMNS}, r.description, r.compiled_release, r.compiled_from,
             r.buyer_council_code, r.buyer_gss_code, r.tender_status, r.procurement_method,
             r.procurement_method_details, r.tender_deadline, r.award_date, r.source_uri, r.imported_at
             FROM ocds_records r LEFT JOIN organisations o ON o.id = r.buyer_org_id WHERE r.ocid = $1"
        ),
        args![ocid],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct NoticeCpv {
    pub record_id: i64,
    pub code: String,
    pub full_code: String,
}

impl NoticeCpv {
    pub fn label(&self) -> &'static str {
        CpvCode::parse(&self.code)
            .map(|c| c.label())
            .unwrap_or("Not in CPV 2008")
    }
}

pub async fn cpv_of(db: &Db, record_ids: &[i64]) -> DbResult<Vec<NoticeCpv>> {
    if record_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=record_ids.len()).map(|n| format!("${n}")).collect();
    db.fetch_all(
        format!(
            "SELECT record_id, code, full_code FROM ocds_record_cpv WHERE record_id IN ({})
             ORDER BY record_id, code",
            placeholders.join(", ")
        ),
        record_ids.iter().map(|&id| Arg::from(id)).collect(),
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct NoticeSupplier {
    pub record_id: i64,
    pub supplier_id: i64,
    /// The name as the notice spells it.
    pub name: String,
    pub company_number: Option<String>,
    /// The supplier register's name for it (the first spelling it met).
    pub register_name: String,
}

pub async fn suppliers_of(db: &Db, record_ids: &[i64]) -> DbResult<Vec<NoticeSupplier>> {
    if record_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=record_ids.len()).map(|n| format!("${n}")).collect();
    db.fetch_all(
        format!(
            "SELECT l.record_id, l.supplier_id, l.name, COALESCE(l.company_number, s.company_number) AS company_number,
             s.name AS register_name
             FROM ocds_record_suppliers l JOIN suppliers s ON s.id = l.supplier_id
             WHERE l.record_id IN ({}) ORDER BY l.record_id, l.name",
            placeholders.join(", ")
        ),
        record_ids.iter().map(|&id| Arg::from(id)).collect(),
    )
    .await
}

/// A release tag in words, for people.
pub fn tag_label(tag: &str) -> &str {
    match tag {
        "planning" => "Planning",
        "planningUpdate" => "Planning updated",
        "tender" => "Tender",
        "tenderAmendment" => "Tender amended",
        "tenderUpdate" => "Tender updated",
        "tenderCancellation" => "Tender cancelled",
        "award" => "Award",
        "awardUpdate" => "Award updated",
        "awardCancellation" => "Award cancelled",
        "contract" => "Contract",
        "contractUpdate" => "Contract updated",
        "contractAmendment" => "Contract amended",
        "implementation" => "Implementation",
        "implementationUpdate" => "Implementation updated",
        "contractTermination" => "Contract terminated",
        other => other,
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReleaseRow {
    pub id: i64,
    pub ocid: String,
    pub release_id: String,
    pub release_at: i64,
    pub tags: String,
    pub release_json: String,
    pub updated_at: i64,
}

/// Stored releases in publication order, for export: from `since` (Unix seconds, inclusive),
/// after the cursor `(release_at, id)`.
pub async fn releases_page(
    db: &Db,
    since: Option<i64>,
    after: Option<(i64, i64)>,
    limit: i64,
) -> DbResult<Vec<ReleaseRow>> {
    let (after_at, after_id) = after.unwrap_or((i64::MIN, i64::MIN));
    db.fetch_all(
        "SELECT id, ocid, release_id, release_at, tags, release_json, updated_at FROM ocds_releases
         WHERE release_at >= $1 AND (release_at > $2 OR (release_at = $2 AND id > $3))
         ORDER BY release_at, id LIMIT $4",
        args![since.unwrap_or(i64::MIN), after_at, after_id, limit],
    )
    .await
}

impl ReleaseRow {
    /// "Tender, Award"
    pub fn stages(&self) -> String {
        self.tags
            .split_whitespace()
            .map(tag_label)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub async fn releases_of_ocid(db: &Db, ocid: &str) -> DbResult<Vec<ReleaseRow>> {
    db.fetch_all(
        "SELECT id, ocid, release_id, release_at, tags, release_json, updated_at FROM ocds_releases
         WHERE ocid = $1 ORDER BY release_at, id",
        args![ocid],
    )
    .await
}

/// How many notices are stored, and how many were bought by London authorities.
pub async fn counts(db: &Db) -> DbResult<(i64, i64)> {
    let all = db
        .scalar::<i64>("SELECT COUNT(*) FROM ocds_records", vec![])
        .await?
        .unwrap_or(0);
    let london = db
        .scalar::<i64>(
            "SELECT COUNT(*) FROM ocds_records WHERE buyer_org_id IS NOT NULL",
            vec![],
        )
        .await?
        .unwrap_or(0);
    Ok((all, london))
}

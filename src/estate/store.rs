//! SQL for the estate register. Every read goes through the viewer's scope, aggregates
//! included: a viewer's figures are computed only from the records they may see.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Hosting, Satisfaction, Source, SystemRecord, comparable, is_not_one_supplier};
use crate::args;
use crate::db::{Arg, Db, DbError, DbResult, Tx, like_pattern, now};
use crate::money::Pence;
use crate::suppliers::store as suppliers;
use crate::visibility::{Viewer, Visibility};

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct EstateSystem {
    pub id: i64,
    #[serde(skip)]
    pub org_id: i64,
    /// The organisation's short name ("Camden").
    pub organisation: String,
    /// The organisation's slug, as used in filters (`borough=camden`).
    pub organisation_slug: String,
    pub visibility: Visibility,
    pub service_area: String,
    /// The system or product, as the organisation names it.
    pub system_name: String,
    /// The comparable form of the product name that groups spellings together.
    pub product_key: String,
    /// The supplier as the organisation wrote it.
    pub supplier_name: String,
    /// The supplier's entry in the shared supplier register, when it is one company.
    pub supplier_id: Option<i64>,
    /// The supplier's name in the shared register.
    pub supplier: Option<String>,
    pub company_number: Option<String>,
    pub manufacturer: Option<String>,
    pub contract_reference: Option<String>,
    pub contract_start: Option<NaiveDate>,
    pub contract_end: Option<NaiveDate>,
    /// Annual contract value in pence.
    pub annual_value_pence: Option<i64>,
    pub hosting: Option<Hosting>,
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub satisfaction: Option<i32>,
    pub notes: String,
    pub source: Source,
    pub updated_at: i64,
}

impl EstateSystem {
    pub fn annual_value(&self) -> Option<Pence> {
        self.annual_value_pence.map(Pence)
    }

    pub fn value_text(&self) -> String {
        self.annual_value()
            .map(|p| p.display())
            .unwrap_or_else(|| "Not recorded".into())
    }

    pub fn start_text(&self) -> String {
        date_text(self.contract_start)
    }

    pub fn end_text(&self) -> String {
        date_text(self.contract_end)
    }

    pub fn hosting_text(&self) -> &'static str {
        self.hosting.map(Hosting::label).unwrap_or("Not recorded")
    }

    pub fn satisfaction_text(&self) -> &'static str {
        self.satisfaction
            .and_then(|s| Satisfaction::new(i64::from(s)))
            .map(Satisfaction::label)
            .unwrap_or("Not rated")
    }

    pub fn supplier_display(&self) -> &str {
        self.supplier.as_deref().unwrap_or(&self.supplier_name)
    }

    pub fn updated(&self) -> String {
        crate::web::filters::date_time(self.updated_at)
    }

    /// The record as the form and the importers describe it, to edit it.
    pub fn to_record(&self) -> SystemRecord {
        SystemRecord {
            service_area: self.service_area.clone(),
            system_name: self.system_name.clone(),
            supplier_name: self.supplier_name.clone(),
            company_number: self
                .company_number
                .as_deref()
                .and_then(|c| crate::suppliers::CompanyNumber::parse(c).ok()),
            manufacturer: self.manufacturer.clone(),
            contract_reference: self.contract_reference.clone(),
            contract_start: self.contract_start,
            contract_end: self.contract_end,
            annual_value: self.annual_value(),
            hosting: self.hosting,
            satisfaction: self
                .satisfaction
                .and_then(|s| Satisfaction::new(i64::from(s))),
            notes: self.notes.clone(),
            visibility: self.visibility,
        }
    }
}

pub fn date_text(d: Option<NaiveDate>) -> String {
    d.map(crate::web::filters::long_date)
        .unwrap_or_else(|| "Not recorded".into())
}

const SELECT: &str =
    "SELECT e.id, e.org_id, o.short_name AS organisation, o.slug AS organisation_slug,
        e.visibility, e.service_area, e.system_name, e.product_key, e.supplier_name,
        sp.id AS supplier_id, sp.name AS supplier, sp.company_number, e.manufacturer,
        e.contract_reference, e.contract_start, e.contract_end, e.annual_value_pence, e.hosting,
        e.satisfaction, e.notes, e.source, e.updated_at
    FROM estate_systems e
    JOIN organisations o ON o.id = e.org_id
    LEFT JOIN suppliers s0 ON s0.id = e.supplier_id
    LEFT JOIN suppliers sp ON sp.id = COALESCE(s0.merged_into, s0.id)";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The organisation already holds a record with the same reference, product, supplier
    /// and start date.
    #[error("your organisation already has this system from this supplier (record {0})")]
    Duplicate(i64),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A query under construction: fixed SQL fragments, user input only in arguments.
struct Built {
    sql: String,
    args: Vec<Arg>,
}

impl Built {
    fn new(base: &str, viewer: &Viewer) -> Built {
        let scope = viewer.scope("e", 1);
        Built {
            sql: format!("{base} WHERE {}", scope.sql),
            args: scope.args,
        }
    }

    /// Adds `AND <fragment>` where `?` in the fragment stands for the next placeholder.
    fn and(&mut self, fragment: &str, arg: impl Into<Arg>) {
        self.args.push(arg.into());
        let n = self.args.len();
        self.sql.push_str(" AND ");
        self.sql.push_str(&fragment.replace('?', &format!("${n}")));
    }

    fn and_filter(&mut self, f: &Filter) {
        if let Some(s) = &f.supplier {
            self.and(
                "(lower(e.supplier_name) LIKE ? ESCAPE '\\' OR lower(COALESCE(sp.name, '')) LIKE ? ESCAPE '\\')",
                like_pattern(&s.to_lowercase()),
            );
        }
        if let Some(id) = f.supplier_id {
            self.and("sp.id = ?", id);
        }
        if let Some(s) = &f.system {
            self.and(
                "(lower(e.system_name) LIKE ? ESCAPE '\\' OR lower(COALESCE(e.manufacturer, '')) LIKE ? ESCAPE '\\')",
                like_pattern(&s.to_lowercase()),
            );
        }
        if let Some(s) = &f.service_area {
            self.and(
                "lower(e.service_area) LIKE ? ESCAPE '\\'",
                like_pattern(&s.to_lowercase()),
            );
        }
        if let Some(b) = &f.borough {
            self.and("o.slug = ?", b.as_str());
        }
        if let Some(d) = f.ends_from {
            self.and("e.contract_end >= ?", d);
        }
        if let Some(d) = f.ends_to {
            self.and("e.contract_end <= ?", d);
        }
        if let Some(k) = &f.product_key {
            self.and("e.product_key = ?", k.as_str());
        }
    }
}

/// What the register can be filtered by. Text filters match anywhere in the value, case
/// aside; dates bound the contract end.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub supplier: Option<String>,
    pub supplier_id: Option<i64>,
    pub system: Option<String>,
    pub service_area: Option<String>,
    /// An organisation's slug.
    pub borough: Option<String>,
    pub ends_from: Option<NaiveDate>,
    pub ends_to: Option<NaiveDate>,
    pub product_key: Option<String>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }
}

/// One page of the register as the viewer may see it, and how many records match in all.
pub async fn list(
    db: &Db,
    viewer: &Viewer,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<EstateSystem>, i64)> {
    let mut q = Built::new(SELECT, viewer);
    q.and_filter(filter);
    let count_sql = format!("SELECT COUNT(*) FROM ({}) AS matched", q.sql);
    let total = db
        .scalar::<i64>(count_sql, q.args.clone())
        .await?
        .unwrap_or(0);
    let n = q.args.len();
    let sql = format!(
        "{} ORDER BY o.short_name, e.service_area, e.system_name, e.id LIMIT ${} OFFSET ${}",
        q.sql,
        n + 1,
        n + 2
    );
    let mut args = q.args;
    args.push(limit.into());
    args.push(offset.into());
    Ok((db.fetch_all(sql, args).await?, total))
}

/// One record, if the viewer may see it; another organisation's private record reads as
/// not found.
pub async fn get(db: &Db, viewer: &Viewer, id: i64) -> DbResult<Option<EstateSystem>> {
    let mut q = Built::new(SELECT, viewer);
    q.and("e.id = ?", id);
    db.fetch_optional(q.sql, q.args).await
}

/// Contracts whose end falls between two dates (inclusive), soonest first.
pub async fn ending_between(
    db: &Db,
    viewer: &Viewer,
    from: NaiveDate,
    to: NaiveDate,
    filter: &Filter,
) -> DbResult<Vec<EstateSystem>> {
    let mut q = Built::new(SELECT, viewer);
    q.and("e.contract_end >= ?", from);
    q.and("e.contract_end <= ?", to);
    q.and_filter(filter);
    db.fetch_all(
        format!(
            "{} ORDER BY e.contract_end, o.short_name, e.system_name LIMIT 2000",
            q.sql
        ),
        q.args,
    )
    .await
}

/// One organisation's records that the viewer may see.
pub async fn of_organisation(db: &Db, viewer: &Viewer, org_id: i64) -> DbResult<Vec<EstateSystem>> {
    let mut q = Built::new(SELECT, viewer);
    q.and("e.org_id = ?", org_id);
    db.fetch_all(format!("{} ORDER BY e.id LIMIT 2000", q.sql), q.args)
        .await
}

/// The organisations (with at least one record the viewer may see), for the borough filter.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct OrgChoice {
    pub slug: String,
    pub short_name: String,
}

pub async fn organisations(db: &Db, viewer: &Viewer) -> DbResult<Vec<OrgChoice>> {
    let q = Built::new(
        "SELECT DISTINCT o.slug, o.short_name FROM estate_systems e JOIN organisations o ON o.id = e.org_id",
        viewer,
    );
    db.fetch_all(format!("{} ORDER BY o.short_name", q.sql), q.args)
        .await
}

/// Service areas in use, for suggestions in forms and filters.
pub async fn service_areas(db: &Db, viewer: &Viewer) -> DbResult<Vec<String>> {
    #[derive(sqlx::FromRow)]
    struct Area {
        service_area: String,
    }
    let q = Built::new(
        "SELECT DISTINCT e.service_area FROM estate_systems e",
        viewer,
    );
    Ok(db
        .fetch_all::<Area>(
            format!("{} ORDER BY e.service_area LIMIT 500", q.sql),
            q.args,
        )
        .await?
        .into_iter()
        .map(|a| a.service_area)
        .collect())
}

/// A product and how widely it is used.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct ProductUse {
    /// The comparable product name that groups spellings; use it in `/estate/products/{key}`.
    pub product_key: String,
    /// The product's name as one organisation writes it.
    pub name: String,
    /// How many organisations run it (that the caller may see).
    pub organisations: i64,
    pub systems: i64,
    /// The organisations' short names.
    #[sqlx(skip)]
    pub organisation_names: Vec<String>,
}

/// Products the viewer may see, most widely used first; `text` narrows them to products,
/// manufacturers or suppliers containing it.
pub async fn products(db: &Db, viewer: &Viewer, text: Option<&str>) -> DbResult<Vec<ProductUse>> {
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    let build = |select: &str| {
        let mut q = Built::new(
            &format!(
                "{select} FROM estate_systems e
                 JOIN organisations o ON o.id = e.org_id
                 LEFT JOIN suppliers s0 ON s0.id = e.supplier_id
                 LEFT JOIN suppliers sp ON sp.id = COALESCE(s0.merged_into, s0.id)"
            ),
            viewer,
        );
        if let Some(t) = text {
            q.and(
                "(e.product_key LIKE ? ESCAPE '\\' OR lower(COALESCE(e.manufacturer, '')) LIKE ? ESCAPE '\\'
                  OR lower(e.supplier_name) LIKE ? ESCAPE '\\' OR lower(COALESCE(sp.name, '')) LIKE ? ESCAPE '\\')",
                like_pattern(&comparable(t)),
            );
        }
        q
    };
    let q = build(
        "SELECT e.product_key, MIN(e.system_name) AS name, COUNT(DISTINCT e.org_id) AS organisations,
                COUNT(*) AS systems",
    );
    let mut products: Vec<ProductUse> = db
        .fetch_all(
            format!(
                "{} GROUP BY e.product_key ORDER BY COUNT(DISTINCT e.org_id) DESC, MIN(e.system_name) LIMIT 300",
                q.sql
            ),
            q.args,
        )
        .await?;
    // Which organisations run each product: the same scoped query, not aggregated (string
    // aggregation is spelt differently on SQLite and PostgreSQL), joined here.
    #[derive(sqlx::FromRow)]
    struct Pair {
        product_key: String,
        short_name: String,
    }
    let q = build("SELECT DISTINCT e.product_key, o.short_name");
    let pairs: Vec<Pair> = db
        .fetch_all(format!("{} ORDER BY o.short_name", q.sql), q.args)
        .await?;
    for p in &mut products {
        p.organisation_names = pairs
            .iter()
            .filter(|x| x.product_key == p.product_key)
            .map(|x| x.short_name.clone())
            .collect();
    }
    Ok(products)
}

/// Vendor concentration among the systems the viewer may see.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Concentration {
    /// How many top suppliers the headline is about.
    pub top: usize,
    /// Systems whose supplier is one company in the register (the denominator of
    /// `systems_share_percent`).
    pub systems_with_supplier: i64,
    /// Systems recorded against "Various", "In-house" and the like, left out of the shares.
    pub systems_without_one_supplier: i64,
    /// Total annual value of systems with a supplier and a recorded value, in pence (the
    /// denominator of `value_share_percent`).
    pub total_value_pence: i64,
    pub distinct_suppliers: i64,
    /// Share of systems held by the `top` suppliers with the most systems, in percent.
    pub systems_share_percent: f64,
    /// Share of annual contract value held by the `top` suppliers with the most value.
    pub value_share_percent: f64,
    /// The top suppliers by number of systems.
    pub by_systems: Vec<SupplierShare>,
    /// The top suppliers by annual contract value.
    pub by_value: Vec<SupplierShare>,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct SupplierShare {
    pub supplier_id: i64,
    pub supplier: String,
    pub systems: i64,
    pub organisations: i64,
    pub value_pence: i64,
    #[sqlx(skip)]
    pub systems_share_percent: f64,
    #[sqlx(skip)]
    pub value_share_percent: f64,
}

impl SupplierShare {
    pub fn value_text(&self) -> String {
        Pence(self.value_pence).display()
    }
}

fn percent(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        return 0.0;
    }
    // One decimal place, computed in integers so the figure is the same on every platform.
    let tenths = (i128::from(part) * 1000 + i128::from(whole) / 2) / i128::from(whole);
    tenths as f64 / 10.0
}

/// Counts and values per supplier are SQL aggregates over the viewer's scope (a merged
/// supplier counts as the one it was merged into); choosing the top N is done here.
pub async fn concentration(
    db: &Db,
    viewer: &Viewer,
    top: usize,
    filter: &Filter,
) -> DbResult<Concentration> {
    let mut q = Built::new(
        "SELECT sp.id AS supplier_id, sp.name AS supplier, COUNT(*) AS systems,
                COUNT(DISTINCT e.org_id) AS organisations,
                CAST(COALESCE(SUM(e.annual_value_pence), 0) AS BIGINT) AS value_pence
         FROM estate_systems e
         JOIN organisations o ON o.id = e.org_id
         JOIN suppliers s0 ON s0.id = e.supplier_id
         JOIN suppliers sp ON sp.id = COALESCE(s0.merged_into, s0.id)",
        viewer,
    );
    q.and_filter(filter);
    let mut rows: Vec<SupplierShare> = db
        .fetch_all(format!("{} GROUP BY sp.id, sp.name", q.sql), q.args)
        .await?;
    let mut without = Built::new(
        "SELECT COUNT(*) FROM estate_systems e
         JOIN organisations o ON o.id = e.org_id
         LEFT JOIN suppliers s0 ON s0.id = e.supplier_id
         LEFT JOIN suppliers sp ON sp.id = COALESCE(s0.merged_into, s0.id)",
        viewer,
    );
    without.and_filter(filter);
    without.sql.push_str(" AND e.supplier_id IS NULL");
    let systems_without_one_supplier = db
        .scalar::<i64>(without.sql, without.args)
        .await?
        .unwrap_or(0);

    let systems_with_supplier: i64 = rows.iter().map(|r| r.systems).sum();
    let total_value_pence: i64 = rows.iter().map(|r| r.value_pence).sum();
    for r in &mut rows {
        r.systems_share_percent = percent(r.systems, systems_with_supplier);
        r.value_share_percent = percent(r.value_pence, total_value_pence);
    }
    let mut by_systems = rows.clone();
    by_systems.sort_by(|a, b| {
        b.systems
            .cmp(&a.systems)
            .then(b.value_pence.cmp(&a.value_pence))
            .then(a.supplier.cmp(&b.supplier))
    });
    by_systems.truncate(top);
    let mut by_value = rows.clone();
    by_value.retain(|r| r.value_pence > 0);
    by_value.sort_by(|a, b| {
        b.value_pence
            .cmp(&a.value_pence)
            .then(b.systems.cmp(&a.systems))
            .then(a.supplier.cmp(&b.supplier))
    });
    by_value.truncate(top);
    Ok(Concentration {
        top,
        systems_with_supplier,
        systems_without_one_supplier,
        total_value_pence,
        distinct_suppliers: rows.len() as i64,
        systems_share_percent: percent(
            by_systems.iter().map(|r| r.systems).sum(),
            systems_with_supplier,
        ),
        value_share_percent: percent(
            by_value.iter().map(|r| r.value_pence).sum(),
            total_value_pence,
        ),
        by_systems,
        by_value,
    })
}

// ---- Writing ----

/// Resolves the record's supplier through the shared register (None for "Various" and the
/// like).
async fn supplier_id(tx: &mut Tx, rec: &SystemRecord) -> DbResult<Option<i64>> {
    if is_not_one_supplier(&rec.supplier_name) {
        return Ok(None);
    }
    Ok(
        suppliers::resolve(tx, &rec.supplier_name, rec.company_number.as_ref(), None)
            .await?
            .map(|(id, _)| id),
    )
}

async fn existing(tx: &mut Tx, org_id: i64, key: &str) -> DbResult<Option<i64>> {
    tx.scalar::<i64>(
        "SELECT id FROM estate_systems WHERE org_id = $1 AND record_key = $2",
        args![org_id, key],
    )
    .await
}

/// Who is writing, and how.
#[derive(Debug, Clone, Copy)]
pub struct Writer {
    pub org_id: i64,
    pub user_id: Option<i64>,
    pub source: Source,
    pub import_id: Option<i64>,
}

async fn insert_row(tx: &mut Tx, w: &Writer, rec: &SystemRecord, key: &str) -> DbResult<i64> {
    let supplier = supplier_id(tx, rec).await?;
    let t = now();
    Ok(tx
        .scalar::<i64>(
            "INSERT INTO estate_systems (org_id, visibility, service_area, system_name, product_key,
                supplier_name, supplier_id, manufacturer, contract_reference, contract_start,
                contract_end, annual_value_pence, hosting, satisfaction, notes, source, import_id,
                record_key, created_at, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18, $19, $19, $20)
             RETURNING id",
            args![
                w.org_id,
                rec.visibility,
                rec.service_area.as_str(),
                rec.system_name.as_str(),
                comparable(&rec.system_name),
                rec.supplier_name.as_str(),
                supplier,
                rec.manufacturer.clone(),
                rec.contract_reference.clone(),
                rec.contract_start,
                rec.contract_end,
                rec.annual_value,
                rec.hosting,
                rec.satisfaction,
                rec.notes.as_str(),
                w.source,
                w.import_id,
                key,
                t,
                w.user_id
            ],
        )
        .await?
        .unwrap_or_default())
}

async fn update_row(
    tx: &mut Tx,
    w: &Writer,
    id: i64,
    rec: &SystemRecord,
    key: &str,
) -> DbResult<()> {
    let supplier = supplier_id(tx, rec).await?;
    tx.execute(
        "UPDATE estate_systems SET visibility = $1, service_area = $2, system_name = $3,
            product_key = $4, supplier_name = $5, supplier_id = $6, manufacturer = $7,
            contract_reference = $8, contract_start = $9, contract_end = $10,
            annual_value_pence = $11, hosting = $12, satisfaction = $13, notes = $14,
            record_key = $15, updated_at = $16, updated_by = $17,
            import_id = COALESCE($18, import_id)
         WHERE id = $19 AND org_id = $20",
        args![
            rec.visibility,
            rec.service_area.as_str(),
            rec.system_name.as_str(),
            comparable(&rec.system_name),
            rec.supplier_name.as_str(),
            supplier,
            rec.manufacturer.clone(),
            rec.contract_reference.clone(),
            rec.contract_start,
            rec.contract_end,
            rec.annual_value,
            rec.hosting,
            rec.satisfaction,
            rec.notes.as_str(),
            key,
            now(),
            w.user_id,
            w.import_id,
            id,
            w.org_id
        ],
    )
    .await?;
    Ok(())
}

/// Adds a record typed into the form. A second record with the same identity is refused.
pub async fn create(db: &Db, w: &Writer, rec: &SystemRecord) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    let key = rec.record_key();
    if let Some(id) = existing(&mut tx, w.org_id, &key).await? {
        return Err(StoreError::Duplicate(id));
    }
    let id = insert_row(&mut tx, w, rec, &key).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a record of the writer's own organisation. Returns false when there is no such
/// record in that organisation.
pub async fn update(db: &Db, w: &Writer, id: i64, rec: &SystemRecord) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    let owned = tx
        .scalar::<i64>(
            "SELECT id FROM estate_systems WHERE id = $1 AND org_id = $2",
            args![id, w.org_id],
        )
        .await?;
    if owned.is_none() {
        return Ok(false);
    }
    let key = rec.record_key();
    if let Some(other) = existing(&mut tx, w.org_id, &key).await?
        && other != id
    {
        return Err(StoreError::Duplicate(other));
    }
    update_row(&mut tx, w, id, rec, &key).await?;
    tx.commit().await?;
    Ok(true)
}

/// Adds or refreshes a record from an import, inside the import's transaction. Returns the
/// id and whether it was new.
pub async fn upsert(tx: &mut Tx, w: &Writer, rec: &SystemRecord) -> DbResult<(i64, bool)> {
    let key = rec.record_key();
    match existing(tx, w.org_id, &key).await? {
        Some(id) => {
            update_row(tx, w, id, rec, &key).await?;
            Ok((id, false))
        }
        None => Ok((insert_row(tx, w, rec, &key).await?, true)),
    }
}

/// Deletes a record of the viewer's own organisation.
pub async fn delete(db: &Db, viewer: &Viewer, id: i64) -> DbResult<bool> {
    let Some(org_id) = viewer.org_id() else {
        return Ok(false);
    };
    Ok(db
        .execute(
            "DELETE FROM estate_systems WHERE id = $1 AND org_id = $2",
            args![id, org_id],
        )
        .await?
        > 0)
}

/// Records an import for provenance and returns its id.
pub async fn record_import(
    tx: &mut Tx,
    org_id: i64,
    file_name: &str,
    layout: &str,
    user_id: Option<i64>,
) -> DbResult<i64> {
    Ok(tx
        .scalar::<i64>(
            "INSERT INTO estate_imports (org_id, file_name, layout, rows_added, rows_updated, imported_by, imported_at)
             VALUES ($1, $2, $3, 0, 0, $4, $5) RETURNING id",
            args![org_id, file_name, layout, user_id, now()],
        )
        .await?
        .unwrap_or_default())
}

pub async fn finish_import(tx: &mut Tx, id: i64, added: i64, updated: i64) -> DbResult<()> {
    tx.execute(
        "UPDATE estate_imports SET rows_added = $1, rows_updated = $2 WHERE id = $3",
        args![added, updated, id],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ImportRecord {
    pub id: i64,
    pub file_name: String,
    pub layout: String,
    pub rows_added: i64,
    pub rows_updated: i64,
    pub imported_at: i64,
    pub imported_by_name: Option<String>,
}

impl ImportRecord {
    pub fn when(&self) -> String {
        crate::web::filters::date_time(self.imported_at)
    }
}

/// An organisation's recent imports.
pub async fn imports(db: &Db, org_id: i64) -> DbResult<Vec<ImportRecord>> {
    db.fetch_all(
        "SELECT i.id, i.file_name, i.layout, i.rows_added, i.rows_updated, i.imported_at,
                u.name AS imported_by_name
         FROM estate_imports i LEFT JOIN users u ON u.id = i.imported_by
         WHERE i.org_id = $1 ORDER BY i.imported_at DESC, i.id DESC LIMIT 20",
        args![org_id],
    )
    .await
}

/// True when the organisation already has demo records (the demo seeds once).
pub async fn has_demo_records(db: &Db, org_id: i64) -> DbResult<bool> {
    Ok(db
        .scalar::<i64>(
            "SELECT COUNT(*) FROM estate_systems WHERE org_id = $1 AND source = 'demo'",
            args![org_id],
        )
        .await?
        .unwrap_or(0)
        > 0)
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn shares_are_rounded_half_up_to_one_decimal() {
        assert_eq!(percent(5, 7), 71.4);
        assert_eq!(percent(1, 3), 33.3);
        assert_eq!(percent(2, 3), 66.7);
        assert_eq!(percent(1, 8), 12.5);
        assert_eq!(percent(1, 16), 6.3, "6.25 rounds up");
        assert_eq!(percent(7, 7), 100.0);
        assert_eq!(percent(0, 0), 0.0, "nothing to share");
    }
}

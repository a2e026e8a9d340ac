//! Spend-based red flags: patterns in published payments that an officer may want to check.
//! A flag is never a finding: each carries the payments (or yearly figures) behind it and a
//! sentence saying why it was raised, so that a person can look at the evidence and decide.
//!
//! Four kinds:
//! - **just under a threshold**: three or more payments from one body to one supplier within
//!   90 days, each between 90% and 100% of a threshold;
//! - **possible split**: two or more payments from one body to one supplier on the same day,
//!   each below a threshold but together at or above it;
//! - **possible duplicate**: one body paying one supplier the same amount twice on the same
//!   day under different transaction references (or without one);
//! - **share jump**: a supplier's share of a category rising by 20 percentage points or more
//!   from one financial year to the next, in a market large enough to matter.
//!
//! Only named suppliers are flagged: redacted personal payees have no supplier and are never
//! named here. Supplier-total files (one total per supplier for a period, no dates) are left
//! out of the payment flags: their rows are not payments.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;

use super::dates::financial_year_name as fy_name;
use super::store::Scope;
use crate::args;
use crate::db::{Db, DbError, DbResult};
use crate::money::Pence;

/// A payment counts as "just under" a threshold from 90% of it. WHY: quotation rules bite at
/// the threshold itself, so an order shaped to avoid them lands just below it; 10% is wide
/// enough to catch "£4,650 + VAT" style amounts, narrow enough that ordinary spend of that
/// size rarely falls in by chance three times with one supplier.
pub const NEAR_FLOOR_PERCENT: i64 = 90;
/// At least this many just-under payments. WHY: one or two are coincidence; a third within a
/// quarter is a pattern worth a look.
pub const NEAR_MIN_PAYMENTS: usize = 3;
/// Within this many days. WHY: a quarter covers most ways of spreading one need over several
/// orders (monthly payment runs, "one now, one next month") without joining a supplier's
/// unrelated payments years apart.
pub const NEAR_WINDOW_DAYS: i64 = 90;

/// A same-day split counts payments from 30% of the threshold. WHY: a purchase split to stay
/// under a threshold splits into parts of some size; a small extra invoice that happens to
/// be paid in the same payment run (delivery, a part) is not a split.
pub const SPLIT_FLOOR_PERCENT: i64 = 30;
/// And at most four payments. WHY: one purchase split to dodge a threshold makes two, three
/// or four invoices; dozens of payments to one supplier on one day are a batch (a utility's
/// bills per site, care placements) and on the real files they drowned the real candidates.
pub const SPLIT_MAX_PAYMENTS: i64 = 4;

/// Duplicates are looked for from £500. WHY: it is the publication threshold; below it only
/// card statements publish anything, where the same small sum twice in a day (two tickets,
/// two meals) is ordinary, and checking costs more than it could save.
pub const DUPLICATE_MIN_PENCE: i64 = 500 * 100;
/// At most three identical payments. WHY: an invoice paid twice (or three times) is the
/// mistake to catch; thirty equal payments on one day are standard rates paid in a batch
/// (fostering allowances, grants per school), which is how they appear in the real files.
pub const DUPLICATE_MAX_PAYMENTS: i64 = 3;

/// A share jump is a rise of at least 20 percentage points (in basis points). WHY: shares in
/// a market move a few points a year as contracts end and start; a fifth of a market changing
/// hands in a year is a new contract, a direct award or a reclassification, each worth
/// knowing about.
pub const SHARE_JUMP_BP: i64 = 2_000;
/// Both years' category spend (in the scope or the body) must be at least £100,000. WHY: in a
/// small market one invoice moves shares by tens of points and means nothing.
pub const SHARE_MIN_CATEGORY_PENCE: i64 = 100_000 * 100;

/// The page shows at most this many flags of each kind, largest first. WHY: the page is for
/// reading; a list longer than this says the thresholds need changing, not that every line
/// should be read. The JSON API and CSV carry the same cap, and say so.
pub const MAX_FLAGS_PER_KIND: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    JustUnder,
    Split,
    Duplicate,
    ShareJump,
}

impl FlagKind {
    pub const ALL: [FlagKind; 4] = [
        FlagKind::JustUnder,
        FlagKind::Split,
        FlagKind::Duplicate,
        FlagKind::ShareJump,
    ];
    pub fn label(self) -> &'static str {
        match self {
            FlagKind::JustUnder => "Repeated payments just under a threshold",
            FlagKind::Split => "Possible split payments",
            FlagKind::Duplicate => "Possible duplicate payments",
            FlagKind::ShareJump => "Supplier share jumps",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            FlagKind::JustUnder => "just_under",
            FlagKind::Split => "split",
            FlagKind::Duplicate => "duplicate",
            FlagKind::ShareJump => "share_jump",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Threshold {
    pub amount_pence: i64,
    pub label: String,
}

/// One payment behind a flag: enough to find it in the body's published file.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Evidence {
    pub payment_id: i64,
    pub paid_on: NaiveDate,
    #[serde(skip)]
    pub org_id: i64,
    pub body_slug: String,
    pub body: String,
    pub supplier_id: i64,
    pub supplier: String,
    pub amount_pence: i64,
    pub transaction_ref: Option<String>,
    /// The published file the payment was imported from, and its line in that file.
    pub file_name: String,
    pub line_no: i64,
}

/// A supplier's spend in a category in one financial year (named by its first year).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ShareYear {
    pub financial_year: i64,
    pub supplier_pence: i64,
    pub category_pence: i64,
    /// Basis points: 100 = 1%.
    pub share_bp: i64,
    /// How many bodies the category's spend is summed over: those with market spend in both
    /// years compared, so a body that published only one of them moves no share.
    pub bodies: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Flag {
    pub kind: FlagKind,
    /// Why it was flagged, in a sentence.
    pub why: String,
    /// The body, when the flag is about one body's payments or market.
    pub body_slug: Option<String>,
    pub body: Option<String>,
    pub supplier_id: i64,
    pub supplier: String,
    pub threshold: Option<Threshold>,
    pub category_code: Option<String>,
    pub category: Option<String>,
    /// The payments' total; for a share jump, the supplier's spend in the later year.
    pub total_pence: i64,
    pub payments: Vec<Evidence>,
    /// For a share jump: the two years compared.
    pub shares: Vec<ShareYear>,
}

/// Which payments the flags look at.
#[derive(Debug, Clone)]
pub struct Filter {
    pub scope: Scope,
    /// One body's slug: its payments, and shares of its own spend.
    pub body: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Flags {
    pub flags: Vec<Flag>,
    /// Kinds that had more than `MAX_FLAGS_PER_KIND` flags: only the largest are listed.
    pub truncated: Vec<FlagKind>,
}

impl Flags {
    pub fn of(&self, kind: FlagKind) -> impl Iterator<Item = &Flag> {
        self.flags.iter().filter(move |f| f.kind == kind)
    }
    pub fn count(&self, kind: FlagKind) -> usize {
        self.of(kind).count()
    }
}

// ---------------------------------------------------------------------------------------
// Pure logic

/// The lowest amount, in pence, that is "a fraction of" a threshold: rounded up, so that
/// the band never reaches below the stated percentage.
pub fn floor_of(threshold: i64, percent: i64) -> i64 {
    (threshold * percent + 99) / 100
}

/// Groups of just-under payments: `dates` are one body's payments to one supplier, sorted.
/// Every 90-day window holding at least three payments is a pattern; windows that share a
/// payment are one flag. Returns index ranges into `dates`.
pub fn near_clusters(dates: &[NaiveDate]) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    let mut end = 0;
    for start in 0..dates.len() {
        end = end.max(start);
        while end < dates.len() && (dates[end] - dates[start]).num_days() <= NEAR_WINDOW_DAYS {
            end += 1;
        }
        if end - start >= NEAR_MIN_PAYMENTS {
            match out.last_mut() {
                Some(last) if last.end > start => last.end = end,
                _ => out.push(start..end),
            }
        }
    }
    out
}

/// Whether same-day, same-amount payments to one supplier look like a duplicate rather than
/// one payment published as several lines. Identical rows (the same reference) are lines of
/// one transaction as the body's ledger records it, which the importer keeps on purpose; a
/// second reference, or a missing one, means a second payment.
pub fn looks_duplicate(refs: &[Option<&str>]) -> bool {
    if refs.len() < 2 {
        return false;
    }
    let distinct: HashSet<&str> = refs.iter().flatten().map(|r| r.trim()).collect();
    refs.iter().any(Option::is_none) || distinct.len() >= 2
}

/// One supplier's positive spend in one category in one financial year (of a scope or body).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MarketRow {
    pub code: String,
    pub category: String,
    pub supplier_id: i64,
    pub supplier: String,
    pub org_id: i64,
    pub fy: i64,
    pub total_pence: i64,
}

/// A supplier whose share of a category rose by `SHARE_JUMP_BP` or more between consecutive
/// financial years, both with at least `SHARE_MIN_CATEGORY_PENCE` of spend. A category's
/// spend is the sum of its suppliers' positive spend (net refunds are not market shares, as
/// for concentration). A supplier absent the year before had a share of nothing.
///
/// Each pair of years is compared over the bodies with market spend in both: across London,
/// a borough whose files cover only the later year would otherwise make its own suppliers'
/// shares look as if they had jumped.
pub fn share_jumps(rows: &[MarketRow]) -> Vec<(MarketRow, ShareYear, ShareYear)> {
    let positive = || rows.iter().filter(|r| r.total_pence > 0);
    let mut coverage: HashMap<i64, HashSet<i64>> = HashMap::new();
    for r in positive() {
        coverage.entry(r.fy).or_default().insert(r.org_id);
    }
    let mut years: Vec<i64> = coverage.keys().copied().collect();
    years.sort_unstable();
    let share = |s: i64, t: i64| -> i64 {
        if t <= 0 {
            0
        } else {
            ((s as i128 * 10_000 + t as i128 / 2) / t as i128) as i64
        }
    };
    let mut out = Vec::new();
    for fy in years {
        let Some(before_bodies) = coverage.get(&(fy - 1)) else {
            continue;
        };
        let both: HashSet<i64> = coverage[&fy].intersection(before_bodies).copied().collect();
        let compared =
            || positive().filter(|r| (r.fy == fy || r.fy == fy - 1) && both.contains(&r.org_id));
        let mut totals: HashMap<(&str, i64), i64> = HashMap::new();
        let mut spend: HashMap<(&str, i64, i64), i64> = HashMap::new();
        for r in compared() {
            *totals.entry((r.code.as_str(), r.fy)).or_default() += r.total_pence;
            *spend
                .entry((r.code.as_str(), r.supplier_id, r.fy))
                .or_default() += r.total_pence;
        }
        let mut seen = HashSet::new();
        for r in compared().filter(|r| r.fy == fy) {
            if !seen.insert((r.code.as_str(), r.supplier_id)) {
                continue;
            }
            let (Some(&now_total), Some(&before_total)) = (
                totals.get(&(r.code.as_str(), fy)),
                totals.get(&(r.code.as_str(), fy - 1)),
            ) else {
                continue;
            };
            if now_total < SHARE_MIN_CATEGORY_PENCE || before_total < SHARE_MIN_CATEGORY_PENCE {
                continue;
            }
            let now = spend[&(r.code.as_str(), r.supplier_id, fy)];
            let before = spend
                .get(&(r.code.as_str(), r.supplier_id, fy - 1))
                .copied()
                .unwrap_or(0);
            let (a, b) = (share(before, before_total), share(now, now_total));
            if b - a >= SHARE_JUMP_BP {
                let bodies = both.len() as i64;
                out.push((
                    r.clone(),
                    ShareYear {
                        financial_year: fy - 1,
                        supplier_pence: before,
                        category_pence: before_total,
                        share_bp: a,
                        bodies,
                    },
                    ShareYear {
                        financial_year: fy,
                        supplier_pence: now,
                        category_pence: now_total,
                        share_bp: b,
                        bodies,
                    },
                ));
            }
        }
    }
    out
}

fn pct(bp: i64) -> String {
    format!("{:.1}%", bp as f64 / 100.0)
}

fn day(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

pub fn why_just_under(t: &Threshold, payments: &[Evidence]) -> String {
    let total: i64 = payments.iter().map(|p| p.amount_pence).sum();
    let (first, last) = date_span(payments);
    format!(
        "{} payments between {} and {}, each between {}% and 100% of the {} ({}), together {}: \
         check whether they were one requirement that should have been bought under the \
         threshold's rules.",
        payments.len(),
        day(first),
        day(last),
        NEAR_FLOOR_PERCENT,
        t.label,
        Pence(t.amount_pence).display_pounds(),
        Pence(total).display_exact(),
    )
}

pub fn why_split(t: &Threshold, payments: &[Evidence]) -> String {
    let total: i64 = payments.iter().map(|p| p.amount_pence).sum();
    let (first, _) = date_span(payments);
    format!(
        "{} payments on {}, each below the {} ({}) but together {}: check whether one purchase \
         was split into smaller invoices.",
        payments.len(),
        day(first),
        t.label,
        Pence(t.amount_pence).display_pounds(),
        Pence(total).display_exact(),
    )
}

pub fn why_duplicate(payments: &[Evidence]) -> String {
    let refs: Vec<&str> = payments
        .iter()
        .filter_map(|p| p.transaction_ref.as_deref())
        .collect();
    let how = if refs.len() < payments.len() {
        if refs.is_empty() {
            "with no transaction reference to tell them apart".to_owned()
        } else {
            "not all with a transaction reference".to_owned()
        }
    } else {
        format!("under different references ({})", refs.join(", "))
    };
    let (first, _) = date_span(payments);
    format!(
        "{} payments of {} each on {}, {how}: check that the invoice was not paid twice.",
        payments.len(),
        Pence(payments.first().map_or(0, |p| p.amount_pence)).display_exact(),
        day(first),
    )
}

pub fn why_share_jump(category: &str, where_: &str, before: &ShareYear, now: &ShareYear) -> String {
    let over = if now.bodies > 1 {
        format!(
            " Counted over the {} bodies with spend in both years.",
            now.bodies
        )
    } else {
        String::new()
    };
    format!(
        "Its share of {where_} spend on {category} rose from {} in {} to {} in {} ({} of {}): \
         check how the work was awarded.{over}",
        pct(before.share_bp),
        fy_name(before.financial_year),
        pct(now.share_bp),
        fy_name(now.financial_year),
        Pence(now.supplier_pence).display_pounds(),
        Pence(now.category_pence).display_pounds(),
    )
}

fn date_span(payments: &[Evidence]) -> (NaiveDate, NaiveDate) {
    let first = payments.iter().map(|p| p.paid_on).min();
    let last = payments.iter().map(|p| p.paid_on).max();
    match (first, last) {
        (Some(a), Some(b)) => (a, b),
        _ => (NaiveDate::MIN, NaiveDate::MIN),
    }
}

// ---------------------------------------------------------------------------------------
// Thresholds

#[derive(Debug, thiserror::Error)]
pub enum ThresholdError {
    #[error("Enter the threshold as an amount in pounds, for example £5,000.")]
    BadAmount,
    #[error("A threshold must be more than £0.")]
    NotPositive,
    #[error(
        "Enter a short description of the threshold, for example \"£5,000 quotation threshold\" (at most 100 characters)."
    )]
    BadLabel,
    #[error("There is already a threshold of {0}.")]
    Exists(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

pub async fn thresholds(db: &Db) -> DbResult<Vec<Threshold>> {
    db.fetch_all(
        "SELECT amount_pence, label FROM spend_thresholds ORDER BY amount_pence",
        vec![],
    )
    .await
}

/// Adds a threshold from what a person typed ("£5,000", "5000").
pub async fn add_threshold(
    db: &Db,
    amount: &str,
    label: &str,
) -> Result<Threshold, ThresholdError> {
    let pence = Pence::parse_published(amount)
        .map_err(|_| ThresholdError::BadAmount)?
        .0;
    if pence <= 0 {
        return Err(ThresholdError::NotPositive);
    }
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(ThresholdError::BadLabel);
    }
    let done = db
        .execute(
            "INSERT INTO spend_thresholds (amount_pence, label) VALUES ($1, $2)
             ON CONFLICT (amount_pence) DO NOTHING",
            args![pence, label],
        )
        .await?;
    if done == 0 {
        return Err(ThresholdError::Exists(Pence(pence).display_exact()));
    }
    Ok(Threshold {
        amount_pence: pence,
        label: label.to_owned(),
    })
}

/// Removes a threshold; the label it had, if there was one.
pub async fn remove_threshold(db: &Db, amount_pence: i64) -> DbResult<Option<String>> {
    let label: Option<String> = db
        .scalar(
            "SELECT label FROM spend_thresholds WHERE amount_pence = $1",
            args![amount_pence],
        )
        .await?;
    if label.is_some() {
        db.execute(
            "DELETE FROM spend_thresholds WHERE amount_pence = $1",
            args![amount_pence],
        )
        .await?;
    }
    Ok(label)
}

// ---------------------------------------------------------------------------------------
// Queries

/// The payments a flag can rest on: dated payments (not supplier totals) to named suppliers
/// (so never a redacted person), from the bodies the filter covers, in categories bought
/// from a market (procurement thresholds do not apply to grants, tax or transfers between
/// public bodies, which on the real files were most of the noise), as a condition on
/// `spend_payments p`. `$1` is the body's slug or NULL; the caller's own placeholders start
/// at `$2`.
///
/// Every column it reads is in the `spend_payments_amount` index, so a band of millions of
/// payments is grouped without reading the table. One body's payments are found by its id,
/// so that the planner may read them through an index that starts with the body. The unary
/// `+` keeps SQLite from choosing another index for the London bodies, categories or
/// imports (a plain arithmetic no-op on PostgreSQL): across London that would mean a table
/// read per payment again.
fn candidates_where(filter: &Filter) -> String {
    let scope = match (&filter.body, filter.scope) {
        (Some(_), _) => "p.org_id = (SELECT id FROM organisations WHERE slug = $1)",
        (None, Scope::London) => {
            "CAST($1 AS TEXT) IS NULL
             AND +p.org_id IN (SELECT id FROM organisations WHERE kind = 'borough')"
        }
        (None, Scope::All) => "CAST($1 AS TEXT) IS NULL",
    };
    format!(
        "+p.import_id IN (SELECT id FROM spend_imports WHERE kind = 'transactions')
         AND +p.category_id IN (SELECT id FROM spend_categories WHERE is_market = TRUE)
         AND p.supplier_id IS NOT NULL AND {scope}"
    )
}

/// What a flag shows of each payment: enough to find it in the body's published file. Goes
/// with [`EVIDENCE_JOINS`] after `FROM spend_payments p`.
const EVIDENCE_COLUMNS: &str =
    "SELECT p.id AS payment_id, p.paid_on, p.org_id, o.slug AS body_slug,
    o.name AS body, p.supplier_id, s.name AS supplier, p.amount_pence, p.transaction_ref,
    i.file_name, p.line_no ";

const EVIDENCE_JOINS: &str = "JOIN spend_imports i ON i.id = p.import_id
    JOIN organisations o ON o.id = p.org_id
    JOIN suppliers s ON s.id = p.supplier_id";

/// Flags already worked out, keyed by filter, each with the [`generation`] of the data it was
/// worked out from. Flags read every payment above the smallest threshold, seconds of work on
/// millions of payments, while the data changes only when a file is imported, a threshold
/// changes or suppliers are merged or split.
///
/// One piece of work per filter at a time: every page that asks while a filter's flags are
/// being worked out waits for that work (or, from [`cached_or_start`], leaves it running)
/// rather than starting another. Without this, each view of a busy body page would start its
/// own seconds-long computation and they would crowd each other out.
#[derive(Debug, Default)]
pub struct FlagsCache {
    done: std::sync::Mutex<HashMap<CacheKey, (Generation, std::sync::Arc<Flags>)>>,
    working: std::sync::Mutex<HashMap<CacheKey, std::sync::Arc<tokio::sync::Mutex<()>>>>,
    worked_out: std::sync::atomic::AtomicU64,
}

pub type Cache = std::sync::Arc<FlagsCache>;

type CacheKey = (Scope, Option<String>);

impl FlagsCache {
    /// The flags for a filter, if they were worked out from the data as it is now.
    fn get(&self, filter: &Filter, now: Generation) -> Option<std::sync::Arc<Flags>> {
        let done = self.done.lock().ok()?;
        done.get(&cache_key(filter))
            .filter(|(g, _)| *g == now)
            .map(|(_, flags)| flags.clone())
    }

    /// The flags last worked out for a filter, from whatever data they were worked out from.
    fn latest(&self, filter: &Filter) -> Option<std::sync::Arc<Flags>> {
        let done = self.done.lock().ok()?;
        done.get(&cache_key(filter)).map(|(_, flags)| flags.clone())
    }

    fn put(&self, filter: &Filter, now: Generation, flags: std::sync::Arc<Flags>) {
        if let Ok(mut done) = self.done.lock() {
            done.insert(cache_key(filter), (now, flags));
        }
    }

    /// The lock held while a filter's flags are worked out.
    fn work_lock(&self, filter: &Filter) -> std::sync::Arc<tokio::sync::Mutex<()>> {
        match self.working.lock() {
            Ok(mut w) => w.entry(cache_key(filter)).or_default().clone(),
            // A poisoned map only loses the sharing of work, not correctness.
            Err(_) => Default::default(),
        }
    }

    /// How many times flags have been worked out (not answered from the cache) so far.
    pub fn times_worked_out(&self) -> u64 {
        self.worked_out.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn is_working(&self, filter: &Filter) -> bool {
        self.work_lock(filter).try_lock().is_err()
    }
}

/// What the flags depend on: the newest import, the thresholds, the newest merge or split.
/// Read from the database, so every instance sharing it sees the same.
pub type Generation = (i64, i64, i64, i64);

/// A body's flags do not depend on the scope (it is ignored when a body is given).
fn cache_key(filter: &Filter) -> CacheKey {
    match &filter.body {
        Some(b) => (Scope::All, Some(b.clone())),
        None => (filter.scope, None),
    }
}

async fn generation(db: &Db) -> DbResult<Generation> {
    db.fetch_one(
        "SELECT CAST((SELECT COALESCE(MAX(id), 0) FROM spend_imports) AS BIGINT),
                CAST((SELECT COUNT(*) FROM spend_thresholds) AS BIGINT),
                CAST((SELECT COALESCE(SUM(amount_pence), 0) FROM spend_thresholds) AS BIGINT),
                CAST((SELECT COALESCE(MAX(id), 0) FROM supplier_decisions) AS BIGINT)",
        vec![],
    )
    .await
}

/// The flags for a filter if they are in the cache and up to date; otherwise `None`, and they
/// start being worked out in the background so that a later look finds them. For pages that
/// show flags beside other figures and should not wait seconds for them.
pub async fn cached_or_start(
    db: &Db,
    cache: &Cache,
    filter: &Filter,
) -> DbResult<Option<std::sync::Arc<Flags>>> {
    let now = generation(db).await?;
    if let Some(flags) = cache.get(filter, now) {
        return Ok(Some(flags));
    }
    if !cache.is_working(filter) {
        start(db, cache, filter, now);
    }
    Ok(None)
}

/// [`work_out`] in a task of its own, which carries on whether or not anyone waits for it.
fn start(
    db: &Db,
    cache: &Cache,
    filter: &Filter,
    now: Generation,
) -> tokio::task::JoinHandle<DbResult<std::sync::Arc<Flags>>> {
    let (db, cache, filter) = (db.clone(), cache.clone(), filter.clone());
    tokio::spawn(async move {
        let flags = work_out(&db, &cache, &filter, now).await;
        if let Err(e) = &flags {
            tracing::warn!(error = %e, "working out spend flags failed");
        }
        flags
    })
}

/// Works a filter's flags out from the data at generation `now`, one piece of work per filter
/// at a time, unless whoever held the work before has just done it.
async fn work_out(
    db: &Db,
    cache: &Cache,
    filter: &Filter,
    now: Generation,
) -> DbResult<std::sync::Arc<Flags>> {
    let lock = cache.work_lock(filter);
    let _working = lock.lock().await;
    if let Some(flags) = cache.get(filter, now) {
        return Ok(flags);
    }
    let flags = std::sync::Arc::new(find(db, filter).await?);
    cache
        .worked_out
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    cache.put(filter, now, flags.clone());
    Ok(flags)
}

/// After an import, starts working out the flags the import changed (London's and each
/// imported body's) in the background, so that the first person to look after an import
/// does not wait for them.
pub async fn warm(db: &Db, cache: &Cache, bodies: &[String]) -> DbResult<()> {
    let filters = std::iter::once(Filter {
        scope: Scope::London,
        body: None,
    })
    .chain(bodies.iter().map(|b| Filter {
        scope: Scope::All,
        body: Some(b.clone()),
    }));
    for filter in filters {
        cached_or_start(db, cache, &filter).await?;
    }
    Ok(())
}

/// What a page can show without keeping its reader waiting.
pub enum Answer {
    /// Worked out from the data as it is now.
    Current(std::sync::Arc<Flags>),
    /// Worked out before the latest import, threshold change, merge or split; the current
    /// ones are being worked out.
    Earlier(std::sync::Arc<Flags>),
    /// Being worked out, and none were worked out before.
    NotYet,
}

/// The flags for a filter, waiting at most `patience` for them to be worked out. Past that the
/// work carries on in the background (London's take minutes on tens of millions of payments)
/// and the answer is the flags worked out before, if any: a page should not hang for minutes.
pub async fn within(
    db: &Db,
    cache: &Cache,
    filter: &Filter,
    patience: std::time::Duration,
) -> DbResult<Answer> {
    let now = generation(db).await?;
    if let Some(flags) = cache.get(filter, now) {
        return Ok(Answer::Current(flags));
    }
    match tokio::time::timeout(patience, start(db, cache, filter, now)).await {
        Ok(Ok(flags)) => flags.map(Answer::Current),
        Ok(Err(e)) => Err(DbError::Sqlx(sqlx::Error::Protocol(format!(
            "working out spend flags failed: {e}"
        )))),
        Err(_) => Ok(match cache.latest(filter) {
            Some(flags) => Answer::Earlier(flags),
            None => Answer::NotYet,
        }),
    }
}

/// [`find`], answered from the cache when nothing it depends on has changed.
pub async fn find_cached(
    db: &Db,
    cache: &Cache,
    filter: &Filter,
) -> DbResult<std::sync::Arc<Flags>> {
    let now = generation(db).await?;
    match cache.get(filter, now) {
        Some(flags) => Ok(flags),
        None => work_out(db, cache, filter, now).await,
    }
}

/// Every flag for the filter, largest first within each kind (equal totals in order of body,
/// supplier and date), at most [`MAX_FLAGS_PER_KIND`] of each.
///
/// Only the flags that can be listed are fully worked out. A large database has hundreds of
/// thousands of candidates (London at 20 million payments: almost half a million same-day
/// splits under £5,000), and fetching the evidence of all of them took ten minutes and over a
/// gigabyte to list 500. So each threshold contributes at most one more than can be listed,
/// found largest first by the database; the union of those holds the largest overall, and
/// shows whether any were cut.
pub async fn find(db: &Db, filter: &Filter) -> DbResult<Flags> {
    let thresholds = thresholds(db).await?;
    let mut flags = Vec::new();
    let mut near_ids: Vec<HashSet<i64>> = Vec::new();
    for t in &thresholds {
        let (mut near, ids) = just_under(db, filter, t).await?;
        flags.append(&mut near);
        near_ids.extend(ids);
    }
    // Which "just under" clusters each payment is in, so that a split is checked against the
    // clusters of its own payments only.
    let mut clusters_of: HashMap<i64, Vec<usize>> = HashMap::new();
    for (k, ids) in near_ids.iter().enumerate() {
        for id in ids {
            clusters_of.entry(*id).or_default().push(k);
        }
    }
    // Three £4,900 payments on one day are already a "just under" flag; saying so twice adds
    // nothing.
    let not_near = |g: &[Evidence]| {
        let ids: HashSet<i64> = g.iter().map(|p| p.payment_id).collect();
        !g.first()
            .and_then(|p| clusters_of.get(&p.payment_id))
            .is_some_and(|ks| ks.iter().any(|k| ids.is_subset(&near_ids[*k])))
    };
    for t in &thresholds {
        flags.append(&mut splits(db, filter, t, &not_near).await?);
    }
    flags.append(&mut duplicates(db, filter).await?);
    flags.append(&mut jumps(db, filter).await?);
    flags.sort_by(|a, b| a.kind.cmp(&b.kind).then(rank(a).cmp(&rank(b))));
    let mut out = Flags::default();
    let mut per_kind: BTreeMap<FlagKind, usize> = BTreeMap::new();
    for f in flags {
        let n = per_kind.entry(f.kind).or_default();
        *n += 1;
        if *n <= MAX_FLAGS_PER_KIND {
            out.flags.push(f);
        } else if *n == MAX_FLAGS_PER_KIND + 1 {
            out.truncated.push(f.kind);
        }
    }
    Ok(out)
}

/// The order of flags within a kind, the same as the order in which the database finds
/// groups (see [`largest_groups`]): largest total first, then body, supplier, date.
type Rank = (
    std::cmp::Reverse<i64>,
    Option<i64>,
    i64,
    Option<(NaiveDate, i64, i64)>,
    Option<String>,
);

fn rank(f: &Flag) -> Rank {
    let first = f.payments.first();
    (
        std::cmp::Reverse(f.total_pence),
        first.map(|p| p.org_id),
        f.supplier_id,
        first.map(|p| (p.paid_on, p.amount_pence, p.payment_id)),
        f.category_code.clone(),
    )
}

/// How many flags of one kind are worked out per threshold: one more than can be listed, to
/// know whether to say that some were left out.
const WANTED: usize = MAX_FLAGS_PER_KIND + 1;

/// Groups fetched at a time, largest first, by [`largest_groups`]. Most filters need one page;
/// another is fetched only when many of the largest groups are turned down.
const PAGE: usize = 600;

fn base_flag(kind: FlagKind, first: &Evidence, why: String, t: Option<&Threshold>) -> Flag {
    Flag {
        kind,
        why,
        body_slug: Some(first.body_slug.clone()),
        body: Some(first.body.clone()),
        supplier_id: first.supplier_id,
        supplier: first.supplier.clone(),
        threshold: t.cloned(),
        category_code: None,
        category: None,
        total_pence: 0,
        payments: Vec::new(),
        shares: Vec::new(),
    }
}

/// A payment in a threshold's band, read from the amount index alone.
#[derive(sqlx::FromRow)]
struct Candidate {
    id: i64,
    org_id: i64,
    supplier_id: i64,
    paid_on: NaiveDate,
    amount_pence: i64,
}

/// Payments 90–100% of a threshold, clustered per body and supplier in 90-day windows.
/// Clusters are found from the amount index alone; only the largest [`WANTED`] have their
/// evidence read. Also returns the payments of every cluster, which a split must not repeat.
async fn just_under(
    db: &Db,
    filter: &Filter,
    t: &Threshold,
) -> DbResult<(Vec<Flag>, Vec<HashSet<i64>>)> {
    let rows: Vec<Candidate> = db
        .fetch_all(
            format!(
                "SELECT p.id, p.org_id, p.supplier_id, p.paid_on, p.amount_pence
                 FROM spend_payments p
                 WHERE {} AND p.amount_pence >= $2 AND p.amount_pence < $3
                 ORDER BY p.org_id, p.supplier_id, p.paid_on, p.id",
                candidates_where(filter)
            ),
            args![
                filter.body.as_deref(),
                floor_of(t.amount_pence, NEAR_FLOOR_PERCENT),
                t.amount_pence
            ],
        )
        .await?;
    let mut clusters: Vec<&[Candidate]> = Vec::new();
    for group in rows.chunk_by(|a, b| a.org_id == b.org_id && a.supplier_id == b.supplier_id) {
        let dates: Vec<NaiveDate> = group.iter().map(|p| p.paid_on).collect();
        clusters.extend(near_clusters(&dates).into_iter().map(|r| &group[r]));
    }
    let every: Vec<HashSet<i64>> = clusters
        .iter()
        .map(|c| c.iter().map(|p| p.id).collect())
        .collect();
    let total = |c: &[Candidate]| c.iter().map(|p| p.amount_pence).sum::<i64>();
    clusters.sort_by_cached_key(|c| {
        (
            std::cmp::Reverse(total(c)),
            c[0].org_id,
            c[0].supplier_id,
            c[0].paid_on,
            c[0].amount_pence,
            c[0].id,
        )
    });
    clusters.truncate(WANTED);
    let ids: Vec<i64> = clusters
        .iter()
        .flat_map(|c| c.iter().map(|p| p.id))
        .collect();
    let evidence = evidence_of(db, &ids).await?;
    let mut flags = Vec::new();
    for c in clusters {
        // A payment merged away or deleted since the clusters were read leaves its cluster
        // out rather than half shown.
        let Some(payments) = c
            .iter()
            .map(|p| evidence.get(&p.id).cloned())
            .collect::<Option<Vec<Evidence>>>()
        else {
            continue;
        };
        let mut f = base_flag(
            FlagKind::JustUnder,
            &payments[0],
            why_just_under(t, &payments),
            Some(t),
        );
        f.total_pence = total(c);
        f.payments = payments;
        flags.push(f);
    }
    Ok((flags, every))
}

/// The evidence of payments chosen by id. The ids are integers read from the database, so
/// they are written into the statement as a list rather than bound one by one (SQLite caps
/// the number of parameters).
async fn evidence_of(db: &Db, ids: &[i64]) -> DbResult<HashMap<i64, Evidence>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let rows: Vec<Evidence> = db
            .fetch_all(
                format!(
                    "{EVIDENCE_COLUMNS} FROM spend_payments p {EVIDENCE_JOINS}
                     WHERE p.id IN ({list})"
                ),
                vec![],
            )
            .await?;
        out.extend(rows.into_iter().map(|e| (e.payment_id, e)));
    }
    Ok(out)
}

/// Which payments [`largest_groups`] groups: one body's to one supplier on one day, for
/// splits; and of one amount too, for duplicates.
#[derive(Clone, Copy, PartialEq)]
enum GroupBy {
    Day,
    DayAndAmount,
}

/// The largest groups of payments that `accept` keeps, at most [`WANTED`], with their
/// evidence: largest total first, equal totals by body, supplier, date (and amount).
///
/// The groups of payments of at least `$2` (below `$3` when `below`) are found from the
/// amount index alone, a page at a time, and `having` chooses among them. Each page's
/// payments are then read through the (supplier, body, day) index, with the page driving the
/// join (`CROSS JOIN` fixes the order on SQLite); the `+` on the amount keeps SQLite from
/// reading the whole band through the amount index for each group instead.
async fn largest_groups(
    db: &Db,
    filter: &Filter,
    by: GroupBy,
    below: bool,
    having: &str,
    args: Vec<crate::db::Arg>,
    accept: &(dyn Fn(&[Evidence]) -> bool + Sync),
) -> DbResult<Vec<Vec<Evidence>>> {
    let (key, same_amount) = match by {
        GroupBy::Day => ("p.org_id, p.supplier_id, p.paid_on", ""),
        GroupBy::DayAndAmount => (
            "p.org_id, p.supplier_id, p.paid_on, p.amount_pence",
            "AND +p.amount_pence = g.amount_pence",
        ),
    };
    let band = |plus: &str| {
        let upper = if below {
            format!(" AND {plus}p.amount_pence < $3")
        } else {
            String::new()
        };
        format!("{plus}p.amount_pence >= $2{upper}")
    };
    let (cond, in_band, still_in_band) = (candidates_where(filter), band(""), band("+"));
    let mut kept = Vec::new();
    for page in 0.. {
        let rows: Vec<Evidence> = db
            .fetch_all(
                format!(
                    "{EVIDENCE_COLUMNS}
                     FROM (SELECT {key}, SUM(p.amount_pence) AS total FROM spend_payments p
                           WHERE {cond} AND {in_band}
                           GROUP BY {key} HAVING {having}
                           ORDER BY total DESC, {key} LIMIT {PAGE} OFFSET {}) g
                     CROSS JOIN spend_payments p {EVIDENCE_JOINS}
                     WHERE p.supplier_id = g.supplier_id AND p.org_id = g.org_id
                       AND p.paid_on = g.paid_on {same_amount}
                       AND {cond} AND {still_in_band}
                     ORDER BY g.total DESC, {key}, p.id",
                    page * PAGE
                ),
                args.clone(),
            )
            .await?;
        let groups: Vec<&[Evidence]> = rows
            .chunk_by(|a, b| {
                a.org_id == b.org_id
                    && a.supplier_id == b.supplier_id
                    && a.paid_on == b.paid_on
                    && (by == GroupBy::Day || a.amount_pence == b.amount_pence)
            })
            .collect();
        let last_page = groups.len() < PAGE;
        for g in groups {
            if accept(g) {
                kept.push(g.to_vec());
                if kept.len() == WANTED {
                    return Ok(kept);
                }
            }
        }
        if last_page {
            break;
        }
    }
    Ok(kept)
}

/// Same-day groups below a threshold that reach it together; only the largest have their
/// evidence read.
async fn splits(
    db: &Db,
    filter: &Filter,
    t: &Threshold,
    accept: &(dyn Fn(&[Evidence]) -> bool + Sync),
) -> DbResult<Vec<Flag>> {
    let found = largest_groups(
        db,
        filter,
        GroupBy::Day,
        true,
        "COUNT(*) >= 2 AND COUNT(*) <= $4 AND SUM(p.amount_pence) >= $3",
        args![
            filter.body.as_deref(),
            floor_of(t.amount_pence, SPLIT_FLOOR_PERCENT),
            t.amount_pence,
            SPLIT_MAX_PAYMENTS
        ],
        &|g| g.len() >= 2 && accept(g),
    )
    .await?;
    Ok(found
        .into_iter()
        .map(|g| {
            let mut f = base_flag(FlagKind::Split, &g[0], why_split(t, &g), Some(t));
            f.total_pence = g.iter().map(|p| p.amount_pence).sum();
            f.payments = g;
            f
        })
        .collect())
}

async fn duplicates(db: &Db, filter: &Filter) -> DbResult<Vec<Flag>> {
    // References are not in the index, so groups whose lines share one reference (one
    // transaction published as several lines) are found too, and `looks_duplicate` turns
    // them down: a few more groups read instead of a table read per payment.
    let found = largest_groups(
        db,
        filter,
        GroupBy::DayAndAmount,
        false,
        "COUNT(*) >= 2 AND COUNT(*) <= $3",
        args![
            filter.body.as_deref(),
            DUPLICATE_MIN_PENCE,
            DUPLICATE_MAX_PAYMENTS
        ],
        &|g| {
            looks_duplicate(
                &g.iter()
                    .map(|p| p.transaction_ref.as_deref())
                    .collect::<Vec<_>>(),
            )
        },
    )
    .await?;
    Ok(found
        .into_iter()
        .map(|g| {
            let mut f = base_flag(FlagKind::Duplicate, &g[0], why_duplicate(&g), None);
            f.total_pence = g.iter().map(|p| p.amount_pence).sum();
            f.payments = g;
            f
        })
        .collect())
}

/// Share jumps from the category × supplier × body × financial-year rollup: no payment is
/// read.
async fn jumps(db: &Db, filter: &Filter) -> DbResult<Vec<Flag>> {
    let scope = match (&filter.body, filter.scope) {
        (None, Scope::London) => "AND o.kind = 'borough'",
        _ => "",
    };
    let rows: Vec<MarketRow> = db
        .fetch_all(
            format!(
                "SELECT c.code, c.name AS category, s.id AS supplier_id, s.name AS supplier,
                        m.org_id, m.fy, CAST(SUM(m.total_pence) AS BIGINT) AS total_pence
                 FROM spend_r_market m
                 JOIN spend_categories c ON c.id = m.category_id
                 JOIN organisations o ON o.id = m.org_id
                 JOIN suppliers s ON s.id = m.supplier_id
                 WHERE c.is_market = $2 AND c.code <> $3
                   AND ($1 IS NULL OR o.slug = $1) {scope}
                 GROUP BY c.code, c.name, s.id, s.name, m.org_id, m.fy
                 HAVING SUM(m.total_pence) > 0
                 ORDER BY m.fy, c.code, s.id, m.org_id"
            ),
            args![
                filter.body.as_deref(),
                true,
                super::categories::UNCATEGORISED
            ],
        )
        .await?;
    let body_name = match &filter.body {
        Some(slug) => crate::accounts::store::find_organisation(db, slug)
            .await?
            .map(|o| o.name),
        None => None,
    };
    let where_ = match (&body_name, filter.scope) {
        (Some(n), _) => format!("{n}'s"),
        (None, Scope::London) => "the London authorities'".to_owned(),
        (None, Scope::All) => "all bodies'".to_owned(),
    };
    Ok(share_jumps(&rows)
        .into_iter()
        .map(|(r, before, now)| Flag {
            kind: FlagKind::ShareJump,
            why: why_share_jump(&r.category, &where_, &before, &now),
            body_slug: body_name.as_ref().and(filter.body.clone()),
            body: body_name.clone(),
            supplier_id: r.supplier_id,
            supplier: r.supplier.clone(),
            threshold: None,
            category_code: Some(r.code.clone()),
            category: Some(r.category.clone()),
            total_pence: now.supplier_pence,
            payments: Vec::new(),
            shares: vec![before, now],
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_band_starts_at_the_percentage_rounded_up() {
        assert_eq!(floor_of(500_000, 90), 450_000);
        assert_eq!(floor_of(50_000, 30), 15_000);
        assert_eq!(floor_of(101, 90), 91);
    }

    #[test]
    fn three_payments_within_ninety_days_are_a_cluster() {
        let dates = [d("2024-01-01"), d("2024-02-01"), d("2024-03-30")];
        assert_eq!(near_clusters(&dates), vec![0..3]);
    }

    #[test]
    fn payments_spread_over_a_long_time_are_not() {
        let dates = [
            d("2024-01-01"),
            d("2024-03-01"),
            d("2024-06-01"),
            d("2024-09-01"),
        ];
        assert!(near_clusters(&dates).is_empty());
        // Two are not a pattern, however close.
        assert!(near_clusters(&[d("2024-01-01"), d("2024-01-02")]).is_empty());
    }

    #[test]
    fn overlapping_windows_are_one_flag_and_separate_ones_two() {
        let dates = [
            d("2024-01-01"),
            d("2024-02-01"),
            d("2024-03-01"),
            d("2024-04-20"), // with 1 February and 1 March, a second window: one flag
            d("2025-01-01"),
            d("2025-01-10"),
            d("2025-01-20"),
        ];
        assert_eq!(near_clusters(&dates), vec![0..4, 4..7]);
    }

    #[test]
    fn duplicates_need_a_second_reference_or_a_missing_one() {
        assert!(looks_duplicate(&[Some("T1"), Some("T2")]));
        assert!(looks_duplicate(&[None, None]));
        assert!(looks_duplicate(&[Some("T1"), None]));
        // One transaction published as two lines.
        assert!(!looks_duplicate(&[Some("T1"), Some("T1")]));
        assert!(!looks_duplicate(&[Some("T1")]));
        assert!(looks_duplicate(&[Some("T1"), Some("T1"), Some("T2")]));
    }

    fn row(code: &str, supplier: i64, fy: i64, pounds: i64) -> MarketRow {
        body_row(1, code, supplier, fy, pounds)
    }

    fn body_row(org: i64, code: &str, supplier: i64, fy: i64, pounds: i64) -> MarketRow {
        MarketRow {
            code: code.into(),
            category: "Cleaning".into(),
            supplier_id: supplier,
            supplier: format!("Supplier {supplier}"),
            org_id: org,
            fy,
            total_pence: pounds * 100,
        }
    }

    #[test]
    fn shares_are_compared_over_the_bodies_with_spend_in_both_years() {
        // Body 1 buys from supplier 1 and 2 alike both years. Body 2's files start in 2023,
        // all with supplier 3: across both bodies that would look like a rise from nothing
        // to 60%, but body 2 has no year before to compare with.
        let mut rows = vec![
            body_row(1, "c", 1, 2022, 100_000),
            body_row(1, "c", 2, 2022, 100_000),
            body_row(1, "c", 1, 2023, 100_000),
            body_row(1, "c", 2, 2023, 100_000),
            body_row(2, "c", 3, 2023, 300_000),
        ];
        assert!(share_jumps(&rows).is_empty());
        // Once body 2 has 2022 too (with supplier 1), supplier 3's rise is real and is
        // counted over both bodies.
        rows.push(body_row(2, "c", 1, 2022, 100_000));
        let j = share_jumps(&rows);
        assert_eq!(j.len(), 1, "{j:?}");
        assert_eq!(j[0].0.supplier_id, 3);
        assert_eq!((j[0].1.share_bp, j[0].2.share_bp), (0, 6_000));
        assert_eq!(j[0].2.bodies, 2);
        assert_eq!(j[0].2.category_pence, 50_000_000);
    }

    #[test]
    fn a_share_rising_twenty_points_is_a_jump() {
        let rows = vec![
            row("c", 1, 2022, 20_000),
            row("c", 2, 2022, 180_000),
            row("c", 1, 2023, 90_000),
            row("c", 2, 2023, 110_000),
        ];
        let j = share_jumps(&rows);
        assert_eq!(j.len(), 1);
        assert_eq!(j[0].0.supplier_id, 1);
        assert_eq!(j[0].1.share_bp, 1_000);
        assert_eq!(j[0].2.share_bp, 4_500);
        assert_eq!(j[0].1.financial_year, 2022);
    }

    #[test]
    fn no_jump_in_small_markets_across_gaps_or_for_small_moves() {
        // Too small a market: £50,000 a year.
        let small = vec![
            row("c", 1, 2022, 5_000),
            row("c", 2, 2022, 45_000),
            row("c", 1, 2023, 45_000),
            row("c", 2, 2023, 5_000),
        ];
        assert!(share_jumps(&small).is_empty());
        // Years that are not consecutive.
        let gap = vec![
            row("c", 1, 2020, 10_000),
            row("c", 2, 2020, 190_000),
            row("c", 1, 2023, 190_000),
            row("c", 2, 2023, 10_000),
        ];
        assert!(share_jumps(&gap).is_empty());
        // Fifteen points.
        let small_move = vec![
            row("c", 1, 2022, 100_000),
            row("c", 2, 2022, 100_000),
            row("c", 1, 2023, 130_000),
            row("c", 2, 2023, 70_000),
        ];
        assert!(share_jumps(&small_move).is_empty());
    }

    #[test]
    fn a_newcomer_had_no_share_before() {
        let rows = vec![
            row("c", 2, 2022, 200_000),
            row("c", 1, 2023, 100_000),
            row("c", 2, 2023, 100_000),
        ];
        let j = share_jumps(&rows);
        assert_eq!(j.len(), 1);
        assert_eq!((j[0].1.share_bp, j[0].2.share_bp), (0, 5_000));
    }

    fn ev(date: &str, pence: i64, r: Option<&str>) -> Evidence {
        Evidence {
            payment_id: 1,
            paid_on: d(date),
            org_id: 1,
            body_slug: "hackney".into(),
            body: "London Borough of Hackney".into(),
            supplier_id: 1,
            supplier: "Acme Ltd".into(),
            amount_pence: pence,
            transaction_ref: r.map(str::to_owned),
            file_name: "f.csv".into(),
            line_no: 2,
        }
    }

    #[test]
    fn sentences_say_what_to_check() {
        let t = Threshold {
            amount_pence: 500_000,
            label: "£5,000 quotation threshold".into(),
        };
        let p = vec![
            ev("2024-01-05", 490_000, None),
            ev("2024-02-05", 480_000, None),
            ev("2024-03-05", 470_000, None),
        ];
        let s = why_just_under(&t, &p);
        assert!(
            s.starts_with("3 payments between 5 January 2024 and 5 March 2024"),
            "{s}"
        );
        assert!(s.contains("£5,000 quotation threshold (£5,000)"), "{s}");
        assert!(s.contains("together £14,400.00"), "{s}");
        let s = why_duplicate(&[
            ev("2024-01-05", 60_000, Some("T1")),
            ev("2024-01-05", 60_000, Some("T2")),
        ]);
        assert!(
            s.contains(
                "2 payments of £600.00 each on 5 January 2024, under different references (T1, T2)"
            ),
            "{s}"
        );
        let s = why_share_jump(
            "Cleaning",
            "the London authorities'",
            &ShareYear {
                financial_year: 2022,
                supplier_pence: 1,
                category_pence: 10,
                share_bp: 1_000,
                bodies: 12,
            },
            &ShareYear {
                financial_year: 2023,
                supplier_pence: 9_000_000,
                category_pence: 20_000_000,
                share_bp: 4_500,
                bodies: 12,
            },
        );
        assert!(
            s.contains("from 10.0% in 2022/23 to 45.0% in 2023/24"),
            "{s}"
        );
        assert!(s.contains("the 12 bodies with spend in both years"), "{s}");
    }
}

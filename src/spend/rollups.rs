//! The aggregates the analysis pages read, kept up to date in the same transaction as each
//! import: summed in memory while the import runs, then added to the tables in a few
//! statements. Market concentration (CR4, HHI) is recomputed for the categories touched.

use std::collections::HashSet;
use std::hash::Hash;

use rustc_hash::FxHashMap as HashMap;

use chrono::{Datelike, NaiveDate};

use super::dates::financial_year;
use crate::db::{Arg, DbResult, Tx, sqlite_raw};

#[derive(Default, Clone, Copy)]
struct Sum {
    total: i64,
    count: i64,
}

impl Sum {
    fn add(&mut self, pence: i64) {
        self.total += pence;
        self.count += 1;
    }
}

#[derive(Clone, Copy)]
struct SupplierSum {
    sum: Sum,
    first: NaiveDate,
    last: NaiveDate,
}

/// One import's additions to every rollup.
#[derive(Default)]
pub struct Rollups {
    /// Months as `year * 100 + month`: cheaper to hash per payment than text.
    org_month: HashMap<(i64, i32), (Sum, i64)>,
    org_category: HashMap<(i64, i64), Sum>,
    org_supplier: HashMap<(i64, i64), SupplierSum>,
    supplier_month: HashMap<(i64, i32), Sum>,
    market: HashMap<(i64, i64, i64, i32), Sum>,
    label: HashMap<(i64, i64, i64), Sum>,
    /// Categories of sums already flushed, for the concentration refresh at the end.
    flushed_categories: HashSet<i64>,
}

/// Past this many distinct keys, an import adds its sums to the tables and starts again, so
/// its memory follows this number rather than the number of bodies × suppliers × categories ×
/// years in the file. The upserts add, so flushing early changes no figure. About 100 MB.
pub const FLUSH_AT_KEYS: usize = 1_000_000;

/// A payment as the rollups need it.
pub struct Counted {
    pub org_id: i64,
    pub date: NaiveDate,
    pub pence: i64,
    pub supplier_id: Option<i64>,
    pub redacted: bool,
    pub category_id: i64,
    pub expense_label_id: Option<i64>,
}

impl Rollups {
    pub fn add(&mut self, p: &Counted) {
        let month = p.date.year() * 100 + p.date.month() as i32;
        let e = self
            .org_month
            .entry((p.org_id, month))
            .or_insert((Sum::default(), 0));
        e.0.add(p.pence);
        if p.redacted {
            e.1 += p.pence;
        }
        self.org_category
            .entry((p.org_id, p.category_id))
            .or_default()
            .add(p.pence);
        if let Some(label) = p.expense_label_id {
            self.label
                .entry((p.org_id, label, p.category_id))
                .or_default()
                .add(p.pence);
        }
        if let Some(s) = p.supplier_id {
            let e = self
                .org_supplier
                .entry((p.org_id, s))
                .or_insert(SupplierSum {
                    sum: Sum::default(),
                    first: p.date,
                    last: p.date,
                });
            e.sum.add(p.pence);
            e.first = e.first.min(p.date);
            e.last = e.last.max(p.date);
            self.supplier_month
                .entry((s, month))
                .or_default()
                .add(p.pence);
            self.market
                .entry((p.category_id, s, p.org_id, financial_year(p.date)))
                .or_default()
                .add(p.pence);
        }
    }

    pub fn categories_touched(&self) -> HashSet<i64> {
        let mut c = self.flushed_categories.clone();
        c.extend(self.org_category.keys().map(|(_, c)| *c));
        c
    }

    /// How many sums are held in memory.
    pub fn keys(&self) -> usize {
        self.org_month.len()
            + self.org_category.len()
            + self.org_supplier.len()
            + self.supplier_month.len()
            + self.market.len()
            + self.label.len()
    }

    /// Adds the sums so far to the tables and forgets them, keeping which categories were
    /// touched.
    pub async fn flush_and_clear(&mut self, tx: &mut Tx) -> DbResult<()> {
        self.flush(tx).await?;
        self.flushed_categories = self.categories_touched();
        self.org_month.clear();
        self.org_category.clear();
        self.org_supplier.clear();
        self.supplier_month.clear();
        self.market.clear();
        self.label.clear();
        Ok(())
    }

    /// Adds this import's sums to the rollup tables.
    pub async fn flush(&self, tx: &mut Tx) -> DbResult<()> {
        self.flush_body_tables(tx).await?;
        self.flush_supplier_tables(tx).await
    }

    async fn flush_body_tables(&self, tx: &mut Tx) -> DbResult<()> {
        upsert(
            tx,
            "spend_r_org_month (org_id, month, total_pence, payments, redacted_pence)",
            "(org_id, month)",
            "total_pence = spend_r_org_month.total_pence + excluded.total_pence,
             payments = spend_r_org_month.payments + excluded.payments,
             redacted_pence = spend_r_org_month.redacted_pence + excluded.redacted_pence",
            sorted(&self.org_month)
                .into_iter()
                .map(|((o, m), (s, r))| {
                    vec![
                        Arg::from(*o),
                        Arg::from(month_text(*m)),
                        Arg::from(s.total),
                        Arg::from(s.count),
                        Arg::from(*r),
                    ]
                })
                .collect(),
        )
        .await?;
        upsert(
            tx,
            "spend_r_org_category (org_id, category_id, total_pence, payments)",
            "(org_id, category_id)",
            "total_pence = spend_r_org_category.total_pence + excluded.total_pence,
             payments = spend_r_org_category.payments + excluded.payments",
            sorted(&self.org_category)
                .into_iter()
                .map(|((o, c), s)| {
                    vec![
                        Arg::from(*o),
                        Arg::from(*c),
                        Arg::from(s.total),
                        Arg::from(s.count),
                    ]
                })
                .collect(),
        )
        .await?;
        upsert(
            tx,
            "spend_r_label (org_id, label_id, category_id, total_pence, payments)",
            "(org_id, label_id, category_id)",
            "total_pence = spend_r_label.total_pence + excluded.total_pence,
             payments = spend_r_label.payments + excluded.payments",
            sorted(&self.label)
                .into_iter()
                .map(|((o, l, c), v)| {
                    vec![
                        Arg::from(*o),
                        Arg::from(*l),
                        Arg::from(*c),
                        Arg::from(v.total),
                        Arg::from(v.count),
                    ]
                })
                .collect(),
        )
        .await?;
        Ok(())
    }

    async fn flush_supplier_tables(&self, tx: &mut Tx) -> DbResult<()> {
        upsert(
            tx,
            "spend_r_org_supplier (org_id, supplier_id, total_pence, payments, first_date, last_date)",
            "(org_id, supplier_id)",
            "total_pence = spend_r_org_supplier.total_pence + excluded.total_pence,
             payments = spend_r_org_supplier.payments + excluded.payments,
             first_date = CASE WHEN excluded.first_date < spend_r_org_supplier.first_date
                          THEN excluded.first_date ELSE spend_r_org_supplier.first_date END,
             last_date = CASE WHEN excluded.last_date > spend_r_org_supplier.last_date
                         THEN excluded.last_date ELSE spend_r_org_supplier.last_date END",
            sorted(&self.org_supplier).into_iter().map(|((o, s), v)| {
                vec![
                    Arg::from(*o),
                    Arg::from(*s),
                    Arg::from(v.sum.total),
                    Arg::from(v.sum.count),
                    Arg::from(v.first),
                    Arg::from(v.last),
                ]
            })
            .collect(),
        )
        .await?;
        upsert(
            tx,
            "spend_r_supplier_month (supplier_id, month, total_pence, payments)",
            "(supplier_id, month)",
            "total_pence = spend_r_supplier_month.total_pence + excluded.total_pence,
             payments = spend_r_supplier_month.payments + excluded.payments",
            sorted(&self.supplier_month)
                .into_iter()
                .map(|((s, m), v)| {
                    vec![
                        Arg::from(*s),
                        Arg::from(month_text(*m)),
                        Arg::from(v.total),
                        Arg::from(v.count),
                    ]
                })
                .collect(),
        )
        .await?;
        upsert(
            tx,
            "spend_r_market (category_id, supplier_id, org_id, fy, total_pence, payments)",
            "(category_id, supplier_id, org_id, fy)",
            "total_pence = spend_r_market.total_pence + excluded.total_pence,
             payments = spend_r_market.payments + excluded.payments",
            sorted(&self.market)
                .into_iter()
                .map(|((c, s, o, fy), v)| {
                    vec![
                        Arg::from(*c),
                        Arg::from(*s),
                        Arg::from(*o),
                        Arg::from(i64::from(*fy)),
                        Arg::from(v.total),
                        Arg::from(v.count),
                    ]
                })
                .collect(),
        )
        .await?;
        Ok(())
    }
}

/// Rebuilds the supplier rollups of some suppliers from their payments, after an admin moved
/// payments between suppliers (merge or split). Body totals do not change.
pub async fn rebuild_suppliers(tx: &mut Tx, suppliers: &[i64]) -> DbResult<()> {
    if suppliers.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = (1..=suppliers.len()).map(|i| format!("${i}")).collect();
    let list = list.join(",");
    let ids = || suppliers.iter().map(|s| Arg::from(*s)).collect::<Vec<_>>();
    let rows: Vec<(i64, NaiveDate, i64, i64, i64)> = tx
        .fetch_all(
            format!(
                "SELECT org_id, paid_on, amount_pence, supplier_id, category_id FROM spend_payments
                 WHERE supplier_id IN ({list})"
            ),
            ids(),
        )
        .await?;
    let mut categories: HashSet<i64> = tx
        .fetch_all::<(i64,)>(
            format!(
                "SELECT DISTINCT category_id FROM spend_r_market WHERE supplier_id IN ({list})"
            ),
            ids(),
        )
        .await?
        .into_iter()
        .map(|(c,)| c)
        .collect();
    for table in [
        "spend_r_org_supplier",
        "spend_r_supplier_month",
        "spend_r_market",
    ] {
        tx.execute(
            format!("DELETE FROM {table} WHERE supplier_id IN ({list})"),
            ids(),
        )
        .await?;
    }
    let mut r = Rollups::default();
    for (org_id, date, pence, supplier, category) in rows {
        categories.insert(category);
        r.add(&Counted {
            org_id,
            date,
            pence,
            supplier_id: Some(supplier),
            redacted: false,
            category_id: category,
            expense_label_id: None,
        });
    }
    r.flush_supplier_tables(tx).await?;
    refresh_category_stats(tx, &categories).await?;
    refresh_top_suppliers(tx).await
}

/// How many suppliers the overview's ranking keeps per scope: more than any page shows.
const TOP_SUPPLIERS_KEPT: i64 = 500;

/// Re-ranks the largest suppliers of each scope from the body × supplier rollup. One grouping
/// per import (or merge), instead of one per view of the overview.
pub async fn refresh_top_suppliers(tx: &mut Tx) -> DbResult<()> {
    for (scope, filter) in [("london", "WHERE o.kind = 'borough'"), ("all", "")] {
        tx.execute(
            "DELETE FROM spend_top_suppliers WHERE scope = $1",
            crate::args![scope],
        )
        .await?;
        tx.execute(
            format!(
                "INSERT INTO spend_top_suppliers
                     (scope, supplier_id, total_pence, payments, bodies, first_date, last_date)
                 SELECT $1, r.supplier_id, CAST(SUM(r.total_pence) AS BIGINT),
                        CAST(SUM(r.payments) AS BIGINT), COUNT(*), MIN(r.first_date), MAX(r.last_date)
                 FROM spend_r_org_supplier r JOIN organisations o ON o.id = r.org_id
                 {filter}
                 GROUP BY r.supplier_id
                 ORDER BY CAST(SUM(r.total_pence) AS BIGINT) DESC, r.supplier_id
                 LIMIT $2"
            ),
            crate::args![scope, TOP_SUPPLIERS_KEPT],
        )
        .await?;
    }
    Ok(())
}

/// Multi-row `INSERT … ON CONFLICT DO UPDATE`, in chunks that stay under both engines'
/// limits on bound values.
/// A map's entries in key order, which is each table's primary-key order: B-tree inserts in
/// order touch each page once, where hash order would touch pages at random.
fn sorted<K: Ord + Hash, V>(m: &HashMap<K, V>) -> Vec<(&K, &V)> {
    let mut v: Vec<(&K, &V)> = m.iter().collect();
    v.sort_unstable_by(|a, b| a.0.cmp(b.0));
    v
}

/// `year * 100 + month` as the rollup tables store months: "2024-03".
fn month_text(m: i32) -> String {
    format!("{:04}-{:02}", m / 100, m % 100)
}

async fn upsert(
    tx: &mut Tx,
    into: &str,
    key: &str,
    set: &str,
    rows: Vec<Vec<Arg>>,
) -> DbResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let width = rows[0].len();
    if let Some(mut handle) = tx.lock_sqlite().await? {
        // One prepared statement per row: on SQLite the cheapest way to write the hundreds of
        // thousands of sums a large import makes.
        let conn = sqlite_raw::Connection::new(&mut handle);
        let params: Vec<String> = (1..=width).map(|i| format!("?{i}")).collect();
        let mut stmt = conn.prepare(&format!(
            "INSERT INTO {into} VALUES ({}) ON CONFLICT {key} DO UPDATE SET {set}",
            params.join(", ")
        ))?;
        for row in &rows {
            for (i, v) in row.iter().enumerate() {
                stmt.bind_arg(i as i32 + 1, v)?;
            }
            stmt.execute()?;
        }
        return Ok(());
    }
    let mut buf: Vec<Vec<Arg>> = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        buf.clear();
        buf.extend(rows.by_ref().take(1000));
        let mut sql = format!("INSERT INTO {into} VALUES ");
        sql.push_str(&crate::db::values_list(tx.backend(), buf.len(), width));
        let mut args = Vec::with_capacity(buf.len() * width);
        for r in buf.drain(..) {
            args.extend(r);
        }
        sql.push_str(&format!(" ON CONFLICT {key} DO UPDATE SET {set}"));
        tx.execute(sql, args).await?;
    }
    Ok(())
}

/// Concentration of one market: total, number of suppliers, CR4 and HHI, from each supplier's
/// total. Net refunds (a negative total) are not a market share and are left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Concentration {
    pub total: i64,
    pub suppliers: i64,
    /// The four largest suppliers' combined share, in basis points.
    pub cr4_bp: i64,
    /// Herfindahl–Hirschman index: the sum of squared percentage shares (0–10,000).
    pub hhi: i64,
    pub top_share_bp: i64,
}

pub fn concentration(totals: &mut [i64]) -> Concentration {
    let positive: i64 = totals.iter().filter(|t| **t > 0).sum();
    totals.sort_unstable_by(|a, b| b.cmp(a));
    let suppliers = totals.iter().filter(|t| **t > 0).count() as i64;
    if positive <= 0 {
        return Concentration {
            total: 0,
            suppliers: 0,
            cr4_bp: 0,
            hhi: 0,
            top_share_bp: 0,
        };
    }
    let p = positive as f64;
    let share = |t: i64| t as f64 / p;
    let cr4: f64 = totals
        .iter()
        .take(4)
        .filter(|t| **t > 0)
        .map(|t| share(*t))
        .sum();
    let hhi: f64 = totals
        .iter()
        .filter(|t| **t > 0)
        .map(|t| (share(*t) * 100.0).powi(2))
        .sum();
    Concentration {
        total: positive,
        suppliers,
        cr4_bp: (cr4 * 10_000.0).round() as i64,
        hhi: hhi.round() as i64,
        top_share_bp: (share(totals[0].max(0)) * 10_000.0).round() as i64,
    }
}

/// Recomputes `spend_category_stats` for the given categories, for London (the 33
/// authorities) and for every body.
pub async fn refresh_category_stats(tx: &mut Tx, categories: &HashSet<i64>) -> DbResult<()> {
    if categories.is_empty() {
        return Ok(());
    }
    let list: Vec<i64> = categories.iter().copied().collect();
    let placeholders: Vec<String> = (1..=list.len()).map(|i| format!("${i}")).collect();
    let in_list = placeholders.join(",");
    for scope in ["london", "all"] {
        let london = if scope == "london" {
            "AND o.kind = 'borough'"
        } else {
            ""
        };
        let rows: Vec<(i64, i64, i64, i64)> = tx
            .fetch_all(
                format!(
                    "SELECT m.category_id, m.supplier_id, CAST(SUM(m.total_pence) AS BIGINT),
                            COUNT(DISTINCT m.org_id)
                     FROM spend_r_market m JOIN organisations o ON o.id = m.org_id
                     WHERE m.category_id IN ({in_list}) {london}
                     GROUP BY m.category_id, m.supplier_id"
                ),
                list.iter().map(|c| Arg::from(*c)).collect(),
            )
            .await?;
        let buyers: Vec<(i64, i64)> = tx
            .fetch_all(
                format!(
                    "SELECT m.category_id, COUNT(DISTINCT m.org_id)
                     FROM spend_r_market m JOIN organisations o ON o.id = m.org_id
                     WHERE m.category_id IN ({in_list}) {london}
                     GROUP BY m.category_id"
                ),
                list.iter().map(|c| Arg::from(*c)).collect(),
            )
            .await?;
        let buyers: HashMap<i64, i64> = buyers.into_iter().collect();
        let mut by_cat: HashMap<i64, Vec<(i64, i64)>> = HashMap::default();
        for (c, s, t, _) in rows {
            by_cat.entry(c).or_default().push((s, t));
        }
        tx.execute(
            format!(
                "DELETE FROM spend_category_stats WHERE scope = ${} AND category_id IN ({in_list})",
                list.len() + 1
            ),
            list.iter()
                .map(|c| Arg::from(*c))
                .chain([Arg::from(scope)])
                .collect(),
        )
        .await?;
        for (c, mut suppliers) in by_cat {
            suppliers.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let top = suppliers.first().filter(|s| s.1 > 0).map(|s| s.0);
            let mut totals: Vec<i64> = suppliers.iter().map(|s| s.1).collect();
            let k = concentration(&mut totals);
            tx.execute(
                "INSERT INTO spend_category_stats
                 (scope, category_id, total_pence, suppliers, buyers, cr4_bp, hhi, top_supplier_id, top_share_bp)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                crate::args![
                    scope,
                    c,
                    k.total,
                    k.suppliers,
                    buyers.get(&c).copied().unwrap_or(0),
                    k.cr4_bp,
                    k.hhi,
                    top,
                    k.top_share_bp
                ],
            )
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concentration_measures() {
        // Four equal suppliers: CR4 100%, HHI 4 × 25² = 2,500.
        let k = concentration(&mut [100, 100, 100, 100]);
        assert_eq!((k.cr4_bp, k.hhi, k.suppliers), (10_000, 2_500, 4));
        // A monopoly.
        let k = concentration(&mut [500]);
        assert_eq!((k.cr4_bp, k.hhi, k.top_share_bp), (10_000, 10_000, 10_000));
        // Ten equal suppliers: CR4 40%, HHI 1,000; refunds do not count.
        let mut t = vec![10; 10];
        t.push(-50);
        let k = concentration(&mut t);
        assert_eq!(
            (k.cr4_bp, k.hhi, k.suppliers, k.total),
            (4_000, 1_000, 10, 100)
        );
        assert_eq!(concentration(&mut []).hhi, 0);
    }
}

//! Spend as evidence for "who else is buying this?": boroughs that pay the same suppliers for
//! the same kind of thing. A borough paying the incumbent, or the suppliers this borough
//! already uses in the procurement's category, knows the market, the prices and the
//! contract's pitfalls — and may be due to buy again too.
//!
//! Spend is published open data, so this evidence needs no visibility scope; it comes from the
//! market rollup (category × supplier × body × year), never from a scan of payments.

use std::collections::{BTreeMap, BTreeSet};

use crate::db::{Db, DbResult};
use crate::money::Pence;
use crate::pipeline::matching::{Candidate, Matcher};
use crate::pipeline::store::Procurement;
use crate::visibility::Viewer;

/// Shared suppliers show a common market, not a common plan: below a live pipeline overlap
/// and below an estate contract of the same product ending at the same time.
const MAX_SCORE: u32 = 45;

/// Payments below this (over all years) are incidental — a one-off licence, a training day —
/// and say nothing about buying the same thing.
const MIN_SHARED_PENCE: i64 = 10_000 * 100;

pub struct SharedSuppliers;

#[derive(Debug, Clone, sqlx::FromRow)]
struct Row {
    org_id: i64,
    organisation: String,
    org_slug: String,
    supplier_id: i64,
    supplier: String,
    category_id: i64,
    total_pence: i64,
    first_fy: i64,
    last_fy: i64,
}

/// Spend categories that correspond to the procurement's CPV division.
async fn categories_for(db: &Db, p: &Procurement) -> DbResult<BTreeMap<i64, String>> {
    let Some(cpv) = p.cpv() else {
        return Ok(BTreeMap::new());
    };
    let all: Vec<(i64, String, String)> = db
        .fetch_all(
            "SELECT id, name, cpv_divisions FROM spend_categories WHERE is_market = $1",
            crate::args![true],
        )
        .await?;
    Ok(all
        .into_iter()
        .filter(|(_, _, divisions)| divisions.split(',').any(|d| d.trim() == cpv.division()))
        .map(|(id, name, _)| (id, name))
        .collect())
}

fn years(first: i64, last: i64) -> String {
    let fy = super::dates::financial_year_name;
    if first == last {
        fy(first)
    } else {
        format!("{} to {}", fy(first), fy(last))
    }
}

impl Matcher for SharedSuppliers {
    async fn candidates(
        &self,
        db: &Db,
        _viewer: &Viewer,
        p: &Procurement,
    ) -> DbResult<Vec<Candidate>> {
        let categories = categories_for(db, p).await?;
        let incumbent = match p.incumbent.trim() {
            "" => None,
            name => crate::suppliers::store::find_by_name(db, name).await?,
        };
        if categories.is_empty() && incumbent.is_none() {
            return Ok(Vec::new());
        }
        // The suppliers this borough pays in the procurement's categories, plus the incumbent.
        let mut ours: BTreeSet<i64> = incumbent.into_iter().collect();
        let in_categories = |c: i64| categories.contains_key(&c);
        let own: Vec<(i64, i64)> = db
            .fetch_all(
                "SELECT supplier_id, category_id FROM spend_r_market WHERE org_id = $1",
                crate::args![p.org_id],
            )
            .await?;
        ours.extend(
            own.iter()
                .filter(|(_, c)| in_categories(*c))
                .map(|(s, _)| *s),
        );
        if ours.is_empty() {
            return Ok(Vec::new());
        }
        // Other London boroughs paying any of those suppliers. The supplier list is a
        // borough's suppliers in a few categories: tens, not thousands, so it goes in as
        // placeholders.
        let ids: Vec<i64> = ours.iter().copied().collect();
        let placeholders: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
        let mut a = crate::args![p.org_id];
        a.extend(ids.iter().map(|&i| i.into()));
        let rows: Vec<Row> = db
            .fetch_all(
                format!(
                    "SELECT m.org_id, o.short_name AS organisation, o.slug AS org_slug,
                            m.supplier_id, s.name AS supplier, m.category_id,
                            CAST(SUM(m.total_pence) AS BIGINT) AS total_pence,
                            CAST(MIN(m.fy) AS BIGINT) AS first_fy, CAST(MAX(m.fy) AS BIGINT) AS last_fy
                     FROM spend_r_market m
                     JOIN organisations o ON o.id = m.org_id
                     JOIN suppliers s ON s.id = m.supplier_id
                     WHERE m.org_id <> $1 AND o.kind = 'borough'
                       AND m.supplier_id IN ({})
                     GROUP BY m.org_id, o.short_name, o.slug, m.supplier_id, s.name, m.category_id",
                    placeholders.join(", ")
                ),
                a,
            )
            .await?;
        Ok(score_rows(&rows, &categories, incumbent))
    }
}

/// One candidate per borough, from its payments to the shared suppliers. Pure, so the rules
/// are unit-tested.
fn score_rows(
    rows: &[Row],
    categories: &BTreeMap<i64, String>,
    incumbent: Option<i64>,
) -> Vec<Candidate> {
    let mut by_org: BTreeMap<i64, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        // The incumbent counts in any category (a borough paying it for anything knows it);
        // other suppliers only in the procurement's own categories.
        if Some(r.supplier_id) == incumbent || categories.contains_key(&r.category_id) {
            by_org.entry(r.org_id).or_default().push(r);
        }
    }
    let mut out = Vec::new();
    for rows in by_org.values() {
        // Per supplier: total over the relevant categories, the years, the category names.
        let mut suppliers: BTreeMap<i64, (String, i64, i64, i64, BTreeSet<String>)> =
            BTreeMap::new();
        for r in rows {
            let e = suppliers
                .entry(r.supplier_id)
                .or_insert_with(|| (r.supplier.clone(), 0, i64::MAX, i64::MIN, BTreeSet::new()));
            e.1 += r.total_pence;
            e.2 = e.2.min(r.first_fy);
            e.3 = e.3.max(r.last_fy);
            if let Some(name) = categories.get(&r.category_id) {
                e.4.insert(name.clone());
            }
        }
        suppliers.retain(|_, e| e.1 >= MIN_SHARED_PENCE);
        if suppliers.is_empty() {
            continue;
        }
        let mut score = 10u32;
        let mut reasons = Vec::new();
        let mut listed: Vec<_> = suppliers.iter().collect();
        listed.sort_by_key(|(_, e)| std::cmp::Reverse(e.1));
        if let Some(inc) = incumbent
            && let Some((name, total, first, last, _)) = suppliers.get(&inc)
        {
            score += 20;
            reasons.push(format!(
                "Pays your incumbent {name}: {} ({})",
                Pence(*total).short(),
                years(*first, *last)
            ));
        }
        let others: Vec<_> = listed
            .iter()
            .filter(|(id, _)| Some(**id) != incumbent)
            .collect();
        if !others.is_empty() {
            score += (others.len() as u32 * 6).min(18);
            let named: Vec<String> = others
                .iter()
                .take(3)
                .map(|(_, (name, total, first, last, cats))| {
                    format!(
                        "{name} {} ({}{})",
                        Pence(*total).short(),
                        years(*first, *last),
                        if cats.is_empty() {
                            String::new()
                        } else {
                            format!(", {}", cats.iter().cloned().collect::<Vec<_>>().join(", "))
                        }
                    )
                })
                .collect();
            reasons.push(format!(
                "Also pays {} of the suppliers you use for this: {}{}",
                others.len(),
                named.join("; "),
                if others.len() > 3 { "; …" } else { "" }
            ));
        }
        let first = rows[0];
        out.push(Candidate {
            source: "spend",
            title: format!("{}'s spend with the same suppliers", first.organisation),
            organisation: first.organisation.clone(),
            org_id: Some(first.org_id),
            url: Some(format!("/spend/bodies/{}", first.org_slug)),
            score: score.min(MAX_SCORE),
            reasons,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(org: i64, supplier: i64, category: i64, pounds: i64) -> Row {
        Row {
            org_id: org,
            organisation: format!("Borough {org}"),
            org_slug: format!("b{org}"),
            supplier_id: supplier,
            supplier: format!("Supplier {supplier}"),
            category_id: category,
            total_pence: pounds * 100,
            first_fy: 2022,
            last_fy: 2024,
        }
    }

    #[test]
    fn incumbent_and_shared_category_suppliers_rank_above_a_single_shared_supplier() {
        let categories = BTreeMap::from([(7, "Software".to_owned())]);
        let rows = vec![
            row(1, 100, 3, 50_000), // borough 1 pays the incumbent for something else
            row(1, 200, 7, 80_000), // and a supplier we use for software
            row(2, 200, 7, 20_000), // borough 2 only shares one software supplier
            row(3, 300, 9, 90_000), // borough 3 pays a shared supplier, wrong category
            row(4, 200, 7, 500),    // borough 4: incidental
        ];
        let found = score_rows(&rows, &categories, Some(100));
        let score = |org: i64| {
            found
                .iter()
                .find(|c| c.org_id == Some(org))
                .map(|c| c.score)
        };
        assert!(score(1) > score(2), "{found:?}");
        assert_eq!(score(3), None);
        assert_eq!(score(4), None);
        let one = found
            .iter()
            .find(|c| c.org_id == Some(1))
            .expect("borough 1");
        assert!(one.reasons[0].starts_with("Pays your incumbent Supplier 100"));
        assert!(
            one.reasons[0].contains("2022/23 to 2024/25"),
            "{:?}",
            one.reasons
        );
        assert!(one.reasons[1].contains("Supplier 200"));
    }
}

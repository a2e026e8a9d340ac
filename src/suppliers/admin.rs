//! Platform admins' decisions about the supplier register: two entries are one supplier
//! (merge), or a spelling was matched to the wrong supplier (split). Decisions are kept as
//! aliases with source 'admin' (and `merged_into`), which every later import respects, and in
//! `supplier_decisions` as a record of who decided what. Spend already imported follows at
//! once: the payments move, and the supplier rollups are rebuilt.

use super::fuzzy::{NameMatch, SUGGEST_AT, score};
use super::normalise_name;
use super::store::Supplier;
use crate::args;
use crate::db::{Arg, Db, DbResult, Tx, now};

#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("A supplier cannot be merged into itself")]
    SameSupplier,
    #[error("No such supplier")]
    UnknownSupplier,
    #[error("\"{0}\" is not a spelling of this supplier")]
    UnknownAlias(String),
    #[error("This is the supplier's only spelling: there is nothing to split off")]
    OnlyAlias,
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

async fn canonical(tx: &mut Tx, id: i64) -> Result<i64, DecisionError> {
    tx.scalar::<i64>(
        "SELECT COALESCE(merged_into, id) FROM suppliers WHERE id = $1",
        args![id],
    )
    .await?
    .ok_or(DecisionError::UnknownSupplier)
}

/// Makes `absorb` part of `keep`: its spellings, identifiers and spend become `keep`'s.
pub async fn merge(
    db: &Db,
    keep: i64,
    absorb: i64,
    user_id: Option<i64>,
) -> Result<(), DecisionError> {
    let mut tx = db.begin().await?;
    let keep = canonical(&mut tx, keep).await?;
    let absorb = canonical(&mut tx, absorb).await?;
    if keep == absorb {
        return Err(DecisionError::SameSupplier);
    }
    tx.execute(
        "UPDATE suppliers SET merged_into = $1 WHERE id = $2 OR merged_into = $2",
        args![keep, absorb],
    )
    .await?;
    tx.execute(
        "UPDATE supplier_aliases SET supplier_id = $1, source = 'admin' WHERE supplier_id = $2",
        args![keep, absorb],
    )
    .await?;
    tx.execute(
        "UPDATE spend_payments SET supplier_id = $1 WHERE supplier_id = $2",
        args![keep, absorb],
    )
    .await?;
    tx.execute(
        "INSERT INTO supplier_decisions (kind, supplier_id, other_supplier_id, alias, decided_by, created_at)
         VALUES ('merge', $1, $2, NULL, $3, $4)",
        args![keep, absorb, user_id, now()],
    )
    .await?;
    crate::spend::rollups::rebuild_suppliers(&mut tx, &[keep, absorb]).await?;
    tx.commit().await?;
    Ok(())
}

/// Takes one spelling (a normalised name) away from a supplier into a new supplier of its
/// own, with the payments made under that spelling. Returns the new supplier's id.
pub async fn split(
    db: &Db,
    supplier_id: i64,
    alias: &str,
    user_id: Option<i64>,
) -> Result<i64, DecisionError> {
    let mut tx = db.begin().await?;
    let from = canonical(&mut tx, supplier_id).await?;
    let aliases: Vec<(String,)> = tx
        .fetch_all(
            "SELECT a.normalised_name FROM supplier_aliases a JOIN suppliers s ON s.id = a.supplier_id
             WHERE COALESCE(s.merged_into, s.id) = $1",
            args![from],
        )
        .await?;
    if !aliases.iter().any(|(a,)| a == alias) {
        return Err(DecisionError::UnknownAlias(alias.to_owned()));
    }
    if aliases.len() < 2 {
        return Err(DecisionError::OnlyAlias);
    }
    // The payee spellings of this supplier's payments that normalise to the alias.
    let labels: Vec<(i64, String)> = tx
        .fetch_all(
            "SELECT DISTINCT l.id, l.text FROM spend_payments p JOIN spend_labels l ON l.id = p.payee_label_id
             WHERE p.supplier_id = $1",
            args![from],
        )
        .await?;
    let moving: Vec<(i64, String)> = labels
        .into_iter()
        .filter(|(_, t)| normalise_name(t) == alias)
        .collect();
    let name = moving
        .first()
        .map(|(_, t)| t.clone())
        .unwrap_or_else(|| alias.to_owned());
    let new_id = tx
        .scalar::<i64>(
            "INSERT INTO suppliers (name, normalised_name, created_at) VALUES ($1, $2, $3) RETURNING id",
            args![name.as_str(), alias, now()],
        )
        .await?
        .unwrap_or_default();
    tx.execute(
        "UPDATE supplier_aliases SET supplier_id = $1, source = 'admin' WHERE normalised_name = $2",
        args![new_id, alias],
    )
    .await?;
    for chunk in moving.chunks(500) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let mut a: Vec<Arg> = args![new_id, from];
        a.extend(chunk.iter().map(|(id, _)| Arg::from(*id)));
        tx.execute(
            format!(
                "UPDATE spend_payments SET supplier_id = $1 WHERE supplier_id = $2 AND payee_label_id IN ({})",
                list.join(",")
            ),
            a,
        )
        .await?;
    }
    tx.execute(
        "INSERT INTO supplier_decisions (kind, supplier_id, other_supplier_id, alias, decided_by, created_at)
         VALUES ('split', $1, $2, $3, $4, $5)",
        args![from, new_id, alias, user_id, now()],
    )
    .await?;
    crate::spend::rollups::rebuild_suppliers(&mut tx, &[from, new_id]).await?;
    tx.commit().await?;
    Ok(new_id)
}

/// A supplier's spellings (normalised), with where each came from.
pub async fn aliases(db: &Db, supplier_id: i64) -> DbResult<Vec<(String, String)>> {
    db.fetch_all(
        "SELECT a.normalised_name, a.source FROM supplier_aliases a JOIN suppliers s ON s.id = a.supplier_id
         WHERE COALESCE(s.merged_into, s.id) = $1 ORDER BY a.normalised_name",
        args![supplier_id],
    )
    .await
}

/// Other register entries that are probably the same supplier, with the score and reason.
/// Candidates share the first word of the normalised name (a blocking step: comparing every
/// pair would not scale), then are scored by [`score`].
pub async fn possible_duplicates(db: &Db, s: &Supplier) -> DbResult<Vec<(Supplier, NameMatch)>> {
    let first = normalise_name(&s.name)
        .split(' ')
        .next()
        .unwrap_or("")
        .to_owned();
    if first.is_empty() {
        return Ok(vec![]);
    }
    let pattern = format!("{}%", first.replace(['%', '_', '\\'], ""));
    let candidates: Vec<Supplier> = db
        .fetch_all(
            "SELECT id, name, company_number, vat_number, org_id FROM suppliers
             WHERE merged_into IS NULL AND id <> $1 AND normalised_name LIKE $2
             ORDER BY id LIMIT 300",
            args![s.id, pattern],
        )
        .await?;
    let mut out: Vec<(Supplier, NameMatch)> = candidates
        .into_iter()
        .filter(|c| {
            // Different company numbers are different companies, whatever their names.
            !matches!((&c.company_number, &s.company_number), (Some(a), Some(b)) if a != b)
        })
        .map(|c| {
            let m = score(&s.name, &c.name);
            (c, m)
        })
        .filter(|(_, m)| m.score >= SUGGEST_AT)
        .collect();
    out.sort_by(|a, b| b.1.score.total_cmp(&a.1.score));
    out.truncate(20);
    Ok(out)
}

//! Supplier resolution for bulk imports: the same rules as [`super::store::resolve`] (company
//! number, then VAT number, then the normalised name or an alias of it, admin merges
//! respected), answered from memory. Known aliases and identifiers are loaded once per
//! import; new suppliers are written in batches. A spend file of a million rows then costs a
//! few thousand statements, not a million.

use rustc_hash::FxHashMap as HashMap;

use super::store::MatchedBy;
use super::{CompanyNumber, VatNumber, normalise_name};
use crate::args;
use crate::db::{Arg, DbResult, Tx, now};

struct Pending {
    name: String,
    normalised: String,
    company_number: Option<String>,
    vat: Option<String>,
}

/// Supplier ids as an import sees them: real ids (positive) or suppliers this import will
/// create (negative placeholders, replaced by [`Resolver::flush`]).
pub struct Resolver {
    by_alias: HashMap<String, i64>,
    by_cn: HashMap<String, i64>,
    by_vat: HashMap<String, i64>,
    cn_of: HashMap<i64, String>,
    pending: Vec<Pending>,
    new_aliases: Vec<(String, i64)>,
    learnt_cn: Vec<(i64, String)>,
    learnt_vat: Vec<(i64, String)>,
    /// Keys whose value is a placeholder, to fix at the next flush.
    placeholder_aliases: Vec<String>,
    placeholder_cns: Vec<String>,
    placeholder_vats: Vec<String>,
    created: usize,
}

impl Resolver {
    /// Loads every alias and identifier (merged entries resolve to the entry they were merged
    /// into).
    pub async fn load(tx: &mut Tx) -> DbResult<Resolver> {
        let aliases: Vec<(String, i64)> = tx
            .fetch_all(
                "SELECT a.normalised_name, COALESCE(s.merged_into, s.id)
                 FROM supplier_aliases a JOIN suppliers s ON s.id = a.supplier_id",
                vec![],
            )
            .await?;
        let ids: Vec<(i64, Option<String>, Option<String>)> = tx
            .fetch_all(
                "SELECT COALESCE(merged_into, id), company_number, vat_number FROM suppliers
                 WHERE company_number IS NOT NULL OR vat_number IS NOT NULL ORDER BY id",
                vec![],
            )
            .await?;
        let mut r = Resolver {
            by_alias: aliases.into_iter().collect(),
            by_cn: HashMap::default(),
            by_vat: HashMap::default(),
            cn_of: HashMap::default(),
            pending: Vec::new(),
            new_aliases: Vec::new(),
            learnt_cn: Vec::new(),
            learnt_vat: Vec::new(),
            placeholder_aliases: Vec::new(),
            placeholder_cns: Vec::new(),
            placeholder_vats: Vec::new(),
            created: 0,
        };
        for (id, cn, vat) in ids {
            if let Some(cn) = cn {
                r.cn_of.entry(id).or_insert_with(|| cn.clone());
                r.by_cn.insert(cn, id);
            }
            if let Some(v) = vat {
                r.by_vat.entry(v).or_insert(id);
            }
        }
        Ok(r)
    }

    /// The supplier for a payee name (already known not to be redacted or empty) and its
    /// identifiers. `normalised` is `normalise_name(name)`, computed by the caller (off the
    /// database's thread).
    pub fn resolve(
        &mut self,
        name: &str,
        normalised: &str,
        company_number: Option<&CompanyNumber>,
        vat: Option<&VatNumber>,
    ) -> Option<(i64, MatchedBy)> {
        if normalised.is_empty() {
            return None;
        }
        let cn = company_number.map(CompanyNumber::as_str);
        let vat = vat.map(VatNumber::as_str);
        let mut found = cn
            .and_then(|c| self.by_cn.get(c))
            .map(|id| (*id, MatchedBy::CompanyNumber));
        if found.is_none() {
            found = vat
                .and_then(|v| self.by_vat.get(v))
                .map(|id| (*id, MatchedBy::VatNumber));
        }
        if found.is_none()
            && let Some(&id) = self.by_alias.get(normalised)
        {
            // Two companies can share a name; a different company number says they do.
            let conflicting = matches!((cn, self.cn_of.get(&id)), (Some(a), Some(b)) if a != b);
            if !conflicting {
                found = Some((id, MatchedBy::Name));
            }
        }
        let (id, how) = match found {
            Some(f) => f,
            None => {
                self.pending.push(Pending {
                    name: name.to_owned(),
                    normalised: normalised.to_owned(),
                    company_number: cn.map(str::to_owned),
                    vat: vat.map(str::to_owned),
                });
                let id = -(self.pending.len() as i64);
                (id, MatchedBy::New)
            }
        };
        // Learn what this source told us, as `resolve` does.
        if !self.by_alias.contains_key(normalised) {
            self.by_alias.insert(normalised.to_owned(), id);
            if id > 0 {
                self.new_aliases.push((normalised.to_owned(), id));
            } else {
                self.placeholder_aliases.push(normalised.to_owned());
            }
        }
        if let Some(c) = cn
            && !self.by_cn.contains_key(c)
            && !self.cn_of.contains_key(&id)
        {
            self.by_cn.insert(c.to_owned(), id);
            self.cn_of.insert(id, c.to_owned());
            if id > 0 {
                self.learnt_cn.push((id, c.to_owned()));
            } else {
                self.placeholder_cns.push(c.to_owned());
                let p = &mut self.pending[(-id - 1) as usize];
                p.company_number.get_or_insert_with(|| c.to_owned());
            }
        }
        if let Some(v) = vat
            && !self.by_vat.contains_key(v)
        {
            self.by_vat.insert(v.to_owned(), id);
            if id > 0 {
                self.learnt_vat.push((id, v.to_owned()));
            } else {
                self.placeholder_vats.push(v.to_owned());
                let p = &mut self.pending[(-id - 1) as usize];
                p.vat.get_or_insert_with(|| v.to_owned());
            }
        }
        Some((id, how))
    }

    /// How many suppliers this import has created so far.
    pub fn created(&self) -> usize {
        self.created
    }

    /// Writes new suppliers, aliases and learnt identifiers. Returns the real id of each
    /// placeholder (`-1` is index 0).
    pub async fn flush(&mut self, tx: &mut Tx) -> DbResult<Vec<i64>> {
        let pending = std::mem::take(&mut self.pending);
        let mut real: Vec<i64> = Vec::with_capacity(pending.len());
        for chunk in pending.chunks(500) {
            let mut sql = String::from(
                "INSERT INTO suppliers (name, normalised_name, company_number, vat_number, created_at) VALUES ",
            );
            sql.push_str(&crate::db::values_list(tx.backend(), chunk.len(), 5));
            let mut args: Vec<Arg> = Vec::with_capacity(chunk.len() * 5);
            let t = now();
            for p in chunk {
                args.push(p.name.as_str().into());
                args.push(p.normalised.as_str().into());
                args.push(p.company_number.as_deref().into());
                args.push(p.vat.as_deref().into());
                args.push(t.into());
            }
            sql.push_str(" RETURNING id, normalised_name, company_number");
            let rows: Vec<(i64, String, Option<String>)> = tx.fetch_all(sql, args).await?;
            let by_key: HashMap<(String, Option<String>), i64> =
                rows.into_iter().map(|(id, n, c)| ((n, c), id)).collect();
            for p in chunk {
                let id = by_key
                    .get(&(p.normalised.clone(), p.company_number.clone()))
                    .copied()
                    .unwrap_or_default();
                real.push(id);
            }
        }
        self.created += real.len();
        let fix = |id: &mut i64| {
            if *id < 0 {
                *id = real[(-*id - 1) as usize];
            }
        };
        let mut aliases: Vec<(String, i64)> = Vec::new();
        for name in std::mem::take(&mut self.placeholder_aliases) {
            if let Some(id) = self.by_alias.get_mut(&name) {
                fix(id);
                aliases.push((name, *id));
            }
        }
        for c in std::mem::take(&mut self.placeholder_cns) {
            if let Some(id) = self.by_cn.get_mut(&c) {
                let old = *id;
                fix(id);
                let id = *id;
                self.cn_of.remove(&old);
                self.cn_of.insert(id, c);
            }
        }
        for v in std::mem::take(&mut self.placeholder_vats) {
            if let Some(id) = self.by_vat.get_mut(&v) {
                fix(id);
            }
        }
        aliases.append(&mut self.new_aliases);
        for chunk in aliases.chunks(1000) {
            let mut sql = String::from(
                "INSERT INTO supplier_aliases (source, normalised_name, supplier_id) VALUES ",
            );
            sql.push_str(&crate::db::values_list(tx.backend(), chunk.len(), 3));
            let mut args: Vec<Arg> = Vec::with_capacity(chunk.len() * 3);
            for (n, id) in chunk {
                args.push(Arg::from("import"));
                args.push(n.as_str().into());
                args.push((*id).into());
            }
            sql.push_str(" ON CONFLICT (normalised_name) DO NOTHING");
            tx.execute(sql, args).await?;
        }
        for (id, cn) in std::mem::take(&mut self.learnt_cn) {
            tx.execute(
                "UPDATE suppliers SET company_number = $1 WHERE id = $2 AND company_number IS NULL
                 AND NOT EXISTS (SELECT 1 FROM suppliers o WHERE o.company_number = $1)",
                args![cn.as_str(), id],
            )
            .await?;
        }
        for (id, vat) in std::mem::take(&mut self.learnt_vat) {
            tx.execute(
                "UPDATE suppliers SET vat_number = $1 WHERE id = $2 AND vat_number IS NULL",
                args![vat.as_str(), id],
            )
            .await?;
        }
        Ok(real)
    }
}

/// `normalise_name`, re-exported for callers that prepare names off the database thread.
pub fn normalised(name: &str) -> String {
    normalise_name(name)
}

//! Importing OCDS packages: check every package, then store releases, compile records, match
//! buyers and suppliers, all in one transaction. Either every package is imported or, when
//! one is faulty, nothing is (unless the caller asks to skip faulty packages, and then each
//! is listed with its faults).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::merge::{self, Dated};
use super::package::{self, Package, PackageKind, ReleaseIn};
use super::read::parse_date_time;
use super::reference::{self, Council};
use super::store::{self, NewRecord, NewRelease, Stored, SupplierLink};
use super::summary::{BuyerRef, RecordSummary, summarise};
use crate::accounts::GssCode;
use crate::args;
use crate::db::{Db, DbError, Tx};
use crate::suppliers::store::{MatchedBy, resolve};

/// One file to import: its name (for messages) and its bytes.
pub struct Input {
    pub name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Import the good packages and list the faulty ones as skipped, instead of refusing
    /// the whole import.
    pub skip_invalid: bool,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ReleaseCounts {
    /// Releases in the packages (embedded releases of record packages included).
    pub read: usize,
    pub new: usize,
    /// Already stored under the same ocid and id, with different content: replaced.
    pub changed: usize,
    /// Already stored, identical.
    pub unchanged: usize,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct RecordCounts {
    /// Records in record packages.
    pub read: usize,
    /// Contracting processes (distinct ocids) the packages touch.
    pub compiled: usize,
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct BuyerCounts {
    /// Distinct buyers: one per UK council (however its name is written), otherwise one per
    /// distinct name.
    pub distinct: usize,
    /// Distinct London authorities among them.
    pub london_authorities: usize,
    /// Contracting processes whose buyer is a London authority.
    pub records_with_london_buyer: usize,
    /// Distinct UK councils outside London.
    pub other_councils: usize,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SupplierCounts {
    /// Suppliers named on standing awards (or in the supplier role), one per party per record.
    pub parties: usize,
    /// Of those, with a Companies House number (GB-COH identifier).
    pub with_company_number: usize,
    /// Distinct entries of the supplier register they resolved to.
    pub distinct: usize,
    /// Entries this import added to the register.
    pub new_to_register: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Skipped {
    pub reason: String,
    pub count: usize,
    /// Up to five examples: file and path, or the value concerned.
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub files: usize,
    pub release_packages: usize,
    pub record_packages: usize,
    pub releases: ReleaseCounts,
    pub records: RecordCounts,
    pub buyers: BuyerCounts,
    pub suppliers: SupplierCounts,
    /// What was not imported, or imported only in part, and why.
    pub skipped: Vec<Skipped>,
}

impl ImportReport {
    pub fn skip(&mut self, reason: &str, example: impl Into<String>) {
        let example = example.into();
        match self.skipped.iter_mut().find(|s| s.reason == reason) {
            Some(s) => {
                s.count += 1;
                if s.examples.len() < 5 && !s.examples.contains(&example) {
                    s.examples.push(example);
                }
            }
            None => self.skipped.push(Skipped {
                reason: reason.to_owned(),
                count: 1,
                examples: vec![example],
            }),
        }
    }
}

/// A file that could not be read as an OCDS 1.1 package, with each fault found.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileProblem {
    pub file: String,
    pub problems: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} of the files could not be imported, so nothing was saved:\n{}", .0.len(), describe(.0))]
    Invalid(Vec<FileProblem>),
    #[error("no files to import")]
    Empty,
    #[error(transparent)]
    Db(#[from] DbError),
}

fn describe(problems: &[FileProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}:\n  {}", p.file, p.problems.join("\n  ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Releases and any publisher-compiled release of one contracting process, gathered from
/// every package of the import.
#[derive(Default)]
struct Process<'a> {
    releases: Vec<(&'a ReleaseIn, Option<&'a str>)>,
    publisher_compiled: Option<(&'a Value, Option<&'a str>)>,
}

pub async fn import(
    db: &Db,
    inputs: Vec<Input>,
    options: Options,
) -> Result<ImportReport, ImportError> {
    if inputs.is_empty() {
        return Err(ImportError::Empty);
    }
    let mut report = ImportReport {
        files: inputs.len(),
        ..ImportReport::default()
    };
    let mut packages: Vec<(String, Package)> = Vec::new();
    let mut problems = Vec::new();
    for input in inputs {
        match package::parse(&input.bytes) {
            Ok(p) => packages.push((input.name, p)),
            Err(e) => problems.push(FileProblem {
                file: input.name,
                problems: e.messages(),
            }),
        }
    }
    if !problems.is_empty() {
        if !options.skip_invalid {
            return Err(ImportError::Invalid(problems));
        }
        for p in problems {
            let first = p.problems.first().cloned().unwrap_or_default();
            report.skip(
                "Not a valid OCDS 1.1 package (file skipped)",
                format!("{}: {first}", p.file),
            );
        }
    }

    let mut processes: BTreeMap<&str, Process<'_>> = BTreeMap::new();
    for (file, p) in &packages {
        let uri = p.uri.as_deref();
        match p.kind {
            PackageKind::Release => report.release_packages += 1,
            PackageKind::Record => report.record_packages += 1,
        }
        for r in &p.releases {
            processes
                .entry(r.ocid.as_str())
                .or_default()
                .releases
                .push((r, uri));
        }
        for rec in &p.records {
            report.records.read += 1;
            let proc = processes.entry(rec.ocid.as_str()).or_default();
            for r in &rec.releases {
                proc.releases.push((r, uri));
            }
            for path in &rec.linked_releases {
                report.skip(
                    "Linked release not fetched: the record's compiled release stands for it",
                    format!("{file}: {path}"),
                );
            }
            if let Some(c) = &rec.compiled {
                proc.publisher_compiled = Some((c, uri));
            }
        }
    }

    let mut tx = db.begin().await?;
    // Imports run one at a time across instances (see the ocds_import_lock table).
    tx.execute(
        "UPDATE ocds_import_lock SET last_import_at = $1 WHERE id = 1",
        args![crate::db::now()],
    )
    .await?;
    let mut run = Run::default();
    for (ocid, process) in &processes {
        import_process(&mut tx, &mut report, &mut run, ocid, process).await?;
    }
    tx.commit().await?;

    report.records.compiled = processes.len();
    report.buyers.distinct = run.buyers.len();
    report.buyers.london_authorities = run.london.len();
    report.buyers.other_councils = run
        .buyers
        .iter()
        .filter(|k| k.starts_with("council:"))
        .count()
        - run.london.len();
    report.suppliers.distinct = run.suppliers.len();
    Ok(report)
}

/// What one import run has seen so far.
#[derive(Default)]
struct Run {
    buyers: BTreeSet<String>,
    london: BTreeSet<String>,
    suppliers: BTreeSet<i64>,
    org_by_gss: HashMap<String, Option<i64>>,
}

async fn import_process(
    tx: &mut Tx,
    report: &mut ImportReport,
    run: &mut Run,
    ocid: &str,
    process: &Process<'_>,
) -> Result<(), ImportError> {
    let mut source_uri = None;
    for (r, uri) in &process.releases {
        report.releases.read += 1;
        let json = canonical_json(&r.json);
        let hash = sha256_hex(&json);
        let date_text = r.json.get("date").and_then(Value::as_str).unwrap_or("");
        let stored = store::upsert_release(
            tx,
            &NewRelease {
                ocid,
                release_id: &r.id,
                release_at: r.date.timestamp(),
                release_date: date_text,
                tags: &r.tags.join(" "),
                json: &json,
                hash: &hash,
                package_uri: *uri,
            },
        )
        .await?;
        match stored {
            Stored::New => report.releases.new += 1,
            Stored::Changed => report.releases.changed += 1,
            Stored::Unchanged => report.releases.unchanged += 1,
        }
        source_uri = uri.or(source_uri);
    }

    // The record: compiled here from every stored release of the process (earlier imports'
    // included), or the publisher's compiled release when no release was embedded.
    let stored = store::releases_of(tx, ocid).await?;
    let (compiled, compiled_from, first_at, last_at) = if stored.is_empty() {
        let Some((c, uri)) = process.publisher_compiled else {
            return Ok(());
        };
        source_uri = uri.or(source_uri);
        let at = c
            .get("date")
            .and_then(Value::as_str)
            .and_then(parse_date_time)
            .map(|d| d.timestamp())
            .unwrap_or_default();
        (c.clone(), "publisher", at, at)
    } else {
        let parsed: Vec<Value> = stored
            .iter()
            .map(|s| serde_json::from_str(&s.release_json).unwrap_or(Value::Null))
            .collect();
        let mut dated: Vec<Dated<'_>> = stored
            .iter()
            .zip(&parsed)
            .map(|(s, json)| Dated {
                date: chrono::DateTime::from_timestamp(s.release_at, 0).unwrap_or_default(),
                date_text: &s.release_date,
                json,
            })
            .collect();
        let first = stored.first().map(|s| s.release_at).unwrap_or_default();
        let last = stored.last().map(|s| s.release_at).unwrap_or_default();
        (merge::compile(ocid, &mut dated), "releases", first, last)
    };
    let compiled_json = canonical_json(&compiled);
    // Where the compiled release came from is part of what is stored: the same content
    // compiled here rather than taken from the publisher is still an update.
    let hash = sha256_hex(&format!("{compiled_from}\n{compiled_json}"));
    let summary = summarise(&compiled);

    let council = council_of(&summary.buyer);
    let buyer_org_id = match council.filter(|c| c.is_london_authority()) {
        Some(c) => org_for_gss(tx, run, c.gss_code.as_deref().unwrap_or("")).await?,
        None => None,
    };
    if summary.buyer.name.is_empty() {
        report.skip("Buyer not named: the notice is kept without a buyer", ocid);
    }
    run.buyers.insert(match council {
        Some(c) => format!("council:{}", c.code),
        None => format!("name:{}", reference::name_key(&summary.buyer.name)),
    });
    if buyer_org_id.is_some() {
        report.buyers.records_with_london_buyer += 1;
        if let Some(c) = council {
            run.london.insert(c.code.clone());
        }
    }
    for s in &summary.suppliers {
        report.suppliers.parties += 1;
        if s.company_number.is_some() {
            report.suppliers.with_company_number += 1;
        }
    }

    let existing = store::existing_record(tx, ocid).await?;
    if let Some(e) = &existing
        && e.content_hash == hash
    {
        report.records.unchanged += 1;
        run.suppliers
            .extend(store::supplier_ids_of(tx, e.id).await?);
        return Ok(());
    }
    for c in &summary.unusable_classifications {
        report.skip(
            "Classification that is not a usable CPV code",
            format!("{ocid}: {c}"),
        );
    }
    if let Some(cur) = &summary.foreign_currency {
        report.skip(
            "Value in a currency other than pounds: shown, not converted",
            format!("{ocid}: {cur}"),
        );
    }

    let mut links = Vec::new();
    for s in &summary.suppliers {
        if let Some(bad) = &s.bad_company_number {
            report.skip(
                "GB-COH identifier that is not a company number: supplier matched by name",
                format!("{ocid}: {} ({bad})", s.name),
            );
        }
        match resolve(tx, &s.name, s.company_number.as_ref(), None).await? {
            Some((id, how)) => {
                if how == MatchedBy::New {
                    report.suppliers.new_to_register += 1;
                }
                run.suppliers.insert(id);
                links.push((id, s));
            }
            None => report.skip(
                "Supplier without a usable name (empty or redacted)",
                format!("{ocid}: {:?}", s.name),
            ),
        }
    }

    let description = super::text::paragraphs(&summary.description).join("\n\n");
    let search_text = search_text(&summary, &description);
    let record_id = store::save_record(
        tx,
        &NewRecord {
            ocid,
            compiled_release: &compiled_json,
            compiled_from,
            hash: &hash,
            title: &summary.title,
            description: &description,
            buyer_name: &summary.buyer.name,
            buyer_org_id,
            buyer_council_code: council.map(|c| c.code.as_str()),
            buyer_gss_code: council.and_then(|c| c.gss_code.as_deref()),
            tender_status: summary.tender_status.as_deref(),
            outcome: summary.outcome,
            procurement_method: summary.procurement_method.as_deref(),
            procurement_method_details: summary.procurement_method_details.as_deref(),
            tender_value: summary.tender_value,
            awarded_value: summary.awarded_value,
            tender_deadline: summary.tender_deadline,
            award_date: summary.award_date,
            contract_start: summary.contract_start,
            contract_end: summary.contract_end,
            first_published_at: first_at,
            last_release_at: last_at,
            search_text: &search_text,
            source_uri,
        },
        existing.as_ref().map(|e| e.id),
    )
    .await?;
    store::replace_cpv(tx, record_id, &summary.cpv).await?;
    let links: Vec<SupplierLink<'_>> = links
        .iter()
        .map(|(id, s)| SupplierLink {
            supplier_id: *id,
            name: &s.name,
            company_number: s.company_number.as_ref().map(|c| c.as_str()),
        })
        .collect();
    store::replace_suppliers(tx, record_id, &links).await?;
    if existing.is_some() {
        report.records.updated += 1;
    } else {
        report.records.new += 1;
    }
    Ok(())
}

/// The council a buyer is, from its identifier (a GB-LAE register code, or a GSS code under
/// any scheme) or else its name or legal name.
pub fn council_of(b: &BuyerRef) -> Option<&'static Council> {
    let councils = reference::councils();
    if let Some(id) = b.identifier_id.as_deref() {
        let scheme = b.identifier_scheme.as_deref().unwrap_or("");
        if scheme.eq_ignore_ascii_case("GB-LAE")
            && let Some(c) = councils.by_code(id)
        {
            return Some(c);
        }
        if let Ok(gss) = GssCode::parse(id)
            && let Some(c) = councils.by_gss(gss.as_str())
        {
            return Some(c);
        }
    }
    councils
        .by_name(&b.name)
        .or_else(|| b.legal_name.as_deref().and_then(|n| councils.by_name(n)))
}

async fn org_for_gss(tx: &mut Tx, run: &mut Run, gss: &str) -> Result<Option<i64>, DbError> {
    if let Some(found) = run.org_by_gss.get(gss) {
        return Ok(*found);
    }
    let id = tx
        .scalar::<i64>(
            "SELECT id FROM organisations WHERE gss_code = $1 AND kind = 'borough'",
            args![gss],
        )
        .await?;
    run.org_by_gss.insert(gss.to_owned(), id);
    Ok(id)
}

fn search_text(s: &RecordSummary, description: &str) -> String {
    let mut parts = vec![
        s.title.clone(),
        description.to_owned(),
        s.buyer.name.clone(),
    ];
    parts.extend(s.suppliers.iter().map(|x| x.name.clone()));
    parts.extend(s.cpv.iter().map(|c| c.label().to_owned()));
    parts.join(" \n ").to_lowercase()
}

/// JSON with object keys in sorted order at every level, so that the same content always
/// hashes the same whatever order a publisher wrote its keys in.
pub fn canonical_json(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let mut out = serde_json::Map::new();
                for k in keys {
                    out.insert(k.clone(), sorted(&m[k]));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    // With serde_json's default map (a BTreeMap) this is already sorted; the explicit sort
    // keeps the hash stable should a dependency turn on insertion-ordered maps.
    sorted(v).to_string()
}

pub fn sha256_hex(s: &str) -> String {
    crate::accounts::session::hex(&Sha256::digest(s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_ignores_key_order() {
        let a = json!({"b": 1, "a": {"d": [1, {"y": 2, "x": 1}], "c": null}});
        let b: Value =
            serde_json::from_str(r#"{"a": {"c": null, "d": [1, {"x": 1, "y": 2}]}, "b": 1}"#)
                .unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(sha256_hex("abc").len(), 64);
    }

    #[test]
    fn buyers_are_recognised_by_identifier_or_name() {
        let b = |name: &str, scheme: Option<&str>, id: Option<&str>| BuyerRef {
            name: name.into(),
            identifier_scheme: scheme.map(Into::into),
            identifier_id: id.map(Into::into),
            legal_name: None,
        };
        let code = |b: BuyerRef| council_of(&b).map(|c| c.code.clone());
        assert_eq!(
            code(b("Anything", Some("GB-LAE"), Some("CMD"))),
            Some("CMD".into())
        );
        assert_eq!(
            code(b("Barnet", Some("GB-LAC"), Some("E09000003"))),
            Some("BNE".into())
        );
        assert_eq!(
            code(b("London Borough of Waltham Forest", None, None)),
            Some("WFT".into())
        );
        assert_eq!(code(b("Barnet Homes Ltd", Some("GB-SRS"), Some("x"))), None);
    }
}

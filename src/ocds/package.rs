//! OCDS 1.1 packages as publishers send them: release packages (Contracts Finder, Find a
//! Tender) and record packages. A package is checked whole before anything is stored: every
//! field procurekit reads must have the type and code the standard gives it, so that a fault
//! is reported with its path instead of being half-imported or silently misread. Fields
//! procurekit does not read (extensions included) are kept as published.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::read::{Checked, JsonPath, Obj, PathError, describe};

/// The closed `releaseTag` codelist.
pub const RELEASE_TAGS: &[&str] = &[
    "planning",
    "planningUpdate",
    "tender",
    "tenderAmendment",
    "tenderUpdate",
    "tenderCancellation",
    "award",
    "awardUpdate",
    "awardCancellation",
    "contract",
    "contractUpdate",
    "contractAmendment",
    "implementation",
    "implementationUpdate",
    "contractTermination",
    "compiled",
];
pub const TENDER_STATUSES: &[&str] = &[
    "planning",
    "planned",
    "active",
    "cancelled",
    "unsuccessful",
    "complete",
    "withdrawn",
];
pub const AWARD_STATUSES: &[&str] = &["pending", "active", "cancelled", "unsuccessful"];
pub const CONTRACT_STATUSES: &[&str] = &["pending", "active", "cancelled", "terminated"];
pub const METHODS: &[&str] = &["open", "selective", "limited", "direct"];
pub const CATEGORIES: &[&str] = &["goods", "works", "services"];

/// More than this many faults in one file are summarised: the first ones show the pattern.
const MAX_ERRORS_PER_FILE: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageKind {
    Release,
    Record,
}

/// One release, checked, with its place in the file.
#[derive(Debug, Clone)]
pub struct ReleaseIn {
    pub ocid: String,
    pub id: String,
    pub date: DateTime<Utc>,
    pub tags: Vec<String>,
    pub json: Value,
    pub path: JsonPath,
}

/// One record of a record package. Its releases are either embedded (full releases, kept) or
/// linked (only a URL: procurekit does not fetch them, and uses the record's compiled release).
#[derive(Debug, Clone)]
pub struct RecordIn {
    pub ocid: String,
    pub releases: Vec<ReleaseIn>,
    /// Where each linked release sits in the file.
    pub linked_releases: Vec<JsonPath>,
    pub compiled: Option<Value>,
    pub path: JsonPath,
}

#[derive(Debug, Clone)]
pub struct Package {
    pub kind: PackageKind,
    pub uri: Option<String>,
    pub publisher: Option<String>,
    pub releases: Vec<ReleaseIn>,
    pub records: Vec<RecordIn>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum PackageError {
    #[error("not valid JSON: {0}")]
    NotJson(String),
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<PathError>),
}

impl PackageError {
    /// Each fault on its own line, for a page or a terminal.
    pub fn messages(&self) -> Vec<String> {
        match self {
            PackageError::NotJson(e) => vec![format!("not valid JSON: {e}")],
            PackageError::Invalid(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }
}

/// Reads and checks one package.
pub fn parse(bytes: &[u8]) -> Result<Package, PackageError> {
    // A byte-order mark is common in files saved on Windows and means nothing here.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| PackageError::NotJson(e.to_string()))?;
    check_package(doc)
}

fn check_package(doc: Value) -> Result<Package, PackageError> {
    let one = |e: PathError| PackageError::Invalid(vec![e]);
    let root = JsonPath::root();
    let top = Obj::new(&doc, root.clone()).map_err(one)?;
    let kind = match (top.get("releases"), top.get("records")) {
        (Some(_), None) => PackageKind::Release,
        (None, Some(_)) => PackageKind::Record,
        (Some(_), Some(_)) => {
            return Err(one(PathError::new(
                &root,
                "has both \"releases\" and \"records\": a package is one or the other",
            )));
        }
        (None, None) if top.get("ocid").is_some() => {
            return Err(one(PathError::new(
                &root,
                "this is a single release, not a package: put it in a release package ({\"version\": \"1.1\", \"releases\": [ … ]})",
            )));
        }
        (None, None) => {
            return Err(one(PathError::new(
                &root,
                "expected an OCDS release package (with \"releases\") or record package (with \"records\")",
            )));
        }
    };
    match top.get("version") {
        Some(Value::String(v)) if v.starts_with("1.1") => {}
        None => {
            return Err(one(PathError::new(
                &top.at("version"),
                "is missing, which means OCDS 1.0: only OCDS 1.1 packages can be imported",
            )));
        }
        Some(other) => {
            return Err(one(PathError::new(
                &top.at("version"),
                format!(
                    "expected \"1.1\", found {}: only OCDS 1.1 packages can be imported",
                    describe(other)
                ),
            )));
        }
    }
    // Package metadata is informative only; a malformed value is ignored rather than fatal
    // (Contracts Finder has published an empty publishedDate).
    let uri = top.string("uri").ok().flatten().map(str::to_owned);
    let publisher = top
        .object("publisher")
        .ok()
        .flatten()
        .and_then(|p| p.string("name").ok().flatten().map(str::to_owned));

    let mut errors = Vec::new();
    let mut releases = Vec::new();
    let mut records = Vec::new();
    match kind {
        PackageKind::Release => match top.array("releases") {
            Ok(items) => {
                for (v, path) in items {
                    match check_release(v, path) {
                        Ok(r) => releases.push(r),
                        Err(e) => errors.push(e),
                    }
                }
            }
            Err(e) => errors.push(e),
        },
        PackageKind::Record => match top.array("records") {
            Ok(items) => {
                for (v, path) in items {
                    match check_record(v, path, &mut errors) {
                        Ok(Some(r)) => records.push(r),
                        Ok(None) => {}
                        Err(e) => errors.push(e),
                    }
                }
            }
            Err(e) => errors.push(e),
        },
    }
    if !errors.is_empty() {
        let total = errors.len();
        errors.truncate(MAX_ERRORS_PER_FILE);
        if total > MAX_ERRORS_PER_FILE {
            errors.push(PathError::new(
                &root,
                format!("… and {} more problems", total - MAX_ERRORS_PER_FILE),
            ));
        }
        return Err(PackageError::Invalid(errors));
    }
    if releases.is_empty() && records.is_empty() {
        let key = if kind == PackageKind::Release {
            "releases"
        } else {
            "records"
        };
        return Err(one(PathError::new(
            &root.key(key),
            "is empty: there is nothing to import",
        )));
    }
    Ok(Package {
        kind,
        uri,
        publisher,
        releases,
        records,
    })
}

/// Checks a record; errors in its embedded releases are added to `errors` so that one bad
/// release does not hide the others.
fn check_record(
    v: &Value,
    path: JsonPath,
    errors: &mut Vec<PathError>,
) -> Checked<Option<RecordIn>> {
    let rec = Obj::new(v, path.clone())?;
    let ocid = rec.required_string("ocid")?.to_owned();
    let mut releases = Vec::new();
    let mut linked = Vec::new();
    let mut ok = true;
    for (rv, rpath) in rec.array("releases")? {
        let r = Obj::new(rv, rpath.clone())?;
        // A linked release carries only url, date and tag; an embedded one has its own ocid.
        if r.get("ocid").is_none() && r.get("url").is_some() {
            linked.push(rpath);
            continue;
        }
        match check_release(rv, rpath.clone()) {
            Ok(release) if release.ocid != ocid => {
                ok = false;
                errors.push(PathError::new(
                    &rpath.key("ocid"),
                    format!(
                        "is {:?} but the record's ocid is {ocid:?}: a record gathers one contracting process",
                        release.ocid
                    ),
                ));
            }
            Ok(release) => releases.push(release),
            Err(e) => {
                ok = false;
                errors.push(e);
            }
        }
    }
    let compiled = match rec.get("compiledRelease") {
        None => None,
        Some(c) => {
            let checked = check_release(c, rec.at("compiledRelease"));
            match checked {
                Ok(_) => Some(c.clone()),
                Err(e) => {
                    ok = false;
                    errors.push(e);
                    None
                }
            }
        }
    };
    if !ok {
        return Ok(None);
    }
    if releases.is_empty() && compiled.is_none() {
        return Err(PathError::new(
            &path,
            "has no embedded releases and no compiledRelease: there is nothing to import (linked releases are not fetched)",
        ));
    }
    Ok(Some(RecordIn {
        ocid,
        releases,
        linked_releases: linked,
        compiled,
        path,
    }))
}

/// Checks one release (or compiled release) and returns its identity.
pub fn check_release(v: &Value, path: JsonPath) -> Checked<ReleaseIn> {
    let r = Obj::new(v, path.clone())?;
    let ocid = r.required_string("ocid")?.to_owned();
    let id = r.required_string("id")?.to_owned();
    let date = r
        .date_time("date")?
        .ok_or_else(|| PathError::new(&r.at("date"), "is required but missing"))?;
    let tags = r.strings("tag")?;
    if tags.is_empty() {
        return Err(PathError::new(
            &r.at("tag"),
            "is required: at least one release tag such as \"tender\" or \"award\"",
        ));
    }
    for (i, t) in tags.iter().enumerate() {
        if !RELEASE_TAGS.contains(t) {
            return Err(PathError::new(
                &r.at("tag").index(i),
                format!("{t:?} is not an OCDS release tag"),
            ));
        }
    }
    match r.get("initiationType") {
        Some(Value::String(s)) if s == "tender" => {}
        Some(other) => {
            return Err(PathError::new(
                &r.at("initiationType"),
                format!("expected \"tender\", found {}", describe(other)),
            ));
        }
        None => {
            return Err(PathError::new(
                &r.at("initiationType"),
                "is required but missing (OCDS 1.1 uses \"tender\")",
            ));
        }
    }
    for p in r.objects("parties")? {
        p.string("id")?;
        p.string("name")?;
        p.strings("roles")?;
        check_identifier(&p, "identifier")?;
        for (v, ip) in p.array("additionalIdentifiers")? {
            check_identifier(&Obj::new(v, ip.clone())?, "")?;
        }
    }
    if let Some(b) = r.object("buyer")? {
        check_reference(&b)?;
    }
    if let Some(pl) = r.object("planning")?
        && let Some(budget) = pl.object("budget")?
    {
        check_value(&budget, "amount")?;
    }
    if let Some(t) = r.object("tender")? {
        t.id("id")?;
        t.string("title")?;
        t.string("description")?;
        t.code("status", TENDER_STATUSES, "an OCDS tender status")?;
        t.code("procurementMethod", METHODS, "an OCDS procurement method")?;
        t.code(
            "mainProcurementCategory",
            CATEGORIES,
            "an OCDS procurement category",
        )?;
        t.string("procurementMethodDetails")?;
        check_value(&t, "value")?;
        check_value(&t, "minValue")?;
        check_items(&t)?;
        check_period(&t, "tenderPeriod")?;
        check_period(&t, "contractPeriod")?;
        check_period(&t, "awardPeriod")?;
        for o in t.objects("tenderers")? {
            check_reference(&o)?;
        }
        if let Some(pe) = t.object("procuringEntity")? {
            check_reference(&pe)?;
        }
    }
    for a in r.objects("awards")? {
        required_id(&a)?;
        a.string("title")?;
        a.code("status", AWARD_STATUSES, "an OCDS award status")?;
        a.date_time("date")?;
        check_value(&a, "value")?;
        for s in a.objects("suppliers")? {
            check_reference(&s)?;
        }
        check_items(&a)?;
        check_period(&a, "contractPeriod")?;
    }
    for c in r.objects("contracts")? {
        required_id(&c)?;
        c.id("awardID")?
            .ok_or_else(|| PathError::new(&c.at("awardID"), "is required but missing"))?;
        c.code("status", CONTRACT_STATUSES, "an OCDS contract status")?;
        c.date_time("dateSigned")?;
        check_value(&c, "value")?;
        check_items(&c)?;
        check_period(&c, "period")?;
    }
    Ok(ReleaseIn {
        ocid,
        id,
        date,
        tags: tags.into_iter().map(str::to_owned).collect(),
        json: v.clone(),
        path,
    })
}

fn required_id(o: &Obj<'_>) -> Checked<String> {
    o.id("id")?
        .ok_or_else(|| PathError::new(&o.at("id"), "is required but missing"))
}

fn check_reference(o: &Obj<'_>) -> Checked<()> {
    o.id("id")?;
    o.string("name")?;
    Ok(())
}

fn check_identifier(o: &Obj<'_>, key: &str) -> Checked<()> {
    let ident = if key.is_empty() {
        Some(Obj {
            map: o.map,
            path: o.path.clone(),
        })
    } else {
        o.object(key)?
    };
    if let Some(i) = ident {
        i.string("scheme")?;
        i.id("id")?;
        i.string("legalName")?;
    }
    Ok(())
}

fn check_value(o: &Obj<'_>, key: &str) -> Checked<()> {
    if let Some(v) = o.object(key)? {
        v.number("amount")?;
        if let Some(c) = v.string("currency")?
            && !(c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()))
        {
            return Err(PathError::new(
                &v.at("currency"),
                format!("{c:?} is not an ISO 4217 currency code such as \"GBP\""),
            ));
        }
    }
    Ok(())
}

fn check_period(o: &Obj<'_>, key: &str) -> Checked<()> {
    if let Some(p) = o.object(key)? {
        p.date_time("startDate")?;
        p.date_time("endDate")?;
        p.date_time("maxExtentDate")?;
    }
    Ok(())
}

fn check_items(o: &Obj<'_>) -> Checked<()> {
    for item in o.objects("items")? {
        required_id(&item)?;
        item.string("description")?;
        if let Some(c) = item.object("classification")? {
            c.string("scheme")?;
            c.id("id")?;
        }
        for c in item.objects("additionalClassifications")? {
            c.string("scheme")?;
            c.id("id")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn release(extra: Value) -> Value {
        let mut r = json!({
            "ocid": "ocds-b5fd17-1", "id": "r1", "date": "2020-01-01T00:00:00Z",
            "tag": ["tender"], "initiationType": "tender"
        });
        if let (Value::Object(m), Value::Object(e)) = (&mut r, extra) {
            m.extend(e);
        }
        r
    }

    fn errors_of(doc: Value) -> Vec<String> {
        match check_package(doc) {
            Ok(_) => vec![],
            Err(e) => e.messages(),
        }
    }

    #[test]
    fn a_wrong_type_is_reported_with_its_path() {
        let doc = json!({"version": "1.1", "releases": [
            release(json!({})), release(json!({})), release(json!({})),
            release(json!({"tender": {"id": "t", "value": {"amount": "12,000", "currency": "GBP"}}}))
        ]});
        assert_eq!(
            errors_of(doc),
            vec!["releases[3].tender.value.amount: expected a number, found a string (\"12,000\")"]
        );
    }

    #[test]
    fn every_bad_release_is_reported_not_just_the_first() {
        let doc = json!({"version": "1.1", "releases": [
            release(json!({"date": "yesterday"})),
            release(json!({"tender": {"id": "t", "status": "open"}})),
            release(json!({"awards": [{"title": "no id"}]}))
        ]});
        let errs = errors_of(doc);
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].starts_with("releases[0].date: expected a date-time"));
        assert!(
            errs[1].starts_with("releases[1].tender.status: \"open\" is not an OCDS tender status")
        );
        assert_eq!(errs[2], "releases[2].awards[0].id: is required but missing");
    }

    #[test]
    fn shapes_that_are_not_packages_are_explained() {
        assert!(errors_of(json!([1, 2]))[0].contains("expected an object, found an array"));
        assert!(errors_of(release(json!({})))[0].contains("single release, not a package"));
        assert!(errors_of(json!({"releases": [release(json!({}))]}))[0].contains("OCDS 1.0"));
        assert!(errors_of(json!({"version": "1.1", "releases": []}))[0].contains("is empty"));
        assert!(matches!(
            parse(b"{\"version\": "),
            Err(PackageError::NotJson(_))
        ));
    }

    #[test]
    fn record_packages_keep_embedded_releases_and_the_compiled_release() {
        let doc = json!({"version": "1.1", "records": [{
            "ocid": "ocds-b5fd17-1",
            "releases": [{"url": "https://example.com/r0.json", "date": "2020-01-01T00:00:00Z", "tag": ["planning"]}, release(json!({}))],
            "compiledRelease": release(json!({"id": "compiled", "tag": ["compiled"]}))
        }]});
        let p = check_package(doc).unwrap();
        assert_eq!(p.kind, PackageKind::Record);
        assert_eq!(p.records[0].releases.len(), 1);
        assert_eq!(p.records[0].linked_releases.len(), 1);
        assert!(p.records[0].compiled.is_some());
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(
            serde_json::to_vec(&json!({"version": "1.1", "releases": [release(json!({}))]}))
                .unwrap(),
        );
        assert_eq!(parse(&bytes).unwrap().releases.len(), 1);
    }
}

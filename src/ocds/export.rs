//! OCDS going out: the releases of a procurement (planning → tender → award → contract) built
//! from procurekit's own data, and release packages of everything public, paged, for
//! `/api/v1/ocds/releases` and `procurekit export ocds`. Output follows the OCDS 1.1.5
//! release-package schema (the integration tests validate it).

use std::fmt;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::reference;
use super::store;
use crate::accounts::GssCode;
use crate::cpv::CpvCode;
use crate::db::{Db, DbResult};
use crate::money::Pence;
use crate::suppliers::CompanyNumber;

/// The licence procurekit publishes under. Imported Contracts Finder notices are published
/// under OGL v2, whose terms OGL v3 keeps.
pub const LICENSE: &str =
    "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/";

/// An OCDS ocid prefix: `ocds-` and six letters or digits, as registered with the Open
/// Contracting Partnership (Contracts Finder's is `ocds-b5fd17`, Find a Tender's `ocds-h6vhtk`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcidPrefix(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an OCDS ocid prefix (\"ocds-\" and six letters or digits, like ocds-b5fd17)")]
pub struct BadOcidPrefix(pub String);

impl OcidPrefix {
    pub fn parse(s: &str) -> Result<OcidPrefix, BadOcidPrefix> {
        let t = s.trim().to_ascii_lowercase();
        match t.strip_prefix("ocds-") {
            Some(rest) if rest.len() == 6 && rest.chars().all(|c| c.is_ascii_alphanumeric()) => {
                Ok(OcidPrefix(t))
            }
            _ => Err(BadOcidPrefix(s.trim().to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ocid of one of procurekit's procurements.
    pub fn ocid(&self, local_id: &str) -> String {
        format!("{}-{local_id}", self.0)
    }
}

impl std::str::FromStr for OcidPrefix {
    type Err = BadOcidPrefix;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OcidPrefix::parse(s)
    }
}

impl fmt::Display for OcidPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How far a procurement has got; its releases run up to and including this stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExportStage {
    Planning,
    Tender,
    Award,
    Contract,
}

impl ExportStage {
    fn tag(self) -> &'static str {
        match self {
            ExportStage::Planning => "planning",
            ExportStage::Tender => "tender",
            ExportStage::Award => "award",
            ExportStage::Contract => "contract",
        }
    }
}

/// OCDS's closed codelist of procurement methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcurementMethod {
    Open,
    Selective,
    Limited,
    Direct,
}

impl ProcurementMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ProcurementMethod::Open => "open",
            ProcurementMethod::Selective => "selective",
            ProcurementMethod::Limited => "limited",
            ProcurementMethod::Direct => "direct",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExportBuyer {
    pub name: String,
    /// For a UK council: its GSS code, which gives its GB-LAE identifier.
    pub gss_code: Option<GssCode>,
}

#[derive(Debug, Clone)]
pub struct ExportSupplier {
    pub name: String,
    pub company_number: Option<CompanyNumber>,
}

#[derive(Debug, Clone)]
pub struct ExportPlanning {
    /// When the pipeline entry was published.
    pub published: DateTime<Utc>,
    pub expected_tender_date: Option<NaiveDate>,
    pub contract_start: Option<NaiveDate>,
    pub contract_end: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct ExportTender {
    pub published: DateTime<Utc>,
    pub deadline: Option<DateTime<Utc>>,
    pub method: Option<ProcurementMethod>,
    /// The procedure in words ("Competitive flexible procedure").
    pub method_details: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ExportAward {
    pub published: DateTime<Utc>,
    pub date: NaiveDate,
    pub value: Option<Pence>,
    pub suppliers: Vec<ExportSupplier>,
}

#[derive(Debug, Clone)]
pub struct ExportContract {
    pub published: DateTime<Utc>,
    pub signed: Option<NaiveDate>,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub value: Option<Pence>,
}

/// A procurement as OCDS needs it: the input of [`releases_for`]. The pipeline fills it from
/// its own records.
#[derive(Debug, Clone)]
pub struct ExportProcurement {
    /// procurekit's id for the procurement, unique within this instance: the ocid is
    /// `{prefix}-{local_id}`.
    pub local_id: String,
    pub title: String,
    pub description: String,
    pub buyer: ExportBuyer,
    pub cpv: Vec<CpvCode>,
    pub estimated_value: Option<Pence>,
    pub stage: ExportStage,
    pub planning: ExportPlanning,
    pub tender: Option<ExportTender>,
    pub award: Option<ExportAward>,
    pub contract: Option<ExportContract>,
    /// When the procurement was cancelled, if it was: a last release says so.
    pub cancelled: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("the procurement is at the {0} stage but has no {0} details to publish")]
    MissingStage(&'static str),
    #[error(
        "the procurement's local id {0:?} cannot be part of an ocid (use letters, digits and hyphens)"
    )]
    BadLocalId(String),
}

pub fn date_time(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn day(d: NaiveDate) -> String {
    format!("{}T00:00:00Z", d.format("%Y-%m-%d"))
}

fn money(p: Pence) -> Value {
    json!({"amount": super::amount_of(p), "currency": "GBP"})
}

fn period(start: Option<NaiveDate>, end: Option<NaiveDate>) -> Option<Value> {
    let mut m = Map::new();
    if let Some(s) = start {
        m.insert("startDate".into(), day(s).into());
    }
    if let Some(e) = end {
        m.insert("endDate".into(), day(e).into());
    }
    (!m.is_empty()).then_some(Value::Object(m))
}

fn insert_some(m: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    if let Some(v) = v {
        m.insert(key.into(), v);
    }
}

/// The OCDS releases of a procurement, one per stage reached, each describing the
/// procurement as it stood when that stage was published (so each stands alone, as OCDS
/// recommends, and merging them gives the current state).
pub fn releases_for(p: &ExportProcurement, prefix: &OcidPrefix) -> Result<Vec<Value>, ExportError> {
    if p.local_id.is_empty()
        || !p
            .local_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(ExportError::BadLocalId(p.local_id.clone()));
    }
    let ocid = prefix.ocid(&p.local_id);
    let council = p
        .buyer
        .gss_code
        .as_ref()
        .and_then(|g| reference::councils().by_gss(g.as_str()));
    let (buyer_id, buyer_identifier) = match council {
        Some(c) => (
            format!("GB-LAE-{}", c.code),
            Some(json!({"scheme": "GB-LAE", "id": c.code, "legalName": c.official_name})),
        ),
        None => (format!("{ocid}-buyer"), None),
    };
    let mut buyer_party = Map::new();
    buyer_party.insert("id".into(), buyer_id.clone().into());
    buyer_party.insert("name".into(), p.buyer.name.clone().into());
    buyer_party.insert("roles".into(), json!(["buyer", "procuringEntity"]));
    insert_some(&mut buyer_party, "identifier", buyer_identifier);
    let buyer_ref = json!({"id": buyer_id, "name": p.buyer.name});

    let items: Vec<Value> = p
        .cpv
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut classification = Map::new();
            classification.insert("scheme".into(), "CPV".into());
            classification.insert("id".into(), c.digits().into());
            classification.insert("description".into(), c.label().into());
            json!({"id": (i + 1).to_string(), "description": c.label(), "classification": classification})
        })
        .collect();

    let supplier_parties: Vec<(Value, Value)> = p
        .award
        .iter()
        .flat_map(|a| a.suppliers.iter())
        .enumerate()
        .map(|(i, s)| {
            let id = match &s.company_number {
                Some(cn) => cn.org_id(),
                None => format!("{ocid}-supplier-{}", i + 1),
            };
            let mut party = Map::new();
            party.insert("id".into(), id.clone().into());
            party.insert("name".into(), s.name.clone().into());
            party.insert("roles".into(), json!(["supplier"]));
            if let Some(cn) = &s.company_number {
                party.insert(
                    "identifier".into(),
                    json!({"scheme": "GB-COH", "id": cn.as_str(), "legalName": s.name}),
                );
            }
            (Value::Object(party), json!({"id": id, "name": s.name}))
        })
        .collect();

    // Each stage reached gets a release; a stage passed over (an award without a published
    // tender, as in a direct award) is skipped, but the stage the procurement is at must have
    // its details.
    let mut stages: Vec<(ExportStage, DateTime<Utc>, bool)> = Vec::new();
    for stage in [
        ExportStage::Planning,
        ExportStage::Tender,
        ExportStage::Award,
        ExportStage::Contract,
    ] {
        if stage > p.stage {
            break;
        }
        let published = match stage {
            ExportStage::Planning => Some(p.planning.published),
            ExportStage::Tender => p.tender.as_ref().map(|t| t.published),
            ExportStage::Award => p.award.as_ref().map(|a| a.published),
            ExportStage::Contract => p.contract.as_ref().map(|c| c.published),
        };
        match published {
            Some(at) => stages.push((stage, at, false)),
            None if stage == p.stage => return Err(ExportError::MissingStage(stage.tag())),
            None => {}
        }
    }
    if let Some(at) = p.cancelled {
        stages.push((p.stage, at, true));
    }

    let mut out = Vec::new();
    for (stage, published, cancellation) in stages {
        let mut tender = Map::new();
        tender.insert("id".into(), format!("{ocid}-tender").into());
        tender.insert("title".into(), p.title.clone().into());
        tender.insert("description".into(), p.description.clone().into());
        let status = match stage {
            _ if cancellation => "cancelled",
            ExportStage::Planning => "planned",
            ExportStage::Tender => "active",
            ExportStage::Award | ExportStage::Contract => "complete",
        };
        tender.insert("status".into(), status.into());
        if !items.is_empty() {
            tender.insert("items".into(), Value::Array(items.clone()));
        }
        insert_some(&mut tender, "value", p.estimated_value.map(money));
        insert_some(
            &mut tender,
            "contractPeriod",
            period(p.planning.contract_start, p.planning.contract_end),
        );
        match (&p.tender, stage) {
            (Some(t), s) if s >= ExportStage::Tender => {
                let mut tp = Map::new();
                tp.insert("startDate".into(), date_time(t.published).into());
                insert_some(&mut tp, "endDate", t.deadline.map(|d| date_time(d).into()));
                tender.insert("tenderPeriod".into(), Value::Object(tp));
                insert_some(
                    &mut tender,
                    "procurementMethod",
                    t.method.map(|m| m.as_str().into()),
                );
                insert_some(
                    &mut tender,
                    "procurementMethodDetails",
                    t.method_details.clone().map(Value::from),
                );
            }
            _ => {
                if let Some(d) = p.planning.expected_tender_date {
                    tender.insert("tenderPeriod".into(), json!({"startDate": day(d)}));
                }
            }
        }

        let mut parties = vec![Value::Object(buyer_party.clone())];
        let mut release = Map::new();
        release.insert("ocid".into(), ocid.clone().into());
        let tag = if cancellation {
            "tenderCancellation"
        } else {
            stage.tag()
        };
        release.insert(
            "id".into(),
            format!("{ocid}-{tag}-{}", published.format("%Y%m%dT%H%M%SZ")).into(),
        );
        release.insert("date".into(), date_time(published).into());
        release.insert("tag".into(), json!([tag]));
        release.insert("initiationType".into(), "tender".into());
        release.insert("language".into(), "en".into());
        release.insert("buyer".into(), buyer_ref.clone());
        if stage == ExportStage::Planning {
            let mut planning = Map::new();
            planning.insert(
                "rationale".into(),
                "Published on the authority's procurement pipeline.".into(),
            );
            release.insert("planning".into(), Value::Object(planning));
        }
        release.insert("tender".into(), Value::Object(tender));

        if stage >= ExportStage::Award
            && let Some(a) = &p.award
        {
            parties.extend(supplier_parties.iter().map(|(party, _)| party.clone()));
            let mut award = Map::new();
            award.insert("id".into(), format!("{ocid}-award-1").into());
            award.insert("title".into(), p.title.clone().into());
            award.insert("status".into(), "active".into());
            award.insert("date".into(), day(a.date).into());
            insert_some(&mut award, "value", a.value.map(money));
            award.insert(
                "suppliers".into(),
                Value::Array(supplier_parties.iter().map(|(_, r)| r.clone()).collect()),
            );
            if !items.is_empty() {
                award.insert("items".into(), Value::Array(items.clone()));
            }
            if let Some(c) = &p.contract {
                insert_some(&mut award, "contractPeriod", period(c.start, c.end));
            } else {
                insert_some(
                    &mut award,
                    "contractPeriod",
                    period(p.planning.contract_start, p.planning.contract_end),
                );
            }
            release.insert("awards".into(), Value::Array(vec![Value::Object(award)]));
        }
        if stage == ExportStage::Contract
            && let Some(c) = &p.contract
        {
            let mut contract = Map::new();
            contract.insert("id".into(), format!("{ocid}-contract-1").into());
            contract.insert("awardID".into(), format!("{ocid}-award-1").into());
            contract.insert("title".into(), p.title.clone().into());
            contract.insert("status".into(), "active".into());
            insert_some(&mut contract, "period", period(c.start, c.end));
            insert_some(&mut contract, "value", c.value.map(money));
            insert_some(&mut contract, "dateSigned", c.signed.map(|d| day(d).into()));
            release.insert(
                "contracts".into(),
                Value::Array(vec![Value::Object(contract)]),
            );
        }
        release.insert("parties".into(), Value::Array(parties));
        out.push(Value::Object(release));
    }
    Ok(out)
}

/// Who publishes: the package metadata.
#[derive(Debug, Clone)]
pub struct Publisher {
    /// The service's public address, e.g. https://procurekit.example.gov.uk
    pub base_url: String,
}

/// A release package around releases. `uri` is where this package is served; `published`
/// the last change to its contents.
pub fn release_package(
    publisher: &Publisher,
    uri: &str,
    published: DateTime<Utc>,
    releases: Vec<Value>,
    next: Option<String>,
) -> Value {
    let mut p = Map::new();
    p.insert("uri".into(), uri.into());
    p.insert("version".into(), "1.1".into());
    p.insert("publishedDate".into(), date_time(published).into());
    p.insert(
        "publisher".into(),
        json!({"name": "procurekit", "uri": publisher.base_url}),
    );
    p.insert("license".into(), LICENSE.into());
    p.insert("releases".into(), Value::Array(releases));
    if let Some(next) = next {
        // The OCDS pagination convention: `links.next` while there are more pages.
        p.insert("links".into(), json!({ "next": next }));
    }
    Value::Object(p)
}

/// A record package holding one record: every stored release and the compiled release.
pub fn record_package(
    publisher: &Publisher,
    uri: &str,
    published: DateTime<Utc>,
    ocid: &str,
    releases: Vec<Value>,
    compiled: Value,
) -> Value {
    json!({
        "uri": uri,
        "version": "1.1",
        "publishedDate": date_time(published),
        "publisher": {"name": "procurekit", "uri": publisher.base_url},
        "license": LICENSE,
        "records": [{"ocid": ocid, "releases": releases, "compiledRelease": compiled}],
    })
}

/// A position in the stream of public releases: after the release published at `at` with
/// row `id` of source `source`. Releases are ordered by (date, source, id); imported notices
/// are source 0, so that procurekit's own procurements can be added as source 1 without
/// changing the order of what is already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub source: u8,
    pub id: i64,
}

impl Cursor {
    pub fn encode(self) -> String {
        format!("{}.{}.{}", self.at, self.source, self.id)
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        let mut parts = s.split('.');
        let at = parts.next()?.parse().ok()?;
        let source = parts.next()?.parse().ok()?;
        let id = parts.next()?.parse().ok()?;
        parts.next().is_none().then_some(Cursor { at, source, id })
    }
}

/// One page of public releases, oldest first, from `since` (inclusive), after `after`; and
/// the cursor of the next page when there may be more.
pub struct ReleasePage {
    pub releases: Vec<Value>,
    /// The latest change among them (or none when the page is empty).
    pub last_change: Option<DateTime<Utc>>,
    pub next: Option<Cursor>,
}

pub const MAX_PAGE: i64 = 1000;

pub async fn public_releases(
    db: &Db,
    prefix: Option<&OcidPrefix>,
    since: Option<DateTime<Utc>>,
    after: Option<Cursor>,
    limit: i64,
) -> DbResult<ReleasePage> {
    let limit = limit.clamp(1, MAX_PAGE);
    // Source 0: imported notices. A cursor already past source 0 at its date starts after
    // every imported release of that date.
    let imported_after = after.map(|c| {
        if c.source == 0 {
            (c.at, c.id)
        } else {
            (c.at, i64::MAX)
        }
    });
    let rows =
        store::releases_page(db, since.map(|s| s.timestamp()), imported_after, limit + 1).await?;
    let mut page: Vec<(Cursor, Option<i64>, String)> = rows
        .into_iter()
        .map(|r| {
            (
                Cursor {
                    at: r.release_at,
                    source: 0,
                    id: r.id,
                },
                Some(r.updated_at),
                r.release_json,
            )
        })
        .collect();
    // Source 1: London's own public procurements, when this instance has an ocid prefix to
    // publish them under. They are built from the pipeline as it stands now.
    if let Some(prefix) = prefix {
        for r in super::procurements::public_releases(db, prefix).await? {
            let c = Cursor {
                at: r.at,
                source: 1,
                id: r.key,
            };
            let after_cursor =
                after.is_none_or(|a| (c.at, c.source, c.id) > (a.at, a.source, a.id));
            let since_ok = since.is_none_or(|s| c.at >= s.timestamp());
            if after_cursor && since_ok {
                page.push((c, None, r.json.to_string()));
            }
        }
    }
    page.sort_by_key(|(c, _, _)| (c.at, c.source, c.id));
    let more = page.len() as i64 > limit;
    page.truncate(limit as usize);
    let next = if more {
        page.last().map(|(c, _, _)| *c)
    } else {
        None
    };
    let last_change = page
        .iter()
        .map(|(c, updated, _)| updated.unwrap_or(c.at))
        .max()
        .and_then(|t| DateTime::from_timestamp(t, 0));
    Ok(ReleasePage {
        releases: page
            .iter()
            .filter_map(|(_, _, json)| serde_json::from_str(json).ok())
            .collect(),
        last_change,
        next,
    })
}

/// `since` as people and harvesters write it: a date (`2020-01-31`, from midnight UTC) or a
/// date-time (`2020-01-31T09:00:00Z`).
pub fn parse_since(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    super::read::parse_date_time(s).or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    pub fn sample(stage: ExportStage) -> ExportProcurement {
        let at = |d: u32| Utc.with_ymd_and_hms(2026, 3, d, 9, 30, 0).unwrap();
        let day = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        ExportProcurement {
            local_id: "42".into(),
            title: "Housing management system".into(),
            description: "A cloud housing management system for council tenants.".into(),
            buyer: ExportBuyer {
                name: "London Borough of Camden".into(),
                gss_code: GssCode::parse("E09000007").ok(),
            },
            cpv: vec![
                CpvCode::parse("48000000").unwrap(),
                CpvCode::parse("72212000").unwrap(),
            ],
            estimated_value: Some(Pence(125_000_000)),
            stage,
            planning: ExportPlanning {
                published: at(1),
                expected_tender_date: Some(day(2026, 6, 1)),
                contract_start: Some(day(2027, 4, 1)),
                contract_end: Some(day(2032, 3, 31)),
            },
            tender: Some(ExportTender {
                published: at(2),
                deadline: Some(at(30)),
                method: Some(ProcurementMethod::Selective),
                method_details: Some("Competitive flexible procedure".into()),
            }),
            award: Some(ExportAward {
                published: at(3),
                date: day(2026, 9, 1),
                value: Some(Pence(118_000_050)),
                suppliers: vec![ExportSupplier {
                    name: "Thamesgate Systems Ltd".into(),
                    company_number: CompanyNumber::parse("1234567").ok(),
                }],
            }),
            contract: Some(ExportContract {
                published: at(4),
                signed: Some(day(2026, 10, 1)),
                start: Some(day(2027, 4, 1)),
                end: Some(day(2032, 3, 31)),
                value: Some(Pence(118_000_050)),
            }),
            cancelled: None,
        }
    }

    #[test]
    fn a_procurement_becomes_one_release_per_stage_reached() {
        let prefix = OcidPrefix::parse("ocds-abc123").unwrap();
        let rs = releases_for(&sample(ExportStage::Contract), &prefix).unwrap();
        let tags: Vec<&str> = rs.iter().map(|r| r["tag"][0].as_str().unwrap()).collect();
        assert_eq!(tags, ["planning", "tender", "award", "contract"]);
        assert_eq!(rs[0]["ocid"], "ocds-abc123-42");
        assert_eq!(rs[0]["tender"]["status"], "planned");
        assert_eq!(rs[0]["buyer"]["id"], "GB-LAE-CMD");
        assert_eq!(rs[1]["tender"]["procurementMethod"], "selective");
        assert_eq!(rs[2]["awards"][0]["value"]["amount"], 1_180_000.5);
        assert_eq!(rs[2]["parties"][1]["id"], "GB-COH-01234567");
        assert_eq!(rs[3]["contracts"][0]["awardID"], "ocds-abc123-42-award-1");
        assert_eq!(rs[3]["contracts"][0]["dateSigned"], "2026-10-01T00:00:00Z");

        let planned = releases_for(&sample(ExportStage::Planning), &prefix).unwrap();
        assert_eq!(planned.len(), 1);
        assert!(planned[0].get("awards").is_none());

        let mut missing = sample(ExportStage::Award);
        missing.award = None;
        assert_eq!(
            releases_for(&missing, &prefix),
            Err(ExportError::MissingStage("award"))
        );
    }

    #[test]
    fn a_direct_award_skips_the_tender_and_a_cancellation_comes_last() {
        let prefix = OcidPrefix::parse("ocds-abc123").unwrap();
        let mut direct = sample(ExportStage::Award);
        direct.tender = None;
        let rs = releases_for(&direct, &prefix).unwrap();
        let tags: Vec<&str> = rs.iter().map(|r| r["tag"][0].as_str().unwrap()).collect();
        assert_eq!(tags, ["planning", "award"]);

        let mut cancelled = sample(ExportStage::Tender);
        cancelled.cancelled = Some(Utc.with_ymd_and_hms(2026, 4, 1, 10, 0, 0).unwrap());
        let rs = releases_for(&cancelled, &prefix).unwrap();
        let last = rs.last().unwrap();
        assert_eq!(last["tag"], json!(["tenderCancellation"]));
        assert_eq!(last["tender"]["status"], "cancelled");
    }

    #[test]
    fn compiling_the_exported_releases_gives_the_contract_stage() {
        let prefix = OcidPrefix::parse("ocds-abc123").unwrap();
        let rs = releases_for(&sample(ExportStage::Contract), &prefix).unwrap();
        let dates: Vec<String> = rs
            .iter()
            .map(|r| r["date"].as_str().unwrap().to_owned())
            .collect();
        let mut dated: Vec<crate::ocds::merge::Dated<'_>> = rs
            .iter()
            .zip(&dates)
            .map(|(r, d)| crate::ocds::merge::Dated {
                date: super::super::read::parse_date_time(d).unwrap(),
                date_text: d,
                json: r,
            })
            .collect();
        let compiled = crate::ocds::merge::compile("ocds-abc123-42", &mut dated);
        let s = crate::ocds::summary::summarise(&compiled);
        assert_eq!(s.outcome, crate::ocds::Outcome::Contracted);
        assert_eq!(s.suppliers.len(), 1);
        assert_eq!(s.cpv.len(), 2);
    }

    #[test]
    fn prefixes_cursors_and_since() {
        assert!(OcidPrefix::parse("ocds-b5fd17").is_ok());
        for bad in ["b5fd17", "ocds-b5fd1", "ocds-b5fd17x", "ocds-b5f-17"] {
            assert!(OcidPrefix::parse(bad).is_err(), "{bad}");
        }
        let c = Cursor {
            at: 1_600_000_000,
            source: 0,
            id: 7,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("1.2"), None);
        assert_eq!(Cursor::decode("x.0.1"), None);
        assert_eq!(
            parse_since("2020-01-31").map(date_time).as_deref(),
            Some("2020-01-31T00:00:00Z")
        );
        assert!(parse_since("2020-01-31T09:00:00+01:00").is_some());
        assert!(parse_since("31/01/2020").is_none());
    }
}

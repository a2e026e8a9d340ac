//! What an officer asks of a past procurement, read from its compiled release: what was
//! bought, by whom, under which CPV codes, for how much, when, and how it ended.

use chrono::NaiveDate;
use serde_json::Value;

use super::read::{id_text, parse_date_time};
use super::text::clean_line;
use super::{Outcome, pence_from_amount};
use crate::cpv::CpvCode;
use crate::money::Pence;
use crate::suppliers::CompanyNumber;

#[derive(Debug, Clone, Default)]
pub struct BuyerRef {
    pub name: String,
    pub identifier_scheme: Option<String>,
    pub identifier_id: Option<String>,
    pub legal_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AwardedSupplier {
    /// The name as the notice gives it (entities decoded).
    pub name: String,
    pub company_number: Option<CompanyNumber>,
    /// A GB-COH identifier that is not a company number, kept to explain why it was not used.
    pub bad_company_number: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RecordSummary {
    pub title: String,
    pub description: String,
    pub buyer: BuyerRef,
    pub cpv: Vec<CpvCode>,
    /// Classifications that could not be used, with the reason.
    pub unusable_classifications: Vec<String>,
    pub tender_status: Option<String>,
    pub procurement_method: Option<String>,
    pub procurement_method_details: Option<String>,
    pub tender_value: Option<Pence>,
    pub awarded_value: Option<Pence>,
    /// Values given in a currency other than pounds, which are not converted.
    pub foreign_currency: Option<String>,
    pub tender_deadline: Option<NaiveDate>,
    pub award_date: Option<NaiveDate>,
    pub contract_start: Option<NaiveDate>,
    pub contract_end: Option<NaiveDate>,
    pub outcome: Outcome,
    pub suppliers: Vec<AwardedSupplier>,
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().filter(|x| !x.trim().is_empty())
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn date(v: &Value, path: &[&str]) -> Option<NaiveDate> {
    s(v, path).and_then(parse_date_time).map(|d| d.date_naive())
}

/// Awards that stand: active, pending (standstill) or without a status.
fn standing(award: &Value) -> bool {
    matches!(
        award.get("status").and_then(Value::as_str),
        None | Some("active" | "pending")
    )
}

/// A GB-COH identifier's company number. The ".0" some exports append (the number went
/// through a spreadsheet as a decimal) is dropped.
fn company_number(ident: &Value) -> Result<Option<CompanyNumber>, String> {
    let scheme = ident.get("scheme").and_then(Value::as_str).unwrap_or("");
    if !scheme.eq_ignore_ascii_case("GB-COH") {
        return Ok(None);
    }
    let Some(raw) = ident.get("id").and_then(id_text) else {
        return Ok(None);
    };
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let t = raw.strip_suffix(".0").unwrap_or(raw);
    CompanyNumber::parse(t)
        .map(Some)
        .map_err(|_| raw.to_owned())
}

fn party_number(party: &Value) -> (Option<CompanyNumber>, Option<String>) {
    let mut bad = None;
    let idents = party
        .get("identifier")
        .into_iter()
        .chain(arr(party, "additionalIdentifiers"));
    for ident in idents {
        match company_number(ident) {
            Ok(Some(cn)) => return (Some(cn), None),
            Ok(None) => {}
            Err(raw) => bad = Some(raw),
        }
    }
    (None, bad)
}

/// A value in pence. Zero counts as not given: Contracts Finder publishes `0` when a buyer
/// left the value blank, and "£0" would mislead anyone comparing prices.
fn money(v: Option<&Value>, foreign: &mut Option<String>) -> Option<Pence> {
    let v = v?;
    let amount = v
        .get("amount")
        .and_then(Value::as_f64)
        .filter(|a| *a != 0.0)?;
    match v.get("currency").and_then(Value::as_str) {
        None | Some("GBP") => pence_from_amount(amount),
        Some(other) => {
            *foreign = Some(other.to_owned());
            None
        }
    }
}

pub fn summarise(compiled: &Value) -> RecordSummary {
    let tender = compiled.get("tender").unwrap_or(&Value::Null);
    let parties = arr(compiled, "parties");
    let party = |id: &str| {
        parties
            .iter()
            .find(|p| p.get("id").and_then(id_text).as_deref() == Some(id))
    };

    let title = s(tender, &["title"])
        .or_else(|| s(compiled, &["title"]))
        .or_else(|| s(compiled, &["planning", "budget", "project"]))
        .map(clean_line)
        .unwrap_or_else(|| "(untitled notice)".into());
    let description = s(tender, &["description"])
        .or_else(|| s(compiled, &["description"]))
        .unwrap_or("")
        .to_owned();

    // The buyer: the `buyer` reference, its party, or failing those the party in the buyer
    // role or the procuring entity.
    let buyer_ref = compiled
        .get("buyer")
        .or_else(|| tender.get("procuringEntity"));
    let buyer_party = buyer_ref
        .and_then(|b| b.get("id"))
        .and_then(id_text)
        .and_then(|id| party(&id))
        .or_else(|| {
            parties
                .iter()
                .find(|p| arr(p, "roles").iter().any(|r| r.as_str() == Some("buyer")))
        });
    let buyer_name = buyer_ref
        .and_then(|b| s(b, &["name"]))
        .or_else(|| buyer_party.and_then(|p| s(p, &["name"])))
        .map(clean_line)
        .unwrap_or_default();
    let ident = buyer_party.and_then(|p| p.get("identifier"));
    let buyer = BuyerRef {
        name: buyer_name,
        identifier_scheme: ident.and_then(|i| s(i, &["scheme"])).map(str::to_owned),
        identifier_id: ident
            .and_then(|i| i.get("id"))
            .and_then(id_text)
            .filter(|x| !x.trim().is_empty()),
        legal_name: ident.and_then(|i| s(i, &["legalName"])).map(clean_line),
    };

    // CPV codes from every item list, in order, once each.
    let mut cpv: Vec<CpvCode> = Vec::new();
    let mut unusable = Vec::new();
    let item_lists = [tender]
        .into_iter()
        .chain(arr(compiled, "awards"))
        .chain(arr(compiled, "contracts"))
        .flat_map(|x| arr(x, "items"));
    for item in item_lists {
        let classes = item
            .get("classification")
            .into_iter()
            .chain(arr(item, "additionalClassifications"));
        for c in classes {
            let scheme = c.get("scheme").and_then(Value::as_str).unwrap_or("");
            let Some(id) = c.get("id").and_then(id_text) else {
                continue;
            };
            if !scheme.eq_ignore_ascii_case("CPV") {
                unusable.push(format!("{scheme} {id}: not a CPV classification"));
                continue;
            }
            // The vocabulary's check digit is authoritative: a notice's own (or none) is not
            // checked against it, only the eight digits are.
            let digits = id.split_once('-').map_or(id.as_str(), |(d, _)| d).trim();
            match CpvCode::parse(digits) {
                Ok(code) => {
                    if !cpv.iter().any(|x| x.digits() == code.digits()) {
                        cpv.push(code);
                    }
                }
                Err(e) => unusable.push(e.to_string()),
            }
        }
    }

    let mut foreign = None;
    let tender_value = money(tender.get("value"), &mut foreign);
    let awards: Vec<&Value> = arr(compiled, "awards")
        .iter()
        .filter(|a| standing(a))
        .collect();
    let award_values: Vec<Pence> = awards
        .iter()
        .filter_map(|a| money(a.get("value"), &mut foreign))
        .collect();
    let awarded_value =
        (!award_values.is_empty()).then(|| Pence(award_values.iter().map(|p| p.0).sum()));
    let award_date = awards.iter().filter_map(|a| date(a, &["date"])).max();

    let contracts = arr(compiled, "contracts");
    let live_contract = contracts.iter().find(|c| {
        matches!(
            c.get("status").and_then(Value::as_str),
            None | Some("active" | "terminated" | "pending")
        )
    });
    let period = live_contract
        .and_then(|c| c.get("period"))
        .or_else(|| awards.iter().find_map(|a| a.get("contractPeriod")))
        .or_else(|| tender.get("contractPeriod"));
    let contract_start = period.and_then(|p| date(p, &["startDate"]));
    let contract_end = period.and_then(|p| date(p, &["endDate"]));

    // Awarded suppliers: those named on standing awards, then any party in the supplier role.
    let mut suppliers: Vec<(Option<String>, AwardedSupplier)> = Vec::new();
    let mut add = |party_id: Option<String>, name: Option<&str>, p: Option<&Value>| {
        if party_id.is_some() && suppliers.iter().any(|(id, _)| *id == party_id) {
            return;
        }
        let name = p
            .and_then(|p| s(p, &["name"]))
            .or(name)
            .map(clean_line)
            .unwrap_or_default();
        let (company_number, bad) = p.map(party_number).unwrap_or((None, None));
        suppliers.push((
            party_id,
            AwardedSupplier {
                name,
                company_number,
                bad_company_number: bad,
            },
        ));
    };
    for a in &awards {
        for sref in arr(a, "suppliers") {
            let id = sref.get("id").and_then(id_text);
            let p = id.as_deref().and_then(party);
            add(id, s(sref, &["name"]), p);
        }
    }
    for p in parties {
        if arr(p, "roles")
            .iter()
            .any(|r| r.as_str() == Some("supplier"))
        {
            add(p.get("id").and_then(id_text), None, Some(p));
        }
    }

    let tender_status = s(tender, &["status"]).map(str::to_owned);
    let outcome = outcome(tender_status.as_deref(), compiled, &awards, contracts);
    RecordSummary {
        title,
        description,
        buyer,
        cpv,
        unusable_classifications: unusable,
        tender_status,
        procurement_method: s(tender, &["procurementMethod"]).map(str::to_owned),
        procurement_method_details: s(tender, &["procurementMethodDetails"]).map(clean_line),
        tender_value,
        awarded_value,
        foreign_currency: foreign,
        tender_deadline: date(tender, &["tenderPeriod", "endDate"]),
        award_date,
        contract_start,
        contract_end,
        outcome,
        suppliers: suppliers.into_iter().map(|(_, s)| s).collect(),
    }
}

/// How the process stands or ended. A cancelled tender is cancelled whatever else the
/// notices say; a signed contract outranks an award; an award outranks a closed tender.
fn outcome(
    tender_status: Option<&str>,
    compiled: &Value,
    standing_awards: &[&Value],
    contracts: &[Value],
) -> Outcome {
    let contract_status = |st: &str| {
        contracts
            .iter()
            .any(|c| c.get("status").and_then(Value::as_str) == Some(st))
    };
    let all_awards = arr(compiled, "awards");
    let all_awards_are = |st: &str| {
        !all_awards.is_empty()
            && all_awards
                .iter()
                .all(|a| a.get("status").and_then(Value::as_str) == Some(st))
    };
    match tender_status {
        Some("cancelled" | "withdrawn") => return Outcome::Cancelled,
        Some("unsuccessful") => return Outcome::Unsuccessful,
        _ => {}
    }
    if contract_status("active") || contract_status("terminated") {
        Outcome::Contracted
    } else if !standing_awards.is_empty() {
        Outcome::Awarded
    } else if all_awards_are("unsuccessful") {
        Outcome::Unsuccessful
    } else if all_awards_are("cancelled") {
        Outcome::Cancelled
    } else {
        match tender_status {
            Some("active") => Outcome::Open,
            Some("planning" | "planned") => Outcome::Planned,
            Some("complete") => Outcome::Closed,
            None if compiled.get("planning").is_some() && compiled.get("tender").is_none() => {
                Outcome::Planned
            }
            _ => Outcome::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_contracts_finder_award_reads_as_awarded_with_its_suppliers() {
        let c = json!({
            "parties": [
                {"id": "b1", "name": "Croydon Council", "roles": ["buyer"]},
                {"id": "1", "name": "PETER DISPLAYS LTD T/A LIMELIGHT", "roles": ["supplier", "tenderer"],
                 "identifier": {"scheme": "GB-COH", "id": "1234567"}},
                {"id": "2", "name": "L&amp;Q Construction", "roles": ["supplier"],
                 "identifier": {"scheme": "GB-COH", "id": "n/a"}}
            ],
            "buyer": {"id": "b1", "name": "Croydon Council"},
            "tender": {"id": "t", "title": "UK Film Presence &amp; more", "status": "complete",
                "value": {"amount": 755000, "currency": "GBP"},
                "items": [{"id": 1, "classification": {"scheme": "CPV", "id": "79952000"}},
                          {"id": 2, "classification": {"scheme": "CPV", "id": "79952000"}},
                          {"id": 3, "classification": {"scheme": "CPVS", "id": "TA01-1"}}]},
            "awards": [{"id": "a", "status": "active", "date": "2020-02-18T00:00:00Z",
                "value": {"amount": 93527.5, "currency": "GBP"},
                "suppliers": [{"id": "1", "name": "PETER DISPLAYS"}, {"id": "2", "name": "L&Q"}],
                "contractPeriod": {"startDate": "2019-12-09T00:00:00Z", "endDate": "2020-12-08T00:00:00Z"}}]
        });
        let s = summarise(&c);
        assert_eq!(s.title, "UK Film Presence & more");
        assert_eq!(s.buyer.name, "Croydon Council");
        assert_eq!(s.outcome, Outcome::Awarded);
        assert_eq!(s.tender_value, Some(Pence(75_500_000)));
        assert_eq!(s.awarded_value, Some(Pence(9_352_750)));
        assert_eq!(s.cpv.len(), 1);
        assert_eq!(s.cpv[0].full(), "79952000-2");
        assert_eq!(s.unusable_classifications.len(), 1);
        assert_eq!(s.contract_end, NaiveDate::from_ymd_opt(2020, 12, 8));
        assert_eq!(s.suppliers.len(), 2);
        assert_eq!(s.suppliers[0].name, "PETER DISPLAYS LTD T/A LIMELIGHT");
        assert_eq!(
            s.suppliers[0]
                .company_number
                .as_ref()
                .map(CompanyNumber::as_str),
            Some("01234567")
        );
        assert_eq!(s.suppliers[1].name, "L&Q Construction");
        assert_eq!(s.suppliers[1].bad_company_number.as_deref(), Some("n/a"));
    }

    #[test]
    fn outcomes() {
        let o = |c: Value| summarise(&c).outcome;
        assert_eq!(
            o(
                json!({"tender": {"status": "cancelled"}, "awards": [{"id": 1, "status": "active"}]})
            ),
            Outcome::Cancelled
        );
        assert_eq!(o(json!({"tender": {"status": "active"}})), Outcome::Open);
        assert_eq!(o(json!({"planning": {}})), Outcome::Planned);
        assert_eq!(
            o(
                json!({"tender": {"status": "complete"}, "awards": [{"id": 1, "status": "unsuccessful"}]})
            ),
            Outcome::Unsuccessful
        );
        assert_eq!(
            o(
                json!({"awards": [{"id": 1, "status": "active"}], "contracts": [{"id": 1, "awardID": 1, "status": "active"}]})
            ),
            Outcome::Contracted
        );
        assert_eq!(
            o(json!({"tender": {"status": "complete"}})),
            Outcome::Closed
        );
    }

    #[test]
    fn a_zero_value_is_no_value() {
        let s = summarise(
            &json!({"tender": {"value": {"amount": 0, "currency": "GBP"}},
            "awards": [{"id": 1, "status": "active", "value": {"amount": 0}}]}),
        );
        assert_eq!((s.tender_value, s.awarded_value), (None, None));
    }

    #[test]
    fn foreign_currency_values_are_not_taken_for_pounds() {
        let s = summarise(&json!({"tender": {"value": {"amount": 100, "currency": "EUR"}}}));
        assert_eq!(s.tender_value, None);
        assert_eq!(s.foreign_currency.as_deref(), Some("EUR"));
    }
}

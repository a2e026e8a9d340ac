//! Compiling the releases of one contracting process into its current state, following the
//! OCDS 1.1 merging specification (https://standard.open-contracting.org/1.1/en/schema/merging/):
//!
//! - releases are applied oldest first (a stable sort by `date`, so releases with the same date
//!   keep the order they were given in);
//! - the release's own `id`, `date` and `tag` are discarded (`omitWhenMerged`);
//! - objects merge field by field, and a field set to `null` removes it;
//! - arrays of anything but objects, and the arrays the 1.1.5 schema marks `wholeListMerge`
//!   (or whose items have no `id`), are replaced whole;
//! - other arrays of objects merge by `id` (`1` and `"1"` are the same id): a matching object
//!   is merged, a new one appended, and an object without an `id` appended;
//! - the result is tagged `compiled`, dated with the latest release's date and identified as
//!   `{ocid}-{date}`, as the reference implementation (ocdsmerge) does.

use serde_json::{Map, Value};

use super::read::id_text;

/// Arrays that the OCDS 1.1.5 release schema replaces whole: `additionalIdentifiers` and
/// `additionalClassifications` say `wholeListMerge`, and amendments' `changes` hold objects
/// without ids. Every other array of objects in the schema has items with an `id`.
const WHOLE_LIST: &[&str] = &[
    "additionalIdentifiers",
    "additionalClassifications",
    "changes",
];

/// Release fields that describe the release itself, not the contracting process.
const OMIT_WHEN_MERGED: &[&str] = &["id", "date", "tag"];

/// A release to compile, with the date it is ordered by (the release's own `date`).
pub struct Dated<'a> {
    pub date: chrono::DateTime<chrono::Utc>,
    pub date_text: &'a str,
    pub json: &'a Value,
}

/// Compiles releases of one `ocid` into a compiled release.
pub fn compile(ocid: &str, releases: &mut [Dated<'_>]) -> Value {
    releases.sort_by_key(|r| r.date);
    let mut out = Map::new();
    for r in releases.iter() {
        if let Value::Object(input) = r.json {
            for (k, v) in input {
                if OMIT_WHEN_MERGED.contains(&k.as_str()) {
                    continue;
                }
                merge_field(&mut out, k, v);
            }
        }
    }
    let date = releases.last().map(|r| r.date_text).unwrap_or_default();
    out.insert("ocid".into(), Value::String(ocid.to_owned()));
    out.insert("id".into(), Value::String(format!("{ocid}-{date}")));
    out.insert("date".into(), Value::String(date.to_owned()));
    out.insert(
        "tag".into(),
        Value::Array(vec![Value::String("compiled".into())]),
    );
    Value::Object(out)
}

fn merge_field(out: &mut Map<String, Value>, key: &str, input: &Value) {
    match input {
        Value::Null => {
            out.remove(key);
        }
        Value::Object(obj) => match out.get_mut(key) {
            Some(Value::Object(existing)) => merge_object(existing, obj),
            _ => {
                out.insert(key.to_owned(), fresh(input));
            }
        },
        Value::Array(items) if is_identifier_merge(key, items) => match out.get_mut(key) {
            Some(Value::Array(existing)) => merge_by_id(existing, items),
            _ => {
                out.insert(key.to_owned(), fresh(input));
            }
        },
        literal => {
            out.insert(key.to_owned(), literal.clone());
        }
    }
}

fn merge_object(out: &mut Map<String, Value>, input: &Map<String, Value>) {
    for (k, v) in input {
        merge_field(out, k, v);
    }
}

fn is_identifier_merge(key: &str, items: &[Value]) -> bool {
    !WHOLE_LIST.contains(&key) && items.iter().all(Value::is_object)
}

fn merge_by_id(out: &mut Vec<Value>, input: &[Value]) {
    for item in input {
        let Value::Object(obj) = item else { continue };
        let id = obj.get("id").and_then(id_text);
        let found = id.as_ref().and_then(|id| {
            out.iter_mut().find(|o| {
                o.as_object()
                    .and_then(|m| m.get("id"))
                    .and_then(id_text)
                    .as_ref()
                    == Some(id)
            })
        });
        match found {
            Some(Value::Object(existing)) => merge_object(existing, obj),
            _ => out.push(fresh(item)),
        }
    }
}

/// A value as it enters the compiled release for the first time: merged into nothing, so
/// that its `null` fields are dropped just as they would be on a later merge.
fn fresh(v: &Value) -> Value {
    match v {
        Value::Object(obj) => {
            let mut m = Map::new();
            merge_object(&mut m, obj);
            Value::Object(m)
        }
        Value::Array(items) if items.iter().all(Value::is_object) => {
            let mut out = Vec::new();
            merge_by_id(&mut out, items);
            Value::Array(out)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocds::read::parse_date_time;
    use serde_json::json;

    fn compile_all(releases: &[Value]) -> Value {
        let dates: Vec<String> = releases
            .iter()
            .map(|r| r["date"].as_str().unwrap().to_owned())
            .collect();
        let mut dated: Vec<Dated<'_>> = releases
            .iter()
            .zip(&dates)
            .map(|(r, d)| Dated {
                date: parse_date_time(d).unwrap(),
                date_text: d,
                json: r,
            })
            .collect();
        compile("ocds-x-1", &mut dated)
    }

    #[test]
    fn the_latest_value_wins_whatever_order_releases_arrive_in() {
        let later = json!({"ocid": "ocds-x-1", "id": "2", "date": "2020-02-01T00:00:00Z", "tag": ["tenderAmendment"],
            "tender": {"id": "t", "value": {"amount": 2000}}});
        let earlier = json!({"ocid": "ocds-x-1", "id": "1", "date": "2020-01-01T00:00:00Z", "tag": ["tender"],
            "tender": {"id": "t", "title": "Housing system", "value": {"amount": 1000, "currency": "GBP"}}});
        let c = compile_all(&[later, earlier]);
        assert_eq!(
            c["tender"]["value"],
            json!({"amount": 2000, "currency": "GBP"})
        );
        assert_eq!(c["tender"]["title"], "Housing system");
        assert_eq!(c["tag"], json!(["compiled"]));
        assert_eq!(c["date"], "2020-02-01T00:00:00Z");
        assert_eq!(c["id"], "ocds-x-1-2020-02-01T00:00:00Z");
    }

    #[test]
    fn arrays_of_objects_merge_by_id_and_null_removes_a_field() {
        let a = json!({"ocid": "ocds-x-1", "id": "1", "date": "2020-01-01T00:00:00Z", "tag": ["award"],
            "parties": [{"id": "1", "name": "A Ltd", "roles": ["supplier", "tenderer"]}],
            "awards": [{"id": 1, "status": "pending", "value": {"amount": 5}}]});
        let b = json!({"ocid": "ocds-x-1", "id": "2", "date": "2020-01-02T00:00:00Z", "tag": ["awardUpdate"],
            "parties": [{"id": "1", "roles": ["supplier"]}, {"id": "2", "name": "B Ltd", "address": null}],
            "awards": [{"id": "1", "status": "active", "value": null}]});
        let c = compile_all(&[a, b]);
        // Roles are strings: replaced whole, not appended.
        assert_eq!(
            c["parties"],
            json!([{"id": "1", "name": "A Ltd", "roles": ["supplier"]}, {"id": "2", "name": "B Ltd"}])
        );
        // The later release's spelling of the id wins, like any other field.
        assert_eq!(c["awards"], json!([{"id": "1", "status": "active"}]));
    }

    #[test]
    fn whole_list_merge_arrays_are_replaced() {
        let a = json!({"ocid": "ocds-x-1", "id": "1", "date": "2020-01-01T00:00:00Z", "tag": ["tender"],
            "tender": {"id": "t", "items": [{"id": "1", "additionalClassifications": [{"scheme": "CPV", "id": "1"}, {"scheme": "CPV", "id": "2"}]}]}});
        let b = json!({"ocid": "ocds-x-1", "id": "2", "date": "2020-01-02T00:00:00Z", "tag": ["tenderUpdate"],
            "tender": {"id": "t", "items": [{"id": "1", "additionalClassifications": [{"scheme": "CPV", "id": "3"}]}]}});
        let c = compile_all(&[a, b]);
        assert_eq!(
            c["tender"]["items"][0]["additionalClassifications"],
            json!([{"scheme": "CPV", "id": "3"}])
        );
    }
}

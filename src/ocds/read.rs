//! Reading the parts of an OCDS document that procurekit relies on, with the JSON path of
//! anything that is not what the standard says it should be, so a publisher (or an officer
//! uploading a file) can find the fault: `releases[3].tender.value.amount: expected a number`.

use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// Where a value sits in a document: `releases[3].tender.value.amount`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JsonPath(String);

impl JsonPath {
    pub fn root() -> JsonPath {
        JsonPath(String::new())
    }

    pub fn key(&self, key: &str) -> JsonPath {
        if self.0.is_empty() {
            JsonPath(key.to_owned())
        } else {
            JsonPath(format!("{}.{key}", self.0))
        }
    }

    pub fn index(&self, i: usize) -> JsonPath {
        JsonPath(format!("{}[{i}]", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("(top level)")
        } else {
            f.write_str(&self.0)
        }
    }
}

/// One thing wrong at one place in a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct PathError {
    pub path: JsonPath,
    pub message: String,
}

impl PathError {
    pub fn new(path: &JsonPath, message: impl Into<String>) -> PathError {
        PathError {
            path: path.clone(),
            message: message.into(),
        }
    }
}

pub type Checked<T> = Result<T, PathError>;

/// "a string (\"12,000\")", "an array", "null": what was found instead, short enough for a
/// one-line message.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            let more = if s.chars().count() > 40 { "…" } else { "" };
            format!("a string ({short:?}{more})")
        }
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn expected(path: &JsonPath, what: &str, found: &Value) -> PathError {
    PathError::new(path, format!("expected {what}, found {}", describe(found)))
}

/// An object's field, read with the field's path at hand.
pub struct Obj<'a> {
    pub map: &'a Map<String, Value>,
    pub path: JsonPath,
}

impl<'a> Obj<'a> {
    pub fn new(v: &'a Value, path: JsonPath) -> Checked<Obj<'a>> {
        match v {
            Value::Object(map) => Ok(Obj { map, path }),
            other => Err(expected(&path, "an object", other)),
        }
    }

    /// The field's value, treating JSON `null` as absent (OCDS allows `null` almost everywhere).
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn at(&self, key: &str) -> JsonPath {
        self.path.key(key)
    }

    pub fn required(&self, key: &str) -> Checked<&'a Value> {
        self.get(key)
            .ok_or_else(|| PathError::new(&self.at(key), "is required but missing"))
    }

    pub fn object(&self, key: &str) -> Checked<Option<Obj<'a>>> {
        self.get(key).map(|v| Obj::new(v, self.at(key))).transpose()
    }

    pub fn string(&self, key: &str) -> Checked<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(expected(&self.at(key), "a string", other)),
        }
    }

    pub fn required_string(&self, key: &str) -> Checked<&'a str> {
        match self.string(key)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            Some(_) => Err(PathError::new(&self.at(key), "is required but empty")),
            None => Err(PathError::new(&self.at(key), "is required but missing")),
        }
    }

    pub fn number(&self, key: &str) -> Checked<Option<f64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_f64()
                .map(Some)
                .ok_or_else(|| expected(&self.at(key), "a number", &Value::Number(n.clone()))),
            Some(other) => Err(expected(&self.at(key), "a number", other)),
        }
    }

    pub fn array(&self, key: &str) -> Checked<Vec<(&'a Value, JsonPath)>> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                let base = self.at(key);
                Ok(items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v, base.index(i)))
                    .collect())
            }
            Some(other) => Err(expected(&self.at(key), "an array", other)),
        }
    }

    pub fn objects(&self, key: &str) -> Checked<Vec<Obj<'a>>> {
        self.array(key)?
            .into_iter()
            .map(|(v, p)| Obj::new(v, p))
            .collect()
    }

    pub fn strings(&self, key: &str) -> Checked<Vec<&'a str>> {
        self.array(key)?
            .into_iter()
            .map(|(v, p)| match v {
                Value::String(s) => Ok(s.as_str()),
                other => Err(expected(&p, "a string", other)),
            })
            .collect()
    }

    /// An identifier that OCDS allows as a string or an integer (item, award and party
    /// references), in its string form so that `1` and `"1"` are the same id.
    pub fn id(&self, key: &str) -> Checked<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
            Some(other) => Err(expected(&self.at(key), "a string or an integer", other)),
        }
    }

    /// A date-time as OCDS requires it (RFC 3339, e.g. `2019-07-05T00:00:00Z`).
    pub fn date_time(&self, key: &str) -> Checked<Option<DateTime<Utc>>> {
        match self.string(key)? {
            None => Ok(None),
            Some(s) => parse_date_time(s).map(Some).ok_or_else(|| {
                PathError::new(
                    &self.at(key),
                    format!(
                        "expected a date-time like 2019-07-05T00:00:00Z, found {}",
                        describe(&Value::String(s.to_owned()))
                    ),
                )
            }),
        }
    }

    /// A code from one of OCDS's closed codelists.
    pub fn code(&self, key: &str, list: &[&str], what: &str) -> Checked<Option<&'a str>> {
        match self.string(key)? {
            None => Ok(None),
            Some(s) if list.contains(&s) => Ok(Some(s)),
            Some(s) => Err(PathError::new(
                &self.at(key),
                format!("{s:?} is not {what} (one of: {})", list.join(", ")),
            )),
        }
    }
}

pub fn parse_date_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// An identifier value, string or integer, as text (for ids read without a path at hand).
pub fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_name_the_path_and_what_was_found() {
        let doc = json!({"releases": [{}, {}, {}, {"tender": {"value": {"amount": "12,000"}}}]});
        let root = Obj::new(&doc, JsonPath::root()).unwrap();
        let releases = root.objects("releases").unwrap();
        let tender = releases[3].object("tender").unwrap().unwrap();
        let value = tender.object("value").unwrap().unwrap();
        let err = value.number("amount").unwrap_err();
        assert_eq!(
            err.to_string(),
            "releases[3].tender.value.amount: expected a number, found a string (\"12,000\")"
        );
    }

    #[test]
    fn null_reads_as_absent_and_ids_may_be_integers() {
        let doc = json!({"a": null, "id": 7, "d": "2019-07-05T00:00:00Z", "bad": "5 July"});
        let o = Obj::new(&doc, JsonPath::root()).unwrap();
        assert_eq!(o.string("a").unwrap(), None);
        assert_eq!(o.id("id").unwrap().as_deref(), Some("7"));
        assert!(o.date_time("d").unwrap().is_some());
        assert!(
            o.date_time("bad")
                .unwrap_err()
                .to_string()
                .starts_with("bad: expected a date-time")
        );
        assert_eq!(
            o.required("missing").unwrap_err().to_string(),
            "missing: is required but missing"
        );
    }
}

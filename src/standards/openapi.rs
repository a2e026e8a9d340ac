//! The OpenAPI checker: reads an OpenAPI 3.0 or 3.1 document (JSON or YAML) and reports what
//! can be judged from the document alone about the data and API standard's requirements:
//! authentication, pagination, bulk and time-based extracts, versioning, error responses, rate
//! limits, schema coverage, write access, change notifications and documentation.
//!
//! It is pure: bytes in, a [`Report`] out. Nothing is fetched: references to other files or
//! URLs are reported, never followed, so a document cannot make the server call out.
//! Each check is one function over a [`Document`], and every finding names the place it is
//! about as a JSON pointer (RFC 6901), so a supplier can find it in their file.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The largest document accepted. Real OpenAPI documents of whole council systems run to a
/// few hundred kilobytes; the limit keeps a single upload from tying up the server.
pub const MAX_DOCUMENT_BYTES: usize = 2 * 1024 * 1024;

/// Why a file could not be read as an OpenAPI document. Each message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("The file is empty. Choose an OpenAPI document in JSON or YAML, or paste one.")]
    Empty,
    #[error(
        "The document is {bytes} bytes; the largest the checker accepts is 2 MB. Remove examples or split the document, then try again."
    )]
    TooLarge { bytes: usize },
    #[error(
        "The file is not a text file. Upload the OpenAPI document itself, as .json, .yaml or .yml, not a PDF, Word or zip file."
    )]
    NotText,
    #[error("The JSON is not valid at line {line}, column {column}: {message}.")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("The YAML is not valid{}: {message}.", at(*line, *column))]
    Yaml {
        line: Option<u64>,
        column: Option<u64>,
        message: String,
    },
    #[error(
        "This is not an OpenAPI document: the file must contain a JSON or YAML object with an 'openapi' field, such as 'openapi: 3.1.0'."
    )]
    NotAnObject,
    #[error(
        "This is not an OpenAPI document: it has no top-level 'openapi' field giving the OpenAPI version (for example 'openapi: 3.1.0')."
    )]
    NoOpenApiField,
    #[error(
        "This is a Swagger 2.0 document. The checker reads OpenAPI 3.0 and 3.1: convert it (for example with the Swagger Editor's 'Convert to OpenAPI 3') and upload the result."
    )]
    Swagger2,
    #[error(
        "OpenAPI version {0:?} is not supported. The checker reads OpenAPI 3.0 and 3.1 documents."
    )]
    UnsupportedVersion(String),
}

fn at(line: Option<u64>, column: Option<u64>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

impl ParseError {
    /// Where in the file the problem is, when the parser knows.
    pub fn line_column(&self) -> Option<(u64, u64)> {
        match self {
            ParseError::Json { line, column, .. } => Some((*line as u64, *column as u64)),
            ParseError::Yaml {
                line: Some(l),
                column: Some(c),
                ..
            } => Some((*l, *c)),
            _ => None,
        }
    }
}

/// The two OpenAPI versions the checker understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum OasVersion {
    #[serde(rename = "3.0")]
    V30,
    #[serde(rename = "3.1")]
    V31,
}

/// How the document was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    Json,
    Yaml,
}

impl SourceFormat {
    pub fn label(self) -> &'static str {
        match self {
            SourceFormat::Json => "JSON",
            SourceFormat::Yaml => "YAML",
        }
    }
}

/// A parsed OpenAPI 3.x document: a JSON value known to be an object with a supported
/// `openapi` version.
#[derive(Debug, Clone)]
pub struct Document {
    root: Value,
    version: OasVersion,
    declared_version: String,
    format: SourceFormat,
}

impl Document {
    pub fn version(&self) -> OasVersion {
        self.version
    }

    pub fn format(&self) -> SourceFormat {
        self.format
    }

    fn str_at(&self, pointer: &str) -> Option<&str> {
        self.root.pointer(pointer).and_then(Value::as_str)
    }
}

/// Reads bytes as an OpenAPI 3.0 or 3.1 document. JSON is recognised by its opening brace
/// (parsed by serde_json for exact line and column errors); anything else is read as YAML.
pub fn parse(bytes: &[u8]) -> Result<Document, ParseError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(ParseError::TooLarge { bytes: bytes.len() });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| ParseError::NotText)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\0') {
        return Err(ParseError::NotText);
    }
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(ParseError::Empty);
    }
    let (root, format) = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let v: Value = serde_json::from_str(text).map_err(|e| ParseError::Json {
            line: e.line(),
            column: e.column(),
            message: json_message(&e),
        })?;
        (v, SourceFormat::Json)
    } else {
        let v: Value = serde_saphyr::from_str(text).map_err(|e| {
            let loc = e.location();
            ParseError::Yaml {
                line: loc.as_ref().map(|l| l.line()),
                column: loc.as_ref().map(|l| l.column()),
                message: yaml_message(&e),
            }
        })?;
        (v, SourceFormat::Yaml)
    };
    let obj = root.as_object().ok_or(ParseError::NotAnObject)?;
    let declared = match obj.get("openapi") {
        Some(Value::String(s)) => s.trim().to_owned(),
        // YAML reads an unquoted `openapi: 3.0` as a number.
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(ParseError::NoOpenApiField),
        None if obj.contains_key("swagger") => return Err(ParseError::Swagger2),
        None => return Err(ParseError::NoOpenApiField),
    };
    let version = if declared == "3.0" || declared.starts_with("3.0.") {
        OasVersion::V30
    } else if declared == "3.1" || declared.starts_with("3.1.") {
        OasVersion::V31
    } else {
        return Err(ParseError::UnsupportedVersion(declared));
    };
    Ok(Document {
        root,
        version,
        declared_version: declared,
        format,
    })
}

/// serde_json's message without its own " at line L column C" suffix (we say it once).
fn json_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// The first line of serde-saphyr's message: the rest is a source snippet for terminals.
fn yaml_message(e: &serde_saphyr::Error) -> String {
    let s = e.to_string();
    let first = s.lines().next().unwrap_or("").trim();
    let first = match first.rfind(" at line ") {
        Some(i) => &first[..i],
        None => first,
    };
    let first = first.trim_end_matches('.');
    if first.is_empty() {
        "the document could not be read".to_owned()
    } else {
        first.to_owned()
    }
}

// ---------------------------------------------------------------------------------------------
// The report

/// What one check looks at. The ids are stable: the standard's requirements name them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    Authentication,
    Pagination,
    BulkExport,
    TimeBased,
    Versioning,
    ErrorResponses,
    RateLimits,
    SchemaCoverage,
    WriteAccess,
    Events,
    Documentation,
}

impl CheckId {
    pub const ALL: [CheckId; 11] = [
        CheckId::Authentication,
        CheckId::Pagination,
        CheckId::BulkExport,
        CheckId::TimeBased,
        CheckId::Versioning,
        CheckId::ErrorResponses,
        CheckId::RateLimits,
        CheckId::SchemaCoverage,
        CheckId::WriteAccess,
        CheckId::Events,
        CheckId::Documentation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Authentication => "authentication",
            CheckId::Pagination => "pagination",
            CheckId::BulkExport => "bulk_export",
            CheckId::TimeBased => "time_based",
            CheckId::Versioning => "versioning",
            CheckId::ErrorResponses => "error_responses",
            CheckId::RateLimits => "rate_limits",
            CheckId::SchemaCoverage => "schema_coverage",
            CheckId::WriteAccess => "write_access",
            CheckId::Events => "events",
            CheckId::Documentation => "documentation",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            CheckId::Authentication => "Authentication declared",
            CheckId::Pagination => "Pagination on list operations",
            CheckId::BulkExport => "Bulk or export operations",
            CheckId::TimeBased => "Changed-since (time-based) filters",
            CheckId::Versioning => "Versioning",
            CheckId::ErrorResponses => "Error responses documented",
            CheckId::RateLimits => "Rate limits signalled",
            CheckId::SchemaCoverage => "Schema coverage and references",
            CheckId::WriteAccess => "Write operations",
            CheckId::Events => "Change notifications (webhooks or callbacks)",
            CheckId::Documentation => "Descriptions and placeholders",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown OpenAPI check {0:?}")]
pub struct UnknownCheck(String);

impl FromStr for CheckId {
    type Err = UnknownCheck;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CheckId::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCheck(s.to_owned()))
    }
}

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Partial,
    Fail,
    /// Nothing in the document for the check to judge (for example no list operations).
    NotApplicable,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "Found",
            Outcome::Partial => "Partly found",
            Outcome::Fail => "Not found",
            Outcome::NotApplicable => "Not applicable",
        }
    }

    pub fn tag_class(self) -> &'static str {
        match self {
            Outcome::Pass => "govuk-tag--green",
            Outcome::Partial => "govuk-tag--yellow",
            Outcome::Fail => "govuk-tag--red",
            Outcome::NotApplicable => "govuk-tag--grey",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Evidence the check found (what passes).
    Info,
    /// Something a person should look at; it may be fine.
    Warning,
    /// Something missing or wrong.
    Problem,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "Found",
            Severity::Warning => "Check",
            Severity::Problem => "Problem",
        }
    }

    pub fn tag_class(self) -> &'static str {
        match self {
            Severity::Info => "govuk-tag--green",
            Severity::Warning => "govuk-tag--yellow",
            Severity::Problem => "govuk-tag--red",
        }
    }
}

/// One observation, at one place in the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Finding {
    /// JSON pointer (RFC 6901) to the place in the document, "" for the whole document.
    pub pointer: String,
    pub severity: Severity,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckResult {
    pub check: CheckId,
    pub title: String,
    pub outcome: Outcome,
    /// One sentence a person can act on.
    pub summary: String,
    pub findings: Vec<Finding>,
}

impl CheckResult {
    pub fn problems(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity != Severity::Info)
    }
}

/// Counts of what the document describes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Summary {
    pub paths: usize,
    pub operations: usize,
    pub read_operations: usize,
    pub write_operations: usize,
    pub list_operations: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    /// The `openapi` field as written, e.g. "3.0.0".
    pub openapi: String,
    pub version: OasVersion,
    pub format: SourceFormat,
    /// `info.title` and `info.version`, as written.
    pub title: String,
    pub api_version: String,
    pub summary: Summary,
    pub checks: Vec<CheckResult>,
}

impl Report {
    pub fn check(&self, id: CheckId) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.check == id)
    }
}

// ---------------------------------------------------------------------------------------------
// Walking the document

/// Escapes one reference token of a JSON pointer (RFC 6901 section 3).
pub fn escape_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn unescape_token(s: &str) -> String {
    s.replace("~1", "/").replace("~0", "~")
}

/// Decodes %XX escapes, which may appear in a `$ref`'s URI fragment.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

#[derive(Clone)]
struct Param<'a> {
    pointer: String,
    p: &'a Map<String, Value>,
}

impl Param<'_> {
    fn name(&self) -> &str {
        self.p.get("name").and_then(Value::as_str).unwrap_or("")
    }

    fn location(&self) -> &str {
        self.p.get("in").and_then(Value::as_str).unwrap_or("")
    }
}

struct Operation<'a> {
    path: &'a str,
    method: &'static str,
    pointer: String,
    op: &'a Map<String, Value>,
    /// Path-level and operation-level parameters, references resolved where local, each with
    /// the pointer of its entry in the document.
    parameters: Vec<Param<'a>>,
}

impl<'a> Operation<'a> {
    fn label(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }

    fn is_write(&self) -> bool {
        matches!(self.method, "post" | "put" | "patch" | "delete")
    }

    fn responses(&self) -> Option<&'a Map<String, Value>> {
        self.op.get("responses").and_then(Value::as_object)
    }
}

struct Walker<'a> {
    doc: &'a Document,
}

impl<'a> Walker<'a> {
    fn root(&self) -> &'a Value {
        &self.doc.root
    }

    /// Follows a local `$ref` (`#/…`) to its target; `None` for external or broken references.
    fn resolve_ref(&self, reference: &str) -> Option<&'a Value> {
        let fragment = reference.strip_prefix('#')?;
        if fragment.is_empty() {
            return Some(self.root());
        }
        let pointer: String = fragment
            .split('/')
            .skip(1)
            .map(|t| format!("/{}", escape_token(&unescape_token(&percent_decode(t)))))
            .collect();
        self.root().pointer(&pointer)
    }

    /// The value itself, or what its local `$ref` chain leads to (at most 16 hops, so a cycle
    /// of references ends).
    fn deref(&self, mut v: &'a Value) -> Option<&'a Value> {
        for _ in 0..16 {
            match v.get("$ref").and_then(Value::as_str) {
                Some(r) => v = self.resolve_ref(r)?,
                None => return Some(v),
            }
        }
        None
    }

    fn operations(&self) -> Vec<Operation<'a>> {
        let mut out = Vec::new();
        let Some(paths) = self.root().get("paths").and_then(Value::as_object) else {
            return out;
        };
        for (path, item) in paths {
            let Some(item) = self.deref(item).and_then(Value::as_object) else {
                continue;
            };
            let item_ptr = format!("/paths/{}", escape_token(path));
            let shared = self.parameters_of(item, &item_ptr);
            for method in METHODS {
                let Some(op) = item.get(method).and_then(Value::as_object) else {
                    continue;
                };
                let pointer = format!("{item_ptr}/{method}");
                let mut parameters = shared.clone();
                for p in self.parameters_of(op, &pointer) {
                    // An operation's parameter replaces a path-level one of the same name and place.
                    parameters.retain(|q| !(q.name() == p.name() && q.location() == p.location()));
                    parameters.push(p);
                }
                out.push(Operation {
                    path,
                    method,
                    pointer,
                    op,
                    parameters,
                });
            }
        }
        out
    }

    fn parameters_of(&self, obj: &'a Map<String, Value>, base: &str) -> Vec<Param<'a>> {
        obj.get("parameters")
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .enumerate()
                    .filter_map(|(i, p)| {
                        self.deref(p).and_then(Value::as_object).map(|p| Param {
                            pointer: format!("{base}/parameters/{i}"),
                            p,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The schemas of a response's JSON-like bodies.
    fn response_schemas(&self, response: &'a Value) -> Vec<&'a Value> {
        let Some(response) = self.deref(response) else {
            return vec![];
        };
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            return vec![];
        };
        content
            .iter()
            .filter(|(media, _)| media.contains("json") || media.as_str() == "*/*")
            .filter_map(|(_, m)| m.get("schema"))
            .collect()
    }

    /// True when a schema describes a collection: an array, or an object with an array-valued
    /// property (`data`, `items`, `contents`…), looking through local references and allOf.
    fn is_collection(&self, schema: &'a Value, depth: u8) -> bool {
        if depth > 6 {
            return false;
        }
        let Some(schema) = self.deref(schema) else {
            return false;
        };
        if schema
            .get("type")
            .is_some_and(|t| type_includes(t, "array"))
        {
            return true;
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for p in props.values() {
                if let Some(p) = self.deref(p)
                    && (p.get("type").is_some_and(|t| type_includes(t, "array"))
                        || p.get("items").is_some())
                {
                    return true;
                }
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            if let Some(parts) = schema.get(key).and_then(Value::as_array)
                && parts.iter().any(|p| self.is_collection(p, depth + 1))
            {
                return true;
            }
        }
        false
    }

    fn success_responses(&self, op: &Operation<'a>) -> Vec<(String, &'a Value)> {
        op.responses()
            .map(|rs| {
                rs.iter()
                    .filter(|(code, _)| code.starts_with('2'))
                    .map(|(code, r)| (code.clone(), r))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A GET that returns a collection, or that takes pagination parameters.
    fn is_list(&self, op: &Operation<'a>) -> bool {
        if op.method != "get" {
            return false;
        }
        let returns_collection = self.success_responses(op).iter().any(|(_, r)| {
            self.response_schemas(r)
                .into_iter()
                .any(|s| self.is_collection(s, 0))
        });
        returns_collection || !pagination_params(op).is_empty()
    }
}

fn type_includes(t: &Value, name: &str) -> bool {
    match t {
        Value::String(s) => s == name,
        // OpenAPI 3.1 (JSON Schema 2020-12) allows a list of types.
        Value::Array(a) => a.iter().any(|x| x.as_str() == Some(name)),
        _ => false,
    }
}

/// A parameter name reduced to lower-case letters and digits: `page[size]`, `page_size`,
/// `pageSize` and `$top` become `pagesize` and `top`.
fn normalise_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

const PAGINATION_NAMES: &[&str] = &[
    "page",
    "pagenumber",
    "pagesize",
    "perpage",
    "pagelimit",
    "pageoffset",
    "pagecursor",
    "pageafter",
    "pagebefore",
    "pagetoken",
    "nextpagetoken",
    "limit",
    "offset",
    "cursor",
    "after",
    "before",
    "startingafter",
    "endingbefore",
    "skip",
    "top",
    "start",
    "startindex",
    "maxresults",
    "size",
];

fn pagination_params<'o, 'a>(op: &'o Operation<'a>) -> Vec<&'o Param<'a>> {
    op.parameters
        .iter()
        .filter(|p| p.location() == "query")
        .filter(|p| PAGINATION_NAMES.contains(&normalise_name(p.name()).as_str()))
        .collect()
}

/// Words in a parameter name that mean "changed since".
const TIME_WORDS: &[&str] = &["modified", "updated", "changed", "since", "delta"];

fn time_params<'o, 'a>(op: &'o Operation<'a>) -> Vec<&'o Param<'a>> {
    op.parameters
        .iter()
        .filter(|p| p.location() == "query")
        .filter(|p| {
            let n = normalise_name(p.name());
            TIME_WORDS.iter().any(|w| n.contains(w))
        })
        .collect()
}

fn names(params: &[&Param]) -> String {
    params
        .iter()
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The words of a text, lower-cased: "`ndjson`, which streams" gives ndjson, which, streams.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
}

fn segments(path: &str) -> impl Iterator<Item = String> + '_ {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_lowercase())
}

const EXPORT_WORDS: &[&str] = &["export", "bulk", "extract", "download", "dump", "snapshot"];
const BULK_MEDIA: &[&str] = &[
    "text/csv",
    "ndjson",
    "jsonl",
    "json-seq",
    "application/zip",
    "gzip",
    "x-tar",
    "parquet",
];
/// Bulk formats named in a parameter's description (whole words: a "zip code" is not a zip
/// file, so zip only counts among a parameter's allowed values).
const BULK_FORMAT_WORDS: &[&str] = &["ndjson", "jsonl", "csv"];
const BULK_FORMAT_VALUES: &[&str] = &["ndjson", "jsonl", "csv", "zip"];

/// Placeholder text left from a template, such as "REQUIRED -- TITLE OF YOUR API HERE".
fn is_placeholder(s: &str) -> bool {
    let t = s.trim();
    t.contains("REQUIRED --")
        || t.ends_with(" HERE")
        || (t.contains("YOUR ") && t.contains(" HERE"))
        || t.eq_ignore_ascii_case("todo")
        || t.eq_ignore_ascii_case("tbc")
}

/// A version an integrator can compare: `1`, `v2`, `3.0`, `1.4.2-beta`, or a date.
fn looks_like_version(s: &str) -> bool {
    let t = s.trim();
    let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
    if t.is_empty() || t.len() > 40 || t.contains(' ') {
        return false;
    }
    let core = t.split(['-', '+']).next().unwrap_or("");
    !core.is_empty()
        && core.chars().next().is_some_and(|c| c.is_ascii_digit())
        && core.chars().all(|c| c.is_ascii_digit() || c == '.')
}

fn is_versioned_segment(seg: &str) -> bool {
    let s = seg.strip_prefix('v').unwrap_or(seg);
    seg.len() > 1
        && seg.starts_with('v')
        && s.chars().next().is_some_and(|c| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_digit() || c == '.')
}

fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn finding(pointer: impl Into<String>, severity: Severity, message: impl Into<String>) -> Finding {
    Finding {
        pointer: pointer.into(),
        severity,
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// The checks

/// Runs every check over a parsed document.
pub fn check(doc: &Document) -> Report {
    let w = Walker { doc };
    let ops = w.operations();
    let lists: Vec<&Operation> = ops.iter().filter(|o| w.is_list(o)).collect();
    let summary = Summary {
        paths: doc
            .root
            .get("paths")
            .and_then(Value::as_object)
            .map_or(0, Map::len),
        operations: ops.len(),
        read_operations: ops.iter().filter(|o| !o.is_write()).count(),
        write_operations: ops.iter().filter(|o| o.is_write()).count(),
        list_operations: lists.len(),
    };
    let checks = vec![
        authentication(&w, &ops),
        pagination(&lists),
        bulk_export(&w, &ops),
        time_based(&lists),
        versioning(&w, &ops),
        error_responses(&ops),
        rate_limits(&w, &ops),
        schema_coverage(&w, &ops),
        write_access(&ops),
        events(&w, &ops),
        documentation(&w, &ops),
    ];
    Report {
        openapi: doc.declared_version.clone(),
        version: doc.version,
        format: doc.format,
        title: doc.str_at("/info/title").unwrap_or("").to_owned(),
        api_version: doc
            .root
            .pointer("/info/version")
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default(),
        summary,
        checks,
    }
}

/// Parses and checks in one step.
pub fn check_bytes(bytes: &[u8]) -> Result<Report, ParseError> {
    parse(bytes).map(|d| check(&d))
}

fn result(
    check: CheckId,
    outcome: Outcome,
    summary: String,
    findings: Vec<Finding>,
) -> CheckResult {
    CheckResult {
        check,
        title: check.title().to_owned(),
        outcome,
        summary,
        findings,
    }
}

fn authentication(w: &Walker, ops: &[Operation]) -> CheckResult {
    let mut findings = Vec::new();
    let schemes: BTreeMap<String, &Value> = w
        .root()
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| w.deref(v).map(|v| (k.clone(), v)))
                .collect()
        })
        .unwrap_or_default();
    for (name, s) in &schemes {
        let ptr = format!("/components/securitySchemes/{}", escape_token(name));
        let kind = s.get("type").and_then(Value::as_str).unwrap_or("");
        let scheme = s
            .get("scheme")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        match (kind, scheme.as_str()) {
            ("apiKey", _) if s.get("in").and_then(Value::as_str) == Some("query") => {
                findings.push(finding(ptr, Severity::Warning, format!("Scheme '{name}' sends an API key in the query string, where it ends up in server and proxy logs; a header or OAuth 2.0 is safer.")))
            }
            ("http", "basic") => findings.push(finding(ptr, Severity::Warning, format!("Scheme '{name}' is HTTP Basic (a shared username and password), not a token-based standard such as OAuth 2.0."))),
            ("oauth2" | "openIdConnect" | "mutualTLS", _) | ("http", "bearer") | ("apiKey", _) => {
                findings.push(finding(ptr, Severity::Info, format!("Scheme '{name}' ({}).", if scheme.is_empty() { kind.to_owned() } else { format!("{kind} {scheme}") })))
            }
            _ => findings.push(finding(ptr, Severity::Warning, format!("Scheme '{name}' has type {kind:?}, which OpenAPI does not define."))),
        }
    }
    let global = w.root().get("security");
    let mut protected = 0;
    let mut optional = 0;
    let mut unprotected = Vec::new();
    for op in ops {
        let effective = op.op.get("security").or(global);
        let reqs: Vec<&Map<String, Value>> = effective
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_object).collect())
            .unwrap_or_default();
        let security_ptr = if op.op.contains_key("security") {
            format!("{}/security", op.pointer)
        } else {
            "/security".to_owned()
        };
        for r in &reqs {
            for name in r.keys() {
                if !schemes.contains_key(name) {
                    findings.push(finding(
                        security_ptr.clone(),
                        Severity::Problem,
                        format!(
                            "{} requires scheme '{name}', which components.securitySchemes does not declare.",
                            op.label()
                        ),
                    ));
                }
            }
        }
        if reqs.iter().any(|r| !r.is_empty()) {
            protected += 1;
            if reqs.iter().any(|r| r.is_empty()) {
                optional += 1;
                findings.push(finding(
                    security_ptr,
                    Severity::Warning,
                    format!(
                        "{} lists an empty security requirement, so it can also be called without credentials.",
                        op.label()
                    ),
                ));
            }
        } else {
            unprotected.push(op);
        }
    }
    let total = ops.len();
    if schemes.is_empty() && protected == 0 {
        findings.push(finding(
            "/components/securitySchemes",
            Severity::Problem,
            "No security schemes are declared (components.securitySchemes is missing or empty).",
        ));
        findings.push(finding(
            "/security",
            Severity::Problem,
            "No security requirement applies to the document or to any operation.",
        ));
        return result(
            CheckId::Authentication,
            Outcome::Fail,
            "No authentication is declared: the document does not say how clients prove who they are.".into(),
            findings,
        );
    }
    for op in &unprotected {
        findings.push(finding(
            op.pointer.clone(),
            Severity::Problem,
            format!("{} has no security requirement.", op.label()),
        ));
    }
    let outcome = if total > 0 && unprotected.is_empty() && optional == 0 {
        Outcome::Pass
    } else {
        Outcome::Partial
    };
    let summary = if protected == 0 {
        format!(
            "{} declared but not applied to any operation.",
            count(schemes.len(), "security scheme is", "security schemes are")
        )
    } else {
        format!(
            "{protected} of {} require authentication{}.",
            count(total, "operation", "operations"),
            if optional > 0 {
                format!(" ({optional} also allow anonymous calls)")
            } else {
                String::new()
            }
        )
    };
    result(CheckId::Authentication, outcome, summary, findings)
}

fn pagination(lists: &[&Operation]) -> CheckResult {
    if lists.is_empty() {
        return result(
            CheckId::Pagination,
            Outcome::NotApplicable,
            "No operation returns a list of records.".into(),
            vec![],
        );
    }
    let mut findings = Vec::new();
    let mut paginated = 0;
    for op in lists {
        let params = pagination_params(op);
        if params.is_empty() {
            findings.push(finding(
                op.pointer.clone(),
                Severity::Problem,
                format!(
                    "{} returns a list but takes no page, limit, offset or cursor parameter.",
                    op.label()
                ),
            ));
        } else {
            paginated += 1;
            findings.push(finding(
                params[0].pointer.clone(),
                Severity::Info,
                format!("{} is paginated with: {}.", op.label(), names(&params)),
            ));
        }
    }
    let outcome = match paginated {
        0 => Outcome::Fail,
        n if n == lists.len() => Outcome::Pass,
        _ => Outcome::Partial,
    };
    result(
        CheckId::Pagination,
        outcome,
        format!(
            "{paginated} of {} paginated.",
            count(lists.len(), "list operation is", "list operations are")
        ),
        findings,
    )
}

fn bulk_export(w: &Walker, ops: &[Operation]) -> CheckResult {
    let mut strong = Vec::new();
    let mut weak = Vec::new();
    for op in ops {
        if op.method != "get" && op.method != "post" {
            continue;
        }
        if let Some(word) = segments(op.path).find(|s| EXPORT_WORDS.iter().any(|w| s.contains(w))) {
            strong.push(finding(
                op.pointer.clone(),
                Severity::Info,
                format!("{} looks like an export operation ('{word}').", op.label()),
            ));
            continue;
        }
        if op.method != "get" {
            continue;
        }
        for (code, r) in w.success_responses(op) {
            let media: Vec<&String> = w
                .deref(r)
                .and_then(|r| r.get("content"))
                .and_then(Value::as_object)
                .map(|c| c.keys().collect())
                .unwrap_or_default();
            for m in media {
                if BULK_MEDIA.iter().any(|b| m.contains(b)) {
                    strong.push(finding(
                        format!(
                            "{}/responses/{code}/content/{}",
                            op.pointer,
                            escape_token(m)
                        ),
                        Severity::Info,
                        format!("{} can return {m}, a bulk format.", op.label()),
                    ));
                }
            }
        }
        for p in &op.parameters {
            if p.location() != "query" {
                continue;
            }
            let described = p.p.get("description").and_then(Value::as_str).unwrap_or("");
            let mut found = words(described).find(|w| BULK_FORMAT_WORDS.contains(&w.as_str()));
            if found.is_none()
                && let Some(values) =
                    p.p.get("schema")
                        .and_then(|s| s.get("enum"))
                        .and_then(Value::as_array)
            {
                found = values
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .find(|v| BULK_FORMAT_VALUES.contains(&v.as_str()));
            }
            if let Some(word) = found {
                weak.push(finding(
                    p.pointer.clone(),
                    Severity::Info,
                    format!(
                        "{}: parameter '{}' offers {word} output.",
                        op.label(),
                        p.name()
                    ),
                ));
            }
        }
    }
    let (outcome, summary) = if !strong.is_empty() {
        (
            Outcome::Pass,
            format!(
                "{} or bulk format found.",
                count(strong.len(), "export operation", "export operations")
            ),
        )
    } else if !weak.is_empty() {
        (
            Outcome::Partial,
            format!(
                "No export operation or bulk media type, but {} a bulk output format through a parameter.",
                count(weak.len(), "operation offers", "operations offer")
            ),
        )
    } else {
        (
            Outcome::Fail,
            "No export operation, bulk media type (CSV, NDJSON, zip) or bulk format parameter found."
                .into(),
        )
    };
    let mut findings = strong;
    findings.extend(weak);
    if outcome == Outcome::Fail {
        findings.push(finding(
            "/paths",
            Severity::Problem,
            "Nothing in the document offers a full extract of the data.",
        ));
    }
    result(CheckId::BulkExport, outcome, summary, findings)
}

fn time_based(lists: &[&Operation]) -> CheckResult {
    if lists.is_empty() {
        return result(
            CheckId::TimeBased,
            Outcome::NotApplicable,
            "No operation returns a list of records to filter by time.".into(),
            vec![],
        );
    }
    let mut findings = Vec::new();
    let mut with = 0;
    for op in lists {
        let params = time_params(op);
        if params.is_empty() {
            findings.push(finding(
                op.pointer.clone(),
                Severity::Warning,
                format!("{} has no changed-since filter.", op.label()),
            ));
        } else {
            with += 1;
            findings.push(finding(
                params[0].pointer.clone(),
                Severity::Info,
                format!("{} can be filtered by: {}.", op.label(), names(&params)),
            ));
        }
    }
    let outcome = match with {
        0 => Outcome::Fail,
        n if n == lists.len() => Outcome::Pass,
        _ => Outcome::Partial,
    };
    result(
        CheckId::TimeBased,
        outcome,
        format!(
            "{with} of {} can be filtered by a changed-since time. Whether deletions are reported cannot be seen from the document.",
            count(lists.len(), "list operation", "list operations")
        ),
        findings,
    )
}

fn versioning(w: &Walker, ops: &[Operation]) -> CheckResult {
    let mut findings = Vec::new();
    let info_version = w.root().pointer("/info/version").map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let declared = match &info_version {
        Some(v) if looks_like_version(v) => {
            findings.push(finding(
                "/info/version",
                Severity::Info,
                format!("The API declares version {v:?}."),
            ));
            true
        }
        Some(v) => {
            findings.push(finding(
                "/info/version",
                Severity::Problem,
                if is_placeholder(v) {
                    format!("info.version is still template text ({v:?}), not a version.")
                } else {
                    format!("info.version {v:?} is not a version number such as 1.2.0.")
                },
            ));
            false
        }
        None => {
            findings.push(finding(
                "/info/version",
                Severity::Problem,
                "info.version is missing.",
            ));
            false
        }
    };
    let mut versioned = false;
    if let Some(servers) = w.root().get("servers").and_then(Value::as_array) {
        for (i, s) in servers.iter().enumerate() {
            let url = s.get("url").and_then(Value::as_str).unwrap_or("");
            if url
                .split('/')
                .any(|seg| is_versioned_segment(&seg.to_ascii_lowercase()))
            {
                versioned = true;
                findings.push(finding(
                    format!("/servers/{i}/url"),
                    Severity::Info,
                    format!("Server {url} carries a version."),
                ));
            }
        }
    }
    let versioned_paths: Vec<&Operation> = ops
        .iter()
        .filter(|o| segments(o.path).any(|s| is_versioned_segment(&s)))
        .collect();
    if !versioned_paths.is_empty() {
        versioned = true;
        findings.push(finding(
            versioned_paths[0].pointer.clone(),
            Severity::Info,
            format!(
                "{} carry a version in the path (for example {}).",
                count(versioned_paths.len(), "operation paths", "operation paths"),
                versioned_paths[0].path
            ),
        ));
    }
    for op in ops {
        if let Some(p) = op
            .parameters
            .iter()
            .find(|p| p.location() == "header" && normalise_name(p.name()).contains("version"))
        {
            versioned = true;
            findings.push(finding(
                p.pointer.clone(),
                Severity::Info,
                format!("{} takes a version header '{}'.", op.label(), p.name()),
            ));
            break;
        }
    }
    if !versioned {
        findings.push(finding(
            "/paths",
            Severity::Warning,
            "Neither the paths, the server addresses nor a header carry an API version, so a breaking change cannot run alongside the old version.",
        ));
    }
    let (outcome, summary) = match (declared, versioned) {
        (true, true) => (
            Outcome::Pass,
            "A version is declared and carried in the paths, servers or headers.".to_owned(),
        ),
        (true, false) => (
            Outcome::Partial,
            "A version is declared in info.version, but clients do not choose a version in the paths, servers or headers.".to_owned(),
        ),
        (false, true) => (
            Outcome::Partial,
            "Paths or servers are versioned, but info.version does not give a usable version."
                .to_owned(),
        ),
        (false, false) => (
            Outcome::Fail,
            "No usable version: info.version is not a version and nothing else is versioned."
                .to_owned(),
        ),
    };
    result(CheckId::Versioning, outcome, summary, findings)
}

fn error_responses(ops: &[Operation]) -> CheckResult {
    if ops.is_empty() {
        return result(
            CheckId::ErrorResponses,
            Outcome::NotApplicable,
            "The document describes no operations.".into(),
            vec![],
        );
    }
    let mut findings = Vec::new();
    let mut documented = 0;
    for op in ops {
        let has = op.responses().is_some_and(|rs| {
            rs.keys()
                .any(|c| c.starts_with('4') || c.starts_with('5') || c == "default")
        });
        if has {
            documented += 1;
        } else {
            findings.push(finding(
                format!("{}/responses", op.pointer),
                Severity::Problem,
                format!("{} documents no 4xx, 5xx or default response.", op.label()),
            ));
        }
    }
    let outcome = match documented {
        0 => Outcome::Fail,
        n if n == ops.len() => Outcome::Pass,
        _ => Outcome::Partial,
    };
    result(
        CheckId::ErrorResponses,
        outcome,
        format!(
            "{documented} of {} document their error responses.",
            count(ops.len(), "operation", "operations")
        ),
        findings,
    )
}

fn rate_limits(w: &Walker, ops: &[Operation]) -> CheckResult {
    let mut findings = Vec::new();
    for op in ops {
        let Some(rs) = op.responses() else { continue };
        if rs.contains_key("429") {
            findings.push(finding(
                format!("{}/responses/429", op.pointer),
                Severity::Info,
                format!("{} documents 429 Too Many Requests.", op.label()),
            ));
        }
        for (code, r) in rs {
            let headers = w
                .deref(r)
                .and_then(|r| r.get("headers"))
                .and_then(Value::as_object);
            if let Some(h) = headers.and_then(|h| {
                h.keys().find(|k| {
                    let n = normalise_name(k);
                    n.contains("ratelimit") || n == "retryafter"
                })
            }) {
                findings.push(finding(
                    format!(
                        "{}/responses/{code}/headers/{}",
                        op.pointer,
                        escape_token(h)
                    ),
                    Severity::Info,
                    format!("{} returns the {h} header.", op.label()),
                ));
            }
        }
    }
    if findings.is_empty() {
        findings.push(finding(
            "/paths",
            Severity::Warning,
            "No operation documents a 429 response or rate-limit headers.",
        ));
        return result(
            CheckId::RateLimits,
            Outcome::Fail,
            "Rate limits are not described in the document (they may still be in the written documentation).".into(),
            findings,
        );
    }
    result(
        CheckId::RateLimits,
        Outcome::Pass,
        "Rate limiting is signalled to clients.".into(),
        findings,
    )
}

/// Every `$ref` in the document with the pointer of the object holding it. Literal examples
/// are skipped: a `$ref` inside an example is data, not a reference.
fn collect_refs(v: &Value, pointer: &mut String, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push((pointer.clone(), r.clone()));
            }
            for (k, child) in m {
                if k == "example" {
                    continue;
                }
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape_token(k));
                collect_refs(child, pointer, out);
                pointer.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                collect_refs(child, pointer, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

fn schema_coverage(w: &Walker, ops: &[Operation]) -> CheckResult {
    let mut findings = Vec::new();
    let mut bodies = 0;
    let mut described = 0;
    for op in ops {
        for (code, r) in w.success_responses(op) {
            if code == "204" || code == "205" {
                continue;
            }
            bodies += 1;
            let ptr = format!("{}/responses/{code}", op.pointer);
            let content = w
                .deref(r)
                .and_then(|r| r.get("content"))
                .and_then(Value::as_object);
            match content {
                Some(c) if !c.is_empty() && c.values().all(|m| m.get("schema").is_some()) => {
                    described += 1
                }
                Some(c) if !c.is_empty() => findings.push(finding(
                    format!("{ptr}/content"),
                    Severity::Problem,
                    format!(
                        "{} response {code} has a media type without a schema.",
                        op.label()
                    ),
                )),
                _ => findings.push(finding(
                    ptr,
                    Severity::Warning,
                    format!("{} response {code} does not describe its body.", op.label()),
                )),
            }
        }
        if let Some(body) = op.op.get("requestBody") {
            bodies += 1;
            let has = w
                .deref(body)
                .and_then(|b| b.get("content"))
                .and_then(Value::as_object)
                .is_some_and(|c| !c.is_empty() && c.values().all(|m| m.get("schema").is_some()));
            if has {
                described += 1;
            } else {
                findings.push(finding(
                    format!("{}/requestBody", op.pointer),
                    Severity::Problem,
                    format!("{} request body has no schema.", op.label()),
                ));
            }
        }
    }
    let mut refs = Vec::new();
    collect_refs(&w.doc.root, &mut String::new(), &mut refs);
    let mut broken = 0;
    let mut external: BTreeSet<String> = BTreeSet::new();
    let mut external_uses = 0;
    for (ptr, r) in &refs {
        if r.starts_with('#') {
            if w.resolve_ref(r).is_none() {
                broken += 1;
                findings.push(finding(
                    format!("{ptr}/$ref"),
                    Severity::Problem,
                    format!("Reference {r:?} points to nothing in this document."),
                ));
            }
        } else {
            external_uses += 1;
            external.insert(r.split('#').next().unwrap_or(r).to_owned());
            findings.push(finding(
                format!("{ptr}/$ref"),
                Severity::Warning,
                format!("External reference {r:?} was not fetched or checked."),
            ));
        }
    }
    let coverage_ok = bodies == 0 || described * 2 >= bodies;
    let outcome = if broken > 0 || !coverage_ok {
        Outcome::Fail
    } else if described < bodies || !external.is_empty() {
        Outcome::Partial
    } else {
        Outcome::Pass
    };
    let mut summary = format!(
        "{described} of {} described by a schema; {} local references, {broken} broken",
        count(
            bodies,
            "request or response body is",
            "request and response bodies are"
        ),
        refs.len() - external_uses
    );
    if external.is_empty() {
        summary.push('.');
    } else {
        summary.push_str(&format!(
            "; {} to {} in other files, not checked.",
            count(external_uses, "reference", "references"),
            count(external.len(), "document", "documents")
        ));
    }
    result(CheckId::SchemaCoverage, outcome, summary, findings)
}

fn write_access(ops: &[Operation]) -> CheckResult {
    let writes: Vec<&Operation> = ops
        .iter()
        .filter(|o| matches!(o.method, "post" | "put" | "patch"))
        .collect();
    if writes.is_empty() {
        return result(
            CheckId::WriteAccess,
            Outcome::Fail,
            "The API is read-only: it describes no POST, PUT or PATCH operation, so data cannot be written through it.".into(),
            vec![finding(
                "/paths",
                Severity::Problem,
                "No operation creates or changes data.",
            )],
        );
    }
    let findings = writes
        .iter()
        .map(|o| finding(o.pointer.clone(), Severity::Info, o.label()))
        .collect();
    result(
        CheckId::WriteAccess,
        Outcome::Pass,
        format!(
            "{} create or change data.",
            count(writes.len(), "operation can", "operations can")
        ),
        findings,
    )
}

fn events(w: &Walker, ops: &[Operation]) -> CheckResult {
    let mut findings = Vec::new();
    if let Some(hooks) = w.root().get("webhooks").and_then(Value::as_object) {
        for name in hooks.keys() {
            findings.push(finding(
                format!("/webhooks/{}", escape_token(name)),
                Severity::Info,
                format!("Webhook '{name}'."),
            ));
        }
    }
    for op in ops {
        if let Some(cbs) = op.op.get("callbacks").and_then(Value::as_object) {
            for name in cbs.keys() {
                findings.push(finding(
                    format!("{}/callbacks/{}", op.pointer, escape_token(name)),
                    Severity::Info,
                    format!("{} has callback '{name}'.", op.label()),
                ));
            }
        }
        if op.method == "post"
            && segments(op.path).any(|s| s.contains("webhook") || s.contains("subscription"))
        {
            findings.push(finding(
                op.pointer.clone(),
                Severity::Info,
                format!("{} manages subscriptions.", op.label()),
            ));
        }
    }
    if findings.is_empty() {
        return result(
            CheckId::Events,
            Outcome::Fail,
            "No webhooks, callbacks or subscription operations: other systems must poll for changes.".into(),
            vec![finding(
                "",
                Severity::Warning,
                "The document describes no way to be told of changes.",
            )],
        );
    }
    result(
        CheckId::Events,
        Outcome::Pass,
        "Change notifications are described.".into(),
        findings,
    )
}

fn documentation(w: &Walker, ops: &[Operation]) -> CheckResult {
    let mut findings = Vec::new();
    let mut problems = 0;
    for field in [
        "title",
        "summary",
        "description",
        "version",
        "termsOfService",
    ] {
        if let Some(s) = w.doc.str_at(&format!("/info/{field}"))
            && is_placeholder(s)
        {
            problems += 1;
            findings.push(finding(
                format!("/info/{field}"),
                Severity::Problem,
                format!("info.{field} is still template text: {s:?}."),
            ));
        }
    }
    for (obj, fields) in [
        ("contact", &["name", "url", "email"][..]),
        ("license", &["name", "url", "identifier"][..]),
    ] {
        for field in fields {
            let ptr = format!("/info/{obj}/{field}");
            let Some(s) = w.doc.str_at(&ptr) else {
                continue;
            };
            if is_placeholder(s) {
                problems += 1;
                findings.push(finding(
                    ptr,
                    Severity::Problem,
                    format!("info.{obj}.{field} is still template text: {s:?}."),
                ));
            } else if *field == "url" && !(s.starts_with("https://") || s.starts_with("http://")) {
                problems += 1;
                findings.push(finding(
                    ptr,
                    Severity::Problem,
                    format!("info.{obj}.url is not a web address: {s:?}."),
                ));
            }
        }
    }
    match w.doc.str_at("/info/description") {
        Some(s) if !s.trim().is_empty() => {}
        _ => {
            problems += 1;
            findings.push(finding(
                "/info/description",
                Severity::Warning,
                "The API has no description (info.description).",
            ));
        }
    }
    let mut described = 0;
    let mut ids: BTreeMap<&str, &Operation> = BTreeMap::new();
    for op in ops {
        let has = ["summary", "description"].iter().any(|k| {
            op.op
                .get(*k)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.trim().is_empty())
        });
        if has {
            described += 1;
        } else {
            problems += 1;
            findings.push(finding(
                op.pointer.clone(),
                Severity::Warning,
                format!("{} has no summary or description.", op.label()),
            ));
        }
        if let Some(id) = op.op.get("operationId").and_then(Value::as_str) {
            if let Some(first) = ids.get(id) {
                problems += 1;
                findings.push(finding(
                    format!("{}/operationId", op.pointer),
                    Severity::Problem,
                    format!(
                        "operationId '{id}' is used by both {} and {}; it must be unique.",
                        first.label(),
                        op.label()
                    ),
                ));
            } else {
                ids.insert(id, op);
            }
        }
    }
    if w.root().get("externalDocs").is_some() {
        findings.push(finding(
            "/externalDocs",
            Severity::Info,
            "Links to further documentation.",
        ));
    }
    let outcome = if ops.is_empty() || described == 0 {
        Outcome::Fail
    } else if problems == 0 {
        Outcome::Pass
    } else {
        Outcome::Partial
    };
    let mut summary = format!(
        "{described} of {} have a summary or description",
        count(ops.len(), "operation", "operations")
    );
    let placeholders = findings
        .iter()
        .filter(|f| f.message.contains("template text"))
        .count();
    if placeholders > 0 {
        summary.push_str(&format!(
            "; {} still template text",
            count(placeholders, "field is", "fields are")
        ));
    }
    summary.push('.');
    result(CheckId::Documentation, outcome, summary, findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(text: &str) -> Report {
        check_bytes(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn outcome(r: &Report, id: CheckId) -> Outcome {
        r.check(id).map(|c| c.outcome).unwrap()
    }

    const GOOD_YAML: &str = r#"
openapi: 3.1.0
info:
  title: Repairs API
  version: 2.1.0
  description: Repairs for council homes.
servers:
  - url: https://api.example.org/v2
security:
  - oauth: [repairs.read]
paths:
  /repairs:
    get:
      summary: List repairs
      operationId: listRepairs
      parameters:
        - {name: cursor, in: query, schema: {type: string}}
        - {name: updated_since, in: query, schema: {type: string, format: date-time}}
      responses:
        200:
          description: A page of repairs
          headers:
            RateLimit-Remaining: {schema: {type: integer}}
          content:
            application/json:
              schema:
                type: object
                properties:
                  data: {type: array, items: {$ref: '#/components/schemas/Repair'}}
        '429': {description: Slow down}
        default: {$ref: '#/components/responses/Problem'}
    post:
      summary: Raise a repair
      operationId: raiseRepair
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Repair'}
      callbacks:
        statusChanged: {}
      responses:
        '201': {description: Raised, content: {application/json: {schema: {$ref: '#/components/schemas/Repair'}}}}
        '400': {$ref: '#/components/responses/Problem'}
  /repairs/export:
    get:
      summary: Every repair as CSV
      operationId: exportRepairs
      responses:
        '200': {description: CSV, content: {text/csv: {schema: {type: string}}}}
        '500': {$ref: '#/components/responses/Problem'}
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows: {clientCredentials: {tokenUrl: 'https://auth.example.org/token', scopes: {repairs.read: read}}}
  responses:
    Problem:
      description: An RFC 9457 problem
      content: {application/problem+json: {schema: {type: object}}}
  schemas:
    Repair: {type: object, properties: {id: {type: string}}}
"#;

    #[test]
    fn a_well_described_yaml_api_passes_every_check() {
        let r = report(GOOD_YAML);
        assert_eq!(r.format, SourceFormat::Yaml);
        assert_eq!(r.version, OasVersion::V31);
        assert_eq!(r.summary.operations, 3);
        assert_eq!(r.summary.list_operations, 1);
        for c in &r.checks {
            assert_eq!(
                c.outcome,
                Outcome::Pass,
                "{}: {} {:?}",
                c.check,
                c.summary,
                c.findings
            );
        }
    }

    #[test]
    fn unquoted_numeric_response_codes_in_yaml_are_read_as_text() {
        let r = report(GOOD_YAML);
        let pag = r.check(CheckId::SchemaCoverage).unwrap();
        assert!(
            pag.findings.iter().all(|f| f.severity == Severity::Info),
            "{pag:?}"
        );
    }

    #[test]
    fn a_bare_api_fails_with_pointers_to_what_is_missing() {
        let r = report(
            r##"{"openapi": "3.0.3", "info": {"title": "T", "version": "draft"},
               "paths": {"/people": {"get": {"responses": {"200": {"description": "ok",
                 "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Nobody"}}}}}}}}}}"##,
        );
        assert_eq!(r.format, SourceFormat::Json);
        assert_eq!(outcome(&r, CheckId::Authentication), Outcome::Fail);
        assert_eq!(outcome(&r, CheckId::Pagination), Outcome::Fail);
        assert_eq!(outcome(&r, CheckId::ErrorResponses), Outcome::Fail);
        assert_eq!(outcome(&r, CheckId::Versioning), Outcome::Fail);
        assert_eq!(outcome(&r, CheckId::WriteAccess), Outcome::Fail);
        assert_eq!(outcome(&r, CheckId::SchemaCoverage), Outcome::Fail);
        assert_eq!(outcome(&r, CheckId::Documentation), Outcome::Fail);
        let broken = &r.check(CheckId::SchemaCoverage).unwrap().findings;
        assert!(broken.iter().any(|f| f.pointer
            == "/paths/~1people/get/responses/200/content/application~1json/schema/items/$ref"));
        let pag = &r.check(CheckId::Pagination).unwrap().findings;
        assert_eq!(pag[0].pointer, "/paths/~1people/get");
    }

    #[test]
    fn security_requirements_naming_undeclared_schemes_are_problems() {
        let r = report(
            r#"{"openapi":"3.0.0","info":{"title":"T","version":"1"},
               "security":[{"ghost":[]}],
               "paths":{"/a":{"get":{"summary":"a","responses":{"200":{"description":"ok"}}}},
                        "/b":{"get":{"summary":"b","security":[],"responses":{"200":{"description":"ok"}}}}}}"#,
        );
        let auth = r.check(CheckId::Authentication).unwrap();
        assert_eq!(auth.outcome, Outcome::Partial);
        assert!(
            auth.findings
                .iter()
                .any(|f| f.severity == Severity::Problem && f.message.contains("'ghost'"))
        );
        assert!(
            auth.findings
                .iter()
                .any(|f| f.pointer == "/paths/~1b/get" && f.message.contains("no security"))
        );
    }

    #[test]
    fn refs_with_escaped_characters_resolve() {
        let r = report(
            r##"{"openapi":"3.0.0","info":{"title":"T","version":"1"},
               "paths":{"/a/{id}":{"get":{"summary":"a","responses":{"200":{"description":"ok",
                 "content":{"application/json":{"schema":{"$ref":"#/components/schemas/A~1B%20C"}}}}}}}},
               "components":{"schemas":{"A/B C":{"type":"object"}}}}"##,
        );
        let cov = r.check(CheckId::SchemaCoverage).unwrap();
        assert_eq!(cov.outcome, Outcome::Pass, "{cov:?}");
    }

    #[test]
    fn reference_cycles_end() {
        let r = report(
            r##"{"openapi":"3.1.0","info":{"title":"T","version":"1"},
               "paths":{"/a":{"get":{"summary":"a","parameters":[{"$ref":"#/components/parameters/x"}],
                 "responses":{"200":{"$ref":"#/components/responses/r"}}}}},
               "components":{"parameters":{"x":{"$ref":"#/components/parameters/x"}},
                             "responses":{"r":{"$ref":"#/components/responses/r"}}}}"##,
        );
        assert_eq!(r.summary.operations, 1);
    }

    #[test]
    fn versions_and_placeholders() {
        for ok in [
            "1",
            "v2",
            "3.0",
            "1.4.2-beta.1",
            "2024.01.15",
            "2.0.0+build",
        ] {
            assert!(looks_like_version(ok), "{ok}");
        }
        for bad in ["", "draft", "latest", "REQUIRED -- The version", "v", "1 0"] {
            assert!(!looks_like_version(bad), "{bad}");
        }
        assert!(is_placeholder("REQUIRED -- TITLE OF YOUR API HERE"));
        assert!(is_placeholder("YOUR CONTACT EMAIL HERE"));
        assert!(!is_placeholder("Human Services Data API"));
        assert!(is_versioned_segment("v1") && is_versioned_segment("v2.1"));
        assert!(!is_versioned_segment("v") && !is_versioned_segment("views"));
    }

    #[test]
    fn pointer_tokens_escape_and_unescape() {
        assert_eq!(escape_token("/a~b/{id}"), "~1a~0b~1{id}");
        assert_eq!(unescape_token("~1a~0b~1{id}"), "/a~b/{id}");
        assert_eq!(percent_decode("A%20B%7Bx%7D%"), "A B{x}%");
    }

    #[test]
    fn malformed_json_is_reported_with_line_and_column() {
        let e = parse(b"{\n  \"openapi\": \"3.1.0\",\n  \"info\": {,}\n}").unwrap_err();
        assert_eq!(e.line_column(), Some((3, 12)));
        assert!(
            e.to_string()
                .starts_with("The JSON is not valid at line 3, column 12"),
            "{e}"
        );
    }

    #[test]
    fn malformed_yaml_is_reported_with_line_and_column() {
        let e = parse(b"openapi: 3.1.0\ninfo:\n  title: [unclosed\n  version: 1\n").unwrap_err();
        assert!(matches!(e, ParseError::Yaml { .. }), "{e:?}");
        let (line, _) = e.line_column().expect("a location");
        assert!((3..=5).contains(&line), "{e}");
        assert!(e.to_string().contains("at line"), "{e}");
        let e = parse(b"openapi: 3.1.0\nopenapi: 3.0.0\n").unwrap_err();
        assert!(
            matches!(e, ParseError::Yaml { .. }),
            "duplicate keys: {e:?}"
        );
    }

    #[test]
    fn documents_that_are_not_openapi_3_are_refused_with_reasons() {
        assert_eq!(parse(b"").unwrap_err(), ParseError::Empty);
        assert_eq!(parse(b"  \n").unwrap_err(), ParseError::Empty);
        assert_eq!(
            parse(b"%PDF-1.4\n\xff\xfe").unwrap_err(),
            ParseError::NotText
        );
        assert_eq!(
            parse(b"just some words").unwrap_err(),
            ParseError::NotAnObject
        );
        assert_eq!(parse(b"[1, 2]").unwrap_err(), ParseError::NotAnObject);
        assert_eq!(
            parse(b"title: x\n").unwrap_err(),
            ParseError::NoOpenApiField
        );
        assert_eq!(
            parse(b"{\"swagger\": \"2.0\"}").unwrap_err(),
            ParseError::Swagger2
        );
        assert_eq!(
            parse(b"openapi: 4.0.0\n").unwrap_err(),
            ParseError::UnsupportedVersion("4.0.0".into())
        );
        // Unquoted in YAML, 3.0 is a number; it is still understood.
        assert_eq!(
            parse(b"openapi: 3.0\npaths: {}\n").unwrap().version(),
            OasVersion::V30
        );
        let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        assert!(matches!(
            parse(&big).unwrap_err(),
            ParseError::TooLarge { .. }
        ));
    }

    #[test]
    fn yaml_alias_bombs_are_refused_not_expanded() {
        let mut bomb = String::from("openapi: 3.1.0\na: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
            bomb.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = name;
        }
        let started = std::time::Instant::now();
        let r = parse(bomb.as_bytes());
        assert!(r.is_err(), "a billion laughs must not parse");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn check_ids_round_trip() {
        for c in CheckId::ALL {
            assert_eq!(c.as_str().parse::<CheckId>().unwrap(), c);
        }
    }
}

/// The real documents in tests/fixtures/openapi (Open Referral's HSDS API, as OpenAPI 3.0 and
/// as the 3.1 profile template), with the findings worked out by reading them: see
/// tests/fixtures/openapi/README.md for the reasoning behind each expectation.
#[cfg(test)]
mod real_documents {
    use super::*;

    const HSDS_30: &[u8] =
        include_bytes!("../../tests/fixtures/openapi/openreferral_hsds_openapi30.json");
    const HSDS_31: &[u8] = include_bytes!(
        "../../tests/fixtures/openapi/openreferral_hsds_openapi31_profile_template.json"
    );

    fn outcomes(r: &Report) -> Vec<(CheckId, Outcome)> {
        r.checks.iter().map(|c| (c.check, c.outcome)).collect()
    }

    fn pointers(r: &Report, id: CheckId, severity: Severity) -> Vec<String> {
        let mut v: Vec<String> = r
            .check(id)
            .unwrap()
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .map(|f| f.pointer.clone())
            .collect();
        v.sort();
        v
    }

    /// What both documents share: they differ only in `openapi`, `info` and some descriptions.
    fn shared_expectations(r: &Report) {
        assert_eq!(r.format, SourceFormat::Json);
        assert_eq!(r.summary.paths, 11);
        assert_eq!(r.summary.operations, 11);
        assert_eq!(r.summary.write_operations, 0);
        // GET /services, /taxonomies, /taxonomy_terms, /organizations, /service_at_locations.
        assert_eq!(r.summary.list_operations, 5);
        let lists = pointers(r, CheckId::Pagination, Severity::Info);
        assert_eq!(
            lists,
            [
                "/paths/~1organizations/get/parameters/3",
                "/paths/~1service_at_locations/get/parameters/6",
                "/paths/~1services/get/parameters/1",
                "/paths/~1taxonomies/get/parameters/1",
                "/paths/~1taxonomy_terms/get/parameters/1",
            ]
        );
        let page = &r.check(CheckId::Pagination).unwrap().findings;
        assert!(
            page.iter().all(|f| f.message.ends_with("page, per_page.")),
            "{page:?}"
        );
        // modified_after only on services and service_at_locations.
        assert_eq!(
            pointers(r, CheckId::TimeBased, Severity::Info),
            [
                "/paths/~1service_at_locations/get/parameters/4",
                "/paths/~1services/get/parameters/7",
            ]
        );
        assert_eq!(
            pointers(r, CheckId::TimeBased, Severity::Warning),
            [
                "/paths/~1organizations/get",
                "/paths/~1taxonomies/get",
                "/paths/~1taxonomy_terms/get",
            ]
        );
        // The `format` parameter says it "could be ndjson", streaming everything unpaginated;
        // no export path or bulk media type. The postcode parameter's "zip code" is not a zip.
        let bulk = pointers(r, CheckId::BulkExport, Severity::Info);
        assert_eq!(bulk.len(), 5, "{bulk:?}");
        assert!(bulk.contains(&"/paths/~1services/get/parameters/3".to_owned()));
        // Eleven operations, none with a 4xx, 5xx or default response.
        assert_eq!(
            pointers(r, CheckId::ErrorResponses, Severity::Problem).len(),
            11
        );
        // Every 200 has a JSON schema; 42 local references all resolve; 10 references to 7
        // files of the HSDS schema on GitHub are reported, not fetched.
        let cov = r.check(CheckId::SchemaCoverage).unwrap();
        assert!(cov.summary.starts_with("11 of 11"), "{}", cov.summary);
        assert!(
            cov.summary.contains("42 local references, 0 broken"),
            "{}",
            cov.summary
        );
        assert!(
            cov.summary.contains("10 references to 7 documents"),
            "{}",
            cov.summary
        );
        assert_eq!(
            pointers(r, CheckId::SchemaCoverage, Severity::Problem).len(),
            0
        );
        assert!(
            pointers(r, CheckId::SchemaCoverage, Severity::Warning).contains(
                &"/paths/~1services~1{id}/get/responses/200/content/application~1json/schema/$ref"
                    .to_owned()
            )
        );
        assert_eq!(
            pointers(r, CheckId::Authentication, Severity::Problem),
            ["/components/securitySchemes", "/security"]
        );
    }

    #[test]
    fn hsds_openapi_3_0_findings() {
        let r = check_bytes(HSDS_30).unwrap();
        assert_eq!(r.openapi, "3.0.0");
        assert_eq!(r.version, OasVersion::V30);
        assert_eq!(r.title, "HSDS OpenAPI");
        assert_eq!(r.api_version, "3.0");
        shared_expectations(&r);
        use CheckId::*;
        use Outcome::*;
        assert_eq!(
            outcomes(&r),
            [
                (Authentication, Fail),
                (Pagination, Pass),
                (BulkExport, Partial),
                (TimeBased, Partial),
                (Versioning, Partial),
                (ErrorResponses, Fail),
                (RateLimits, Fail),
                (SchemaCoverage, Partial),
                (WriteAccess, Fail),
                (Events, Fail),
                (Documentation, Pass),
            ]
        );
    }

    #[test]
    fn hsds_openapi_3_1_profile_template_findings() {
        let r = check_bytes(HSDS_31).unwrap();
        assert_eq!(r.openapi, "3.1.0");
        assert_eq!(r.version, OasVersion::V31);
        shared_expectations(&r);
        use CheckId::*;
        use Outcome::*;
        assert_eq!(
            outcomes(&r),
            [
                (Authentication, Fail),
                (Pagination, Pass),
                (BulkExport, Partial),
                (TimeBased, Partial),
                // info.version is the template's instruction, not a version.
                (Versioning, Fail),
                (ErrorResponses, Fail),
                (RateLimits, Fail),
                (SchemaCoverage, Partial),
                (WriteAccess, Fail),
                (Events, Fail),
                // Placeholders left in info.
                (Documentation, Partial),
            ]
        );
        assert_eq!(
            pointers(&r, Documentation, Severity::Problem),
            [
                "/info/contact/email",
                "/info/contact/name",
                "/info/contact/url",
                "/info/description",
                "/info/license/name",
                "/info/license/url",
                "/info/summary",
                "/info/title",
                "/info/version",
            ]
        );
    }
}

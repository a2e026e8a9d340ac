//! Importing an estate from CSV, in either of two layouts:
//!
//! - **procurekit**: the documented estate layout (one row per system; columns `service_area`,
//!   `system`, `supplier`, and optionally `company_number`, `manufacturer`,
//!   `contract_reference`, `contract_start`, `contract_end`, `annual_value`, `hosting`,
//!   `satisfaction`, `visibility`, `notes`), in any order, headers in any case;
//! - **contracts register**: the Local Government Transparency Code register that councils
//!   publish (`Contract Title`, `Supplier Company Name`, `Annual Value`, `Start Date`,
//!   `Current Expiry Date`, `ProClass Classification`…). Only technology contracts (ProClass
//!   27, Information Communication Technology) become estate records; the others are counted
//!   as skipped.
//!
//! A file imports atomically: every row is checked first, and if any row is wrong nothing is
//! written and every problem is reported with its line number. Re-importing a file updates
//! the records it added rather than adding them again (see `record_key`).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::store::{self, Writer};
use super::{
    Hosting, MAX_NOTES, Satisfaction, Source, SystemRecord, comparable, optional_text,
    parse_annual_value, parse_date_loose, parse_visibility_loose, required_text,
};
use crate::accounts::{OrgKind, Organisation};
use crate::db::{Db, DbError};
use crate::money::Pence;
use crate::suppliers::CompanyNumber;
use crate::visibility::Visibility;

/// The most rows one file may hold: London's largest estates are a few hundred systems, and a
/// register a few thousand contracts.
pub const MAX_ROWS: usize = 20_000;
/// Problems listed in full; beyond this they are counted.
const MAX_MESSAGES: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    Procurekit,
    ContractsRegister,
}

impl Layout {
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Procurekit => "procurekit",
            Layout::ContractsRegister => "contracts_register",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Layout::Procurekit => "procurekit estate layout",
            Layout::ContractsRegister => "contracts register",
        }
    }
}

/// A problem or a note about one line of the file (or the whole file when `line` is None).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct LineMessage {
    pub line: Option<u64>,
    pub column: Option<String>,
    pub message: String,
}

impl LineMessage {
    pub fn text(&self) -> String {
        match (self.line, &self.column) {
            (Some(l), Some(c)) => format!("Line {l}, column {c}: {}", self.message),
            (Some(l), None) => format!("Line {l}: {}", self.message),
            (None, Some(c)) => format!("Column {c}: {}", self.message),
            (None, None) => self.message.clone(),
        }
    }
}

/// Which column of the file fed which field.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ColumnUse {
    pub field: &'static str,
    pub column: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub file: String,
    pub body: String,
    pub layout: Option<Layout>,
    pub dry_run: bool,
    /// True when the rows were written (false for a dry run or a file with errors).
    pub imported: bool,
    /// Data rows read after the header.
    pub rows_read: usize,
    pub rows_added: usize,
    pub rows_updated: usize,
    /// Rows left out on purpose, counted by reason.
    pub rows_skipped: BTreeMap<String, usize>,
    pub distinct_suppliers: usize,
    pub total_annual_value_pence: i64,
    pub mapping: Vec<ColumnUse>,
    /// Imported, but worth a look (an end date before the start, an identifier that is not a
    /// company number…).
    pub warnings: Vec<LineMessage>,
    /// Why nothing was imported.
    pub errors: Vec<LineMessage>,
    /// Problems beyond those listed.
    pub more_errors: usize,
    pub more_warnings: usize,
}

impl ImportReport {
    fn new(file: &str, body: &str, dry_run: bool) -> ImportReport {
        ImportReport {
            file: file.to_owned(),
            body: body.to_owned(),
            layout: None,
            dry_run,
            imported: false,
            rows_read: 0,
            rows_added: 0,
            rows_updated: 0,
            rows_skipped: BTreeMap::new(),
            distinct_suppliers: 0,
            total_annual_value_pence: 0,
            mapping: Vec::new(),
            warnings: Vec::new(),
            errors: Vec::new(),
            more_errors: 0,
            more_warnings: 0,
        }
    }

    fn error(&mut self, line: Option<u64>, column: Option<&str>, message: impl Into<String>) {
        if self.errors.len() >= MAX_MESSAGES {
            self.more_errors += 1;
            return;
        }
        self.errors.push(LineMessage {
            line,
            column: column.map(str::to_owned),
            message: message.into(),
        });
    }

    fn warn(&mut self, line: Option<u64>, column: Option<&str>, message: impl Into<String>) {
        if self.warnings.len() >= MAX_MESSAGES {
            self.more_warnings += 1;
            return;
        }
        self.warnings.push(LineMessage {
            line,
            column: column.map(str::to_owned),
            message: message.into(),
        });
    }

    fn skip(&mut self, reason: &str) {
        *self.rows_skipped.entry(reason.to_owned()).or_default() += 1;
    }

    pub fn total_annual_value(&self) -> String {
        Pence(self.total_annual_value_pence).display()
    }

    pub fn skipped_total(&self) -> usize {
        self.rows_skipped.values().sum()
    }

    pub fn layout_label(&self) -> &'static str {
        self.layout.map(Layout::label).unwrap_or("not recognised")
    }

    /// A short summary for people: what happened to the file.
    pub fn summary(&self) -> String {
        if !self.errors.is_empty() {
            let n = self.errors.len() + self.more_errors;
            return format!(
                "{} was not imported: {n} problem{} to fix. Nothing was saved.",
                self.file,
                if n == 1 { "" } else { "s" }
            );
        }
        let verb = if self.dry_run { "would add" } else { "added" };
        let verb2 = if self.dry_run {
            "would update"
        } else {
            "updated"
        };
        format!(
            "{}: {verb} {} and {verb2} {} record{} for {}, {} row{} skipped.{}",
            self.file,
            self.rows_added,
            self.rows_updated,
            if self.rows_updated == 1 { "" } else { "s" },
            self.body,
            self.skipped_total(),
            if self.skipped_total() == 1 { "" } else { "s" },
            if self.dry_run {
                " This was a check only: nothing was saved."
            } else {
                ""
            }
        )
    }
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub file_name: String,
    pub dry_run: bool,
    /// For rows without a visibility column.
    pub default_visibility: Visibility,
    pub user_id: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0} is a supplier: only public bodies keep an estate register")]
    NotAPublicBody(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Imports a file's bytes into an organisation's estate. Problems with the file are in the
/// report (`errors`), never half-applied; only database failures are `Err`.
pub async fn import(
    db: &Db,
    org: &Organisation,
    bytes: &[u8],
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    if org.kind == OrgKind::Supplier {
        return Err(ImportError::NotAPublicBody(org.name.clone()));
    }
    let mut report = ImportReport::new(&opts.file_name, &org.name, opts.dry_run);
    let rows = parse(bytes, opts.default_visibility, &mut report);
    if !report.errors.is_empty() {
        return Ok(report);
    }
    report.distinct_suppliers = rows
        .iter()
        .filter(|r| !super::is_not_one_supplier(&r.1.supplier_name))
        .map(|r| crate::suppliers::normalise_name(&r.1.supplier_name))
        .collect::<HashSet<_>>()
        .len();
    report.total_annual_value_pence = rows
        .iter()
        .filter_map(|r| r.1.annual_value)
        .map(Pence::pence)
        .sum();

    let mut tx = db.begin().await?;
    let layout = report.layout.map(Layout::as_str).unwrap_or("procurekit");
    let import_id =
        store::record_import(&mut tx, org.id, &opts.file_name, layout, opts.user_id).await?;
    let writer = Writer {
        org_id: org.id,
        user_id: opts.user_id,
        source: Source::Import,
        import_id: Some(import_id),
    };
    for (_, rec) in &rows {
        let (_, added) = store::upsert(&mut tx, &writer, rec).await?;
        if added {
            report.rows_added += 1;
        } else {
            report.rows_updated += 1;
        }
    }
    store::finish_import(
        &mut tx,
        import_id,
        report.rows_added as i64,
        report.rows_updated as i64,
    )
    .await?;
    if opts.dry_run {
        // Dropping the transaction rolls everything back: the counts above are exactly what
        // a real import would do.
        drop(tx);
    } else {
        tx.commit().await?;
        report.imported = true;
    }
    Ok(report)
}

// ---- Reading the file ----

/// Windows-1252's printable characters for 0x80–0x9F (the rest of the range is Latin-1).
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

fn decode_cp1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9f => CP1252_HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// Repairs text that was UTF-8, read as Latin-1 and written back as UTF-8 with its first byte
/// lost, as in real registers: "Children\u{80}\u{99}s" was "Children’s". C1 control characters
/// never belong in text, so a pair of them is read back as the punctuation it came from.
fn repair_mojibake(s: &str) -> String {
    if !s.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)) {
        return s.to_owned();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\u{80}'
            && let Some(&next) = chars.get(i + 1)
            && ('\u{80}'..='\u{bf}').contains(&next)
            && let Ok(fixed) = std::str::from_utf8(&[0xe2, 0x80, next as u8])
        {
            out.push_str(fixed);
            i += 2;
            continue;
        }
        if ('\u{80}'..='\u{9f}').contains(&c) {
            out.push(CP1252_HIGH[(c as usize) - 0x80]);
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// Bytes to text: UTF-8 (with or without a byte-order mark, even one that was itself
/// mis-encoded), else Windows-1252, which is what Excel on Windows saves as "CSV".
fn decode(bytes: &[u8], report: &mut ImportReport) -> Option<String> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        report.error(None, None, "The file is empty.");
        return None;
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xd0, 0xcf, 0x11, 0xe0]) {
        report.error(
            None,
            None,
            "This is a spreadsheet (Excel) file, not CSV. Open it in your spreadsheet program and save it as \"CSV UTF-8\", then upload that.",
        );
        return None;
    }
    if bytes.contains(&0) {
        report.error(
            None,
            None,
            "This is not a text file (it contains binary data). Upload a CSV file.",
        );
        return None;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => {
            report.warn(
                None,
                None,
                "The file is not UTF-8: it was read as Windows-1252 (what Excel saves as plain \"CSV\"). Check that £ signs and accented names look right.",
            );
            decode_cp1252(bytes)
        }
    };
    let text = text
        .trim_start_matches('\u{feff}')
        .trim_start_matches("ï»¿")
        .to_owned();
    Some(text)
}

/// A header as a comparable key: "Total Contract Value (including extensions)" becomes
/// "total_contract_value_including_extensions".
fn header_key(h: &str) -> String {
    comparable(h).replace(' ', "_")
}

fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let count = |c: char| first.matches(c).count();
    let (comma, semi, tab) = (count(','), count(';'), count('\t'));
    if tab > comma && tab >= semi {
        b'\t'
    } else if semi > comma {
        b';'
    } else {
        b','
    }
}

/// The fields a layout fills, and the header names (as keys) that feed each.
struct FieldSpec {
    field: &'static str,
    names: &'static [&'static str],
}

const PROCUREKIT: &[FieldSpec] = &[
    FieldSpec {
        field: "service_area",
        names: &["service_area", "service", "directorate"],
    },
    FieldSpec {
        field: "system",
        names: &[
            "system",
            "product",
            "system_product",
            "system_name",
            "product_name",
        ],
    },
    FieldSpec {
        field: "supplier",
        names: &["supplier", "supplier_name", "vendor"],
    },
    FieldSpec {
        field: "company_number",
        names: &[
            "company_number",
            "supplier_company_number",
            "companies_house_number",
        ],
    },
    FieldSpec {
        field: "manufacturer",
        names: &["manufacturer", "maker"],
    },
    FieldSpec {
        field: "contract_reference",
        names: &["contract_reference", "reference", "contract_ref"],
    },
    FieldSpec {
        field: "contract_start",
        names: &[
            "contract_start",
            "contract_start_date",
            "start_date",
            "start",
        ],
    },
    FieldSpec {
        field: "contract_end",
        names: &["contract_end", "contract_end_date", "end_date", "end"],
    },
    FieldSpec {
        field: "annual_value",
        names: &[
            "annual_value",
            "annual_value_gbp",
            "annual_cost",
            "annual_contract_value",
        ],
    },
    FieldSpec {
        field: "hosting",
        names: &["hosting", "hosted"],
    },
    FieldSpec {
        field: "satisfaction",
        names: &["satisfaction", "satisfaction_1_5", "satisfaction_score"],
    },
    FieldSpec {
        field: "visibility",
        names: &["visibility", "shared_with"],
    },
    FieldSpec {
        field: "notes",
        names: &["notes", "comments"],
    },
];

const REGISTER: &[FieldSpec] = &[
    FieldSpec {
        field: "title",
        names: &["contract_title", "title", "contract_name"],
    },
    FieldSpec {
        field: "supplier",
        names: &[
            "supplier_company_name",
            "supplier_name",
            "supplier",
            "supplier_s",
        ],
    },
    FieldSpec {
        field: "service_area",
        names: &[
            "directorate_name",
            "directorate",
            "department",
            "service_area",
            "service",
        ],
    },
    FieldSpec {
        field: "description",
        names: &["contract_description", "description"],
    },
    FieldSpec {
        field: "company_number",
        names: &[
            "company_number",
            "supplier_company_number",
            "companies_house_number",
            "company_registration_number",
        ],
    },
    FieldSpec {
        field: "contract_reference",
        names: &[
            "contract_reference",
            "reference",
            "contract_ref",
            "contract_id",
        ],
    },
    FieldSpec {
        field: "annual_value",
        names: &[
            "annual_value",
            "estimated_annual_value",
            "annual_contract_value",
        ],
    },
    FieldSpec {
        field: "total_value",
        names: &[
            "total_contract_value_including_extensions",
            "total_contract_value",
            "total_value",
            "contract_value",
        ],
    },
    FieldSpec {
        field: "start",
        names: &["start_date", "contract_start_date"],
    },
    FieldSpec {
        field: "end",
        names: &["end_date", "contract_end_date"],
    },
    FieldSpec {
        field: "expiry",
        names: &["current_expiry_date", "expiry_date"],
    },
    FieldSpec {
        field: "proclass",
        names: &["proclass_classification", "proclass", "proclass_code"],
    },
    FieldSpec {
        field: "proclass_description",
        names: &["proclass_description"],
    },
    FieldSpec {
        field: "process",
        names: &["process_used", "procurement_process"],
    },
    FieldSpec {
        field: "purchasing_body",
        names: &["purchasing_body"],
    },
    FieldSpec {
        field: "visibility",
        names: &["visibility"],
    },
];

/// Which column index feeds each field, and the header as written.
struct Mapping {
    columns: HashMap<&'static str, (usize, String)>,
}

impl Mapping {
    fn build(specs: &[FieldSpec], headers: &[String]) -> Mapping {
        let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
        let mut columns = HashMap::new();
        for spec in specs {
            // The first name in the spec's order wins: "Current Expiry Date" is preferred
            // because the spec lists it under its own field.
            if let Some((i, _)) = spec
                .names
                .iter()
                .find_map(|n| keys.iter().enumerate().find(|(_, k)| k.as_str() == *n))
            {
                columns.insert(spec.field, (i, headers[i].trim().to_owned()));
            }
        }
        Mapping { columns }
    }

    fn has(&self, field: &str) -> bool {
        self.columns.contains_key(field)
    }

    fn get<'r>(&self, record: &'r csv::StringRecord, field: &str) -> &'r str {
        self.columns
            .get(field)
            .and_then(|(i, _)| record.get(*i))
            .unwrap_or("")
            .trim()
    }

    fn column(&self, field: &str) -> String {
        self.columns
            .get(field)
            .map(|(_, h)| h.clone())
            .unwrap_or_else(|| field.to_owned())
    }

    fn uses(&self, specs: &[FieldSpec]) -> Vec<ColumnUse> {
        specs
            .iter()
            .filter_map(|s| {
                self.columns.get(s.field).map(|(_, h)| ColumnUse {
                    field: s.field,
                    column: h.clone(),
                })
            })
            .collect()
    }
}

/// Reads and checks every row; returns the records with their line numbers. Problems go in
/// the report.
fn parse(
    bytes: &[u8],
    default_visibility: Visibility,
    report: &mut ImportReport,
) -> Vec<(u64, SystemRecord)> {
    let Some(text) = decode(bytes, report) else {
        return Vec::new();
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(&text))
        .from_reader(text.as_bytes());
    let mut records = reader.records();

    // The header is the first line that is not blank.
    let headers: Vec<String> = loop {
        match records.next() {
            None => {
                report.error(None, None, "The file has no header row.");
                return Vec::new();
            }
            Some(Err(e)) => {
                report.error(
                    e.position().map(|p| p.line()),
                    None,
                    format!("The file could not be read as CSV: {e}"),
                );
                return Vec::new();
            }
            Some(Ok(r)) if r.iter().all(|f| f.trim().is_empty()) => continue,
            Some(Ok(r)) => {
                break r
                    .iter()
                    .map(|h| repair_mojibake(h).trim().to_owned())
                    .collect();
            }
        }
    };

    let pk = Mapping::build(PROCUREKIT, &headers);
    let reg = Mapping::build(REGISTER, &headers);
    let pk_required = ["service_area", "system", "supplier"];
    let pk_found = pk_required.iter().filter(|f| pk.has(f)).count();
    let (layout, mapping) = if pk_found == 3 && !reg.has("title") {
        (Layout::Procurekit, pk)
    } else if reg.has("title") && reg.has("supplier") {
        (Layout::ContractsRegister, reg)
    } else if pk_found >= 2 {
        let missing: Vec<&str> = pk_required.iter().copied().filter(|f| !pk.has(f)).collect();
        report.error(
            Some(1),
            None,
            format!(
                "The file has no {} column. An estate file needs the columns service_area, system and supplier (download the layout from the import page).",
                missing.join(" or ")
            ),
        );
        return Vec::new();
    } else {
        report.error(
            Some(1),
            None,
            format!(
                "The columns were not recognised. An estate file needs the columns service_area, system and supplier; a contracts register needs Contract Title and Supplier Company Name. This file's columns are: {}.",
                headers.iter().filter(|h| !h.is_empty()).cloned().collect::<Vec<_>>().join(", ")
            ),
        );
        return Vec::new();
    };
    report.layout = Some(layout);
    let specs = match layout {
        Layout::Procurekit => PROCUREKIT,
        Layout::ContractsRegister => REGISTER,
    };
    report.mapping = mapping.uses(specs);
    let used: HashSet<usize> = mapping.columns.values().map(|(i, _)| *i).collect();
    if layout == Layout::Procurekit {
        for (i, h) in headers.iter().enumerate() {
            if !used.contains(&i) && !h.is_empty() {
                report.warn(
                    Some(1),
                    Some(h),
                    "this column is not part of the estate layout and was ignored",
                );
            }
        }
    }
    let register_has_proclass = mapping.has("proclass") || mapping.has("proclass_description");
    if layout == Layout::ContractsRegister && !register_has_proclass {
        report.warn(
            None,
            None,
            "The register has no ProClass column, so every contract was treated as technology. Remove contracts that are not technology before importing, or add ProClass codes.",
        );
    }

    let width = headers.len();
    let mut out: Vec<(u64, SystemRecord)> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for result in records {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line());
                report.error(
                    line,
                    None,
                    format!("this line is not valid CSV ({e}). Check its quotes."),
                );
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|f| f.trim().is_empty()) {
            report.skip("blank row");
            continue;
        }
        report.rows_read += 1;
        if report.rows_read > MAX_ROWS {
            report.error(
                Some(line),
                None,
                format!("the file has more than {MAX_ROWS} rows: split it into smaller files"),
            );
            break;
        }
        if record.len() != width {
            let extra_blank =
                record.len() > width && record.iter().skip(width).all(|f| f.trim().is_empty());
            if !extra_blank {
                report.error(
                    Some(line),
                    None,
                    format!(
                        "this line has {} fields but the header has {width}. Check for a comma inside a value that is not in quotes, or a missing quote.",
                        record.len()
                    ),
                );
                continue;
            }
        }
        let row = match layout {
            Layout::Procurekit => {
                procurekit_row(&mapping, &record, line, default_visibility, report)
            }
            Layout::ContractsRegister => register_row(
                &mapping,
                &record,
                line,
                default_visibility,
                register_has_proclass,
                report,
            ),
        };
        let Some(rec) = row else {
            continue;
        };
        if let (Some(s), Some(e)) = (rec.contract_start, rec.contract_end)
            && e < s
        {
            report.warn(
                Some(line),
                None,
                format!("the contract ends ({e}) before it starts ({s}): imported as written, check the dates"),
            );
        }
        let key = rec.record_key();
        if let Some(first) = seen.get(&key) {
            report.skip("repeats an earlier row");
            report.warn(Some(line), None, format!("repeats line {first} (same reference, system, supplier and start date): skipped"));
            continue;
        }
        seen.insert(key, line);
        out.push((line, rec));
    }
    if report.errors.is_empty() && out.is_empty() && report.rows_read == 0 {
        report.error(None, None, "The file has a header but no rows.");
    }
    out
}

/// Collects field errors for one row, then builds the record only if there were none.
struct RowCheck<'a> {
    line: u64,
    ok: bool,
    report: &'a mut ImportReport,
}

impl RowCheck<'_> {
    fn take<T>(&mut self, column: &str, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(message) => {
                self.ok = false;
                self.report.error(Some(self.line), Some(column), message);
                None
            }
        }
    }
}

fn clean(s: &str) -> String {
    repair_mojibake(s).trim().to_owned()
}

fn procurekit_row(
    m: &Mapping,
    r: &csv::StringRecord,
    line: u64,
    default_visibility: Visibility,
    report: &mut ImportReport,
) -> Option<SystemRecord> {
    let mut c = RowCheck {
        line,
        ok: true,
        report,
    };
    let f = |field: &str| clean(m.get(r, field));
    let service_area = c.take(
        &m.column("service_area"),
        required_text("service area", &f("service_area")),
    );
    let system_name = c.take(&m.column("system"), required_text("system", &f("system")));
    let supplier_name = c.take(
        &m.column("supplier"),
        required_text("supplier", &f("supplier")),
    );
    let company_number = c.take(
        &m.column("company_number"),
        match f("company_number").as_str() {
            "" => Ok(None),
            s => CompanyNumber::parse(s).map(Some).map_err(|e| e.to_string()),
        },
    );
    let manufacturer = c.take(
        &m.column("manufacturer"),
        optional_text("manufacturer", &f("manufacturer"), super::MAX_SHORT),
    );
    let reference = c.take(
        &m.column("contract_reference"),
        optional_text(
            "contract reference",
            &f("contract_reference"),
            super::MAX_SHORT,
        ),
    );
    let start = c.take(
        &m.column("contract_start"),
        parse_date_loose(&f("contract_start")),
    );
    let end = c.take(
        &m.column("contract_end"),
        parse_date_loose(&f("contract_end")),
    );
    let value = c.take(
        &m.column("annual_value"),
        parse_annual_value(&f("annual_value")),
    );
    let hosting = c.take(&m.column("hosting"), Hosting::parse_loose(&f("hosting")));
    let satisfaction = c.take(
        &m.column("satisfaction"),
        Satisfaction::parse_loose(&f("satisfaction")),
    );
    let visibility = c.take(
        &m.column("visibility"),
        parse_visibility_loose(&f("visibility")),
    );
    let notes = c.take(
        &m.column("notes"),
        optional_text("notes", &f("notes"), MAX_NOTES),
    );
    if !c.ok {
        return None;
    }
    Some(SystemRecord {
        service_area: service_area?,
        system_name: system_name?,
        supplier_name: supplier_name?,
        company_number: company_number?,
        manufacturer: manufacturer?,
        contract_reference: reference?,
        contract_start: start?,
        contract_end: end?,
        annual_value: value?,
        hosting: hosting?,
        satisfaction: satisfaction?,
        notes: notes?.unwrap_or_default(),
        visibility: visibility?.unwrap_or(default_visibility),
    })
}

/// ProClass 27xxxx is "Information Communication Technology"; registers without the code
/// sometimes carry only the description.
fn is_technology(code: &str, description: &str) -> Option<bool> {
    let code = code.trim();
    if !code.is_empty() {
        return Some(code.starts_with("27"));
    }
    let d = comparable(description);
    if d.is_empty() {
        return None;
    }
    Some(
        d.contains("information communication technology")
            || d.contains("software")
            || d.split_whitespace().any(|w| w == "ict" || w == "it"),
    )
}

fn register_row(
    m: &Mapping,
    r: &csv::StringRecord,
    line: u64,
    default_visibility: Visibility,
    has_proclass: bool,
    report: &mut ImportReport,
) -> Option<SystemRecord> {
    let f = |field: &str| clean(m.get(r, field));
    if has_proclass {
        match is_technology(&f("proclass"), &f("proclass_description")) {
            Some(true) => {}
            Some(false) => {
                report.skip("not a technology contract (ProClass outside 27, Information Communication Technology)");
                return None;
            }
            None => {
                report.skip("no ProClass classification, so not known to be technology");
                return None;
            }
        }
    }
    let mut c = RowCheck {
        line,
        ok: true,
        report,
    };
    let system_name = c.take(
        &m.column("title"),
        required_text("contract title", &f("title")),
    );
    let supplier_name = c.take(
        &m.column("supplier"),
        required_text("supplier", &f("supplier")),
    );
    let service_area = match f("service_area") {
        s if s.is_empty() => Some("Not recorded".to_owned()),
        s => c.take(&m.column("service_area"), required_text("service area", &s)),
    };
    let reference = c.take(
        &m.column("contract_reference"),
        optional_text(
            "contract reference",
            &f("contract_reference"),
            super::MAX_SHORT,
        ),
    );
    let start = c.take(&m.column("start"), parse_date_loose(&f("start")));
    let end = c.take(&m.column("end"), parse_date_loose(&f("end")));
    let expiry = c.take(&m.column("expiry"), parse_date_loose(&f("expiry")));
    let value = c.take(
        &m.column("annual_value"),
        parse_annual_value(&f("annual_value")),
    );
    let total = c.take(
        &m.column("total_value"),
        parse_annual_value(&f("total_value")),
    );
    let visibility = c.take(
        &m.column("visibility"),
        parse_visibility_loose(&f("visibility")),
    );
    if !c.ok {
        return None;
    }
    // Registers hold charity, society and overseas numbers in the same column: those are
    // kept out of the company number (with a note) rather than failing the import.
    let company_number = match f("company_number").as_str() {
        "" | "-" => None,
        s => {
            match CompanyNumber::parse(s) {
                Ok(n) => Some(n),
                Err(_) => {
                    report.warn(
                    Some(line),
                    Some(&m.column("company_number")),
                    format!("{s:?} is not a Companies House number: the supplier was matched by name"),
                );
                    None
                }
            }
        }
    };
    let (start, end, expiry) = (start?, end?, expiry?);
    let contract_end = expiry.or(end);
    let title = system_name?;
    let mut notes = Vec::new();
    let description = f("description");
    if !description.is_empty() && comparable(&description) != comparable(&title) {
        notes.push(description);
    }
    if let (Some(e), Some(x)) = (end, expiry)
        && x != e
    {
        notes.push(format!("Originally ending {e}; extended to {x}."));
    }
    if let Some(t) = total? {
        notes.push(format!(
            "Total contract value including extensions: {}.",
            t.display()
        ));
    }
    let process = f("process");
    if !process.is_empty() {
        notes.push(format!("Procurement process: {process}."));
    }
    let body = f("purchasing_body");
    if !body.is_empty() {
        notes.push(format!("Purchasing body: {body}."));
    }
    let mut notes = notes.join(" ");
    if notes.chars().count() > MAX_NOTES {
        notes = notes.chars().take(MAX_NOTES).collect();
    }
    Some(SystemRecord {
        service_area: service_area?,
        system_name: title,
        supplier_name: supplier_name?,
        company_number,
        manufacturer: None,
        contract_reference: reference?,
        contract_start: start,
        contract_end,
        annual_value: value?,
        hosting: None,
        satisfaction: None,
        notes,
        visibility: visibility?.unwrap_or(default_visibility),
    })
}

/// The documented estate layout as a CSV file with one example row: what the import page
/// offers as a starting point.
pub const TEMPLATE_CSV: &str = "service_area,system,supplier,company_number,manufacturer,contract_reference,contract_start,contract_end,annual_value,hosting,satisfaction,visibility,notes\r\nHousing,Housing management system (example),Example Systems Ltd,01234567,Example Software Ltd,HSG-001,2022-04-01,2027-03-31,185000,saas,3,london,Replace this example row with your own systems\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn run(csv: &str) -> (Vec<(u64, SystemRecord)>, ImportReport) {
        let mut report = ImportReport::new("t.csv", "Camden", false);
        let rows = parse(csv.as_bytes(), Visibility::London, &mut report);
        (rows, report)
    }

    #[test]
    fn the_documented_template_imports_cleanly() {
        let (rows, report) = run(TEMPLATE_CSV);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        assert_eq!(rows.len(), 1);
        let r = &rows[0].1;
        assert_eq!(r.hosting, Some(Hosting::Saas));
        assert_eq!(r.annual_value, Some(Pence(18_500_000)));
        assert_eq!(
            r.company_number.as_ref().map(|c| c.as_str()),
            Some("01234567")
        );
    }

    #[test]
    fn every_bad_value_is_reported_with_its_line_and_column() {
        let csv = "Service Area,System,Supplier,Contract End,Annual Value,Satisfaction\n\
                   Housing,Northgate,Acme,2026-02-30,10,3\n\
                   ,CRM,Acme,2026-01-01,lots,9\n";
        let (_, report) = run(csv);
        let texts: Vec<String> = report.errors.iter().map(LineMessage::text).collect();
        assert_eq!(texts.len(), 4, "{texts:#?}");
        assert!(
            texts[0].starts_with("Line 2, column Contract End: \"2026-02-30\" is not a real date"),
            "{}",
            texts[0]
        );
        assert!(
            texts[1].starts_with("Line 3, column Service Area: Enter the service area"),
            "{}",
            texts[1]
        );
        assert!(
            texts[2].contains("Line 3, column Annual Value"),
            "{}",
            texts[2]
        );
        assert!(
            texts[3].contains("Line 3, column Satisfaction"),
            "{}",
            texts[3]
        );
    }

    #[test]
    fn ragged_rows_and_unknown_columns() {
        let (_, report) = run("service_area,system,supplier\nHousing,A,B,C\n");
        assert!(
            report.errors[0]
                .text()
                .contains("Line 2: this line has 4 fields but the header has 3")
        );
        let (_, report) = run("colour,size\nred,big\n");
        assert!(
            report.errors[0]
                .message
                .contains("columns were not recognised")
        );
        assert!(report.errors[0].message.contains("colour, size"));
        let (_, report) = run("system,supplier,price\nA,B,1\n");
        assert!(
            report.errors[0]
                .message
                .contains("has no service_area column"),
            "{:?}",
            report.errors
        );
    }

    #[test]
    fn text_encodings_are_repaired() {
        assert_eq!(repair_mojibake("Children\u{80}\u{99}s"), "Children’s");
        assert_eq!(
            repair_mojibake("Lot 3 \u{80}\u{93} Booking"),
            "Lot 3 – Booking"
        );
        assert_eq!(decode_cp1252(b"\xa3100 \x96 caf\xe9"), "£100 – café");
        let mut report = ImportReport::new("t.csv", "x", false);
        assert!(decode(b"PK\x03\x04rest", &mut report).is_none());
        assert!(report.errors[0].message.contains("Excel"));
    }

    #[test]
    fn register_rows_outside_technology_are_skipped() {
        let csv = "\u{ef}\u{bb}\u{bf}Directorate Name,Contract Title,Supplier Company Name,Annual Value,Start Date,End Date,Current Expiry Date,ProClass Classification,ProClass Description,Company Number,Visibility\n\
                   Place,Roads,Tarmac Ltd,100,2022-01-01,2023-01-01,2023-01-01,391400,Roads,123,Public\n\
                   Service Reform,Case system,Acme Ltd,5000.50,2021-01-01,2022-01-01,2024-01-01,270000,ICT,Registered Charity,Public\n";
        let (rows, report) = run(csv);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.layout, Some(Layout::ContractsRegister));
        assert_eq!(rows.len(), 1);
        let r = &rows[0].1;
        assert_eq!(
            r.contract_end,
            chrono::NaiveDate::from_ymd_opt(2024, 1, 1),
            "current expiry wins"
        );
        assert_eq!(r.visibility, Visibility::Public);
        assert_eq!(r.annual_value, Some(Pence(500_050)));
        assert!(r.notes.contains("extended to 2024-01-01"));
        assert_eq!(report.skipped_total(), 1);
        assert_eq!(
            report.warnings.len(),
            1,
            "charity number noted: {:?}",
            report.warnings
        );
    }
}

//! Which row is the header and which column is which. Decided from two kinds of evidence:
//! what a header says (in any of the ways councils write it, typos included) and what the
//! column holds (dates, money, names). Never from a list of known publishers: the next file
//! will be from a council this code has never seen.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::dates::{DateEvidence, DateFormat};
use crate::money::Pence;
use crate::suppliers::{CompanyNumber, VatNumber};

/// What a column can mean.
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
pub enum Field {
    Date,
    Supplier,
    Amount,
    TransactionId,
    ExpenseType,
    /// A procurement classification: ProClass, a merchant category, a council's own.
    Classification,
    ServiceArea,
    /// The body's name ("Devon County Council").
    BodyName,
    /// The body as a code or URI ("18", "http://statistics.data.gov.uk/…/00CY").
    Body,
    CompanyNumber,
    VatNumber,
}

impl Field {
    pub const ALL: [Field; 11] = [
        Field::Date,
        Field::Supplier,
        Field::Amount,
        Field::TransactionId,
        Field::ExpenseType,
        Field::Classification,
        Field::ServiceArea,
        Field::BodyName,
        Field::Body,
        Field::CompanyNumber,
        Field::VatNumber,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Date => "date",
            Field::Supplier => "supplier",
            Field::Amount => "amount",
            Field::TransactionId => "transaction_id",
            Field::ExpenseType => "expense_type",
            Field::Classification => "classification",
            Field::ServiceArea => "service_area",
            Field::BodyName => "body_name",
            Field::Body => "body",
            Field::CompanyNumber => "company_number",
            Field::VatNumber => "vat_number",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::Date => "Date paid",
            Field::Supplier => "Supplier (payee)",
            Field::Amount => "Amount",
            Field::TransactionId => "Transaction reference",
            Field::ExpenseType => "Expense type",
            Field::Classification => "Procurement classification",
            Field::ServiceArea => "Service area",
            Field::BodyName => "Body name",
            Field::Body => "Body code or URI",
            Field::CompanyNumber => "Company number",
            Field::VatNumber => "VAT number",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "unknown field {0:?}: use one of date, supplier, amount, transaction_id, expense_type, classification, service_area, body_name, body, company_number, vat_number"
)]
pub struct BadField(String);

impl FromStr for Field {
    type Err = BadField;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let k = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        let alias = match k.as_str() {
            "payee" | "supplier_name" => "supplier",
            "transaction" | "transaction_number" | "reference" => "transaction_id",
            "expense" | "category" => "expense_type",
            "service" => "service_area",
            "company" => "company_number",
            "vat" => "vat_number",
            other => other,
        };
        Field::ALL
            .into_iter()
            .find(|f| f.as_str() == alias)
            .ok_or_else(|| BadField(s.trim().to_owned()))
    }
}

/// How a column came to mean what it means: shown to the person so they can judge it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MappedBy {
    Header,
    Content,
    User,
}

#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub index: usize,
    pub header: String,
    pub by: MappedBy,
}

/// Whether the file lists payments, or one total per supplier for a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Transactions,
    SupplierTotals,
}

impl ImportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Transactions => "transactions",
            ImportKind::SupplierTotals => "supplier_totals",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Mapping {
    pub header_index: usize,
    pub headers: Vec<String>,
    pub columns: BTreeMap<Field, Column>,
    pub date_format: Option<DateFormat>,
    /// Every date in the sample read the same day-first and month-first.
    pub date_format_assumed: bool,
    pub kind: ImportKind,
}

impl Mapping {
    pub fn index(&self, f: Field) -> Option<usize> {
        self.columns.get(&f).map(|c| c.index)
    }

    /// Field → header, as the report shows it.
    pub fn shown(&self) -> BTreeMap<String, String> {
        self.columns
            .iter()
            .map(|(f, c)| (f.as_str().to_owned(), c.header.clone()))
            .collect()
    }
}

/// What the person asked for on the command line or the upload form.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--map date="Paid Date"`; `None` ("-") says "this file has no such column".
    pub map: Vec<(Field, Option<String>)>,
    pub date_format: Option<DateFormat>,
}

impl Overrides {
    /// Parses `field=Header` (or `field=-`).
    pub fn parse_map(arg: &str) -> Result<(Field, Option<String>), String> {
        let (k, v) = arg
            .split_once('=')
            .ok_or_else(|| format!("--map {arg:?}: write it as field=\"Column header\""))?;
        let field: Field = k.parse().map_err(|e: BadField| e.to_string())?;
        let v = v.trim().trim_matches('"').trim();
        if v.is_empty() {
            return Err(format!(
                "--map {arg:?}: give the column's header after =, or - for none"
            ));
        }
        Ok((field, (v != "-").then(|| v.to_owned())))
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LayoutError {
    #[error(
        "could not find the header row in the first {scanned} lines: no line names a date, a supplier and an amount. The file starts: {start}. Is it a spend file? If its headers are unusual, name the columns with --map (for example --map date=\"Paid\" --map supplier=\"Payee\" --map amount=\"Value\")."
    )]
    NoHeader { scanned: usize, start: String },
    #[error("there is no column {header:?} for --map {field}. The columns are: {columns}")]
    UnknownColumn {
        field: Field,
        header: String,
        columns: String,
    },
    #[error(
        "could not tell which column is the {what}. The columns are: {columns}. Say which with --map {field}=\"Header\"."
    )]
    Missing {
        field: Field,
        what: &'static str,
        columns: String,
    },
    #[error(
        "the {field} column {header:?} does not hold dates the importer can read (for example {example:?}). Name the right column with --map date=\"Header\", or give the layout with --date-format dmy|mdy|iso."
    )]
    Undated {
        field: Field,
        header: String,
        example: String,
    },
}

/// Header text as comparable words: byte-order marks (real or mojibake) gone, `camelCase`
/// and `snake_case` split, punctuation dropped, lower case.
pub fn header_words(h: &str) -> Vec<String> {
    let h = clean_header(h);
    let mut spaced = String::with_capacity(h.len() + 8);
    let chars: Vec<char> = h.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        // camelCase ("DatePaid") and acronyms run into words ("VATRegistrationNumber").
        let boundary = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase() || (p.is_uppercase() && next.is_some_and(char::is_lowercase))
            });
        if boundary {
            spaced.push(' ');
        }
        spaced.push(if c.is_alphanumeric() { c } else { ' ' });
    }
    spaced
        .to_lowercase()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// A header as shown to people: trimmed, without a byte-order mark, including the
/// Windows-1252 misreading of one ("ï»¿Body Name").
pub fn clean_header(h: &str) -> String {
    h.replace('\u{feff}', "")
        .replace("ï»¿", "")
        .replace('\u{a0}', " ")
        .trim()
        .to_owned()
}

/// Words equal, or one edit apart when long enough that a typo cannot make another word
/// ("Directotate", "Organistion").
fn word_eq(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if a.len() < 6 || b.len() < 6 || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    edit_distance_at_most_one(a.as_bytes(), b.as_bytes())
}

fn edit_distance_at_most_one(a: &[u8], b: &[u8]) -> bool {
    let (mut i, mut j, mut edits) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            i += 1;
            j += 1;
            continue;
        }
        edits += 1;
        if edits > 1 {
            return false;
        }
        match a.len().cmp(&b.len()) {
            std::cmp::Ordering::Greater => i += 1,
            std::cmp::Ordering::Less => j += 1,
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    edits + (a.len() - i) + (b.len() - j) <= 1
}

struct Words<'a>(&'a [String]);

impl Words<'_> {
    fn has(&self, w: &str) -> bool {
        self.0.iter().any(|x| word_eq(x, w))
    }
    fn any(&self, ws: &[&str]) -> bool {
        ws.iter().any(|w| self.has(w))
    }
    fn last_is(&self, ws: &[&str]) -> bool {
        self.0.last().is_some_and(|l| ws.contains(&l.as_str()))
    }
    fn is(&self, phrase: &str) -> bool {
        let p: Vec<&str> = phrase.split(' ').collect();
        p.len() == self.0.len() && p.iter().zip(self.0).all(|(a, b)| word_eq(b, a))
    }
}

/// How strongly a header says it holds `field` (0: not at all).
pub fn header_score(field: Field, words: &[String]) -> i32 {
    let w = Words(words);
    if words.is_empty() {
        return 0;
    }
    let id_like = w.last_is(&[
        "id",
        "no",
        "number",
        "ref",
        "reference",
        "code",
        "uri",
        "key",
    ]);
    match field {
        Field::Date => {
            if w.any(&[
                "due",
                "start",
                "end",
                "expiry",
                "period",
                "birth",
                "created",
                "effective",
            ]) && !w.any(&["paid", "payment"])
            {
                return if w.has("date") { 2 } else { 0 };
            }
            let mut s = if w.has("date") || w.is("paid") || w.is("paid on") {
                10
            } else {
                return 0;
            };
            if w.any(&["paid", "payment", "clearing", "posting", "posted"]) {
                s += 4;
            }
            if w.has("transaction") {
                s += 2;
            }
            if w.has("invoice") {
                s -= 2;
            }
            s
        }
        Field::Supplier => {
            if id_like
                || w.any(&[
                    "type",
                    "postcode",
                    "category",
                    "registered",
                    "vat",
                    "charity",
                    "group",
                    "address",
                    "internal",
                    "other",
                    "code",
                    "id",
                ])
            {
                return 0;
            }
            let mut s = if w.any(&[
                "supplier",
                "vendor",
                "beneficiary",
                "payee",
                "merchant",
                "creditor",
                "recipient",
                "contractor",
                "trader",
            ]) {
                10
            } else if w.is("paid to") || w.is("company name") || w.is("name") {
                7
            } else {
                return 0;
            };
            if w.has("name") {
                s += 3;
            }
            s
        }
        Field::Amount => {
            let excl_vat = w.any(&["net", "nett", "excl", "exc", "ex", "excluding", "of"]);
            if (w.has("vat") && !excl_vat)
                || id_like
                || w.any(&["date", "code", "id", "registration", "irrecoverable"])
            {
                return 0;
            }
            let mut s = if w.any(&["amount", "value", "net", "nett", "amt"]) {
                10
            } else if w.any(&["total", "sum", "spend", "paid", "payment"]) {
                7
            } else if w.has("gross") {
                6
            } else {
                return 0;
            };
            if w.any(&["net", "nett"]) || (w.has("vat") && excl_vat) {
                s += 3;
            }
            if w.has("gross") {
                s -= 3;
            }
            s
        }
        Field::TransactionId => {
            if w.any(&["date", "amount", "type", "supplier", "vendor", "value"]) {
                return 0;
            }
            if w.any(&["transaction", "trans", "txn"]) {
                if id_like { 12 } else { 10 }
            } else if w.has("document") && id_like {
                9
            } else if w.any(&["payment", "voucher", "journal"]) && id_like {
                8
            } else if w.is("reference") || w.is("ref") || (w.has("internal") && id_like) {
                7
            } else if w.has("invoice") && id_like {
                6
            } else {
                0
            }
        }
        Field::ExpenseType => {
            if id_like
                || w.any(&[
                    "area",
                    "merchant",
                    "service",
                    "proclass",
                    "procurement",
                    "date",
                    "amount",
                    "capital",
                    "creditor",
                ])
            {
                return 0;
            }
            let mut s = if w.any(&["expense", "expenses", "expenditure"]) && w.has("type") {
                12
            } else if w.any(&["expense", "expenses", "expenditure", "spend"])
                && w.has("description")
            {
                11
            } else if w.has("description")
                && w.any(&["account", "subj", "subjective", "gl", "ledger", "nominal"])
            {
                10
            } else if w.any(&["expense", "expenses", "expenditure"]) {
                9
            } else if w.is("account") || w.has("subjective") || w.is("nominal") || w.has("category")
            {
                6
            } else if w.has("purpose") || w.is("description") {
                5
            } else if w.is("narrative") {
                3
            } else {
                return 0;
            };
            if w.has("detailed") {
                s += 1;
            }
            s
        }
        Field::Classification => {
            if id_like {
                return 0;
            }
            if w.has("proclass") {
                12
            } else if w.has("procurement") && w.any(&["classification", "category"]) {
                11
            } else if w.has("merchant") && w.has("category") {
                if w.has("group") { 7 } else { 9 }
            } else if w.is("category internal name") {
                7
            } else {
                0
            }
        }
        Field::ServiceArea => {
            if id_like || w.any(&["uri"]) {
                return 0;
            }
            if w.is("service area") || w.is("expense area") || w.has("directorate") {
                12
            } else if w.any(&["department", "dept"]) || w.is("service group") {
                10
            } else if (w.has("service") && w.any(&["label", "division", "category"]))
                || w.is("service")
                || w.is("organisational unit")
                || w.is("business unit")
            {
                8
            } else if w.is("cost centre") || w.any(&["division", "portfolio"]) {
                6
            } else if w.is("profit centre") {
                3
            } else {
                0
            }
        }
        Field::BodyName => {
            if w.any(&["uri", "code", "id", "unit", "type"]) {
                return 0;
            }
            if w.is("body name")
                || w.is("name of body")
                || w.is("organisation name")
                || w.is("organization name")
                || w.is("authority name")
                || w.is("council name")
                || w.is("organisation label")
            {
                12
            } else if w.is("organisation") || w.is("council") || w.is("authority") {
                8
            } else {
                0
            }
        }
        Field::Body => {
            if w.is("body") || w.is("organisation uri") || w.is("body uri") {
                10
            } else if w.any(&["authority", "organisation", "body", "council"])
                && w.any(&["code", "uri", "gss", "ons"])
            {
                9
            } else {
                0
            }
        }
        Field::CompanyNumber => {
            if w.any(&["charity", "vat"]) {
                return 0;
            }
            if w.has("company") && w.any(&["number", "no", "reg", "registration", "registered"])
                || w.is("companies house number")
                || w.is("crn")
            {
                12
            } else {
                0
            }
        }
        Field::VatNumber => {
            if w.has("vat")
                && w.any(&["registration", "reg", "number", "no"])
                && !w.any(&["amount", "irrecoverable", "net", "excl"])
            {
                12
            } else {
                0
            }
        }
    }
}

/// The best field a header could name, and how strongly.
fn best_field(words: &[String]) -> i32 {
    Field::ALL
        .iter()
        .map(|f| header_score(*f, words))
        .max()
        .unwrap_or(0)
}

/// Picks the header among the first records: the one that names the most fields, and at
/// least a date or a supplier and an amount. Preambles ("Lambeth Invoices Over Specified
/// Nett Amount", report dates and parameters) name fewer.
pub fn find_header(records: &[Vec<String>]) -> Result<usize, LayoutError> {
    let mut best: Option<(usize, i32)> = None;
    for (i, rec) in records.iter().enumerate() {
        let words: Vec<Vec<String>> = rec.iter().map(|c| header_words(c)).collect();
        let named = |f: Field| words.iter().any(|w| header_score(f, w) > 0);
        let core = [Field::Date, Field::Supplier, Field::Amount]
            .into_iter()
            .filter(|f| named(*f))
            .count();
        if core < 2 && !(named(Field::Supplier) && named(Field::Amount)) {
            continue;
        }
        // Data rows hold dates and amounts, which are not headers.
        let looks_like_data = rec
            .iter()
            .filter(|c| Pence::parse_published(c).is_ok() || DateFormat::Iso.parse(c).is_some())
            .count();
        let recognised = words.iter().filter(|w| best_field(w) > 0).count() as i32;
        let score = recognised * 10 + core as i32 * 5 - looks_like_data as i32 * 20;
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((i, score));
        }
    }
    match best {
        Some((i, s)) if s > 0 => Ok(i),
        _ => Err(LayoutError::NoHeader {
            scanned: records.len(),
            start: records
                .iter()
                .take(3)
                .map(|r| format!("{:?}", r.join(",")))
                .collect::<Vec<_>>()
                .join(" / "),
        }),
    }
}

/// What a column's values look like, from a sample of data rows.
#[derive(Debug, Default)]
struct Profile {
    non_empty: usize,
    dates: DateEvidence,
    money: usize,
    with_decimals: usize,
    alpha: usize,
    distinct: HashSet<String>,
    company_numbers: usize,
    vat_numbers: usize,
    example: String,
}

impl Profile {
    fn add(&mut self, v: &str) {
        let v = v.trim();
        if v.is_empty() || is_null(v) {
            return;
        }
        if self.example.is_empty() {
            self.example = v.chars().take(40).collect();
        }
        self.non_empty += 1;
        self.dates.add(v);
        if Pence::parse_published(v).is_ok() {
            self.money += 1;
            if v.contains('.') {
                self.with_decimals += 1;
            }
        }
        if v.chars().filter(|c| c.is_alphabetic()).count() * 2 > v.chars().count() {
            self.alpha += 1;
        }
        if self.distinct.len() < 5000 {
            self.distinct.insert(v.to_lowercase());
        }
        if CompanyNumber::parse(v).is_ok() {
            self.company_numbers += 1;
        }
        if VatNumber::parse(v).is_ok() {
            self.vat_numbers += 1;
        }
    }

    fn frac(&self, n: usize) -> f64 {
        if self.non_empty == 0 {
            0.0
        } else {
            n as f64 / self.non_empty as f64
        }
    }

    fn date_fraction(&self) -> f64 {
        self.dates.best().map_or(0.0, |b| b.1)
    }

    fn distinct_ratio(&self) -> f64 {
        self.frac(self.distinct.len())
    }
}

/// "NA", "N/A", "null", "-": how files say "nothing here".
pub fn is_null(v: &str) -> bool {
    let v = v.trim();
    v.is_empty()
        || v == "-"
        || v.eq_ignore_ascii_case("na")
        || v.eq_ignore_ascii_case("n/a")
        || v.eq_ignore_ascii_case("null")
        || v.eq_ignore_ascii_case("none")
        || v.eq_ignore_ascii_case("#n/a")
}

/// Does the content back up what the header says?
fn fits(field: Field, p: &Profile) -> bool {
    if p.non_empty == 0 {
        // An empty column is harmless for optional fields, useless for required ones.
        return !matches!(field, Field::Date | Field::Amount | Field::Supplier);
    }
    match field {
        Field::Date => p.date_fraction() >= 0.8,
        Field::Amount => p.frac(p.money) >= 0.8,
        Field::Supplier => p.frac(p.alpha) >= 0.5,
        Field::TransactionId => p.distinct_ratio() >= 0.2 || p.distinct.len() > 50,
        // A body column repeats a few values (one body, or a combined file of several):
        // never one value per row.
        Field::Body | Field::BodyName => p.distinct.len() <= 60 || p.distinct_ratio() <= 0.05,
        Field::CompanyNumber => p.frac(p.company_numbers) >= 0.5,
        Field::VatNumber => p.frac(p.vat_numbers) >= 0.5,
        Field::ExpenseType | Field::Classification | Field::ServiceArea => p.frac(p.alpha) >= 0.3,
    }
}

/// Decides the mapping from the header and a sample of the rows after it (only rows with the
/// header's number of cells, so that broken rows cannot sway it).
pub fn infer(
    header_index: usize,
    header: &[String],
    sample: &[Vec<String>],
    overrides: &Overrides,
) -> Result<Mapping, LayoutError> {
    let headers: Vec<String> = header.iter().map(|h| clean_header(h)).collect();
    let words: Vec<Vec<String>> = header.iter().map(|h| header_words(h)).collect();
    let full: Vec<&Vec<String>> = sample.iter().filter(|r| r.len() == header.len()).collect();
    let rows: Vec<&Vec<String>> = if full.len() * 2 >= sample.len() {
        full
    } else {
        sample.iter().collect()
    };
    let mut profiles: Vec<Profile> = (0..header.len()).map(|_| Profile::default()).collect();
    for r in &rows {
        for (i, v) in r.iter().enumerate().take(header.len()) {
            profiles[i].add(v);
        }
    }
    let column_list = || {
        headers
            .iter()
            .filter(|h| !h.is_empty())
            .map(|h| format!("{h:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };

    let mut columns: BTreeMap<Field, Column> = BTreeMap::new();
    let mut taken: HashSet<usize> = HashSet::new();
    let mut declined: HashSet<Field> = HashSet::new();
    for (field, header_text) in &overrides.map {
        match header_text {
            None => {
                declined.insert(*field);
            }
            Some(h) => {
                let index = find_column(&headers, h).ok_or_else(|| LayoutError::UnknownColumn {
                    field: *field,
                    header: h.clone(),
                    columns: column_list(),
                })?;
                taken.insert(index);
                columns.insert(
                    *field,
                    Column {
                        index,
                        header: headers[index].clone(),
                        by: MappedBy::User,
                    },
                );
            }
        }
    }

    // Fields in the order their evidence is strongest: a date or an amount column rarely
    // looks like anything else; a supplier column is "the name-like one that is left".
    let order = [
        Field::Date,
        Field::Amount,
        Field::CompanyNumber,
        Field::VatNumber,
        Field::Supplier,
        Field::TransactionId,
        Field::BodyName,
        Field::Body,
        Field::Classification,
        Field::ExpenseType,
        Field::ServiceArea,
    ];
    for field in order {
        if columns.contains_key(&field) || declined.contains(&field) {
            continue;
        }
        let mut best: Option<(usize, i32)> = None;
        for (i, w) in words.iter().enumerate() {
            if taken.contains(&i) {
                continue;
            }
            let s = header_score(field, w);
            if s > 0 && fits(field, &profiles[i]) && best.is_none_or(|(_, b)| s > b) {
                best = Some((i, s));
            }
        }
        let by_content = if best.is_none() {
            content_choice(field, &profiles, &taken)
        } else {
            None
        };
        if let Some(i) = best.map(|b| b.0).or(by_content) {
            taken.insert(i);
            columns.insert(
                field,
                Column {
                    index: i,
                    header: if headers[i].is_empty() {
                        format!("column {}", i + 1)
                    } else {
                        headers[i].clone()
                    },
                    by: if by_content.is_some() {
                        MappedBy::Content
                    } else {
                        MappedBy::Header
                    },
                },
            );
        }
    }

    for (field, what) in [(Field::Supplier, "supplier"), (Field::Amount, "amount")] {
        if !columns.contains_key(&field) {
            return Err(LayoutError::Missing {
                field,
                what,
                columns: column_list(),
            });
        }
    }
    let (kind, date_format, assumed) = match columns.get(&Field::Date) {
        Some(c) => {
            let p = &profiles[c.index];
            let (fmt, assumed) = match overrides.date_format {
                Some(f) => (f, false),
                None => match p.dates.best() {
                    Some((f, share, assumed)) if share >= 0.5 => (f, assumed),
                    _ => {
                        return Err(LayoutError::Undated {
                            field: Field::Date,
                            header: c.header.clone(),
                            example: p.example.clone(),
                        });
                    }
                },
            };
            (ImportKind::Transactions, Some(fmt), assumed)
        }
        None => (ImportKind::SupplierTotals, None, false),
    };
    Ok(Mapping {
        header_index,
        headers,
        columns,
        date_format,
        date_format_assumed: assumed,
        kind,
    })
}

fn find_column(headers: &[String], wanted: &str) -> Option<usize> {
    let w = wanted.trim();
    if let Some(i) = headers.iter().position(|h| h.eq_ignore_ascii_case(w)) {
        return Some(i);
    }
    let ww = header_words(w);
    if let Some(i) = headers.iter().position(|h| header_words(h) == ww) {
        return Some(i);
    }
    // "3" or "#3": the third column, for files whose headers are blank.
    let n: usize = w.trim_start_matches('#').parse().ok()?;
    (1..=headers.len()).contains(&n).then(|| n - 1)
}

/// A column chosen by what it holds, when no header names the field.
fn content_choice(field: Field, profiles: &[Profile], taken: &HashSet<usize>) -> Option<usize> {
    let free = profiles
        .iter()
        .enumerate()
        .filter(|(i, p)| !taken.contains(i) && p.non_empty > 0);
    match field {
        Field::Date => free
            .filter(|(_, p)| p.date_fraction() >= 0.9)
            .max_by(|a, b| a.1.date_fraction().total_cmp(&b.1.date_fraction()))
            .map(|(i, _)| i),
        Field::Amount => free
            // Money has pence; ids and codes are whole numbers.
            .filter(|(_, p)| p.frac(p.money) >= 0.95 && p.frac(p.with_decimals) >= 0.3)
            .max_by(|a, b| a.1.with_decimals.cmp(&b.1.with_decimals))
            .map(|(i, _)| i),
        Field::Supplier => free
            .filter(|(_, p)| p.frac(p.alpha) >= 0.8 && p.distinct.len() > 10)
            .max_by(|a, b| a.1.distinct.len().cmp(&b.1.distinct.len()))
            .map(|(i, _)| i),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(h: &str) -> Vec<String> {
        header_words(h)
    }

    fn row(s: &str) -> Vec<String> {
        s.split(',').map(str::to_owned).collect()
    }

    #[test]
    fn headers_as_councils_write_them() {
        assert_eq!(w("ï»¿Body Name"), ["body", "name"]);
        assert_eq!(w("DatePaid"), ["date", "paid"]);
        assert_eq!(
            w("Supplier(Beneficiary) Name"),
            ["supplier", "beneficiary", "name"]
        );
        assert_eq!(w("trans_no"), ["trans", "no"]);
        assert_eq!(
            w("VATRegistrationNumber"),
            ["vat", "registration", "number"]
        );
        assert_eq!(
            w("IrrecoverableVATAmount"),
            ["irrecoverable", "vat", "amount"]
        );
        assert!(
            header_score(Field::ServiceArea, &w("Directotate")) > 0,
            "typo"
        );
        assert!(
            header_score(Field::BodyName, &w("Organistion Name")) > 0,
            "typo"
        );
        assert_eq!(header_score(Field::Supplier, &w("Supplier ID")), 0);
        assert_eq!(header_score(Field::Amount, &w("Irrecoverable VAT")), 0);
        assert_eq!(header_score(Field::Amount, &w("IrrecoverableVATAmount")), 0);
        assert!(header_score(Field::Amount, &w("Amount £ (Excl VAT)")) > 0);
        assert!(header_score(Field::Amount, &w("Net")) > header_score(Field::Amount, &w("Gross")));
        assert!(
            header_score(Field::Date, &w("PaymentDate"))
                > header_score(Field::Date, &w("EffectiveDate"))
        );
        assert!(
            header_score(Field::ExpenseType, &w("DetailedExpenditureType"))
                > header_score(Field::ExpenseType, &w("ExpenditureCategory"))
        );
        assert!(
            header_score(
                Field::ExpenseType,
                &w("Expenditure Account Code Description")
            ) > 0
        );
        assert_eq!(header_score(Field::ExpenseType, &w("Expense Code")), 0);
    }

    #[test]
    fn the_header_is_found_after_a_preamble() {
        let recs = vec![
            row("Lambeth Invoices Over Specified Nett Amount,,,,,"),
            row(",,,,,"),
            row("Report Date: 02/07/2012,,,,,"),
            row(
                "Body,Department,Supplier Name,Invoice Creation Date,Invoice Nett Amount,Subj Description",
            ),
            row("Lambeth,Adults,170 Community Project,08/06/2012,1534.24,FLOATING SUPPORT"),
        ];
        assert_eq!(find_header(&recs), Ok(3));
        let recs = vec![
            row("Sum of Invoice Net Amount,"),
            row(","),
            row("Supplier Name,Total"),
            row("Transport Trading Limited,\"2,837,397.00\""),
        ];
        assert_eq!(find_header(&recs), Ok(2));
        assert!(matches!(
            find_header(&[row("a,b,c"), row("1,2,3")]),
            Err(LayoutError::NoHeader { .. })
        ));
    }

    #[test]
    fn cryptic_headers_are_read_from_the_content() {
        let header = row("Col1,Col2,Col3,Col4");
        let sample: Vec<Vec<String>> = (1..30)
            .map(|i| row(&format!("{i:02}/06/2012,ACME SUPPLIES {i},{i}00.5{i},X{i}")))
            .collect();
        let m = infer(0, &header, &sample, &Overrides::default()).unwrap();
        assert_eq!(m.index(Field::Date), Some(0));
        assert_eq!(m.index(Field::Supplier), Some(1));
        assert_eq!(m.index(Field::Amount), Some(2));
        assert_eq!(m.columns[&Field::Date].by, MappedBy::Content);
        assert_eq!(m.date_format, Some(DateFormat::DayMonthYear));
    }

    #[test]
    fn the_person_can_override_any_column() {
        let header = row("Paid,Payee,Value,Other Date");
        let sample: Vec<Vec<String>> = (1..30)
            .map(|i| row(&format!("2012-06-{i:02},P{i} Ltd,{i}.50,2012-01-01")))
            .collect();
        let o = Overrides {
            map: vec![(Field::Date, Some("other date".into()))],
            date_format: None,
        };
        let m = infer(0, &header, &sample, &o).unwrap();
        assert_eq!(m.index(Field::Date), Some(3));
        assert_eq!(m.columns[&Field::Date].by, MappedBy::User);
        let o = Overrides {
            map: vec![(Field::Date, Some("Nope".into()))],
            date_format: None,
        };
        let e = infer(0, &header, &sample, &o).unwrap_err();
        assert!(e.to_string().contains("\"Paid\", \"Payee\""), "{e}");
        assert_eq!(
            Overrides::parse_map("date=\"Paid Date\""),
            Ok((Field::Date, Some("Paid Date".into())))
        );
        assert_eq!(Overrides::parse_map("body=-"), Ok((Field::Body, None)));
        assert!(Overrides::parse_map("when=Paid").is_err());
    }

    #[test]
    fn files_without_dates_are_supplier_totals() {
        let header = row("Supplier Name,Sum of Invoice Net Amount");
        let sample = vec![row("Sicor International,500.6"), row("AWICS,520")];
        let m = infer(0, &header, &sample, &Overrides::default()).unwrap();
        assert_eq!(m.kind, ImportKind::SupplierTotals);
    }
}

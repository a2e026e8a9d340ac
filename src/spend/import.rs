//! The import engine, shared by the command line, the upload form and the demo.
//!
//! One file is one transaction: every payment, every new supplier and body, and every rollup
//! it changes are committed together or not at all. The file is streamed: a parser thread
//! reads and classifies rows and hands them over in batches through a bounded channel, so
//! memory stays flat however large the file; the database side resolves bodies, suppliers
//! and labels from in-memory caches and writes each batch in a few multi-row statements.
//!
//! Re-importing is harmless: each payment carries a fingerprint of its date, payee, amount,
//! transaction reference and its repetition within its file, unique per body, so a payment
//! already stored (from this file or an overlapping one) is counted as `already_imported`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Instant;

use chrono::{Datelike, NaiveDate};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use sha2::Digest;
use tokio::sync::mpsc;

use super::bodies::{self, BodyError};
use super::categories::{CategoryIds, Classifier, taxonomy};
use super::layout::{self, Field, ImportKind, LayoutError, MappedBy, Mapping, Overrides};
use super::period::Period;
use super::rollups::{Counted, Rollups, refresh_category_stats};
use super::rows::{Outcome, Payee, RowReader, Skip};
use super::source::{Input, Progress, SourceError};
use crate::accounts::Organisation;
use crate::args;
use crate::db::{Arg, Backend, Db, DbError, Tx, now, sqlite_raw};
use crate::suppliers::resolver::Resolver;
use crate::suppliers::{CompanyNumber, VatNumber, normalise_name};

/// Rows handed from the parser to the database in one go.
const BATCH_ROWS: usize = 2000;
/// Rows per INSERT statement (13 values each: under SQLite's and PostgreSQL's limits).
const INSERT_ROWS: usize = 1000;
/// How many rows of a file are examined to decide its layout.
const SAMPLE_ROWS: usize = 1000;
/// Lines searched for the header.
const HEADER_SEARCH: usize = 40;
/// Distinct payments remembered to number repeats within a file; beyond this the database's
/// own check takes over (see `insert_batch`), so memory stays bounded.
const REPEAT_WINDOW: usize = 4_000_000;
/// Problems listed one by one in a report; the rest are counted.
const MAX_PROBLEMS: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportSource {
    Cli,
    Web,
    Demo,
}

impl ImportSource {
    fn as_str(self) -> &'static str {
        match self {
            ImportSource::Cli => "cli",
            ImportSource::Web => "web",
            ImportSource::Demo => "demo",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The body when the file does not name it: a GSS code, a name or a known variant.
    pub body: Option<String>,
    /// Create an "other public body" when `body` names no known body.
    pub create_body: bool,
    pub dry_run: bool,
    pub overrides: Overrides,
    /// The period of a supplier-totals file, when its name does not say.
    pub period: Option<Period>,
    pub source: ImportSource,
    pub user_id: Option<i64>,
    /// A borough officer may only import their own body's spend.
    pub only_org: Option<i64>,
    /// Flush the in-memory rollups to the tables past this many keys (see
    /// [`super::rollups::FLUSH_AT_KEYS`]); tests lower it to prove early flushes add up.
    pub flush_at_keys: usize,
    /// Whether to set aside the payments table's secondary indexes during the import and
    /// rebuild them at the end; `None` decides by the file's size against the table's (see
    /// [`SecondaryIndexes`]). Tests force both ways to prove they store the same.
    pub rebuild_indexes: Option<bool>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            body: None,
            create_body: false,
            dry_run: false,
            overrides: Overrides::default(),
            period: None,
            source: ImportSource::Cli,
            user_id: None,
            only_org: None,
            flush_at_keys: super::rollups::FLUSH_AT_KEYS,
            rebuild_indexes: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub line: u64,
    pub reason: String,
}

/// What an import did, as `--json` prints it and the upload page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub file: String,
    /// The body (or bodies, joined with "; ") the spend belongs to.
    pub body: String,
    pub body_slugs: Vec<String>,
    pub kind: ImportKind,
    pub rows_imported: u64,
    pub rows_skipped: BTreeMap<&'static str, u64>,
    /// Rows whose run-together cells were pulled apart ("25/06/2012900").
    pub rows_repaired: u64,
    /// The file's payments (imported now or already): their sum, dates and suppliers.
    pub total_pence: i64,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
    pub distinct_suppliers: u64,
    pub redacted_rows: u64,
    pub unnamed_rows: u64,
    pub new_suppliers: u64,
    pub uncategorised_rows: u64,
    /// Field → the header of the column used for it.
    pub mapping: BTreeMap<String, String>,
    /// Field → how the column was chosen (header, content or user).
    pub mapped_by: BTreeMap<String, MappedBy>,
    pub date_format: Option<String>,
    /// Every date read the same day-first or month-first: day-first was assumed.
    pub date_format_assumed: bool,
    pub period: Option<Period>,
    pub period_from_file_name: bool,
    pub encoding: String,
    pub delimiter: String,
    pub header_line: u64,
    pub problems: Vec<Problem>,
    pub more_problems: u64,
    pub dry_run: bool,
    pub import_id: Option<i64>,
    pub seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{file}: {source}")]
    Layout {
        file: String,
        #[source]
        source: LayoutError,
    },
    #[error("{file}: {source}")]
    Body {
        file: String,
        #[source]
        source: BodyError,
    },
    #[error(
        "{file}: the file says its spend belongs to {in_file:?}, but --body says {given:?}. Remove --body, or ignore the file's column with --map body_name=- --map body=-."
    )]
    BodyMismatch {
        file: String,
        in_file: String,
        given: String,
    },
    #[error("{file}: you can only import spend of your own organisation; this file's is {body}'s.")]
    NotYourBody { file: String, body: String },
    #[error(
        "{file}: this file lists one total per supplier with no dates, and its name does not say which period it covers. Give it with --period (a month such as 2010-12, or 2009-01..2009-03)."
    )]
    PeriodNeeded { file: String },
    #[error("{file}: line {line}: the file could not be read as CSV: {detail}")]
    Csv {
        file: String,
        line: u64,
        detail: String,
    },
    #[error("{file}: no payments found after the header on line {header_line}.")]
    NoPayments { file: String, header_line: u64 },
    #[error(
        "{file}: {broken} of {rows} rows could not be read, so nothing was imported: the columns may be mapped wrongly ({mapping}). First problems: {first}. Check the mapping with --dry-run and correct it with --map."
    )]
    TooManyBroken {
        file: String,
        broken: u64,
        rows: u64,
        mapping: String,
        first: String,
    },
    #[error("database: {0}")]
    Db(#[from] DbError),
}

// ---- Secondary indexes -------------------------------------------------------------

/// Bytes per payment row in a typical spend file, to guess a file's rows from its size.
const BYTES_PER_ROW: u64 = 100;
/// Below this many rows, keeping the indexes up to date row by row costs little.
const REBUILD_AT_ROWS: u64 = 200_000;

/// The non-unique indexes of the payments table and of the two rollups with a row per body
/// and supplier, set aside while a large file is written and rebuilt from their own
/// definitions at the end, in the same transaction. Keeping an index
/// in step row by row inserts into it at random; building it afterwards sorts once, which
/// for a first load of millions of payments is several times faster. Only on SQLite, where
/// readers keep seeing the indexes of the last commit meanwhile; PostgreSQL would lock the
/// table for the whole import. The deduplication index is unique and always kept.
#[derive(Default)]
struct SecondaryIndexes {
    definitions: Vec<String>,
}

impl SecondaryIndexes {
    /// Whether to set the indexes aside: when the file is at least as large as what is
    /// stored (and large at all), unless `force` says.
    async fn wanted(db: &Db, file_bytes: u64, force: Option<bool>) -> Result<bool, DbError> {
        if db.backend() != Backend::Sqlite {
            return Ok(false);
        }
        if let Some(f) = force {
            return Ok(f);
        }
        // The largest rowid stands in for the count, which SQLite would have to scan for.
        let stored: i64 = db
            .scalar("SELECT COALESCE(MAX(id), 0) FROM spend_payments", vec![])
            .await?
            .unwrap_or(0);
        let rows = file_bytes / BYTES_PER_ROW;
        Ok(rows >= REBUILD_AT_ROWS && rows >= stored.max(0) as u64)
    }

    async fn set_aside(tx: &mut Tx) -> Result<SecondaryIndexes, DbError> {
        let found: Vec<(String, String)> = tx
            .fetch_all(
                "SELECT name, sql FROM sqlite_master
                 WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'
                   AND tbl_name IN ('spend_payments', 'spend_r_org_supplier', 'spend_r_market')
                 ORDER BY name",
                vec![],
            )
            .await?;
        for (name, _) in &found {
            tx.execute(format!("DROP INDEX \"{name}\""), vec![]).await?;
        }
        Ok(SecondaryIndexes {
            definitions: found.into_iter().map(|(_, sql)| sql).collect(),
        })
    }

    async fn rebuild(self, tx: &mut Tx) -> Result<(), DbError> {
        if self.definitions.is_empty() {
            return Ok(());
        }
        // Let SQLite's sorter use a second core, and give it the default page cache: the
        // sorter sizes its in-memory runs by the cache, and one huge run sorts far slower
        // than many small ones merged (measured: an index on a million payments took 1.1 s
        // with the bulk load's 256 MB cache, 0.5 s with the default).
        tx.bulk_load(false).await?;
        tx.execute("PRAGMA threads = 2", vec![]).await?;
        for sql in self.definitions {
            tx.execute(sql, vec![]).await?;
        }
        tx.execute("PRAGMA threads = 0", vec![]).await?;
        tx.bulk_load(true).await?;
        Ok(())
    }
}

// ---- Parser thread -------------------------------------------------------------------

struct Layout {
    mapping: Mapping,
    encoding: String,
    delimiter: String,
    period: Option<Period>,
    period_from_file_name: bool,
}

#[derive(Clone)]
enum PayeeOut {
    Named {
        text: String,
        normalised: String,
        company_number: Option<CompanyNumber>,
        vat: Option<VatNumber>,
    },
    Redacted(String),
    Unnamed,
}

struct Row {
    line: u64,
    /// Index into the file's distinct body cells (0: the file names no body).
    body: u32,
    date: NaiveDate,
    pence: i64,
    payee: PayeeOut,
    transaction: Option<String>,
    expense: Option<String>,
    service: Option<String>,
    category: usize,
    fingerprint: i64,
}

struct Batch {
    rows: Vec<Row>,
    /// Body cells first seen in this batch: (index, name cell, code cell).
    new_bodies: Vec<(u32, Option<String>, Option<String>)>,
}

#[derive(Default)]
struct ParseStats {
    skipped: BTreeMap<Skip, u64>,
    repaired: u64,
    problems: Vec<Problem>,
    more_problems: u64,
    payments: u64,
}

enum Msg {
    Layout(Box<Layout>),
    Batch(Batch),
    Done(ParseStats),
    Failed(ImportError),
}

/// `u64` keys that are already hashes need no hashing again.
#[derive(Default)]
struct IdentityHasher(u64);
impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
type HashIdentity = BuildHasherDefault<IdentityHasher>;

/// A stable 64-bit mix (SplitMix64's finaliser): numbers repeats of a payment.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Fingerprints {
    seen: HashSet<u64, HashIdentity>,
    repeats: HashMap<u64, u32, HashIdentity>,
}

impl Fingerprints {
    fn new() -> Fingerprints {
        Fingerprints {
            seen: HashSet::default(),
            repeats: HashMap::default(),
        }
    }

    /// The fingerprint of a payment: SHA-256 of what identifies it, and which repeat of an
    /// identical payment within the file it is (two £600 payments to one supplier on one day
    /// are two payments).
    fn of(
        &mut self,
        body: u32,
        date: NaiveDate,
        pence: i64,
        payee: &str,
        transaction: Option<&str>,
    ) -> i64 {
        let mut h = sha2::Sha256::new();
        h.update(date.to_string().as_bytes());
        h.update(b"\x1f");
        h.update(pence.to_le_bytes());
        h.update(b"\x1f");
        h.update(payee.as_bytes());
        h.update(b"\x1f");
        h.update(transaction.unwrap_or("").trim().as_bytes());
        let d = h.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&d[..8]);
        let content = u64::from_le_bytes(first);
        // Repeats are numbered per body: the same payment under two bodies is two payments.
        let key = content ^ mix(u64::from(body));
        let k = if self.seen.insert(key) {
            0
        } else {
            let n = self.repeats.entry(key).or_insert(0);
            *n += 1;
            *n
        };
        if self.seen.len() >= REPEAT_WINDOW {
            self.seen.clear();
            self.repeats.clear();
        }
        let fp = if k == 0 {
            content
        } else {
            mix(content ^ mix(u64::from(k)))
        };
        fp as i64
    }
}

/// A date as SQLite stores it (`YYYY-MM-DD`, as sqlx writes a `NaiveDate`), formatted
/// without allocating, since every payment needs one.
#[derive(Default)]
struct DateText {
    buf: [u8; 10],
    owned: String,
}

impl DateText {
    fn of(&mut self, d: NaiveDate) -> &str {
        let (y, m, day) = (d.year(), d.month(), d.day());
        if !(1000..=9999).contains(&y) {
            self.owned = d.format("%Y-%m-%d").to_string();
            return &self.owned;
        }
        let y = y as u32;
        let digits = [
            y / 1000,
            y / 100 % 10,
            y / 10 % 10,
            y % 10,
            10,
            m / 10,
            m % 10,
            10,
            day / 10,
            day % 10,
        ];
        for (b, d) in self.buf.iter_mut().zip(digits) {
            *b = if d == 10 { b'-' } else { b'0' + d as u8 };
        }
        std::str::from_utf8(&self.buf).unwrap_or_default()
    }
}

fn send(tx: &mpsc::Sender<Msg>, m: Msg) -> bool {
    tx.blocking_send(m).is_ok()
}

fn parse_file(
    file: &str,
    sniffed: super::source::Sniffed,
    reader: &mut dyn std::io::BufRead,
    overrides: &Overrides,
    period: Option<Period>,
    out: &mpsc::Sender<Msg>,
) {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniffed.delimiter)
        .from_reader(reader);
    let mut record = csv::StringRecord::new();
    let mut record_no: u64 = 0;
    let mut next = |rdr: &mut csv::Reader<&mut dyn std::io::BufRead>,
                    record: &mut csv::StringRecord|
     -> Result<Option<u64>, ImportError> {
        match rdr.read_record(record) {
            Ok(true) => {
                record_no += 1;
                let line = if sniffed.cr_only {
                    record_no
                } else {
                    record.position().map_or(record_no, |p| p.line())
                };
                Ok(Some(line))
            }
            Ok(false) => Ok(None),
            Err(e) => Err(ImportError::Csv {
                file: file.to_owned(),
                line: e.position().map_or(record_no + 1, |p| p.line()),
                detail: e.to_string(),
            }),
        }
    };
    let fail = |e: ImportError| {
        let _ = out.blocking_send(Msg::Failed(e));
    };
    let mut head: Vec<(u64, Vec<String>)> = Vec::new();
    while head.len() < HEADER_SEARCH {
        match next(&mut rdr, &mut record) {
            Ok(Some(line)) => head.push((line, record.iter().map(str::to_owned).collect())),
            Ok(None) => break,
            Err(e) => return fail(e),
        }
    }
    let firsts: Vec<Vec<String>> = head.iter().map(|(_, r)| r.clone()).collect();
    let header_at = match layout::find_header(&firsts) {
        Ok(i) => i,
        Err(source) => {
            return fail(ImportError::Layout {
                file: file.to_owned(),
                source,
            });
        }
    };
    let header_line = head[header_at].0;
    let header = head[header_at].1.clone();
    let mut buffered: std::collections::VecDeque<(u64, Vec<String>)> =
        head.drain(header_at + 1..).collect();
    while buffered.len() < SAMPLE_ROWS {
        match next(&mut rdr, &mut record) {
            Ok(Some(line)) => {
                buffered.push_back((line, record.iter().map(str::to_owned).collect()))
            }
            Ok(None) => break,
            Err(e) => return fail(e),
        }
    }
    let sample: Vec<Vec<String>> = buffered.iter().map(|(_, r)| r.clone()).collect();
    let mut mapping = match layout::infer(header_line as usize, &header, &sample, overrides) {
        Ok(m) => m,
        Err(source) => {
            return fail(ImportError::Layout {
                file: file.to_owned(),
                source,
            });
        }
    };
    mapping.header_index = header_line as usize;
    let (period, from_name) = match (mapping.kind, period) {
        (ImportKind::Transactions, _) => (None, false),
        (ImportKind::SupplierTotals, Some(p)) => (Some(p), false),
        (ImportKind::SupplierTotals, None) => match Period::from_file_name(file) {
            Some(p) => (Some(p), true),
            None => {
                return fail(ImportError::PeriodNeeded {
                    file: file.to_owned(),
                });
            }
        },
    };
    let Some(rows) = RowReader::new(&mapping) else {
        return;
    };
    if !send(
        out,
        Msg::Layout(Box::new(Layout {
            mapping,
            encoding: sniffed.encoding_name(),
            delimiter: sniffed.delimiter_name().to_owned(),
            period,
            period_from_file_name: from_name,
        })),
    ) {
        return;
    }

    let mut stats = ParseStats::default();
    let mut classifier = Classifier::default();
    let mut fingerprints = Fingerprints::new();
    let mut bodies: HashMap<(Option<String>, Option<String>), u32> = HashMap::new();
    let mut batch = Batch {
        rows: Vec::with_capacity(BATCH_ROWS),
        new_bodies: Vec::new(),
    };
    let mut repair = Vec::new();
    let mut handle = |line: u64,
                      cells: &[&str],
                      batch: &mut Batch,
                      stats: &mut ParseStats,
                      repair: &mut Vec<String>| {
        match rows.read(cells, repair) {
            Outcome::Skipped(s) => *stats.skipped.entry(s).or_default() += 1,
            Outcome::Broken(reason) => {
                *stats.skipped.entry(Skip::Broken).or_default() += 1;
                if stats.problems.len() < MAX_PROBLEMS {
                    stats.problems.push(Problem { line, reason });
                } else {
                    stats.more_problems += 1;
                }
            }
            Outcome::Payment {
                payment: p,
                repaired,
            } => {
                stats.payments += 1;
                if repaired {
                    stats.repaired += 1;
                }
                let body = if p.body_name.is_none() && p.body_code.is_none() {
                    0
                } else {
                    let key = (
                        p.body_name.map(str::to_owned),
                        p.body_code.map(str::to_owned),
                    );
                    let n = bodies.len() as u32 + 1;
                    *bodies.entry(key.clone()).or_insert_with(|| {
                        batch.new_bodies.push((n, key.0, key.1));
                        n
                    })
                };
                let date = p.date.or(period.map(|x| x.start)).unwrap_or_default();
                // The fingerprint compares payees as the supplier register does, so a
                // re-issued file that writes "Ltd" for "Limited" still matches.
                let (payee, payee_key) = match p.payee {
                    Payee::Named(t) => {
                        let normalised = normalise_name(&t);
                        let key = normalised.clone();
                        (
                            PayeeOut::Named {
                                text: t,
                                normalised,
                                company_number: p.company_number,
                                vat: p.vat_number,
                            },
                            key,
                        )
                    }
                    Payee::Redacted(t) => {
                        let key = t.to_lowercase();
                        (PayeeOut::Redacted(t), key)
                    }
                    Payee::Unnamed => (PayeeOut::Unnamed, String::new()),
                };
                let fingerprint =
                    fingerprints.of(body, date, p.amount.0, &payee_key, p.transaction);
                batch.rows.push(Row {
                    line,
                    body,
                    date,
                    pence: p.amount.0,
                    payee,
                    transaction: p.transaction.map(str::to_owned),
                    expense: p.expense.map(str::to_owned),
                    service: p.service.map(str::to_owned),
                    category: classifier.classify(p.classification, p.expense),
                    fingerprint,
                });
            }
        }
    };
    let flush = |batch: &mut Batch| -> bool {
        let full = std::mem::replace(
            batch,
            Batch {
                rows: Vec::with_capacity(BATCH_ROWS),
                new_bodies: Vec::new(),
            },
        );
        send(out, Msg::Batch(full))
    };
    for (line, cells) in buffered {
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        handle(line, &refs, &mut batch, &mut stats, &mut repair);
        if batch.rows.len() >= BATCH_ROWS && !flush(&mut batch) {
            return;
        }
    }
    let mut refs: Vec<&str> = Vec::new();
    loop {
        let line = match next(&mut rdr, &mut record) {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => return fail(e),
        };
        refs.clear();
        // SAFETY-free reuse: the references live only for this iteration.
        let cells: Vec<&str> = record.iter().collect();
        handle(line, &cells, &mut batch, &mut stats, &mut repair);
        if batch.rows.len() >= BATCH_ROWS && !flush(&mut batch) {
            return;
        }
    }
    if (!batch.rows.is_empty() || !batch.new_bodies.is_empty()) && !flush(&mut batch) {
        return;
    }
    let _ = send(out, Msg::Done(stats));
}

// ---- Database side ---------------------------------------------------------------------

/// Interned texts (payee names, expense types, service areas) and their ids, one map per
/// kind so that lookups by `&str` allocate nothing.
struct Labels {
    ids: [FxHashMap<String, i64>; 3],
    pending: Vec<(u8, String)>,
}

const PAYEE: u8 = 0;
const EXPENSE: u8 = 1;
const SERVICE: u8 = 2;

fn label_kind(k: u8) -> &'static str {
    match k {
        PAYEE => "payee",
        EXPENSE => "expense",
        _ => "service",
    }
}

fn kind_of(kind: &str) -> u8 {
    match kind {
        "payee" => PAYEE,
        "expense" => EXPENSE,
        _ => SERVICE,
    }
}

impl Labels {
    async fn load(tx: &mut Tx) -> Result<Labels, DbError> {
        let rows: Vec<(i64, String, String)> = tx
            .fetch_all("SELECT id, kind, text FROM spend_labels", vec![])
            .await?;
        let mut ids: [FxHashMap<String, i64>; 3] = Default::default();
        for (id, kind, text) in rows {
            ids[usize::from(kind_of(&kind))].insert(text, id);
        }
        Ok(Labels {
            ids,
            pending: Vec::new(),
        })
    }

    fn want(&mut self, kind: u8, text: &str) {
        let map = &mut self.ids[usize::from(kind)];
        if !map.contains_key(text) {
            map.insert(text.to_owned(), 0);
            self.pending.push((kind, text.to_owned()));
        }
    }

    fn get(&self, kind: u8, text: &str) -> Option<i64> {
        self.ids[usize::from(kind)].get(text).copied()
    }

    async fn flush(&mut self, tx: &mut Tx) -> Result<(), DbError> {
        let pending = std::mem::take(&mut self.pending);
        for chunk in pending.chunks(1000) {
            let mut sql = String::from("INSERT INTO spend_labels (kind, text) VALUES ");
            sql.push_str(&crate::db::values_list(tx.backend(), chunk.len(), 2));
            let mut args: Vec<Arg> = Vec::with_capacity(chunk.len() * 2);
            for (k, t) in chunk {
                args.push(label_kind(*k).into());
                args.push(t.as_str().into());
            }
            sql.push_str(" ON CONFLICT (kind, text) DO UPDATE SET text = excluded.text RETURNING id, kind, text");
            let rows: Vec<(i64, String, String)> = tx.fetch_all(sql, args).await?;
            for (id, kind, text) in rows {
                self.ids[usize::from(kind_of(&kind))].insert(text, id);
            }
        }
        Ok(())
    }
}

struct Importer<'a> {
    file: String,
    opts: &'a ImportOptions,
    sha256: String,
    kind: ImportKind,
    /// Written with the first batch, once the owning body is known.
    import_id: Option<i64>,
    default_org: Option<Organisation>,
    orgs: HashMap<u32, i64>,
    org_names: BTreeMap<i64, (String, String)>,
    resolver: Resolver,
    labels: Labels,
    category_ids: CategoryIds,
    rollups: Rollups,
    suppliers_seen: FxHashSet<i64>,
    imported: u64,
    already: u64,
    total: i64,
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
    redacted: u64,
    unnamed: u64,
    uncategorised: u64,
}

impl Importer<'_> {
    async fn resolve_bodies(
        &mut self,
        tx: &mut Tx,
        new: Vec<(u32, Option<String>, Option<String>)>,
    ) -> Result<(), ImportError> {
        for (n, name, code) in new {
            let mut found = None;
            for v in [&name, &code].into_iter().flatten() {
                if let Ok(o) = bodies::resolve(tx, v, false).await {
                    found = Some(o);
                    break;
                }
            }
            let shown = name.clone().or(code.clone()).unwrap_or_default();
            let org = match (found, &self.default_org) {
                (Some(o), Some(d)) if o.id != d.id => {
                    return Err(ImportError::BodyMismatch {
                        file: self.file.clone(),
                        in_file: shown,
                        given: d.name.clone(),
                    });
                }
                (Some(o), _) => o,
                (None, Some(d)) => d.clone(),
                (None, None) => {
                    let err = bodies::resolve(tx, &shown, false).await.err().unwrap_or(
                        BodyError::NotGiven {
                            example: "Lambeth".into(),
                        },
                    );
                    return Err(ImportError::Body {
                        file: self.file.clone(),
                        source: err,
                    });
                }
            };
            self.check_allowed(&org)?;
            self.org_names
                .insert(org.id, (org.name.clone(), org.slug.clone()));
            self.orgs.insert(n, org.id);
        }
        Ok(())
    }

    async fn ensure_import_row(&mut self, tx: &mut Tx, body: u32) -> Result<(), ImportError> {
        if self.import_id.is_some() {
            return Ok(());
        }
        let owner = self.org_of(body).unwrap_or_default();
        let id = tx
            .scalar::<i64>(
                "INSERT INTO spend_imports (org_id, visibility, file_name, file_sha256, kind,
                     rows_imported, total_pence, distinct_suppliers, report_json, source,
                     imported_by, created_at)
                 VALUES ($1, 'public', $2, $3, $4, 0, 0, 0, '{}', $5, $6, $7) RETURNING id",
                args![
                    owner,
                    self.file.as_str(),
                    self.sha256.as_str(),
                    self.kind.as_str(),
                    self.opts.source.as_str(),
                    self.opts.user_id,
                    now()
                ],
            )
            .await?;
        self.import_id = id;
        Ok(())
    }

    fn check_allowed(&self, org: &Organisation) -> Result<(), ImportError> {
        match self.opts.only_org {
            Some(only) if only != org.id => Err(ImportError::NotYourBody {
                file: self.file.clone(),
                body: org.name.clone(),
            }),
            _ => Ok(()),
        }
    }

    fn org_of(&self, body: u32) -> Option<i64> {
        if body == 0 {
            // A row with an empty body cell in a file that names its body belongs to the
            // file's (first-named) body.
            self.default_org
                .as_ref()
                .map(|o| o.id)
                .or_else(|| self.orgs.get(&1).copied())
        } else {
            self.orgs.get(&body).copied()
        }
    }

    async fn write_batch(&mut self, tx: &mut Tx, batch: Batch) -> Result<(), ImportError> {
        self.resolve_bodies(tx, batch.new_bodies).await?;
        if batch.rows.is_empty() {
            return Ok(());
        }
        self.ensure_import_row(tx, batch.rows[0].body).await?;
        if self.org_of(0).is_none() && batch.rows.iter().any(|r| r.body == 0) {
            return Err(ImportError::Body {
                file: self.file.clone(),
                source: BodyError::NotGiven {
                    example: "Lambeth".into(),
                },
            });
        }
        // Suppliers and labels first, so every row can be written with real ids.
        let mut supplier: Vec<Option<i64>> = Vec::with_capacity(batch.rows.len());
        for r in &batch.rows {
            let s = match &r.payee {
                PayeeOut::Named {
                    text,
                    normalised,
                    company_number,
                    vat,
                } => {
                    self.labels.want(PAYEE, text);
                    self.resolver
                        .resolve(text, normalised, company_number.as_ref(), vat.as_ref())
                        .map(|(id, _)| id)
                }
                PayeeOut::Redacted(text) => {
                    self.labels.want(PAYEE, text);
                    None
                }
                PayeeOut::Unnamed => None,
            };
            supplier.push(s);
            if let Some(e) = &r.expense {
                self.labels.want(EXPENSE, e);
            }
            if let Some(s) = &r.service {
                self.labels.want(SERVICE, s);
            }
        }
        let real = self.resolver.flush(tx).await?;
        for s in supplier.iter_mut().flatten() {
            if *s < 0 {
                *s = real[(-*s - 1) as usize];
            }
        }
        self.labels.flush(tx).await?;

        let mut rows: Vec<(Row, Option<i64>)> = batch.rows.into_iter().zip(supplier).collect();
        // Report figures describe the file's payments, whether new or already stored.
        for (r, s) in &rows {
            self.total += r.pence;
            self.first = Some(self.first.map_or(r.date, |f| f.min(r.date)));
            self.last = Some(self.last.map_or(r.date, |l| l.max(r.date)));
            if let Some(s) = s {
                self.suppliers_seen.insert(*s);
            }
            match r.payee {
                PayeeOut::Redacted(_) => self.redacted += 1,
                PayeeOut::Unnamed => self.unnamed += 1,
                PayeeOut::Named { .. } => {}
            }
            if r.category == taxonomy().uncategorised {
                self.uncategorised += 1;
            }
        }
        if let Some(mut handle) = tx.lock_sqlite().await? {
            let conn = sqlite_raw::Connection::new(&mut handle);
            self.insert_sqlite(&conn, &mut rows)?;
        } else {
            for chunk in rows.chunks_mut(INSERT_ROWS) {
                self.insert_chunk(tx, chunk).await?;
            }
        }
        Ok(())
    }

    /// SQLite: one prepared insert per row, which says at once whether the row was new. A row
    /// stored by an earlier import is counted as already imported; a clash with a row of
    /// *this* import is a repeat the fingerprint window forgot, numbered on and inserted.
    fn insert_sqlite(
        &mut self,
        conn: &sqlite_raw::Connection,
        rows: &mut [(Row, Option<i64>)],
    ) -> Result<(), DbError> {
        let import_id = self.import_id.unwrap_or_default();
        let mut insert = conn.prepare(
            "INSERT INTO spend_payments (import_id, org_id, paid_on, amount_pence, supplier_id,
                 payee_label_id, redacted, category_id, expense_label_id, service_label_id,
                 transaction_ref, line_no, fingerprint)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (org_id, paid_on, fingerprint) DO NOTHING",
        )?;
        let mut owner = conn.prepare(
            "SELECT import_id FROM spend_payments
             WHERE org_id = ?1 AND paid_on = ?2 AND fingerprint = ?3",
        )?;
        insert.bind_i64(1, import_id)?;
        let mut date = DateText::default();
        for row in rows.iter_mut() {
            let (r, s) = &*row;
            let org = self.org_of(r.body).unwrap_or_default();
            let (payee_label, redacted) = match &r.payee {
                PayeeOut::Named { text, .. } => (self.labels.get(PAYEE, text), false),
                PayeeOut::Redacted(text) => (self.labels.get(PAYEE, text), true),
                PayeeOut::Unnamed => (None, false),
            };
            let paid_on = date.of(r.date);
            insert.bind_i64(2, org)?;
            insert.bind_text(3, paid_on)?;
            insert.bind_i64(4, r.pence)?;
            insert.bind_opt_i64(5, *s)?;
            insert.bind_opt_i64(6, payee_label)?;
            insert.bind_i64(7, i64::from(redacted))?;
            insert.bind_i64(8, self.category_ids.0[r.category])?;
            insert.bind_opt_i64(
                9,
                r.expense
                    .as_deref()
                    .and_then(|e| self.labels.get(EXPENSE, e)),
            )?;
            insert.bind_opt_i64(
                10,
                r.service
                    .as_deref()
                    .and_then(|e| self.labels.get(SERVICE, e)),
            )?;
            insert.bind_opt_text(11, r.transaction.as_deref())?;
            insert.bind_i64(12, r.line as i64)?;
            owner.bind_i64(1, org)?;
            owner.bind_text(2, paid_on)?;
            for _attempt in 0..64 {
                insert.bind_i64(13, row.0.fingerprint)?;
                if insert.execute()? > 0 {
                    self.count(row);
                    break;
                }
                owner.bind_i64(3, row.0.fingerprint)?;
                if owner.query_i64()? != Some(import_id) {
                    self.already += 1;
                    break;
                }
                row.0.fingerprint = mix(row.0.fingerprint as u64 ^ 0x5eed_5eed) as i64;
            }
        }
        Ok(())
    }

    fn key(&self, r: &Row) -> (i64, NaiveDate, i64) {
        (
            self.org_of(r.body).unwrap_or_default(),
            r.date,
            r.fingerprint,
        )
    }

    /// Inserts rows, skipping those already stored by an earlier import. A clash with a row
    /// of *this* import is a repeat the fingerprint window forgot: it is numbered on and
    /// inserted after all.
    async fn insert_chunk(
        &mut self,
        tx: &mut Tx,
        chunk: &mut [(Row, Option<i64>)],
    ) -> Result<(), ImportError> {
        let import_id = self.import_id.unwrap_or_default();
        let mut todo: Vec<usize> = (0..chunk.len()).collect();
        for _attempt in 0..64 {
            if todo.is_empty() {
                break;
            }
            let inserted = self.insert_rows(tx, chunk, &todo).await? as usize;
            if inserted == todo.len() {
                for &i in &todo {
                    self.count(&chunk[i]);
                }
                break;
            }
            // Some rows were already there. Which, and whose? (A few hundred keys per query:
            // SQLite limits how deep an expression may nest.)
            let mut found: Vec<(i64, NaiveDate, i64, i64, i64)> = Vec::new();
            for part in todo.chunks(200) {
                let mut sql = String::from(
                    "SELECT org_id, paid_on, fingerprint, import_id, id FROM spend_payments WHERE ",
                );
                let mut args: Vec<Arg> = Vec::with_capacity(part.len() * 3);
                for (n, &i) in part.iter().enumerate() {
                    let (org, date, fp) = self.key(&chunk[i].0);
                    if n > 0 {
                        sql.push_str(" OR ");
                    }
                    sql.push_str(&format!(
                        "(org_id = ${} AND paid_on = ${} AND fingerprint = ${})",
                        n * 3 + 1,
                        n * 3 + 2,
                        n * 3 + 3
                    ));
                    args.push(org.into());
                    args.push(date.into());
                    args.push(fp.into());
                }
                found.extend(
                    tx.fetch_all::<(i64, NaiveDate, i64, i64, i64)>(sql, args)
                        .await?,
                );
            }
            // This import's ids only grow, so the rows this statement inserted are this
            // import's newest `inserted` rows among those found.
            let mut mine: Vec<(i64, (i64, NaiveDate, i64))> = found
                .iter()
                .filter(|f| f.3 == import_id)
                .map(|f| (f.4, (f.0, f.1, f.2)))
                .collect();
            mine.sort_unstable_by_key(|m| std::cmp::Reverse(m.0));
            let fresh: HashSet<(i64, NaiveDate, i64)> =
                mine.iter().take(inserted).map(|m| m.1).collect();
            let others: HashSet<(i64, NaiveDate, i64)> = found
                .iter()
                .filter(|f| f.3 != import_id)
                .map(|f| (f.0, f.1, f.2))
                .collect();
            let mut counted = HashSet::new();
            let mut clashed = Vec::new();
            for &i in &todo {
                let key = self.key(&chunk[i].0);
                if fresh.contains(&key) && counted.insert(key) {
                    self.count(&chunk[i]);
                } else if others.contains(&key) {
                    self.already += 1;
                } else {
                    clashed.push(i);
                }
            }
            for &i in &clashed {
                let r = &mut chunk[i].0;
                r.fingerprint = mix(r.fingerprint as u64 ^ 0x5eed_5eed) as i64;
            }
            todo = clashed;
        }
        Ok(())
    }

    async fn insert_rows(
        &self,
        tx: &mut Tx,
        chunk: &[(Row, Option<i64>)],
        todo: &[usize],
    ) -> Result<u64, ImportError> {
        let import_id = self.import_id.unwrap_or_default();
        let mut sql = String::with_capacity(300 + todo.len() * 80);
        sql.push_str(
            "INSERT INTO spend_payments (import_id, org_id, paid_on, amount_pence, supplier_id,
             payee_label_id, redacted, category_id, expense_label_id, service_label_id,
             transaction_ref, line_no, fingerprint) VALUES ",
        );
        sql.push_str(&crate::db::values_list(tx.backend(), todo.len(), 13));
        let mut args: Vec<Arg> = Vec::with_capacity(todo.len() * 13);
        for &i in todo {
            let (r, s) = &chunk[i];
            let (payee_label, redacted) = match &r.payee {
                PayeeOut::Named { text, .. } => (self.labels.get(PAYEE, text), false),
                PayeeOut::Redacted(text) => (self.labels.get(PAYEE, text), true),
                PayeeOut::Unnamed => (None, false),
            };
            args.push(import_id.into());
            args.push(self.org_of(r.body).unwrap_or_default().into());
            args.push(r.date.into());
            args.push(r.pence.into());
            args.push((*s).into());
            args.push(payee_label.into());
            args.push(redacted.into());
            args.push(self.category_ids.0[r.category].into());
            args.push(
                r.expense
                    .as_deref()
                    .and_then(|e| self.labels.get(EXPENSE, e))
                    .into(),
            );
            args.push(
                r.service
                    .as_deref()
                    .and_then(|e| self.labels.get(SERVICE, e))
                    .into(),
            );
            args.push(r.transaction.as_deref().into());
            args.push((r.line as i64).into());
            args.push(r.fingerprint.into());
        }
        sql.push_str(" ON CONFLICT (org_id, paid_on, fingerprint) DO NOTHING");
        Ok(tx.execute(sql, args).await?)
    }

    fn count(&mut self, (r, s): &(Row, Option<i64>)) {
        self.imported += 1;
        let org_id = self.org_of(r.body).unwrap_or_default();
        let expense_label_id = r
            .expense
            .as_deref()
            .and_then(|e| self.labels.get(EXPENSE, e));
        self.rollups.add(&Counted {
            org_id,
            date: r.date,
            pence: r.pence,
            supplier_id: *s,
            redacted: matches!(r.payee, PayeeOut::Redacted(_)),
            category_id: self.category_ids.0[r.category],
            expense_label_id,
        });
    }
}

/// Imports one file (a CSV, or one member of a ZIP).
pub async fn import(
    db: &Db,
    input: &Input,
    opts: &ImportOptions,
    progress: Progress,
) -> Result<Report, ImportError> {
    let started = Instant::now();
    let file = input.name.clone();
    // A large first load sets indexes aside and skips row-by-row foreign key checks: every id
    // it writes comes from this transaction's own lookups.
    let bulk = SecondaryIndexes::wanted(db, input.size, opts.rebuild_indexes).await?;
    let mut tx = if bulk {
        db.begin_bulk().await?
    } else {
        db.begin().await?
    };
    tx.bulk_load(true).await?;
    let default_org = match &opts.body {
        Some(b) => Some(
            bodies::resolve(&mut tx, b, opts.create_body)
                .await
                .map_err(|source| ImportError::Body {
                    file: file.clone(),
                    source,
                })?,
        ),
        None => None,
    };

    let (sender, mut receiver) = mpsc::channel::<Msg>(4);
    let parser = {
        let input_name = file.clone();
        let overrides = opts.overrides.clone();
        let period = opts.period;
        let input = input.clone();
        tokio::task::spawn_blocking(move || {
            let result = input.read(progress, |sniffed, reader| {
                parse_file(&input_name, sniffed, reader, &overrides, period, &sender)
            });
            if let Err(e) = result {
                let _ = sender.blocking_send(Msg::Failed(e.into()));
            }
        })
    };

    let layout = match receiver.recv().await {
        Some(Msg::Layout(l)) => l,
        Some(Msg::Failed(e)) => return Err(e),
        _ => {
            return Err(ImportError::NoPayments {
                file,
                header_line: 0,
            });
        }
    };
    let has_body_column = layout.mapping.index(Field::BodyName).is_some()
        || layout.mapping.index(Field::Body).is_some();
    if !has_body_column && default_org.is_none() {
        return Err(ImportError::Body {
            file: file.clone(),
            source: BodyError::NotGiven {
                example: suggest_body_from_name(&file),
            },
        });
    }
    if let Some(o) = &default_org
        && !has_body_column
        && let Some(only) = opts.only_org
        && only != o.id
    {
        return Err(ImportError::NotYourBody {
            file: file.clone(),
            body: o.name.clone(),
        });
    }
    let kind = layout.mapping.kind;
    let mut imp = Importer {
        file: file.clone(),
        opts,
        sha256: input.sha256.clone(),
        kind,
        import_id: None,
        org_names: default_org
            .iter()
            .map(|o| (o.id, (o.name.clone(), o.slug.clone())))
            .collect(),
        default_org: default_org.clone(),
        orgs: HashMap::new(),
        resolver: Resolver::load(&mut tx).await?,
        labels: Labels::load(&mut tx).await?,
        category_ids: super::categories::ids_in(&mut tx).await?,
        rollups: Rollups::default(),
        suppliers_seen: FxHashSet::default(),
        imported: 0,
        already: 0,
        total: 0,
        first: None,
        last: None,
        redacted: 0,
        unnamed: 0,
        uncategorised: 0,
    };
    let indexes = if bulk {
        SecondaryIndexes::set_aside(&mut tx).await?
    } else {
        SecondaryIndexes::default()
    };
    let stats = loop {
        match receiver.recv().await {
            Some(Msg::Batch(b)) => {
                imp.write_batch(&mut tx, b).await?;
                if imp.rollups.keys() > opts.flush_at_keys {
                    imp.rollups.flush_and_clear(&mut tx).await?;
                }
            }
            Some(Msg::Done(s)) => break s,
            Some(Msg::Failed(e)) => return Err(e),
            Some(Msg::Layout(_)) | None => {
                return Err(ImportError::NoPayments {
                    file,
                    header_line: layout.mapping.header_index as u64,
                });
            }
        }
    };
    let _ = parser.await;
    tracing::debug!(
        secs = started.elapsed().as_secs_f64(),
        "spend import: rows written"
    );

    let header_line = layout.mapping.header_index as u64;
    let broken = stats.skipped.get(&Skip::Broken).copied().unwrap_or(0);
    if stats.payments == 0 && broken == 0 {
        return Err(ImportError::NoPayments { file, header_line });
    }
    if broken > 10 && broken * 5 > stats.payments + broken {
        return Err(ImportError::TooManyBroken {
            file,
            broken,
            rows: stats.payments + broken,
            mapping: layout
                .mapping
                .shown()
                .iter()
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect::<Vec<_>>()
                .join(", "),
            first: stats
                .problems
                .iter()
                .take(3)
                .map(|p| format!("line {}: {}", p.line, p.reason))
                .collect::<Vec<_>>()
                .join("; "),
        });
    }

    imp.rollups.flush(&mut tx).await?;
    tracing::debug!(
        secs = started.elapsed().as_secs_f64(),
        "spend import: rollups flushed"
    );
    if !opts.dry_run {
        // The rankings below read the rebuilt indexes. A dry run is rolled back anyway.
        indexes.rebuild(&mut tx).await?;
        tracing::debug!(
            secs = started.elapsed().as_secs_f64(),
            "spend import: indexes rebuilt"
        );
    }
    refresh_category_stats(&mut tx, &imp.rollups.categories_touched()).await?;
    tracing::debug!(
        secs = started.elapsed().as_secs_f64(),
        "spend import: concentration refreshed"
    );
    super::rollups::refresh_top_suppliers(&mut tx).await?;
    tracing::debug!(
        secs = started.elapsed().as_secs_f64(),
        "spend import: rankings refreshed"
    );

    let mut skipped: BTreeMap<&'static str, u64> =
        Skip::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    for (s, n) in &stats.skipped {
        skipped.insert(s.as_str(), *n);
    }
    skipped.insert(Skip::AlreadyImported.as_str(), imp.already);
    let names: Vec<&(String, String)> = imp.org_names.values().collect();
    let mut report = Report {
        file: file.clone(),
        body: names
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        body_slugs: names.iter().map(|(_, s)| s.clone()).collect(),
        kind,
        rows_imported: imp.imported,
        rows_skipped: skipped,
        rows_repaired: stats.repaired,
        total_pence: imp.total,
        first_date: layout.period.map(|p| p.start).or(imp.first),
        last_date: layout.period.map(|p| p.end).or(imp.last),
        distinct_suppliers: imp.suppliers_seen.len() as u64,
        redacted_rows: imp.redacted,
        unnamed_rows: imp.unnamed,
        new_suppliers: imp.resolver.created() as u64,
        uncategorised_rows: imp.uncategorised,
        mapping: layout.mapping.shown(),
        mapped_by: layout
            .mapping
            .columns
            .iter()
            .map(|(f, c)| (f.as_str().to_owned(), c.by))
            .collect(),
        date_format: layout.mapping.date_format.map(|f| f.describe().to_owned()),
        date_format_assumed: layout.mapping.date_format_assumed,
        period: layout.period,
        period_from_file_name: layout.period_from_file_name,
        encoding: layout.encoding.clone(),
        delimiter: layout.delimiter.clone(),
        header_line,
        problems: stats.problems,
        more_problems: stats.more_problems,
        dry_run: opts.dry_run,
        import_id: if opts.dry_run { None } else { imp.import_id },
        seconds: 0.0,
    };
    report.seconds = started.elapsed().as_secs_f64();
    if let Some(import_id) = imp.import_id {
        tx.execute(
            "UPDATE spend_imports SET rows_imported = $1, total_pence = $2, first_date = $3,
                 last_date = $4, distinct_suppliers = $5, report_json = $6 WHERE id = $7",
            args![
                report.rows_imported as i64,
                report.total_pence,
                report.first_date,
                report.last_date,
                report.distinct_suppliers as i64,
                serde_json::to_string(&report).unwrap_or_else(|_| "{}".into()),
                import_id
            ],
        )
        .await?;
    }
    tx.bulk_load(false).await?;
    if opts.dry_run {
        // Dropping the transaction rolls back everything, new bodies and suppliers included.
        drop(tx);
    } else {
        tx.commit().await?;
    }
    Ok(report)
}

/// "lambeth_2010-12_supplier_totals.csv" → "Lambeth" when the register knows the first word.
fn suggest_body_from_name(file: &str) -> String {
    let stem = file.rsplit(['/', '!']).next().unwrap_or(file);
    let words: Vec<&str> = stem
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.len() > 2)
        .collect();
    for n in (1..=words.len().min(3)).rev() {
        let candidate = words[..n].join(" ");
        if let Some(b) = bodies::register().find(&candidate) {
            return b.nice_name.clone();
        }
    }
    "Lambeth".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Payments written directly must carry their dates exactly as sqlx writes a `NaiveDate`,
    /// or the deduplication key and every date query would miss them.
    #[test]
    fn dates_are_written_as_sqlx_writes_them() {
        let mut text = DateText::default();
        for (y, m, d) in [
            (2024, 3, 9),
            (1999, 12, 31),
            (2000, 1, 1),
            (999, 5, 6),
            (10000, 1, 2),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(text.of(date), date.format("%F").to_string());
        }
    }
}

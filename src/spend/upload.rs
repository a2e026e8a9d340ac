//! Officers of a borough upload their own spend files through the web: upload, a preview that
//! is a dry run of the same engine the command line uses (the column mapping it chose and why,
//! the date layout, what would be imported and what skipped), optional corrections to the
//! mapping with the same meaning as `--map`, then the import itself.
//!
//! The file is kept server-side between preview and import (`spend_uploads`), owned by the
//! person who uploaded it and the body it is for, so the browser sends it once and the
//! import reads exactly the bytes that were previewed.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use super::dates::DateFormat;
use super::import::{ImportError, ImportOptions, ImportSource, Report, import};
use super::layout::{self, Field, LayoutError, MappedBy, Overrides};
use super::period::Period;
use super::rows::Skip;
use super::source::{Input, Progress, inputs_from_bytes};
use crate::accounts::{OrgKind, Organisation, Role, User};
use crate::args;
use crate::db::{Db, DbResult, now};
use crate::web::auth::Auth;
use crate::web::error::human_bytes;
use crate::web::form::{CsrfForm, Errors, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

/// The largest spend file the form accepts. A borough's monthly "spend over £500" file is a
/// few megabytes; a year of payments, or a ZIP of several months, stays well under this.
pub const UPLOAD_LIMIT: usize = 50 * 1024 * 1024;
/// Requests up to this size are read to the end, so the browser gets the "too large" page
/// rather than a dropped connection; beyond it the connection is cut.
const UPLOAD_HARD_LIMIT: usize = UPLOAD_LIMIT + 10 * 1024 * 1024;
/// How long an uploaded file waits for its "Import" before it is thrown away.
const KEEP_SECONDS: i64 = 24 * 60 * 60;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/spend/upload",
            get(upload_form)
                .post(upload)
                .layer(DefaultBodyLimit::max(UPLOAD_HARD_LIMIT)),
        )
        .route("/spend/upload/{token}", get(preview).post(commit))
}

// ---- Who may upload ------------------------------------------------------------------

/// Borough officers, commercial leads and org admins upload their own body's spend; platform
/// admins upload for any body. Suppliers never do: spend is what public bodies paid them.
pub fn may_upload(user: &User) -> bool {
    match user.role {
        Role::PlatformAdmin => true,
        Role::Officer | Role::CommercialLead | Role::OrgAdmin => user.org_kind == OrgKind::Borough,
        Role::SupplierUser => false,
    }
}

fn require_uploader<'a>(auth: &'a Auth, here: &str) -> Result<&'a User, PageError> {
    let user = auth.require_user(here)?;
    if may_upload(user) {
        Ok(user)
    } else {
        Err(PageError::Forbidden(
            "Only officers of a London borough can upload spend, and only their own borough's. If your borough's spend is missing, ask one of its officers to upload it.",
        ))
    }
}

// ---- Pending uploads (the data layer) ------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Pending {
    pub token: String,
    pub org_id: i64,
    pub file_name: String,
    pub content: Vec<u8>,
}

/// Keeps an uploaded file for its preview; returns the token that names it.
pub async fn keep(
    db: &Db,
    user_id: i64,
    org_id: i64,
    file_name: &str,
    content: Vec<u8>,
) -> DbResult<String> {
    let at = now();
    // Expired uploads go whenever a new one arrives: no background job needed for them.
    db.execute("DELETE FROM spend_uploads WHERE expires_at < $1", args![at])
        .await?;
    let token = crate::accounts::session::random_token();
    db.execute(
        "INSERT INTO spend_uploads (token, user_id, org_id, file_name, content, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![
            token.as_str(),
            user_id,
            org_id,
            file_name,
            content,
            at,
            at + KEEP_SECONDS
        ],
    )
    .await?;
    Ok(token)
}

/// The upload, if it is this person's and has not expired. Anyone else's is "not found":
/// a token of another borough's upload says nothing about it.
pub async fn pending(db: &Db, token: &str, user_id: i64) -> DbResult<Option<Pending>> {
    db.fetch_optional(
        "SELECT token, org_id, file_name, content FROM spend_uploads
         WHERE token = $1 AND user_id = $2 AND expires_at >= $3",
        args![token, user_id, now()],
    )
    .await
}

pub async fn discard(db: &Db, token: &str) -> DbResult<()> {
    db.execute("DELETE FROM spend_uploads WHERE token = $1", args![token])
        .await?;
    Ok(())
}

/// The bodies a platform admin may upload for: those spend can belong to.
async fn public_bodies(db: &Db) -> DbResult<Vec<(String, String)>> {
    db.fetch_all(
        "SELECT slug, name FROM organisations WHERE kind IN ('borough', 'other_public_body')
         ORDER BY name",
        vec![],
    )
    .await
}

// ---- The person's corrections (`--map` on the form) -----------------------------------

/// What the preview form says, as the query string of the preview or the fields of the
/// import form: `map_<field>` ("" for "decide", "-" for "none", else a header),
/// `date_format` and `period`.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    pub map: BTreeMap<Field, String>,
    pub date_format: String,
    pub period: String,
}

impl Choices {
    pub fn from_pairs(pairs: &[(String, String)]) -> Choices {
        let mut c = Choices::default();
        for (k, v) in pairs {
            let v = v.trim();
            if let Some(f) = k.strip_prefix("map_") {
                if let Ok(field) = f.parse::<Field>()
                    && !v.is_empty()
                {
                    c.map.insert(field, v.to_owned());
                }
            } else if k == "date_format" {
                c.date_format = v.to_owned();
            } else if k == "period" {
                c.period = v.to_owned();
            }
        }
        c
    }

    /// The importer's overrides and period, or the message for a period it cannot read.
    fn overrides(&self, errors: &mut Errors) -> (Overrides, Option<Period>) {
        let mut o = Overrides::default();
        for (f, v) in &self.map {
            o.map.push((*f, (v != "-").then(|| v.clone())));
        }
        o.date_format = DateFormat::from_name(&self.date_format);
        let period = if self.period.is_empty() {
            None
        } else {
            match Period::parse(&self.period) {
                Ok(p) => Some(p),
                Err(_) => {
                    errors.add(
                        "period",
                        "Enter the period as a month (2010-12), a range of months (2009-01..2009-03) or a quarter (2009-Q1)",
                    );
                    None
                }
            }
        };
        (o, period)
    }

    pub fn get(&self, f: Field) -> &str {
        self.map.get(&f).map(String::as_str).unwrap_or("")
    }

    /// The fields that carry these choices on to the import form.
    pub fn hidden(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .map
            .iter()
            .map(|(f, h)| (format!("map_{}", f.as_str()), h.clone()))
            .collect();
        if !self.date_format.is_empty() {
            v.push(("date_format".into(), self.date_format.clone()));
        }
        if !self.period.is_empty() {
            v.push(("period".into(), self.period.clone()));
        }
        v
    }
}

/// The names `DateFormat::from_name` reads, for the form's choices.
fn date_format_code(f: DateFormat) -> &'static str {
    match f {
        DateFormat::Iso => "iso",
        DateFormat::DayMonthYear => "dmy",
        DateFormat::MonthDayYear => "mdy",
        DateFormat::DayMonthNameYear => "dmony",
        DateFormat::YearSlash => "yyyy/mm/dd",
        DateFormat::ExcelSerial => "excel",
    }
}

/// The column headers of a file as the importer names them, for the mapping choices. Read
/// separately from the dry run so they are offered even when the dry run could not decide.
fn headers_of(input: &Input) -> Vec<String> {
    input
        .read(Progress::default(), |sniffed, reader| {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(sniffed.delimiter)
                .from_reader(reader);
            let rows: Vec<Vec<String>> = rdr
                .records()
                .take(40)
                .map_while(Result::ok)
                .map(|r| r.iter().map(str::to_owned).collect())
                .collect();
            layout::find_header(&rows)
                .ok()
                .map(|i| rows[i].iter().map(|h| layout::clean_header(h)).collect())
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

// ---- Messages for the person at the form ------------------------------------------------

/// The importer's errors, reworded for the upload form: they point at the choices on the page
/// instead of command-line flags. `None` for a fault of ours (the database).
pub fn plain_message(e: &ImportError) -> Option<String> {
    let label = |f: &Field| f.label();
    Some(match e {
        ImportError::Source(s) => s.to_string(),
        ImportError::Layout { source, .. } => match source {
            LayoutError::NoHeader { start, .. } => format!(
                "We could not find the header row: no line near the top names a date, a supplier and an amount. The file starts: {start}. Check that it is a spend file of payments, saved as CSV."
            ),
            LayoutError::UnknownColumn { field, header, .. } => format!(
                "The file has no column “{header}” for {}. Choose one of its columns below.",
                label(field)
            ),
            LayoutError::Missing { field, what, columns } => format!(
                "We could not tell which column is the {what}. The file's columns are: {columns}. Choose it below under “{}”.",
                label(field)
            ),
            LayoutError::Undated { header, example, .. } => format!(
                "The column “{header}” does not hold dates we can read (for example “{example}”). Choose the date column or the date layout below."
            ),
        },
        ImportError::BodyMismatch { in_file, given, .. } => format!(
            "This file says its spend belongs to {in_file}, but it is being uploaded for {given}. You can only upload {given}'s own spend. If that column does not name the paying body, choose “None” for “Body name” and “Body code or URI” below and check again."
        ),
        ImportError::NotYourBody { body, .. } => format!(
            "This file holds spend of {body}. You can only upload your own organisation's spend."
        ),
        ImportError::Body { source, .. } => match source {
            super::bodies::BodyError::Db(_) => return None,
            other => format!("We could not tell which body this spend belongs to: {other}"),
        },
        ImportError::PeriodNeeded { .. } => "This file lists one total per supplier without dates, and its name does not say which period it covers. Enter the period below and check again.".into(),
        ImportError::Csv { line, detail, .. } => format!(
            "Line {line} could not be read as CSV ({detail}). Save the file again as CSV (“CSV UTF-8” in Excel) and upload it again."
        ),
        ImportError::NoPayments { header_line, .. } => format!(
            "No payments were found after the header on line {header_line}."
        ),
        ImportError::TooManyBroken { broken, rows, first, .. } => format!(
            "{broken} of {rows} rows could not be read, which usually means a column was chosen wrongly. First problems: {first}. Check the columns below."
        ),
        ImportError::Db(_) => return None,
    })
}

// ---- Pages --------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "spend/templates/upload.html")]
struct UploadPage {
    layout: Layout,
    errors: Errors,
    org_name: String,
    /// For platform admins: every body, to choose from.
    bodies: Vec<(String, String)>,
    body: String,
    limit: String,
}

async fn show_form(
    state: &AppState,
    auth: &Auth,
    user: &User,
    errors: Errors,
    body: String,
    status: StatusCode,
) -> Result<Response, PageError> {
    let title = if errors.is_empty() {
        "Upload spend"
    } else {
        "Error: Upload spend"
    };
    let page = UploadPage {
        layout: Layout::new(auth, title)
            .nav("spend")
            .crumb("Home", "/")
            .crumb("Spend", "/spend"),
        errors,
        org_name: user.org_name.clone(),
        bodies: if user.role == Role::PlatformAdmin {
            public_bodies(&state.db).await?
        } else {
            vec![]
        },
        body,
        limit: human_bytes(UPLOAD_LIMIT),
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn upload_form(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let user = require_uploader(&auth, "/spend/upload")?;
    show_form(
        &state,
        &auth,
        user,
        Errors::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Default)]
struct Upload {
    csrf: Option<String>,
    file_name: String,
    bytes: Vec<u8>,
    too_large: bool,
    body: String,
}

/// Reads the multipart form. Past the limit the rest of the file is read and dropped, so the
/// browser gets the "too large" page rather than a reset connection.
async fn read_upload(mut multipart: Multipart) -> Result<Upload, PageError> {
    let mut up = Upload::default();
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            PageError::TooLarge {
                limit_bytes: UPLOAD_LIMIT,
            }
        } else {
            PageError::BadRequest("The upload could not be read. Try again.".into())
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or("") {
            "csrf_token" => up.csrf = Some(field.text().await.map_err(unreadable)?),
            "body" => up.body = field.text().await.map_err(unreadable)?.trim().to_owned(),
            "file" => {
                up.file_name = field
                    .file_name()
                    .map(|n| {
                        // Browsers on Windows may send a full path.
                        n.rsplit(['/', '\\'])
                            .next()
                            .unwrap_or(n)
                            .chars()
                            .take(200)
                            .collect()
                    })
                    .unwrap_or_default();
                while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                    if up.too_large || up.bytes.len() + chunk.len() > UPLOAD_LIMIT {
                        up.too_large = true;
                        up.bytes = Vec::new();
                        continue;
                    }
                    up.bytes.extend_from_slice(&chunk);
                }
            }
            _ => while field.chunk().await.map_err(unreadable)?.is_some() {},
        }
    }
    Ok(up)
}

async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let upload = read_upload(multipart).await;
    // The token is checked before anything else is looked at. A request cut off for its size
    // may not have reached the token; it is refused with the size message and saves nothing.
    let token = upload.as_ref().ok().and_then(|u| u.csrf.as_deref());
    auth.check_csrf(token).or_else(|e| match &upload {
        Err(PageError::TooLarge { .. }) => Ok(()),
        Ok(u) if u.too_large && u.csrf.is_none() => Ok(()),
        _ => Err(e),
    })?;
    let user = require_uploader(&auth, "/spend/upload")?;
    let mut errors = Errors::default();
    let upload = match upload {
        Ok(u) if !u.too_large => u,
        Ok(_) | Err(PageError::TooLarge { .. }) => {
            errors.add(
                "file",
                format!(
                    "The file is larger than {}. Upload one month or quarter at a time, or put the files in a ZIP. Nothing was saved.",
                    human_bytes(UPLOAD_LIMIT)
                ),
            );
            return show_form(
                &state,
                &auth,
                user,
                errors,
                String::new(),
                StatusCode::PAYLOAD_TOO_LARGE,
            )
            .await;
        }
        Err(e) => return Err(e),
    };
    // Whose spend it is: the uploader's own body, or the one a platform admin chose.
    let org: Option<Organisation> = if user.role == Role::PlatformAdmin {
        match crate::accounts::store::find_organisation(&state.db, &upload.body).await? {
            Some(o) if o.slug == upload.body && o.kind != OrgKind::Supplier => Some(o),
            _ => {
                errors.add("body", "Choose the body whose spend this is");
                None
            }
        }
    } else {
        crate::accounts::store::organisation(&state.db, user.org_id).await?
    };
    if upload.bytes.is_empty() {
        errors.add(
            "file",
            if upload.file_name.is_empty() {
                "Select a spend file to upload"
            } else {
                "The selected file is empty"
            },
        );
    }
    let Some(org) = org.filter(|_| errors.is_empty()) else {
        return show_form(
            &state,
            &auth,
            user,
            errors,
            upload.body,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let name = if upload.file_name.is_empty() {
        "upload.csv".to_owned()
    } else {
        upload.file_name
    };
    let token = keep(&state.db, user.id, org.id, &name, upload.bytes).await?;
    Ok(Redirect::to(&format!("/spend/upload/{token}")).into_response())
}

/// One file of an upload (a ZIP may hold several) and what the engine made of it.
pub struct FileView {
    pub name: String,
    pub report: Option<Report>,
    pub error: String,
    pub mapping: Vec<MapRow>,
    pub skipped: Vec<(&'static str, u64)>,
}

impl FileView {
    pub fn total(&self) -> String {
        self.report
            .as_ref()
            .map(|r| crate::money::Pence(r.total_pence).display_exact())
            .unwrap_or_default()
    }

    pub fn dates(&self) -> String {
        let long = crate::web::filters::long_date;
        match self.report.as_ref().map(|r| (r.first_date, r.last_date)) {
            Some((Some(a), Some(b))) => format!("{} to {}", long(a), long(b)),
            _ => "No dates".into(),
        }
    }
}

pub struct MapRow {
    pub label: &'static str,
    pub header: String,
    pub how: &'static str,
}

/// One field's choice on the form.
pub struct Choice {
    pub field: &'static str,
    pub label: &'static str,
    /// (value, label, selected)
    pub options: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "spend/templates/upload_preview.html")]
struct PreviewPage {
    layout: Layout,
    errors: Errors,
    token: String,
    file_name: String,
    body_name: String,
    body_slug: String,
    committed: bool,
    files: Vec<FileView>,
    choices: Vec<Choice>,
    date_formats: Vec<(String, String, bool)>,
    period: String,
    hidden: Vec<(String, String)>,
    can_import: bool,
}

impl PreviewPage {
    pub fn total_rows(&self) -> u64 {
        self.files
            .iter()
            .filter_map(|f| f.report.as_ref())
            .map(|r| r.rows_imported)
            .sum()
    }
}

fn how(by: Option<&MappedBy>) -> &'static str {
    match by {
        Some(MappedBy::Header) => "By its header",
        Some(MappedBy::Content) => "By what the column holds",
        Some(MappedBy::User) => "Chosen by you",
        None => "",
    }
}

fn file_view(name: String, result: Result<Report, String>) -> FileView {
    match result {
        Ok(r) => {
            let mapping = Field::ALL
                .iter()
                .filter_map(|f| {
                    r.mapping.get(f.as_str()).map(|h| MapRow {
                        label: f.label(),
                        header: if h.is_empty() {
                            "(a column without a header)".into()
                        } else {
                            h.clone()
                        },
                        how: how(r.mapped_by.get(f.as_str())),
                    })
                })
                .collect();
            let skipped = Skip::ALL
                .iter()
                .map(|s| {
                    (
                        s.label(),
                        r.rows_skipped.get(s.as_str()).copied().unwrap_or(0),
                    )
                })
                .filter(|(_, n)| *n > 0)
                .collect();
            FileView {
                name,
                report: Some(r),
                error: String::new(),
                mapping,
                skipped,
            }
        }
        Err(e) => FileView {
            name,
            report: None,
            error: e,
            mapping: vec![],
            skipped: vec![],
        },
    }
}

/// Runs the engine over every CSV of an upload, as a dry run or for real.
async fn run(
    state: &AppState,
    user: &User,
    up: &Pending,
    choices: &Choices,
    errors: &mut Errors,
    dry_run: bool,
) -> Result<(Organisation, Vec<FileView>, Vec<Vec<String>>), PageError> {
    let org = crate::accounts::store::organisation(&state.db, up.org_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let (overrides, period) = choices.overrides(errors);
    let opts = ImportOptions {
        // The body is forced to the one the upload is for: a body column naming another is
        // refused by the engine (BodyMismatch), and rows it cannot place go to this body.
        body: Some(org.slug.clone()),
        create_body: false,
        dry_run,
        overrides,
        period,
        source: ImportSource::Web,
        user_id: Some(user.id),
        only_org: Some(org.id),
        ..ImportOptions::default()
    };
    let inputs = match inputs_from_bytes(&up.file_name, up.content.clone()) {
        Ok(i) => i,
        Err(e) => {
            return Ok((
                org,
                vec![file_view(up.file_name.clone(), Err(e.to_string()))],
                vec![],
            ));
        }
    };
    let mut files = Vec::new();
    let mut headers = Vec::new();
    for input in &inputs {
        let h = {
            let input = input.clone();
            tokio::task::spawn_blocking(move || headers_of(&input))
                .await
                .unwrap_or_default()
        };
        headers.push(h);
        let result = match import(&state.db, input, &opts, Progress::default()).await {
            Ok(r) => Ok(r),
            Err(e) => match plain_message(&e) {
                Some(m) => Err(m),
                None => return Err(PageError::Internal(e.to_string())),
            },
        };
        files.push(file_view(input.name.clone(), result));
    }
    Ok((org, files, headers))
}

#[allow(clippy::too_many_arguments)]
fn render_preview(
    auth: &Auth,
    up: &Pending,
    org: &Organisation,
    files: Vec<FileView>,
    headers: Vec<Vec<String>>,
    choices: &Choices,
    errors: Errors,
    committed: bool,
) -> Result<Response, PageError> {
    // Every header of every file, for the choices (a ZIP's files share the same choices,
    // as they do on the command line).
    let mut all: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for hs in &headers {
        for (i, h) in hs.iter().enumerate() {
            let value = if h.is_empty() {
                format!("#{}", i + 1)
            } else {
                h.clone()
            };
            if seen.insert(value.clone()) {
                all.push(value);
            }
        }
    }
    let choice_list = Field::ALL
        .iter()
        .map(|f| {
            let current = choices.get(*f);
            let mut options = vec![
                (
                    String::new(),
                    "Let procurekit decide".to_owned(),
                    current.is_empty(),
                ),
                (
                    "-".to_owned(),
                    "None: the file has no such column".to_owned(),
                    current == "-",
                ),
            ];
            for h in &all {
                let label = match h.strip_prefix('#') {
                    Some(n) if n.parse::<usize>().is_ok() => format!("Column {n} (no header)"),
                    _ => h.clone(),
                };
                options.push((h.clone(), label, current == h));
            }
            Choice {
                field: f.as_str(),
                label: f.label(),
                options,
            }
        })
        .collect();
    let mut date_formats = vec![(
        String::new(),
        "Let procurekit decide".to_owned(),
        choices.date_format.is_empty(),
    )];
    for f in DateFormat::ALL {
        let code = date_format_code(f);
        date_formats.push((
            code.to_owned(),
            f.describe().to_owned(),
            DateFormat::from_name(&choices.date_format) == Some(f),
        ));
    }
    let can_import = errors.is_empty() && files.iter().all(|f| f.error.is_empty());
    let title = if committed {
        "Spend imported"
    } else if can_import {
        "Check your spend file"
    } else {
        "Error: Check your spend file"
    };
    let status = if can_import || committed {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = PreviewPage {
        layout: Layout::new(auth, title)
            .nav("spend")
            .crumb("Home", "/")
            .crumb("Spend", "/spend")
            .crumb("Upload spend", "/spend/upload"),
        errors,
        token: up.token.clone(),
        file_name: up.file_name.clone(),
        body_name: org.name.clone(),
        body_slug: org.slug.clone(),
        committed,
        files,
        choices: choice_list,
        date_formats,
        period: choices.period.clone(),
        hidden: choices.hidden(),
        can_import,
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn query_pairs(q: Option<String>) -> Vec<(String, String)> {
    q.and_then(|q| serde_urlencoded::from_str(&q).ok())
        .unwrap_or_default()
}

/// The preview: a dry run with the person's choices, which come in the query string (the
/// "check again" form is a GET: it changes nothing).
async fn preview(
    State(state): State<AppState>,
    auth: Auth,
    Path(token): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let here = format!("/spend/upload/{token}");
    let user = require_uploader(&auth, &here)?;
    let up = pending(&state.db, &token, user.id)
        .await?
        .ok_or(PageError::NotFound)?;
    let choices = Choices::from_pairs(&query_pairs(q));
    let mut errors = Errors::default();
    let (org, files, headers) = run(&state, user, &up, &choices, &mut errors, true).await?;
    render_preview(&auth, &up, &org, files, headers, &choices, errors, false)
}

/// "Import": the same engine for real, with the choices the preview showed.
async fn commit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = format!("/spend/upload/{token}");
    let user = require_uploader(&auth, &here)?;
    let up = pending(&state.db, &token, user.id)
        .await?
        .ok_or(PageError::NotFound)?;
    let choices = Choices::from_pairs(&fields.0);
    let mut errors = Errors::default();
    // A last dry run first: a ZIP's files are imported one transaction each, so none is
    // imported unless every one of them would be.
    let (org, files, headers) = run(&state, user, &up, &choices, &mut errors, true).await?;
    if !errors.is_empty() || files.iter().any(|f| !f.error.is_empty()) {
        return render_preview(&auth, &up, &org, files, headers, &choices, errors, false);
    }
    let (org, files, headers) = run(&state, user, &up, &choices, &mut errors, false).await?;
    let committed = files.iter().all(|f| f.error.is_empty());
    if committed {
        discard(&state.db, &token).await?;
        crate::accounts::store::audit(
            &state.db,
            Some(user),
            "spend_uploaded",
            &format!(
                "Imported spend file {} for {} ({} payments)",
                up.file_name,
                org.name,
                files
                    .iter()
                    .filter_map(|f| f.report.as_ref())
                    .map(|r| r.rows_imported)
                    .sum::<u64>()
            ),
            Some(&auth.ip),
        )
        .await?;
        let bodies: Vec<String> = files
            .iter()
            .filter_map(|f| f.report.as_ref())
            .flat_map(|r| r.body_slugs.iter().cloned())
            .collect();
        super::flags::warm(&state.db, &state.config.flags_cache, &bodies).await?;
    }
    render_preview(
        &auth, &up, &org, files, headers, &choices, errors, committed,
    )
}

//! The estate's pages: the register with its filters, one system, the add and edit forms, CSV
//! upload, contracts ending soon, who uses a product, and vendor concentration. Every table
//! can be downloaded as CSV with `?format=csv` on the same address.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Months, NaiveDate, Utc};
use serde::Deserialize;

use super::import::{self, ImportOptions, ImportReport, TEMPLATE_CSV};
use super::store::{self, Concentration, EstateSystem, Filter, ProductUse, StoreError, Writer};
use super::{
    Hosting, MAX_NOTES, MAX_SHORT, Satisfaction, Source, SystemRecord, optional_text,
    parse_annual_value, required_text,
};
use crate::accounts::{OrgKind, User, store as accounts};
use crate::suppliers::CompanyNumber;
use crate::visibility::Visibility;
use crate::web::auth::Auth;
use crate::web::error::human_bytes;
use crate::web::form::{CsrfForm, Errors, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

/// The largest file the upload form accepts. A London borough's estate is a few hundred rows,
/// a council's whole contracts register a few hundred kilobytes.
pub const UPLOAD_LIMIT: usize = 5 * 1024 * 1024;
/// Requests up to this size are read to the end (so the browser sees the "too large" page
/// rather than a dropped connection); beyond it the connection is cut.
const UPLOAD_HARD_LIMIT: usize = 2 * UPLOAD_LIMIT;
const PAGE_SIZE: i64 = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/estate", get(index))
        .route("/estate/systems", post(create))
        .route("/estate/systems/new", get(new_form))
        .route("/estate/systems/{id}", get(show))
        .route("/estate/systems/{id}/edit", get(edit_form).post(update))
        .route("/estate/systems/{id}/delete", post(delete))
        .route(
            "/estate/import",
            get(import_form)
                .post(import_upload)
                .layer(DefaultBodyLimit::max(UPLOAD_HARD_LIMIT)),
        )
        .route("/estate/import/template.csv", get(template_csv))
        .route("/estate/ending", get(ending))
        .route("/estate/products", get(products))
        .route("/estate/products/{key}", get(product))
        .route("/estate/concentration", get(concentration))
}

fn html(status: StatusCode, t: impl Template) -> Result<Response, PageError> {
    Ok((status, Html(t.render()?)).into_response())
}

fn layout(auth: &Auth, title: impl Into<String>) -> Layout {
    Layout::new(auth, title).nav("estate").crumb("Home", "/")
}

/// Adding and changing records is for people of public bodies; suppliers only read.
fn require_editor<'a>(auth: &'a Auth, here: &str) -> Result<&'a User, PageError> {
    let user = auth.require_user(here)?;
    if user.org_kind == OrgKind::Supplier {
        return Err(PageError::Forbidden(
            "The estate register holds public bodies' own systems: supplier accounts can read what is shared, but not add to it.",
        ));
    }
    Ok(user)
}

// ---- Filters ----

/// The register's filters as they arrive in a query string.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilterParams {
    /// Supplier name contains this text.
    #[serde(default)]
    pub supplier: String,
    /// The supplier's id in the shared supplier register.
    #[serde(default)]
    pub supplier_id: String,
    /// System, product or manufacturer contains this text.
    #[serde(default)]
    pub system: String,
    /// Service area contains this text.
    #[serde(default)]
    pub service_area: String,
    /// The organisation's slug (camden).
    #[serde(default)]
    pub borough: String,
    /// Contract ends on or after this date (YYYY-MM-DD).
    #[serde(default)]
    pub ends_from: String,
    /// Contract ends on or before this date (YYYY-MM-DD).
    #[serde(default)]
    pub ends_to: String,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.chars().take(200).collect())
}

impl FilterParams {
    /// The filter, or the messages for values that are not dates.
    pub fn parse(&self) -> Result<Filter, Errors> {
        let mut errors = Errors::default();
        let mut date = |field: &str, label: &str, s: &str| -> Option<NaiveDate> {
            let t = s.trim();
            if t.is_empty() {
                return None;
            }
            match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.add(
                        field,
                        format!("{label} must be a real date, like 2027-03-31"),
                    );
                    None
                }
            }
        };
        let ends_from = date("ends_from", "Ends from", &self.ends_from);
        let ends_to = date("ends_to", "Ends by", &self.ends_to);
        if let (Some(a), Some(b)) = (ends_from, ends_to)
            && b < a
        {
            errors.add("ends_to", "Ends by must be the same as or after ends from");
        }
        let supplier_id = match self.supplier_id.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.add("supplier", "The supplier id must be a number");
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Filter {
            supplier: opt(&self.supplier),
            supplier_id,
            system: opt(&self.system),
            service_area: opt(&self.service_area),
            borough: opt(&self.borough),
            ends_from,
            ends_to,
            product_key: None,
        })
    }

    /// The filters as a query string, to carry them into links (CSV, pages).
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("supplier", self.supplier.as_str()),
            ("system", self.system.as_str()),
            ("service_area", self.service_area.as_str()),
            ("borough", self.borough.as_str()),
            ("ends_from", self.ends_from.as_str()),
            ("ends_to", self.ends_to.as_str()),
            ("supplier_id", self.supplier_id.as_str()),
        ] {
            if !v.trim().is_empty() {
                parts.push(format!("{k}={}", crate::web::filters::urlencode(v.trim())));
            }
        }
        parts.join("&")
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListParams {
    #[serde(flatten)]
    pub filter: FilterParams,
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub format: String,
    #[serde(default)]
    pub done: String,
}

// ---- CSV downloads ----

/// A cell as a spreadsheet will read it: text that starts like a formula is prefixed with an
/// apostrophe, so a supplier called "=HYPERLINK(…)" cannot run in an officer's Excel.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn csv_response(
    stem: &str,
    header: &[&str],
    rows: Vec<Vec<String>>,
) -> Result<Response, PageError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| PageError::Internal(format!("csv: {e}"));
    w.write_record(header).map_err(fail)?;
    for r in rows {
        w.write_record(r.iter().map(|c| cell(c))).map_err(fail)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| PageError::Internal(format!("csv: {e}")))?;
    let name = format!("estate-{stem}-{}.csv", Utc::now().date_naive());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

const SYSTEM_CSV_HEADER: &[&str] = &[
    "id",
    "organisation",
    "service_area",
    "system",
    "supplier",
    "supplier_as_written",
    "company_number",
    "manufacturer",
    "contract_reference",
    "contract_start",
    "contract_end",
    "annual_value",
    "hosting",
    "satisfaction",
    "visibility",
    "notes",
];

fn system_csv_row(s: &EstateSystem) -> Vec<String> {
    vec![
        s.id.to_string(),
        s.organisation.clone(),
        s.service_area.clone(),
        s.system_name.clone(),
        s.supplier_display().to_owned(),
        s.supplier_name.clone(),
        s.company_number.clone().unwrap_or_default(),
        s.manufacturer.clone().unwrap_or_default(),
        s.contract_reference.clone().unwrap_or_default(),
        s.contract_start.map(|d| d.to_string()).unwrap_or_default(),
        s.contract_end.map(|d| d.to_string()).unwrap_or_default(),
        s.annual_value().map(|p| p.decimal()).unwrap_or_default(),
        s.hosting.map(|h| h.as_str().to_owned()).unwrap_or_default(),
        s.satisfaction.map(|n| n.to_string()).unwrap_or_default(),
        s.visibility.as_str().to_owned(),
        s.notes.clone(),
    ]
}

fn systems_csv(stem: &str, systems: &[EstateSystem]) -> Result<Response, PageError> {
    csv_response(
        stem,
        SYSTEM_CSV_HEADER,
        systems.iter().map(system_csv_row).collect(),
    )
}

// ---- The register ----

#[derive(Template)]
#[template(path = "estate/templates/index.html")]
struct IndexPage {
    layout: Layout,
    errors: Errors,
    params: FilterParams,
    systems: Vec<EstateSystem>,
    total: i64,
    page: i64,
    pages: i64,
    query: String,
    organisations: Vec<store::OrgChoice>,
    service_areas: Vec<String>,
    headline: Concentration,
    can_add: bool,
    filtered: bool,
}

impl IndexPage {
    fn page_link(&self, page: i64) -> String {
        if self.query.is_empty() {
            format!("/estate?page={page}")
        } else {
            format!("/estate?{}&page={page}", self.query)
        }
    }

    fn csv_link(&self) -> String {
        if self.query.is_empty() {
            "/estate?format=csv".into()
        } else {
            format!("/estate?{}&format=csv", self.query)
        }
    }
}

async fn index(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    let viewer = auth.viewer();
    let (filter, errors) = match p.filter.parse() {
        Ok(f) => (Some(f), Errors::default()),
        Err(e) => (None, e),
    };
    let page = p.page.trim().parse::<i64>().unwrap_or(1).max(1);
    let (systems, total) = match &filter {
        Some(f) if p.format == "csv" => {
            let (all, _) = store::list(&state.db, &viewer, f, 100_000, 0).await?;
            return systems_csv("register", &all);
        }
        Some(f) => store::list(&state.db, &viewer, f, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?,
        None => (Vec::new(), 0),
    };
    let notice = match p.done.as_str() {
        "deleted" => Some("System deleted".to_owned()),
        _ => None,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let title = if errors.is_empty() {
        "Technology estate".to_owned()
    } else {
        "Error: Technology estate".to_owned()
    };
    let view = IndexPage {
        layout: layout(&auth, title).notice(notice),
        errors,
        query: p.filter.query(),
        filtered: filter.as_ref().is_some_and(|f| !f.is_empty()),
        params: p.filter,
        systems,
        total,
        page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        organisations: store::organisations(&state.db, &viewer).await?,
        service_areas: store::service_areas(&state.db, &viewer).await?,
        headline: store::concentration(&state.db, &viewer, 10, &Filter::default()).await?,
        can_add: auth
            .user
            .as_ref()
            .is_some_and(|u| u.org_kind != OrgKind::Supplier),
    };
    html(status, view)
}

// ---- One system ----

#[derive(Template)]
#[template(path = "estate/templates/system.html")]
struct SystemPage {
    layout: Layout,
    system: EstateSystem,
    can_edit: bool,
    product_href: String,
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let viewer = auth.viewer();
    let system = store::get(&state.db, &viewer, id)
        .await?
        .ok_or(PageError::NotFound)?;
    let notice = match q.done.as_str() {
        "added" => Some("System added".to_owned()),
        "saved" => Some("Changes saved".to_owned()),
        _ => None,
    };
    html(
        StatusCode::OK,
        SystemPage {
            layout: layout(&auth, system.system_name.clone())
                .crumb("Technology estate", "/estate")
                .notice(notice),
            can_edit: viewer.can_edit(system.org_id),
            product_href: format!(
                "/estate/products/{}",
                crate::web::filters::urlencode(&system.product_key)
            ),
            system,
        },
    )
}

// ---- Add and edit ----

/// The form's values as typed, kept when the form is shown again with errors.
#[derive(Debug, Clone, Default)]
pub struct SystemForm {
    pub service_area: String,
    pub system: String,
    pub supplier: String,
    pub company_number: String,
    pub manufacturer: String,
    pub contract_reference: String,
    pub start: [String; 3],
    pub end: [String; 3],
    pub annual_value: String,
    pub hosting: String,
    pub satisfaction: String,
    pub notes: String,
    pub visibility: String,
}

fn date_parts(d: Option<NaiveDate>) -> [String; 3] {
    use chrono::Datelike;
    match d {
        Some(d) => [
            d.day().to_string(),
            d.month().to_string(),
            d.year().to_string(),
        ],
        None => Default::default(),
    }
}

/// A GOV.UK date input's three fields, as a date (or none when all are blank).
fn form_date(label: &str, parts: &[String; 3]) -> Result<Option<NaiveDate>, String> {
    let [d, m, y] = parts.clone().map(|p| p.trim().to_owned());
    if d.is_empty() && m.is_empty() && y.is_empty() {
        return Ok(None);
    }
    let missing: Vec<&str> = [("day", &d), ("month", &m), ("year", &y)]
        .into_iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(n, _)| n)
        .collect();
    if !missing.is_empty() {
        return Err(format!("{label} must include a {}", missing.join(" and ")));
    }
    let (Ok(dd), Ok(mm), Ok(yy)) = (d.parse::<u32>(), m.parse::<u32>(), y.parse::<i32>()) else {
        return Err(format!("{label} must be a real date"));
    };
    if y.len() != 4 || !(1900..=2200).contains(&yy) {
        return Err(format!("{label} must include a 4-digit year, like 2027"));
    }
    NaiveDate::from_ymd_opt(yy, mm, dd)
        .map(Some)
        .ok_or_else(|| format!("{label} must be a real date"))
}

impl SystemForm {
    fn from_fields(f: &Fields) -> SystemForm {
        let parts = |name: &str| {
            [
                f.get(&format!("{name}-day")).to_owned(),
                f.get(&format!("{name}-month")).to_owned(),
                f.get(&format!("{name}-year")).to_owned(),
            ]
        };
        SystemForm {
            service_area: f.get("service_area").to_owned(),
            system: f.get("system").to_owned(),
            supplier: f.get("supplier").to_owned(),
            company_number: f.get("company_number").to_owned(),
            manufacturer: f.get("manufacturer").to_owned(),
            contract_reference: f.get("contract_reference").to_owned(),
            start: parts("contract_start"),
            end: parts("contract_end"),
            annual_value: f.get("annual_value").to_owned(),
            hosting: f.get("hosting").to_owned(),
            satisfaction: f.get("satisfaction").to_owned(),
            notes: f.get("notes").to_owned(),
            visibility: f.get("visibility").to_owned(),
        }
    }

    fn from_record(r: &SystemRecord) -> SystemForm {
        SystemForm {
            service_area: r.service_area.clone(),
            system: r.system_name.clone(),
            supplier: r.supplier_name.clone(),
            company_number: r
                .company_number
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            manufacturer: r.manufacturer.clone().unwrap_or_default(),
            contract_reference: r.contract_reference.clone().unwrap_or_default(),
            start: date_parts(r.contract_start),
            end: date_parts(r.contract_end),
            annual_value: r.annual_value.map(|p| p.decimal()).unwrap_or_default(),
            hosting: r.hosting.map(|h| h.as_str().to_owned()).unwrap_or_default(),
            satisfaction: r
                .satisfaction
                .map(|s| s.value().to_string())
                .unwrap_or_default(),
            notes: r.notes.clone(),
            visibility: r.visibility.as_str().to_owned(),
        }
    }

    /// Checks every field; the errors come in the order of the fields on the page.
    fn validate(&self) -> Result<SystemRecord, Errors> {
        let mut c = Collect::default();
        let service_area = c.take(
            "service_area",
            required_text("service area", &self.service_area),
        );
        let system = c.take(
            "system",
            required_text("system or product name", &self.system),
        );
        let supplier = c.take("supplier", required_text("supplier", &self.supplier));
        let company_number = c.take(
            "company_number",
            match self.company_number.trim() {
                "" => Ok(None),
                s => CompanyNumber::parse(s)
                    .map(Some)
                    .map_err(|_| "Enter a Companies House number like 01234567 or SC123456, or leave it blank".to_owned()),
            },
        );
        let manufacturer = c.take(
            "manufacturer",
            optional_text("manufacturer", &self.manufacturer, MAX_SHORT),
        );
        let reference = c.take(
            "contract_reference",
            optional_text("contract reference", &self.contract_reference, MAX_SHORT),
        );
        let start = c.take("contract_start", form_date("Contract start", &self.start));
        let end = c.take("contract_end", form_date("Contract end", &self.end));
        if let (Some(Some(s)), Some(Some(e))) = (start, end)
            && e < s
        {
            c.take(
                "contract_end",
                Err::<(), _>("Contract end must be the same as or after the contract start".into()),
            );
        }
        let value = c.take(
            "annual_value",
            parse_annual_value(&self.annual_value).map_err(|_| {
                "Enter the annual value as an amount in pounds, like 12500 or 12,500.00".to_owned()
            }),
        );
        let hosting = c.take(
            "hosting",
            match self.hosting.as_str() {
                "" => Ok(None),
                h => h
                    .parse::<Hosting>()
                    .map(Some)
                    .map_err(|_| "Choose where the system is hosted".to_owned()),
            },
        );
        let satisfaction = c.take(
            "satisfaction",
            match self.satisfaction.as_str() {
                "" => Ok(None),
                s => s
                    .parse::<i64>()
                    .ok()
                    .and_then(Satisfaction::new)
                    .map(Some)
                    .ok_or_else(|| "Choose a satisfaction score from 1 to 5".to_owned()),
            },
        );
        let notes = c.take("notes", optional_text("notes", &self.notes, MAX_NOTES));
        let visibility = c.take(
            "visibility",
            self.visibility
                .parse::<Visibility>()
                .map_err(|_| "Choose who can see this record".to_owned()),
        );
        if !c.errors.is_empty() {
            return Err(c.errors);
        }
        match (
            service_area,
            system,
            supplier,
            company_number,
            manufacturer,
            reference,
            start,
            end,
            value,
            hosting,
            satisfaction,
            notes,
            visibility,
        ) {
            (
                Some(service_area),
                Some(system_name),
                Some(supplier_name),
                Some(company_number),
                Some(manufacturer),
                Some(contract_reference),
                Some(contract_start),
                Some(contract_end),
                Some(annual_value),
                Some(hosting),
                Some(satisfaction),
                Some(notes),
                Some(visibility),
            ) => Ok(SystemRecord {
                service_area,
                system_name,
                supplier_name,
                company_number,
                manufacturer,
                contract_reference,
                contract_start,
                contract_end,
                annual_value,
                hosting,
                satisfaction,
                notes: notes.unwrap_or_default(),
                visibility,
            }),
            _ => Err(c.errors),
        }
    }
}

/// Gathers field errors while each field is parsed.
#[derive(Default)]
struct Collect {
    errors: Errors,
}

impl Collect {
    fn take<T>(&mut self, field: &str, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(m) => {
                self.errors.add(field, m);
                None
            }
        }
    }
}

#[derive(Template)]
#[template(path = "estate/templates/form.html")]
struct FormPage {
    layout: Layout,
    errors: Errors,
    form: SystemForm,
    /// Where the form posts.
    action: String,
    heading: String,
    service_areas: Vec<String>,
    hostings: [Hosting; 4],
    visibilities: [Visibility; 3],
    cancel_href: String,
}

impl FormPage {
    fn error(&self, field: &str) -> &str {
        self.errors.get(field)
    }
}

#[allow(clippy::too_many_arguments)]
async fn show_form(
    state: &AppState,
    auth: &Auth,
    form: SystemForm,
    errors: Errors,
    action: String,
    heading: &str,
    cancel_href: String,
    status: StatusCode,
) -> Result<Response, PageError> {
    let title = if errors.is_empty() {
        heading.to_owned()
    } else {
        format!("Error: {heading}")
    };
    html(
        status,
        FormPage {
            layout: layout(auth, title).crumb("Technology estate", "/estate"),
            errors,
            form,
            action,
            heading: heading.to_owned(),
            service_areas: store::service_areas(&state.db, &auth.viewer()).await?,
            hostings: Hosting::ALL,
            visibilities: Visibility::ALL,
            cancel_href,
        },
    )
}

async fn new_form(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    require_editor(&auth, "/estate/systems/new")?;
    let form = SystemForm {
        visibility: Visibility::London.as_str().into(),
        ..SystemForm::default()
    };
    show_form(
        &state,
        &auth,
        form,
        Errors::default(),
        "/estate/systems".into(),
        "Add a system",
        "/estate".into(),
        StatusCode::OK,
    )
    .await
}

fn duplicate_error(id: i64) -> Errors {
    let mut e = Errors::default();
    e.add(
        "system",
        format!("Your organisation already has this system from this supplier with the same reference and start date: edit record {id} instead"),
    );
    e
}

async fn create(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_editor(&auth, "/estate/systems/new")?;
    let form = SystemForm::from_fields(&fields);
    let again = |errors: Errors, form: SystemForm| {
        let (state, auth) = (state.clone(), auth.clone());
        async move {
            show_form(
                &state,
                &auth,
                form,
                errors,
                "/estate/systems".into(),
                "Add a system",
                "/estate".into(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let rec = match form.validate() {
        Ok(r) => r,
        Err(errors) => return again(errors, form).await,
    };
    let writer = Writer {
        org_id: user.org_id,
        user_id: Some(user.id),
        source: Source::Form,
        import_id: None,
    };
    match store::create(&state.db, &writer, &rec).await {
        Ok(id) => Ok(Redirect::to(&format!("/estate/systems/{id}?done=added")).into_response()),
        Err(StoreError::Duplicate(id)) => again(duplicate_error(id), form).await,
        Err(StoreError::Db(e)) => Err(e.into()),
    }
}

/// The record, if the viewer may see it, and whether they may change it: 404 when it is not
/// theirs to see, 403 when they see it but it is another organisation's.
async fn editable(state: &AppState, auth: &Auth, id: i64) -> Result<EstateSystem, PageError> {
    let viewer = auth.viewer();
    let system = store::get(&state.db, &viewer, id)
        .await?
        .ok_or(PageError::NotFound)?;
    if !viewer.can_edit(system.org_id) {
        return Err(PageError::Forbidden(
            "Only the organisation that owns a record can change it.",
        ));
    }
    Ok(system)
}

async fn edit_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    require_editor(&auth, &format!("/estate/systems/{id}/edit"))?;
    let system = editable(&state, &auth, id).await?;
    show_form(
        &state,
        &auth,
        SystemForm::from_record(&system.to_record()),
        Errors::default(),
        format!("/estate/systems/{id}/edit"),
        &format!("Change {}", system.system_name),
        format!("/estate/systems/{id}"),
        StatusCode::OK,
    )
    .await
}

async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_editor(&auth, &format!("/estate/systems/{id}/edit"))?;
    let system = editable(&state, &auth, id).await?;
    let form = SystemForm::from_fields(&fields);
    let heading = format!("Change {}", system.system_name);
    let again = |errors: Errors, form: SystemForm| {
        let (state, auth, heading) = (state.clone(), auth.clone(), heading.clone());
        async move {
            show_form(
                &state,
                &auth,
                form,
                errors,
                format!("/estate/systems/{id}/edit"),
                &heading,
                format!("/estate/systems/{id}"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let rec = match form.validate() {
        Ok(r) => r,
        Err(errors) => return again(errors, form).await,
    };
    let writer = Writer {
        org_id: user.org_id,
        user_id: Some(user.id),
        source: Source::Form,
        import_id: None,
    };
    match store::update(&state.db, &writer, id, &rec).await {
        Ok(true) => Ok(Redirect::to(&format!("/estate/systems/{id}?done=saved")).into_response()),
        Ok(false) => Err(PageError::NotFound),
        Err(StoreError::Duplicate(other)) => again(duplicate_error(other), form).await,
        Err(StoreError::Db(e)) => Err(e.into()),
    }
}

async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_editor(&auth, &format!("/estate/systems/{id}"))?;
    let system = editable(&state, &auth, id).await?;
    if !store::delete(&state.db, &auth.viewer(), id).await? {
        return Err(PageError::NotFound);
    }
    accounts::audit(
        &state.db,
        Some(user),
        "estate_delete",
        &format!(
            "Deleted estate record {id} ({}, {})",
            system.system_name, system.supplier_name
        ),
        Some(&auth.ip),
    )
    .await?;
    Ok(Redirect::to("/estate?done=deleted").into_response())
}

// ---- Import ----

#[derive(Template)]
#[template(path = "estate/templates/import.html")]
struct ImportPage {
    layout: Layout,
    errors: Errors,
    report: Option<ImportReport>,
    imports: Vec<store::ImportRecord>,
    org_name: String,
    visibilities: [Visibility; 3],
    visibility: Visibility,
    limit: String,
}

async fn show_import(
    state: &AppState,
    auth: &Auth,
    user: &User,
    errors: Errors,
    report: Option<ImportReport>,
    visibility: Visibility,
    status: StatusCode,
) -> Result<Response, PageError> {
    let failed = !errors.is_empty() || report.as_ref().is_some_and(|r| !r.errors.is_empty());
    let title = if failed {
        "Error: Import your estate"
    } else {
        "Import your estate"
    };
    html(
        status,
        ImportPage {
            layout: layout(auth, title).crumb("Technology estate", "/estate"),
            errors,
            report,
            imports: store::imports(&state.db, user.org_id).await?,
            org_name: user.org_name.clone(),
            visibilities: Visibility::ALL,
            visibility,
            limit: human_bytes(UPLOAD_LIMIT),
        },
    )
}

async fn import_form(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let user = require_editor(&auth, "/estate/import")?;
    show_import(
        &state,
        &auth,
        user,
        Errors::default(),
        None,
        Visibility::London,
        StatusCode::OK,
    )
    .await
}

/// What the upload form sent.
#[derive(Default)]
struct Upload {
    csrf: Option<String>,
    file_name: String,
    bytes: Vec<u8>,
    too_large: bool,
    visibility: String,
    dry_run: bool,
}

/// Reads the multipart form. The file is kept only up to the limit; past it the rest of the
/// request is read and dropped (up to the hard limit) so that the browser receives the
/// "too large" page instead of a reset connection.
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
            "visibility" => up.visibility = field.text().await.map_err(unreadable)?,
            "dry_run" => up.dry_run = !field.text().await.map_err(unreadable)?.is_empty(),
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
                        up.bytes.clear();
                        continue;
                    }
                    up.bytes.extend_from_slice(&chunk);
                }
            }
            _ => {
                // Unknown fields are read and ignored.
                while field.chunk().await.map_err(unreadable)?.is_some() {}
            }
        }
    }
    Ok(up)
}

async fn import_upload(
    State(state): State<AppState>,
    auth: Auth,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let upload = read_upload(multipart).await;
    // The token is checked before anything else is looked at.
    let token = upload.as_ref().ok().and_then(|u| u.csrf.as_deref());
    auth.check_csrf(token).or_else(|e| match &upload {
        Err(PageError::TooLarge { .. }) => Ok(()),
        _ => Err(e),
    })?;
    let user = require_editor(&auth, "/estate/import")?;
    let visibility = upload
        .as_ref()
        .ok()
        .and_then(|u| u.visibility.parse::<Visibility>().ok())
        .unwrap_or(Visibility::London);
    let upload = match upload {
        Ok(u) if !u.too_large => u,
        Ok(_) | Err(PageError::TooLarge { .. }) => {
            let mut errors = Errors::default();
            errors.add(
                "file",
                format!(
                    "The file is larger than {}. Split it into smaller files, or remove columns you do not need. Nothing was saved.",
                    human_bytes(UPLOAD_LIMIT)
                ),
            );
            return show_import(
                &state,
                &auth,
                user,
                errors,
                None,
                visibility,
                StatusCode::PAYLOAD_TOO_LARGE,
            )
            .await;
        }
        Err(e) => return Err(e),
    };
    if upload.bytes.is_empty() && upload.file_name.is_empty() {
        let mut errors = Errors::default();
        errors.add("file", "Select a CSV file to import");
        return show_import(
            &state,
            &auth,
            user,
            errors,
            None,
            visibility,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let org = accounts::organisation(&state.db, user.org_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let report = import::import(
        &state.db,
        &org,
        &upload.bytes,
        &ImportOptions {
            file_name: if upload.file_name.is_empty() {
                "upload.csv".into()
            } else {
                upload.file_name.clone()
            },
            dry_run: upload.dry_run,
            default_visibility: visibility,
            user_id: Some(user.id),
        },
    )
    .await
    .map_err(|e| match e {
        import::ImportError::Db(e) => PageError::from(e),
        other => PageError::BadRequest(other.to_string()),
    })?;
    let status = if report.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    if report.imported {
        accounts::audit(
            &state.db,
            Some(user),
            "estate_import",
            &report.summary(),
            Some(&auth.ip),
        )
        .await?;
    }
    let mut errors = Errors::default();
    if !report.errors.is_empty() {
        errors.add("file", report.summary());
    }
    show_import(
        &state,
        &auth,
        user,
        errors,
        Some(report),
        visibility,
        status,
    )
    .await
}

async fn template_csv() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"procurekit-estate-layout.csv\"",
            ),
        ],
        TEMPLATE_CSV,
    )
        .into_response()
}

// ---- Ending soon ----

#[derive(Debug, Deserialize)]
pub struct EndingParams {
    #[serde(default)]
    pub months: Option<String>,
    #[serde(flatten)]
    pub filter: FilterParams,
    #[serde(default)]
    pub format: String,
}

/// Months ahead people may ask about: one to five years.
pub fn months_ahead(raw: Option<&str>) -> Result<u32, String> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(12),
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|m| (1..=60).contains(m))
            .ok_or_else(|| "Enter a number of months from 1 to 60".to_owned()),
    }
}

pub fn window(months: u32) -> (NaiveDate, NaiveDate) {
    let today = Utc::now().date_naive();
    let to = today
        .checked_add_months(Months::new(months))
        .unwrap_or(today);
    (today, to)
}

#[derive(Template)]
#[template(path = "estate/templates/ending.html")]
struct EndingPage {
    layout: Layout,
    errors: Errors,
    months: String,
    params: FilterParams,
    systems: Vec<EstateSystem>,
    from: String,
    to: String,
    csv_link: String,
    boroughs: usize,
}

async fn ending(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<EndingParams>,
) -> Result<Response, PageError> {
    let viewer = auth.viewer();
    let mut errors = Errors::default();
    let months = months_ahead(p.months.as_deref()).unwrap_or_else(|m| {
        errors.add("months", m);
        12
    });
    let filter = p.filter.parse().unwrap_or_else(|e| {
        for x in e.iter() {
            errors.add(x.field.clone(), x.message.clone());
        }
        Filter::default()
    });
    let (from, to) = window(months);
    let systems = if errors.is_empty() {
        store::ending_between(&state.db, &viewer, from, to, &filter).await?
    } else {
        Vec::new()
    };
    if p.format == "csv" && errors.is_empty() {
        return systems_csv(&format!("ending-{months}-months"), &systems);
    }
    let query = p.filter.query();
    let boroughs = systems
        .iter()
        .map(|s| s.org_id)
        .collect::<std::collections::HashSet<_>>()
        .len();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let title = format!(
        "{}Contracts ending in the next {months} months",
        if errors.is_empty() { "" } else { "Error: " }
    );
    html(
        status,
        EndingPage {
            layout: layout(&auth, title).crumb("Technology estate", "/estate"),
            errors,
            months: p.months.clone().unwrap_or_else(|| months.to_string()),
            csv_link: format!(
                "/estate/ending?months={months}{}{}&format=csv",
                if query.is_empty() { "" } else { "&" },
                query
            ),
            params: p.filter,
            systems,
            from: crate::web::filters::long_date(from),
            to: crate::web::filters::long_date(to),
            boroughs,
        },
    )
}

// ---- Products ----

#[derive(Debug, Deserialize, Default)]
pub struct ProductParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub format: String,
}

#[derive(Template)]
#[template(path = "estate/templates/products.html")]
struct ProductsPage {
    layout: Layout,
    q: String,
    products: Vec<ProductUse>,
    csv_link: String,
}

impl ProductsPage {
    fn href(&self, p: &ProductUse) -> String {
        format!(
            "/estate/products/{}",
            crate::web::filters::urlencode(&p.product_key)
        )
    }
}

async fn products(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<ProductParams>,
) -> Result<Response, PageError> {
    let q: String = p.q.trim().chars().take(200).collect();
    let list = store::products(&state.db, &auth.viewer(), Some(&q)).await?;
    if p.format == "csv" {
        return csv_response(
            "products",
            &["product", "organisations", "systems", "used_by"],
            list.iter()
                .map(|p| {
                    vec![
                        p.name.clone(),
                        p.organisations.to_string(),
                        p.systems.to_string(),
                        p.organisation_names.join("; "),
                    ]
                })
                .collect(),
        );
    }
    html(
        StatusCode::OK,
        ProductsPage {
            layout: layout(&auth, "Which organisations use a product")
                .crumb("Technology estate", "/estate"),
            csv_link: format!(
                "/estate/products?q={}&format=csv",
                crate::web::filters::urlencode(&q)
            ),
            q,
            products: list,
        },
    )
}

#[derive(Template)]
#[template(path = "estate/templates/product.html")]
struct ProductPage {
    layout: Layout,
    name: String,
    systems: Vec<EstateSystem>,
    organisations: usize,
    satisfaction: Option<String>,
    csv_link: String,
}

async fn product(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
    Query(p): Query<ProductParams>,
) -> Result<Response, PageError> {
    let filter = Filter {
        product_key: Some(key.clone()),
        ..Filter::default()
    };
    let (systems, _) = store::list(&state.db, &auth.viewer(), &filter, 10_000, 0).await?;
    if systems.is_empty() {
        return Err(PageError::NotFound);
    }
    if p.format == "csv" {
        return systems_csv("product", &systems);
    }
    let ratings: Vec<i64> = systems
        .iter()
        .filter_map(|s| s.satisfaction.map(i64::from))
        .collect();
    let satisfaction = (!ratings.is_empty()).then(|| {
        let tenths =
            (ratings.iter().sum::<i64>() * 10 + ratings.len() as i64 / 2) / ratings.len() as i64;
        format!(
            "{}.{} out of 5, from {} rating{}",
            tenths / 10,
            tenths % 10,
            ratings.len(),
            if ratings.len() == 1 { "" } else { "s" }
        )
    });
    let organisations = systems
        .iter()
        .map(|s| s.org_id)
        .collect::<std::collections::HashSet<_>>()
        .len();
    html(
        StatusCode::OK,
        ProductPage {
            layout: layout(&auth, systems[0].system_name.clone())
                .crumb("Technology estate", "/estate")
                .crumb("Products", "/estate/products"),
            name: systems[0].system_name.clone(),
            csv_link: format!(
                "/estate/products/{}?format=csv",
                crate::web::filters::urlencode(&key)
            ),
            organisations,
            satisfaction,
            systems,
        },
    )
}

// ---- Concentration ----

#[derive(Debug, Deserialize, Default)]
pub struct ConcentrationParams {
    #[serde(default)]
    pub top: Option<String>,
    #[serde(default)]
    pub service_area: String,
    #[serde(default)]
    pub format: String,
    /// Which table a CSV download is of: "systems" (default) or "value".
    #[serde(default)]
    pub table: String,
}

pub fn top_n(raw: Option<&str>) -> Result<usize, String> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(10),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=50).contains(n))
            .ok_or_else(|| "Enter a number of suppliers from 1 to 50".to_owned()),
    }
}

#[derive(Template)]
#[template(path = "estate/templates/concentration.html")]
struct ConcentrationPage {
    layout: Layout,
    errors: Errors,
    top: String,
    service_area: String,
    service_areas: Vec<String>,
    c: Concentration,
    query: String,
}

impl ConcentrationPage {
    fn total_value(&self) -> String {
        crate::money::Pence(self.c.total_value_pence).display()
    }
}

async fn concentration(
    State(state): State<AppState>,
    auth: Auth,
    Query(p): Query<ConcentrationParams>,
) -> Result<Response, PageError> {
    let viewer = auth.viewer();
    let mut errors = Errors::default();
    let top = top_n(p.top.as_deref()).unwrap_or_else(|m| {
        errors.add("top", m);
        10
    });
    let filter = Filter {
        service_area: opt(&p.service_area),
        ..Filter::default()
    };
    let c = store::concentration(&state.db, &viewer, top, &filter).await?;
    if p.format == "csv" {
        let (stem, rows) = if p.table == "value" {
            ("top-suppliers-by-value", &c.by_value)
        } else {
            ("top-suppliers-by-systems", &c.by_systems)
        };
        return csv_response(
            stem,
            &[
                "supplier",
                "supplier_id",
                "systems",
                "systems_share_percent",
                "organisations",
                "annual_value",
                "value_share_percent",
            ],
            rows.iter()
                .map(|r| {
                    vec![
                        r.supplier.clone(),
                        r.supplier_id.to_string(),
                        r.systems.to_string(),
                        format!("{:.1}", r.systems_share_percent),
                        r.organisations.to_string(),
                        crate::money::Pence(r.value_pence).decimal(),
                        format!("{:.1}", r.value_share_percent),
                    ]
                })
                .collect(),
        );
    }
    let query = format!(
        "top={top}&service_area={}",
        crate::web::filters::urlencode(p.service_area.trim())
    );
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    html(
        status,
        ConcentrationPage {
            layout: layout(
                &auth,
                if errors.is_empty() {
                    "Vendor concentration"
                } else {
                    "Error: Vendor concentration"
                },
            )
            .crumb("Technology estate", "/estate"),
            errors,
            top: p.top.clone().unwrap_or_else(|| top.to_string()),
            service_area: p.service_area.trim().to_owned(),
            service_areas: store::service_areas(&state.db, &viewer).await?,
            c,
            query,
        },
    )
}

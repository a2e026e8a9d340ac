//! The estate's pages: the register with its filters, one system, the add and edit forms, CSV
//! upload, contracts ending soon, who uses a product, and vendor concentration. Every table
//! can be downloaded as CSV with `?format=csv` on the same address.

mod edit;
mod upload;
mod views;

pub use views::{months_ahead, top_n, window};

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
        .route("/estate", get(views::index))
        .route("/estate/systems", post(edit::create))
        .route("/estate/systems/new", get(edit::new_form))
        .route("/estate/systems/{id}", get(views::show))
        .route(
            "/estate/systems/{id}/edit",
            get(edit::edit_form).post(edit::update),
        )
        .route("/estate/systems/{id}/delete", post(edit::delete))
        .route(
            "/estate/import",
            get(upload::import_form)
                .post(upload::import_upload)
                .layer(DefaultBodyLimit::max(UPLOAD_HARD_LIMIT)),
        )
        .route("/estate/import/template.csv", get(upload::template_csv))
        .route("/estate/ending", get(views::ending))
        .route("/estate/products", get(views::products))
        .route("/estate/products/{key}", get(views::product))
        .route("/estate/concentration", get(views::concentration))
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

//! The red flags page (`/spend/flags`), its CSV downloads, and the platform admins' form for
//! the thresholds the flags measure against. Tables are built as `web::Section`s, so that the
//! page and each CSV download come from the same rows.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::charts;
use super::flags::{self, Filter, Flag, FlagKind, Flags};
use super::store::{self, Scope};
use super::web::{Cell, Section, cols, csv_response};
use crate::accounts::Role;
use crate::money::Pence;
use crate::web::auth::Auth;
use crate::web::form::{CsrfForm, Errors, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/spend/flags", get(page))
        .route("/spend/flags/thresholds", post(add_threshold))
        .route("/spend/flags/thresholds/remove", post(remove_threshold))
}

#[derive(Deserialize, Default)]
pub struct FlagsQuery {
    scope: Option<String>,
    body: Option<String>,
    /// The id of the table to download as CSV.
    csv: Option<String>,
    /// With `csv=evidence` or `csv=shares`: only the table of this flag (numbered from 1).
    flag: Option<usize>,
}

/// One flag as the page shows it: a heading, the sentence, and its table of evidence.
pub struct FlagView {
    pub number: usize,
    pub title: String,
    pub why: String,
    pub table: Section,
}

pub struct KindGroup {
    pub id: &'static str,
    pub heading: &'static str,
    pub intro: &'static str,
    pub flags: Vec<FlagView>,
    pub truncated: bool,
}

#[derive(Template)]
#[template(path = "spend/templates/flags.html")]
struct FlagsPage {
    layout: Layout,
    heading: String,
    scopes: Vec<(String, String, bool)>,
    bodies: Vec<(String, String, bool)>,
    body: Option<String>,
    scope: &'static str,
    summary: Section,
    list: Section,
    groups: Vec<KindGroup>,
    thresholds: Section,
    admin_thresholds: Vec<(i64, String, String)>,
    is_admin: bool,
    form: ThresholdForm,
    progress: Progress,
    reload: String,
}

/// How long the page waits for flags being worked out before showing what it has.
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(PartialEq)]
enum Progress {
    Current,
    /// Showing flags from before the latest change while the new ones are worked out.
    Earlier,
    /// Nothing to show yet.
    NotYet,
}

/// The query string for the current filter, with `extra` appended.
fn href(scope: Scope, body: Option<&str>, extra: &str) -> String {
    let mut s = format!("/spend/flags?scope={}", scope.as_str());
    if let Some(b) = body {
        s.push_str("&body=");
        s.push_str(b);
    }
    if !extra.is_empty() {
        s.push('&');
        s.push_str(extra);
    }
    s
}

fn intro(kind: FlagKind) -> &'static str {
    match kind {
        FlagKind::JustUnder => {
            "Three or more payments from one body to one supplier within 90 days, each between 90% and 100% of a threshold."
        }
        FlagKind::Split => {
            "Two or more payments from one body to one supplier on the same day, each below a threshold (and at least 30% of it) but together at or above it."
        }
        FlagKind::Duplicate => {
            "The same amount (£500 or more) paid by one body to one supplier more than once on the same day, under different transaction references or without one. Lines that share one reference are one transaction and are not flagged."
        }
        FlagKind::ShareJump => {
            "A supplier whose share of a category's spend rose by 20 percentage points or more from one financial year to the next, where the category had at least £100,000 of spend in both years."
        }
    }
}

fn title(n: usize, f: &Flag) -> String {
    let place = match (&f.category, &f.body) {
        (Some(c), Some(b)) => format!("{c}, {b}"),
        (Some(c), None) => c.clone(),
        (None, Some(b)) => b.clone(),
        (None, None) => String::new(),
    };
    if place.is_empty() {
        format!("{n}. {}", f.supplier)
    } else {
        format!("{n}. {} — {place}", f.supplier)
    }
}

fn file_line(p: &flags::Evidence) -> String {
    format!("{}, line {}", p.file_name, p.line_no)
}

/// The payments behind every flag (with the flag's number), or behind one.
fn evidence_section(all: &Flags, only: Option<usize>, scope: Scope, body: Option<&str>) -> Section {
    let mut rows = Vec::new();
    for (i, f) in all.flags.iter().enumerate() {
        let n = i + 1;
        if only.is_some_and(|o| o != n) {
            continue;
        }
        for p in &f.payments {
            let mut row = Vec::new();
            if only.is_none() {
                row.push(Cell::number(n as i64));
                row.push(Cell::text(f.kind.as_str()));
            }
            row.extend([
                Cell::text(p.paid_on.to_string()),
                Cell::link(&p.body, format!("/spend/bodies/{}", p.body_slug)),
                Cell::link(&p.supplier, format!("/spend/suppliers/{}", p.supplier_id)),
                Cell::money(p.amount_pence),
                Cell::text(p.transaction_ref.clone().unwrap_or_default()),
                Cell::text(file_line(p)),
            ]);
            rows.push(row);
        }
    }
    let mut columns = Vec::new();
    if only.is_none() {
        columns.extend(cols(&[("Flag", true), ("Kind", false)]));
    }
    columns.extend(cols(&[
        ("Date", false),
        ("Body", false),
        ("Supplier", false),
        ("Amount", true),
        ("Transaction reference", false),
        ("Published file and line", false),
    ]));
    let caption = match only {
        Some(n) => format!("Payments behind flag {n}"),
        None => "Payments behind every flag".into(),
    };
    Section {
        id: "evidence",
        heading: caption.clone(),
        intro: String::new(),
        caption,
        chart: String::new(),
        columns,
        rows,
        csv_href: href(
            scope,
            body,
            &match only {
                Some(n) => format!("csv=evidence&flag={n}"),
                None => "csv=evidence".into(),
            },
        ),
    }
}

/// The yearly figures behind share jumps.
fn shares_section(all: &Flags, only: Option<usize>, scope: Scope, body: Option<&str>) -> Section {
    let mut rows = Vec::new();
    for (i, f) in all.flags.iter().enumerate() {
        let n = i + 1;
        if only.is_some_and(|o| o != n) {
            continue;
        }
        for y in &f.shares {
            let mut row = Vec::new();
            if only.is_none() {
                row.push(Cell::number(n as i64));
                row.push(Cell::link(
                    &f.supplier,
                    format!("/spend/suppliers/{}", f.supplier_id),
                ));
                row.push(match &f.category_code {
                    Some(code) => Cell::link(
                        f.category.clone().unwrap_or_default(),
                        format!("/spend/categories/{code}?scope={}", scope.as_str()),
                    ),
                    None => Cell::text(""),
                });
            }
            row.extend([
                Cell::text(super::dates::financial_year_name(y.financial_year)),
                Cell::money(y.supplier_pence),
                Cell::money(y.category_pence),
                Cell::percent(y.share_bp),
            ]);
            rows.push(row);
        }
    }
    let mut columns = Vec::new();
    if only.is_none() {
        columns.extend(cols(&[
            ("Flag", true),
            ("Supplier", false),
            ("Category", false),
        ]));
    }
    columns.extend(cols(&[
        ("Financial year", false),
        ("Supplier's spend", true),
        ("Category spend", true),
        ("Share", true),
    ]));
    let caption = match only {
        Some(n) => format!("Shares behind flag {n}"),
        None => "Shares behind every share jump".into(),
    };
    Section {
        id: "shares",
        heading: caption.clone(),
        intro: String::new(),
        caption,
        chart: String::new(),
        columns,
        rows,
        csv_href: href(
            scope,
            body,
            &match only {
                Some(n) => format!("csv=shares&flag={n}"),
                None => "csv=shares".into(),
            },
        ),
    }
}

fn summary_section(all: &Flags, scope: Scope, body: Option<&str>) -> Section {
    let items: Vec<(String, i64)> = FlagKind::ALL
        .iter()
        .map(|k| (k.label().to_owned(), all.count(*k) as i64))
        .collect();
    Section {
        id: "summary",
        heading: "Flags by kind".into(),
        intro: String::new(),
        caption: "Flags by kind".into(),
        chart: charts::count_bars("Flags by kind", &items),
        columns: cols(&[("Kind", false), ("Flags", true)]),
        rows: FlagKind::ALL
            .iter()
            .map(|k| {
                vec![
                    Cell::link(k.label(), format!("#{}", k.as_str())),
                    Cell::number(all.count(*k) as i64),
                ]
            })
            .collect(),
        csv_href: href(scope, body, "csv=summary"),
    }
}

fn list_section(all: &Flags, scope: Scope, body: Option<&str>) -> Section {
    Section {
        id: "flags",
        heading: "Every flag".into(),
        intro: String::new(),
        caption: "Every flag, with why it was raised".into(),
        chart: String::new(),
        columns: cols(&[
            ("Flag", true),
            ("Kind", false),
            ("Body", false),
            ("Supplier", false),
            ("Category", false),
            ("Threshold", true),
            ("Payments", true),
            ("Amount", true),
            ("Why", false),
        ]),
        rows: all
            .flags
            .iter()
            .enumerate()
            .map(|(i, f)| {
                vec![
                    Cell::link((i + 1).to_string(), format!("#flag-{}", i + 1)),
                    Cell::text(f.kind.as_str()),
                    match (&f.body, &f.body_slug) {
                        (Some(b), Some(s)) => Cell::link(b, format!("/spend/bodies/{s}")),
                        _ => Cell::text(""),
                    },
                    Cell::link(&f.supplier, format!("/spend/suppliers/{}", f.supplier_id)),
                    Cell::text(f.category.clone().unwrap_or_default()),
                    match &f.threshold {
                        Some(t) => Cell::money(t.amount_pence),
                        None => Cell::text(""),
                    },
                    Cell::number(f.payments.len() as i64),
                    Cell::money(f.total_pence),
                    Cell::text(&f.why),
                ]
            })
            .collect(),
        csv_href: href(scope, body, "csv=flags"),
    }
}

fn thresholds_section(
    thresholds: &[flags::Threshold],
    scope: Scope,
    body: Option<&str>,
) -> Section {
    Section {
        id: "thresholds",
        heading: "Thresholds".into(),
        intro: "The amounts the \"just under\" and \"split\" flags measure against.".into(),
        caption: "Thresholds the flags use".into(),
        chart: String::new(),
        columns: cols(&[("Amount", true), ("Threshold", false)]),
        rows: thresholds
            .iter()
            .map(|t| vec![Cell::money(t.amount_pence), Cell::text(&t.label)])
            .collect(),
        csv_href: href(scope, body, "csv=thresholds"),
    }
}

fn is_platform_admin(auth: &Auth) -> bool {
    auth.user
        .as_ref()
        .is_some_and(|u| u.role == Role::PlatformAdmin)
}

/// The add-a-threshold form as last submitted, with what was wrong with it.
#[derive(Default)]
struct ThresholdForm {
    errors: Errors,
    amount: String,
    label: String,
}

async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<FlagsQuery>,
) -> Result<Response, PageError> {
    render(&state, &auth, q, ThresholdForm::default()).await
}

async fn render(
    state: &AppState,
    auth: &Auth,
    q: FlagsQuery,
    form: ThresholdForm,
) -> Result<Response, PageError> {
    let scope = Scope::parse(q.scope.as_deref());
    let body = q.body.clone().filter(|b| !b.trim().is_empty());
    let body_name = match &body {
        Some(slug) => Some(
            crate::accounts::store::find_organisation(&state.db, slug)
                .await?
                .filter(|o| &o.slug == slug)
                .ok_or(PageError::NotFound)?
                .name,
        ),
        None => None,
    };
    let filter = Filter {
        scope,
        body: body.clone(),
    };
    // A CSV download waits for the current flags; the page waits a few seconds, then shows
    // what it has and says the rest is on its way.
    let (all, progress) = if q.csv.is_some() {
        (
            flags::find_cached(&state.db, &state.config.flags_cache, &filter).await?,
            Progress::Current,
        )
    } else {
        match flags::within(&state.db, &state.config.flags_cache, &filter, PATIENCE).await? {
            flags::Answer::Current(f) => (f, Progress::Current),
            flags::Answer::Earlier(f) => (f, Progress::Earlier),
            flags::Answer::NotYet => (Default::default(), Progress::NotYet),
        }
    };
    let thresholds = flags::thresholds(&state.db).await?;
    let b = body.as_deref();
    let heading = match &body_name {
        Some(n) => format!("Red flags: {n}"),
        None if scope == Scope::London => "Red flags in London spend".into(),
        None => "Red flags in spend across all bodies".into(),
    };
    if let Some(id) = &q.csv {
        let section = match id.as_str() {
            "summary" => summary_section(&all, scope, b),
            "flags" => list_section(&all, scope, b),
            "evidence" => evidence_section(&all, q.flag, scope, b),
            "shares" => shares_section(&all, q.flag, scope, b),
            "thresholds" => thresholds_section(&thresholds, scope, b),
            _ => return Err(PageError::NotFound),
        };
        return csv_response(&heading, &section);
    }
    let groups = FlagKind::ALL
        .iter()
        .map(|k| KindGroup {
            id: k.as_str(),
            heading: k.label(),
            intro: intro(*k),
            truncated: all.truncated.contains(k),
            flags: all
                .flags
                .iter()
                .enumerate()
                .filter(|(_, f)| f.kind == *k)
                .map(|(i, f)| FlagView {
                    number: i + 1,
                    title: title(i + 1, f),
                    why: f.why.clone(),
                    table: if f.kind == FlagKind::ShareJump {
                        shares_section(&all, Some(i + 1), scope, b)
                    } else {
                        evidence_section(&all, Some(i + 1), scope, b)
                    },
                })
                .collect(),
        })
        .collect();
    let bodies = store::bodies(&state.db, Scope::All)
        .await?
        .into_iter()
        .map(|o| {
            let selected = body.as_deref() == Some(o.slug.as_str());
            (o.slug, o.name, selected)
        })
        .collect();
    let page = FlagsPage {
        layout: Layout::new(auth, &heading)
            .nav("spend")
            .crumb("Home", "/")
            .crumb("Spend", "/spend"),
        heading,
        scopes: if body.is_some() {
            vec![]
        } else {
            vec![
                (
                    "the 33 London authorities".into(),
                    href(Scope::London, None, ""),
                    scope == Scope::London,
                ),
                (
                    "every body in the database".into(),
                    href(Scope::All, None, ""),
                    scope == Scope::All,
                ),
            ]
        },
        bodies,
        body: body.clone(),
        scope: scope.as_str(),
        summary: summary_section(&all, scope, b),
        list: list_section(&all, scope, b),
        groups,
        admin_thresholds: thresholds
            .iter()
            .map(|t| {
                (
                    t.amount_pence,
                    Pence(t.amount_pence).display_exact(),
                    t.label.clone(),
                )
            })
            .collect(),
        thresholds: thresholds_section(&thresholds, scope, b),
        is_admin: is_platform_admin(auth),
        form,
        progress,
        reload: href(scope, b, ""),
    };
    let status = if page.form.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Html(page.render()?)).into_response())
}

const ONLY_ADMINS: &str = "Only platform admins can change the thresholds the red flags use.";

async fn add_threshold(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = auth.require_role("/spend/flags", &[Role::PlatformAdmin], ONLY_ADMINS)?;
    let t = match flags::add_threshold(&state.db, fields.get("amount"), fields.get("label")).await {
        Ok(t) => t,
        Err(flags::ThresholdError::Db(e)) => return Err(e.into()),
        Err(e) => {
            // Shown beside the field, with what was typed kept.
            let field = match e {
                flags::ThresholdError::BadLabel => "label",
                _ => "amount",
            };
            let mut form = ThresholdForm {
                amount: fields.get("amount").to_owned(),
                label: fields.get("label").to_owned(),
                ..ThresholdForm::default()
            };
            form.errors.add(field, e.to_string());
            return render(&state, &auth, FlagsQuery::default(), form).await;
        }
    };
    crate::accounts::store::audit(
        &state.db,
        Some(user),
        "spend_threshold_added",
        &format!(
            "Added the red-flag threshold {} ({})",
            Pence(t.amount_pence).display_exact(),
            t.label
        ),
        Some(&auth.ip),
    )
    .await?;
    Ok(Redirect::to("/spend/flags#thresholds").into_response())
}

async fn remove_threshold(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = auth.require_role("/spend/flags", &[Role::PlatformAdmin], ONLY_ADMINS)?;
    let pence: i64 = fields
        .get("amount_pence")
        .parse()
        .map_err(|_| PageError::BadRequest("Choose the threshold to remove.".into()))?;
    let label = flags::remove_threshold(&state.db, pence)
        .await?
        .ok_or_else(|| {
            PageError::BadRequest(
                "That threshold has already been removed. Reload the page to see the current list."
                    .into(),
            )
        })?;
    crate::accounts::store::audit(
        &state.db,
        Some(user),
        "spend_threshold_removed",
        &format!(
            "Removed the red-flag threshold {} ({label})",
            Pence(pence).display_exact()
        ),
        Some(&auth.ip),
    )
    .await?;
    Ok(Redirect::to("/spend/flags#thresholds").into_response())
}

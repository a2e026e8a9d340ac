//! The spend analysis pages. Every page is a list of sections, each a table (with a chart of
//! the same figures above it when a picture helps); the same sections serve the HTML page and
//! each table's CSV download, so the two can never disagree.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::Redirect;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::charts;
use super::store::{self, Band, Scope};
use crate::money::Pence;
use crate::web::auth::Auth;
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/spend", get(overview))
        .route("/spend/bodies/{slug}", get(body))
        .route("/spend/suppliers/{id}", get(supplier))
        .route("/spend/suppliers/{id}/merge", post(merge_supplier))
        .route("/spend/suppliers/{id}/split", post(split_supplier))
        .route("/spend/categories", get(categories))
        .route("/spend/categories/{code}", get(category))
        .route("/spend/uncategorised", get(uncategorised))
        .merge(super::flags_web::routes())
        .route("/spend/compare", get(compare))
}

pub struct Column {
    pub title: String,
    pub numeric: bool,
}

pub struct Cell {
    pub text: String,
    /// The value as the CSV carries it (pounds as a plain decimal, dates as ISO).
    pub raw: String,
    pub href: String,
    pub numeric: bool,
}

impl Cell {
    pub(super) fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        Cell {
            raw: s.clone(),
            text: s,
            href: String::new(),
            numeric: false,
        }
    }
    pub(super) fn link(s: impl Into<String>, href: impl Into<String>) -> Cell {
        Cell {
            href: href.into(),
            ..Cell::text(s)
        }
    }
    pub(super) fn money(p: i64) -> Cell {
        Cell {
            text: Pence(p).display_exact(),
            raw: {
                let a = p.unsigned_abs();
                format!("{}{}.{:02}", if p < 0 { "-" } else { "" }, a / 100, a % 100)
            },
            href: String::new(),
            numeric: true,
        }
    }
    pub(super) fn number(n: i64) -> Cell {
        Cell {
            text: crate::web::filters::pounds(n)
                .trim_start_matches('£')
                .to_owned(),
            raw: n.to_string(),
            href: String::new(),
            numeric: true,
        }
    }
    pub(super) fn percent(bp: i64) -> Cell {
        Cell {
            text: format!("{:.1}%", bp as f64 / 100.0),
            raw: format!("{:.2}", bp as f64 / 100.0),
            href: String::new(),
            numeric: true,
        }
    }
}

pub struct Section {
    pub id: &'static str,
    pub heading: String,
    pub intro: String,
    pub caption: String,
    pub chart: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub csv_href: String,
}

pub(super) fn cols(spec: &[(&'static str, bool)]) -> Vec<Column> {
    spec.iter()
        .map(|(title, numeric)| Column {
            title: (*title).to_owned(),
            numeric: *numeric,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "spend/templates/analysis.html")]
struct AnalysisPage {
    layout: Layout,
    heading: String,
    lede: String,
    scopes: Vec<(String, String, bool)>,
    headline: Vec<(String, String)>,
    sections: Vec<Section>,
    footnote: String,
    admin: Option<AdminPanel>,
    /// Links to what the viewer can do from here: (label, href).
    actions: Vec<(String, String)>,
}

/// The supplier register controls, shown to platform admins on a supplier's page.
pub struct AdminPanel {
    pub supplier_id: i64,
    pub duplicates: Vec<(i64, String, String, String)>,
    pub aliases: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    scope: Option<String>,
    /// The id of the table to download as CSV.
    csv: Option<String>,
}

/// A page, or one of its tables as CSV when `?csv=` names it.
fn respond(page: AnalysisPage, q: &PageQuery) -> Result<Response, PageError> {
    if let Some(id) = &q.csv {
        return csv_download(&page.heading, &page.sections, id);
    }
    Ok(Html(page.render()?).into_response())
}

/// One section's table as a CSV download.
fn csv_download(heading: &str, sections: &[Section], id: &str) -> Result<Response, PageError> {
    let s = sections
        .iter()
        .find(|s| s.id == id)
        .ok_or(PageError::NotFound)?;
    csv_response(heading, s)
}

/// One table as a CSV download, named after the page and the table.
pub(super) fn csv_response(heading: &str, s: &Section) -> Result<Response, PageError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| PageError::Internal(e.to_string());
    w.write_record(s.columns.iter().map(|c| c.title.as_str()))
        .map_err(fail)?;
    for r in &s.rows {
        w.write_record(r.iter().map(|c| c.raw.as_str()))
            .map_err(fail)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| PageError::Internal(e.to_string()))?;
    let name = format!("{}-{}.csv", crate::seed::slug(heading), s.id);
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

pub(super) fn csv_href(path: &str, scope: Option<Scope>, id: &str) -> String {
    match scope {
        Some(s) => format!("{path}?scope={}&csv={id}", s.as_str()),
        None => format!("{path}?csv={id}"),
    }
}

fn scope_links(path: &str, scope: Scope) -> Vec<(String, String, bool)> {
    vec![
        (
            "the 33 London authorities".into(),
            format!("{path}?scope=london"),
            scope == Scope::London,
        ),
        (
            "every body in the database".into(),
            format!("{path}?scope=all"),
            scope == Scope::All,
        ),
    ]
}

fn month_section(path: &str, scope: Option<Scope>, months: &[store::MonthTotal]) -> Section {
    let items: Vec<(String, i64)> = months
        .iter()
        .map(|m| (m.month.clone(), m.total_pence))
        .collect();
    Section {
        id: "months",
        heading: "Spend by month".into(),
        intro:
            "Supplier-total files without dates count in the first month of the period they cover."
                .into(),
        caption: "Spend by month".into(),
        chart: charts::columns("Spend by month", &items),
        columns: cols(&[("Month", false), ("Spend", true), ("Payments", true)]),
        rows: months
            .iter()
            .map(|m| {
                vec![
                    Cell::text(&m.month),
                    Cell::money(m.total_pence),
                    Cell::number(m.payments),
                ]
            })
            .collect(),
        csv_href: csv_href(path, scope, "months"),
    }
}

fn supplier_section(
    path: &str,
    scope: Option<Scope>,
    heading: &str,
    suppliers: &[store::SupplierTotal],
) -> Section {
    let items: Vec<(String, i64)> = suppliers
        .iter()
        .take(15)
        .map(|s| (s.name.clone(), s.total_pence))
        .collect();
    Section {
        id: "suppliers",
        heading: heading.into(),
        intro: "Redacted personal payees are spend, but never suppliers, so they are not listed."
            .into(),
        caption: heading.into(),
        chart: charts::bars(heading, &items),
        columns: cols(&[
            ("Supplier", false),
            ("Company number", false),
            ("Spend", true),
            ("Payments", true),
            ("Bodies", true),
        ]),
        rows: suppliers
            .iter()
            .map(|s| {
                vec![
                    Cell::link(&s.name, format!("/spend/suppliers/{}", s.supplier_id)),
                    Cell::text(s.company_number.clone().unwrap_or_default()),
                    Cell::money(s.total_pence),
                    Cell::number(s.payments),
                    Cell::number(s.bodies),
                ]
            })
            .collect(),
        csv_href: csv_href(path, scope, "suppliers"),
    }
}

fn markets_section(path: &str, scope: Scope, markets: &[store::Market]) -> Section {
    Section {
        id: "markets",
        heading: "Market concentration by category".into(),
        intro: "CR4 is the share of the four largest suppliers. HHI is the sum of the squared percentage shares of every supplier (0–10,000); bands follow the UK Competition and Markets Authority: above 1,000 concentrated, above 2,000 highly concentrated.".into(),
        caption: "Market concentration by category".into(),
        chart: String::new(),
        columns: cols(&[
            ("Category", false),
            ("Spend", true),
            ("Suppliers", true),
            ("Buyers", true),
            ("CR4", true),
            ("HHI", true),
            ("Band", false),
            ("Largest supplier", false),
        ]),
        rows: markets
            .iter()
            .filter(|m| m.is_market && m.total_pence > 0)
            .map(|m| {
                vec![
                    Cell::link(
                        &m.name,
                        format!("/spend/categories/{}?scope={}", m.code, scope.as_str()),
                    ),
                    Cell::money(m.total_pence),
                    Cell::number(m.suppliers),
                    Cell::number(m.buyers),
                    Cell::percent(m.cr4_bp),
                    Cell::number(m.hhi),
                    Cell::text(m.band().label()),
                    match (m.top_supplier_id, &m.top_supplier) {
                        (Some(id), Some(n)) => Cell::link(
                            format!("{n} ({:.0}%)", m.top_share_bp as f64 / 100.0),
                            format!("/spend/suppliers/{id}"),
                        ),
                        _ => Cell::text(""),
                    },
                ]
            })
            .collect(),
        csv_href: csv_href(path, Some(scope), "markets"),
    }
}

async fn overview(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let scope = Scope::parse(q.scope.as_deref());
    let path = "/spend";
    let bodies = store::bodies(&state.db, scope).await?;
    let months = store::months(&state.db, scope, None).await?;
    let suppliers = store::top_suppliers(&state.db, scope, None, 50).await?;
    let markets = store::markets(&state.db, scope).await?;
    let total: i64 = bodies.iter().map(|b| b.total_pence).sum();
    let payments: i64 = bodies.iter().map(|b| b.payments).sum();
    let body_items: Vec<(String, i64)> = bodies
        .iter()
        .take(20)
        .map(|b| (b.name.clone(), b.total_pence))
        .collect();
    let page = AnalysisPage {
        layout: Layout::new(&auth, "Spend")
            .nav("spend")
            .crumb("Home", "/"),
        heading: if scope == Scope::London {
            "London spend".into()
        } else {
            "Spend across all bodies".into()
        },
        lede: "What public bodies pay to whom, from the \"spend over £500\" files they publish: who supplies London, how concentrated each market is, and how boroughs compare.".into(),
        scopes: scope_links(path, scope),
        headline: vec![
            ("Total spend".into(), Pence(total).display_pounds()),
            ("Payments".into(), crate::web::filters::pounds(payments).trim_start_matches('£').to_owned()),
            ("Bodies".into(), bodies.len().to_string()),
        ],
        sections: vec![
            Section {
                id: "bodies",
                heading: "Spend by body".into(),
                intro: String::new(),
                caption: "Spend by body".into(),
                chart: charts::bars("Spend by body", &body_items),
                columns: cols(&[
                    ("Body", false),
                    ("Spend", true),
                    ("Payments", true),
                    ("Redacted payees", true),
                    ("From", false),
                    ("To", false),
                ]),
                rows: bodies
                    .iter()
                    .map(|b| {
                        vec![
                            Cell::link(&b.name, format!("/spend/bodies/{}", b.slug)),
                            Cell::money(b.total_pence),
                            Cell::number(b.payments),
                            Cell::money(b.redacted_pence),
                            Cell::text(&b.first_month),
                            Cell::text(&b.last_month),
                        ]
                    })
                    .collect(),
                csv_href: csv_href(path, Some(scope), "bodies"),
            },
            month_section(path, Some(scope), &months),
            supplier_section(path, Some(scope), "Largest suppliers", &suppliers),
            markets_section(path, scope, &markets),
        ],
        admin: None,
        actions: overview_actions(&auth),
        footnote: "Spend is published open data; figures are as each body published them, net of VAT where the file says so.".into(),
    };
    respond(page, &q)
}

async fn body(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let org = crate::accounts::store::find_organisation(&state.db, &slug)
        .await?
        .filter(|o| o.slug == slug)
        .ok_or(PageError::NotFound)?;
    let path = format!("/spend/bodies/{slug}");
    let months = store::months(&state.db, Scope::All, Some(&slug)).await?;
    let suppliers = store::top_suppliers(&state.db, Scope::All, Some(&slug), 100).await?;
    let categories = store::body_categories(&state.db, &slug).await?;
    let imports = store::imports(&state.db, &slug, &auth.viewer()).await?;
    // Flags take seconds on a large database: the page shows them once worked out, and
    // otherwise says so and has them worked out in the background.
    let flags = super::flags::cached_or_start(
        &state.db,
        &state.config.flags_cache,
        &super::flags::Filter {
            scope: Scope::All,
            body: Some(slug.clone()),
        },
    )
    .await?;
    let total: i64 = months.iter().map(|m| m.total_pence).sum();
    let cat_items: Vec<(String, i64)> = categories
        .iter()
        .take(15)
        .map(|c| (c.name.clone(), c.total_pence))
        .collect();
    let page = AnalysisPage {
        layout: Layout::new(&auth, &org.name)
            .nav("spend")
            .crumb("Home", "/")
            .crumb("Spend", "/spend"),
        heading: org.name.clone(),
        lede: String::new(),
        scopes: vec![],
        headline: vec![
            ("Total spend".into(), Pence(total).display_pounds()),
            (
                "Period".into(),
                match (months.first(), months.last()) {
                    (Some(a), Some(b)) => format!("{} to {}", a.month, b.month),
                    _ => "No spend imported yet".into(),
                },
            ),
            ("Suppliers".into(), suppliers.len().to_string()),
        ],
        sections: vec![
            month_section(&path, None, &months),
            supplier_section(&path, None, "Largest suppliers", &suppliers),
            Section {
                id: "categories",
                heading: "Spend by category".into(),
                intro: "Categories come from the shared taxonomy, mapped from the body's own expense types and procurement classifications.".into(),
                caption: "Spend by category".into(),
                chart: charts::bars("Spend by category", &cat_items),
                columns: cols(&[("Category", false), ("Spend", true), ("Payments", true), ("CPV divisions", false)]),
                rows: categories
                    .iter()
                    .map(|c| {
                        vec![
                            Cell::link(&c.name, format!("/spend/categories/{}?scope=all", c.code)),
                            Cell::money(c.total_pence),
                            Cell::number(c.payments),
                            Cell::text(&c.cpv_divisions),
                        ]
                    })
                    .collect(),
                csv_href: csv_href(&path, None, "categories"),
            },
            Section {
                id: "flags",
                heading: "Red flags".into(),
                intro: "Patterns in this body's payments worth a second look: each links to the payments behind it.".into(),
                caption: "Red flags by kind".into(),
                chart: String::new(),
                columns: cols(&[("Kind", false), ("Flags", true)]),
                rows: match &flags {
                    Some(flags) => super::flags::FlagKind::ALL
                        .iter()
                        .map(|k| {
                            vec![
                                Cell::link(k.label(), format!("/spend/flags?body={slug}#{}", k.as_str())),
                                Cell::number(flags.count(*k) as i64),
                            ]
                        })
                        .collect(),
                    None => vec![vec![
                        Cell::link(
                            "Being worked out: open this body's red flags, or look again in a minute",
                            format!("/spend/flags?body={slug}"),
                        ),
                        Cell::text(""),
                    ]],
                },
                csv_href: csv_href(&path, None, "flags"),
            },
            Section {
                id: "imports",
                heading: "Files imported".into(),
                intro: "Where these figures come from.".into(),
                caption: "Files imported".into(),
                chart: String::new(),
                columns: cols(&[("File", false), ("Kind", false), ("Rows", true), ("Spend", true), ("From", false), ("To", false)]),
                rows: imports
                    .iter()
                    .map(|i| {
                        vec![
                            Cell::text(&i.file_name),
                            Cell::text(i.kind.replace('_', " ")),
                            Cell::number(i.rows_imported),
                            Cell::money(i.total_pence),
                            Cell::text(i.first_date.map(|d| d.to_string()).unwrap_or_default()),
                            Cell::text(i.last_date.map(|d| d.to_string()).unwrap_or_default()),
                        ]
                    })
                    .collect(),
                csv_href: csv_href(&path, None, "imports"),
            },
        ],
        actions: body_actions(&auth, &org),
        footnote: String::new(),
        admin: None,
    };
    respond(page, &q)
}

async fn supplier(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let s = crate::suppliers::store::get(&state.db, id)
        .await?
        .ok_or(PageError::NotFound)?;
    let path = format!("/spend/suppliers/{id}");
    let bodies = store::supplier_bodies(&state.db, id).await?;
    let months = store::supplier_months(&state.db, id).await?;
    let categories = store::supplier_categories(&state.db, id).await?;
    let total: i64 = bodies.iter().map(|b| b.total_pence).sum();
    let body_items: Vec<(String, i64)> = bodies
        .iter()
        .take(15)
        .map(|b| (b.body.clone(), b.total_pence))
        .collect();
    let mut headline = vec![
        ("Paid by".into(), format!("{} bodies", bodies.len())),
        ("Total".into(), Pence(total).display_pounds()),
    ];
    if let Some(cn) = &s.company_number {
        headline.push(("Company number".into(), cn.clone()));
    }
    if let Some(v) = &s.vat_number {
        headline.push(("VAT number".into(), v.clone()));
    }
    let is_admin = auth
        .user
        .as_ref()
        .is_some_and(|u| u.role == crate::accounts::Role::PlatformAdmin);
    let admin = if is_admin {
        Some(AdminPanel {
            supplier_id: s.id,
            duplicates: crate::suppliers::admin::possible_duplicates(&state.db, &s)
                .await?
                .into_iter()
                .map(|(c, m)| (c.id, c.name, format!("{:.2}", m.score), m.reason))
                .collect(),
            aliases: crate::suppliers::admin::aliases(&state.db, s.id).await?,
        })
    } else {
        None
    };
    let page = AnalysisPage {
        layout: Layout::new(&auth, &s.name)
            .nav("spend")
            .crumb("Home", "/")
            .crumb("Spend", "/spend"),
        heading: s.name.clone(),
        lede: String::new(),
        scopes: vec![],
        headline,
        sections: vec![
            Section {
                id: "bodies",
                heading: "Who pays this supplier".into(),
                intro: String::new(),
                caption: "Who pays this supplier".into(),
                chart: charts::bars("Who pays this supplier", &body_items),
                columns: cols(&[
                    ("Body", false),
                    ("Spend", true),
                    ("Payments", true),
                    ("First payment", false),
                    ("Latest payment", false),
                ]),
                rows: bodies
                    .iter()
                    .map(|b| {
                        vec![
                            Cell::link(&b.body, format!("/spend/bodies/{}", b.body_slug)),
                            Cell::money(b.total_pence),
                            Cell::number(b.payments),
                            Cell::text(b.first_date.to_string()),
                            Cell::text(b.last_date.to_string()),
                        ]
                    })
                    .collect(),
                csv_href: csv_href(&path, None, "bodies"),
            },
            month_section(&path, None, &months),
            Section {
                id: "categories",
                heading: "What for".into(),
                intro: String::new(),
                caption: "Spend with this supplier by category".into(),
                chart: String::new(),
                columns: cols(&[("Category", false), ("Spend", true), ("Payments", true)]),
                rows: categories
                    .iter()
                    .map(|c| {
                        vec![
                            Cell::link(&c.name, format!("/spend/categories/{}?scope=all", c.code)),
                            Cell::money(c.total_pence),
                            Cell::number(c.payments),
                        ]
                    })
                    .collect(),
                csv_href: csv_href(&path, None, "categories"),
            },
        ],
        actions: vec![],
        footnote: String::new(),
        admin,
    };
    respond(page, &q)
}

async fn categories(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let scope = Scope::parse(q.scope.as_deref());
    let markets = store::markets(&state.db, scope).await?;
    let page = AnalysisPage {
        layout: Layout::new(&auth, "Spend categories")
            .nav("spend")
            .crumb("Home", "/")
            .crumb("Spend", "/spend"),
        heading: "Categories and market concentration".into(),
        lede: "How concentrated each market is. Payments that are not bought from a market (salaries, grants, transfers between public bodies, refunds) are left out.".into(),
        scopes: scope_links("/spend/categories", scope),
        headline: vec![],
        sections: vec![markets_section("/spend/categories", scope, &markets)],
        admin: None,
        actions: vec![],
        footnote: "Some expense types match no category yet: see the uncategorised spend report at /spend/uncategorised.".into(),
    };
    respond(page, &q)
}

async fn category(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let scope = Scope::parse(q.scope.as_deref());
    let (name, cpv) = store::category_name(&state.db, &code)
        .await?
        .ok_or(PageError::NotFound)?;
    let path = format!("/spend/categories/{code}");
    let market = store::market(&state.db, scope, &code).await?;
    let suppliers = store::category_suppliers(&state.db, scope, &code, 100).await?;
    let buyers = store::category_buyers(&state.db, scope, &code, 200).await?;
    let total = market.as_ref().map_or(0, |m| m.total_pence).max(1);
    let items: Vec<(String, i64)> = suppliers
        .iter()
        .take(15)
        .map(|s| (s.name.clone(), s.total_pence))
        .collect();
    let headline = match &market {
        Some(m) => vec![
            ("Spend".into(), Pence(m.total_pence).display_pounds()),
            ("Suppliers".into(), m.suppliers.to_string()),
            ("Bodies buying".into(), m.buyers.to_string()),
            (
                "Four largest suppliers' share (CR4)".into(),
                format!("{:.1}%", m.cr4_bp as f64 / 100.0),
            ),
            (
                "Herfindahl–Hirschman index".into(),
                format!("{} — {}", m.hhi, m.band().label().to_lowercase()),
            ),
            (
                "Corresponding CPV divisions".into(),
                if cpv.is_empty() {
                    "none".into()
                } else {
                    cpv.clone()
                },
            ),
        ],
        None => vec![("Spend".into(), "None imported in this scope yet".into())],
    };
    let band_note = match market.as_ref().map(store::Market::band) {
        Some(Band::HighlyConcentrated) => {
            "A highly concentrated market: a handful of suppliers hold most of it. Consider joint procurement, lotting and SME-friendly routes to market."
        }
        Some(Band::Concentrated) => {
            "A concentrated market: watch for dependence on a few suppliers."
        }
        _ => "",
    };
    let page = AnalysisPage {
        layout: Layout::new(&auth, &name)
            .nav("spend")
            .crumb("Home", "/")
            .crumb("Spend", "/spend")
            .crumb(
                "Categories",
                format!("/spend/categories?scope={}", scope.as_str()),
            ),
        heading: name.clone(),
        lede: band_note.into(),
        scopes: scope_links(&path, scope),
        headline,
        sections: vec![
            Section {
                id: "shares",
                heading: "Supplier shares".into(),
                intro: String::new(),
                caption: format!("Suppliers of {name}"),
                chart: charts::bars(&format!("Suppliers of {name}"), &items),
                columns: cols(&[
                    ("Supplier", false),
                    ("Spend", true),
                    ("Share", true),
                    ("Payments", true),
                    ("Bodies", true),
                ]),
                rows: suppliers
                    .iter()
                    .map(|s| {
                        vec![
                            Cell::link(&s.name, format!("/spend/suppliers/{}", s.supplier_id)),
                            Cell::money(s.total_pence),
                            Cell::percent(
                                (s.total_pence as f64 / total as f64 * 10_000.0).round() as i64
                            ),
                            Cell::number(s.payments),
                            Cell::number(s.bodies),
                        ]
                    })
                    .collect(),
                csv_href: csv_href(&path, Some(scope), "shares"),
            },
            Section {
                id: "buyers",
                heading: "Who buys from whom".into(),
                intro: String::new(),
                caption: format!("Bodies and their suppliers of {name}"),
                chart: String::new(),
                columns: cols(&[("Body", false), ("Supplier", false), ("Spend", true)]),
                rows: buyers
                    .iter()
                    .map(|b| {
                        vec![
                            Cell::link(&b.body, format!("/spend/bodies/{}", b.body_slug)),
                            Cell::link(&b.supplier, format!("/spend/suppliers/{}", b.supplier_id)),
                            Cell::money(b.total_pence),
                        ]
                    })
                    .collect(),
                csv_href: csv_href(&path, Some(scope), "buyers"),
            },
        ],
        actions: vec![],
        footnote: String::new(),
        admin: None,
    };
    respond(page, &q)
}

async fn uncategorised(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let rows = store::uncategorised(&state.db, 200).await?;
    let page = AnalysisPage {
        layout: Layout::new(&auth, "Uncategorised spend")
            .nav("spend")
            .crumb("Home", "/")
            .crumb("Spend", "/spend")
            .crumb("Categories", "/spend/categories"),
        heading: "Uncategorised spend".into(),
        lede: "Expense types that no keyword of the shared taxonomy (data/spend/categories.toml) matches, largest first: the list to work through to improve the mapping.".into(),
        scopes: vec![],
        headline: vec![],
        sections: vec![Section {
            id: "labels",
            heading: "Expense types without a category".into(),
            intro: String::new(),
            caption: "Expense types without a category".into(),
            chart: String::new(),
            columns: cols(&[("Expense type as published", false), ("Bodies", true), ("Spend", true), ("Payments", true)]),
            rows: rows
                .iter()
                .map(|r| {
                    vec![
                        Cell::text(&r.label),
                        Cell::number(r.bodies),
                        Cell::money(r.total_pence),
                        Cell::number(r.payments),
                    ]
                })
                .collect(),
            csv_href: csv_href("/spend/uncategorised", None, "labels"),
        }],
        actions: vec![],
        footnote: String::new(),
        admin: None,
    };
    respond(page, &q)
}

/// The upload link, for those who may upload spend.
fn upload_action(auth: &Auth) -> Option<(String, String)> {
    auth.user
        .as_ref()
        .filter(|u| super::upload::may_upload(u))
        .map(|_| ("Upload a spend file".to_owned(), "/spend/upload".to_owned()))
}

fn overview_actions(auth: &Auth) -> Vec<(String, String)> {
    let mut v = vec![(
        "Compare bodies side by side".to_owned(),
        "/spend/compare".to_owned(),
    )];
    v.extend(upload_action(auth));
    v
}

/// On a body's page, the upload link shows only to those who may upload for that body.
fn body_actions(auth: &Auth, org: &crate::accounts::Organisation) -> Vec<(String, String)> {
    let own = auth
        .user
        .as_ref()
        .is_some_and(|u| u.role == crate::accounts::Role::PlatformAdmin || u.org_id == org.id);
    let mut v = vec![(
        format!("Compare {} with other bodies", org.short_name),
        format!("/spend/compare?with={}", org.slug),
    )];
    if own {
        v.extend(upload_action(auth));
    }
    v
}

#[derive(Template)]
#[template(path = "spend/templates/compare.html")]
struct ComparePage {
    layout: Layout,
    errors: crate::web::form::Errors,
    heading: String,
    headline: Vec<(String, String)>,
    sections: Vec<Section>,
    /// Every body with spend: (slug, name, chosen).
    choices: Vec<(String, String, bool)>,
}

fn month_range(a: &Option<String>, b: &Option<String>) -> (Cell, Cell) {
    (
        Cell::text(a.clone().unwrap_or_default()),
        Cell::text(b.clone().unwrap_or_default()),
    )
}

/// The sections of a comparison: one table each, each downloadable.
fn compare_sections(c: &super::compare::Comparison, query: &str) -> Vec<Section> {
    let href = |id: &str| format!("/spend/compare?{query}&csv={id}");
    let body_cols = |first: &[(&'static str, bool)], last: &[(&'static str, bool)]| {
        let mut v = cols(first);
        v.extend(c.bodies.iter().map(|b| Column {
            title: b.short_name.clone(),
            numeric: true,
        }));
        v.extend(cols(last));
        v
    };
    let spend_of = |m: &std::collections::BTreeMap<String, i64>| {
        c.bodies
            .iter()
            .map(|b| Cell::money(m.get(&b.slug).copied().unwrap_or(0)))
            .collect::<Vec<_>>()
    };
    let items: Vec<(String, i64)> = c
        .bodies
        .iter()
        .map(|b| (b.short_name.clone(), b.total_pence))
        .collect();
    vec![
        Section {
            id: "bodies",
            heading: "The bodies".into(),
            intro: "Months are those with spend in the files imported so far.".into(),
            caption: "Spend of the chosen bodies".into(),
            chart: charts::bars("Spend of the chosen bodies", &items),
            columns: cols(&[
                ("Body", false),
                ("Spend", true),
                ("Payments", true),
                ("Suppliers", true),
                ("From", false),
                ("To", false),
                ("Largest category", false),
                ("Spend in largest category", true),
            ]),
            rows: c
                .bodies
                .iter()
                .map(|b| {
                    let (from, to) = month_range(&b.first_month, &b.last_month);
                    vec![
                        Cell::link(&b.name, format!("/spend/bodies/{}", b.slug)),
                        Cell::money(b.total_pence),
                        Cell::number(b.payments),
                        Cell::number(b.suppliers),
                        from,
                        to,
                        match &b.top_category {
                            Some(t) => Cell::link(
                                &t.name,
                                format!("/spend/categories/{}?scope=all", t.code),
                            ),
                            None => Cell::text(""),
                        },
                        Cell::money(b.top_category.as_ref().map_or(0, |t| t.total_pence)),
                    ]
                })
                .collect(),
            csv_href: href("bodies"),
        },
        Section {
            id: "categories",
            heading: "Spend by category".into(),
            intro: "Each body's spend in each category of the shared taxonomy, largest combined spend first.".into(),
            caption: "Spend by category, body by body".into(),
            chart: String::new(),
            columns: body_cols(&[("Category", false)], &[("Together", true)]),
            rows: c
                .categories
                .iter()
                .map(|r| {
                    let mut row = vec![Cell::link(
                        &r.name,
                        format!("/spend/categories/{}?scope=all", r.code),
                    )];
                    row.extend(spend_of(&r.spend));
                    row.push(Cell::money(r.total_pence));
                    row
                })
                .collect(),
            csv_href: href("categories"),
        },
        Section {
            id: "shared",
            heading: "Suppliers they share".into(),
            intro: "Suppliers paid by at least two of the chosen bodies, largest combined spend first (up to 200): candidates for joint procurement or shared contract management.".into(),
            caption: "Suppliers shared by the chosen bodies".into(),
            chart: String::new(),
            columns: body_cols(
                &[("Supplier", false), ("Bodies paying", true)],
                &[("Together", true)],
            ),
            rows: c
                .shared_suppliers
                .iter()
                .map(|s| {
                    let mut row = vec![
                        Cell::link(&s.name, format!("/spend/suppliers/{}", s.supplier_id)),
                        Cell::number(s.bodies),
                    ];
                    row.extend(spend_of(&s.spend));
                    row.push(Cell::money(s.total_pence));
                    row
                })
                .collect(),
            csv_href: href("shared"),
        },
    ]
}

async fn compare(
    State(state): State<AppState>,
    auth: Auth,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    use super::compare::{self as cmp, CompareError};
    let pairs: Vec<(String, String)> = raw
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let asked: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "body")
        .map(|(_, v)| v.as_str())
        .collect();
    let csv = pairs
        .iter()
        .find(|(k, _)| k == "csv")
        .map(|(_, v)| v.clone());
    // `with` ticks a body in the chooser without comparing yet (the link from a body's page).
    let ticked: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "with")
        .map(|(_, v)| v.as_str())
        .collect();
    let slugs = cmp::distinct(&asked);
    let mut errors = crate::web::form::Errors::default();
    let mut status = StatusCode::OK;
    let mut sections = Vec::new();
    let mut headline = Vec::new();
    let mut heading = "Compare bodies".to_owned();
    if !slugs.is_empty() {
        match cmp::compare(&state.db, &slugs).await {
            Ok(c) => {
                let query = slugs
                    .iter()
                    .map(|s| format!("body={s}"))
                    .collect::<Vec<_>>()
                    .join("&");
                heading = c
                    .bodies
                    .iter()
                    .map(|b| b.short_name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                headline = vec![
                    (
                        "Spend together".into(),
                        Pence(c.bodies.iter().map(|b| b.total_pence).sum()).display_pounds(),
                    ),
                    (
                        "Suppliers they share".into(),
                        c.shared_suppliers.len().to_string(),
                    ),
                ];
                sections = compare_sections(&c, &query);
            }
            Err(CompareError::Db(e)) => return Err(e.into()),
            Err(e @ CompareError::Unknown(_)) => {
                status = StatusCode::NOT_FOUND;
                errors.add("body", e.to_string());
            }
            Err(e) => {
                status = StatusCode::UNPROCESSABLE_ENTITY;
                errors.add("body", e.to_string());
            }
        }
    }
    if let Some(id) = &csv {
        if !errors.is_empty() {
            return Err(PageError::NotFound);
        }
        return csv_download(&format!("compare {heading}"), &sections, id);
    }
    let choices = store::bodies(&state.db, Scope::All)
        .await?
        .into_iter()
        .map(|b| {
            let chosen = slugs.contains(&b.slug) || ticked.contains(&b.slug.as_str());
            (b.slug, b.name, chosen)
        })
        .collect();
    let title = if errors.is_empty() {
        "Compare bodies' spend".to_owned()
    } else {
        "Error: Compare bodies' spend".to_owned()
    };
    let page = ComparePage {
        layout: Layout::new(&auth, title)
            .nav("spend")
            .crumb("Home", "/")
            .crumb("Spend", "/spend"),
        errors,
        heading,
        headline,
        sections,
        choices,
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn require_platform_admin<'a>(
    auth: &'a Auth,
    here: &str,
) -> Result<&'a crate::accounts::User, PageError> {
    auth.require_role(
        here,
        &[crate::accounts::Role::PlatformAdmin],
        "Only platform admins can merge or split suppliers in the shared register.",
    )
}

fn decision_error(e: crate::suppliers::admin::DecisionError) -> PageError {
    use crate::suppliers::admin::DecisionError as D;
    match e {
        D::Db(e) => e.into(),
        D::UnknownSupplier => PageError::NotFound,
        other => PageError::BadRequest(other.to_string()),
    }
}

async fn merge_supplier(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    crate::web::form::CsrfForm(fields, auth): crate::web::form::CsrfForm<crate::web::form::Fields>,
) -> Result<Response, PageError> {
    let here = format!("/spend/suppliers/{id}");
    let user = require_platform_admin(&auth, &here)?;
    let other: i64 = fields
        .get("other")
        .parse()
        .map_err(|_| PageError::BadRequest("Choose the supplier to merge.".into()))?;
    crate::suppliers::admin::merge(&state.db, id, other, Some(user.id))
        .await
        .map_err(decision_error)?;
    crate::accounts::store::audit(
        &state.db,
        Some(user),
        "supplier_merged",
        &format!("Merged supplier {other} into {id}"),
        Some(&auth.ip),
    )
    .await?;
    Ok(Redirect::to(&here).into_response())
}

async fn split_supplier(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    crate::web::form::CsrfForm(fields, auth): crate::web::form::CsrfForm<crate::web::form::Fields>,
) -> Result<Response, PageError> {
    let here = format!("/spend/suppliers/{id}");
    let user = require_platform_admin(&auth, &here)?;
    let alias = fields.get("alias").to_owned();
    let new_id = crate::suppliers::admin::split(&state.db, id, &alias, Some(user.id))
        .await
        .map_err(decision_error)?;
    crate::accounts::store::audit(
        &state.db,
        Some(user),
        "supplier_split",
        &format!("Split \"{alias}\" off supplier {id} as supplier {new_id}"),
        Some(&auth.ip),
    )
    .await?;
    Ok(Redirect::to(&format!("/spend/suppliers/{new_id}")).into_response())
}

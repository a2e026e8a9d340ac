//! The register and its views: one system, contracts ending soon, product use, vendor
//! concentration.

use super::*;

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

pub(super) async fn index(
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
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
}

pub(super) async fn show(
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

pub(super) async fn ending(
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

pub(super) async fn products(
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

pub(super) async fn product(
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

pub(super) async fn concentration(
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

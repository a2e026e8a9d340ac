//! The spend database's JSON API: the same figures as the pages, readable by anyone (spend is
//! published open data).

use axum::extract::{Path, Query, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::compare;
use super::flags;
use super::store::{self, Band, Scope};
use crate::web::{ApiError, AppState};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ScopeQuery {
    /// `london` (the 33 London authorities, the default) or `all` (every body).
    scope: Option<String>,
}

/// Bodies and their total spend.
#[utoipa::path(get, path = "/api/v1/spend/bodies", tag = "spend", params(ScopeQuery),
    responses((status = 200, body = Vec<store::BodyTotal>)))]
pub async fn bodies(
    State(state): State<AppState>,
    Query(q): Query<ScopeQuery>,
) -> Result<Json<Vec<store::BodyTotal>>, ApiError> {
    Ok(Json(
        store::bodies(&state.db, Scope::parse(q.scope.as_deref())).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct BodyDetail {
    pub slug: String,
    pub name: String,
    pub months: Vec<store::MonthTotal>,
    pub suppliers: Vec<store::SupplierTotal>,
    pub categories: Vec<store::CategoryTotal>,
}

/// One body: spend by month, its largest suppliers (up to 100) and categories.
#[utoipa::path(get, path = "/api/v1/spend/bodies/{slug}", tag = "spend",
    params(("slug" = String, Path, description = "The body's slug, e.g. lambeth")),
    responses((status = 200, body = BodyDetail), (status = 404, body = crate::web::error::Problem)))]
pub async fn body(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<BodyDetail>, ApiError> {
    let org = crate::accounts::store::find_organisation(&state.db, &slug)
        .await?
        .filter(|o| o.slug == slug)
        .ok_or(ApiError::NotFound)?;
    Ok(Json(BodyDetail {
        months: store::months(&state.db, Scope::All, Some(&slug)).await?,
        suppliers: store::top_suppliers(&state.db, Scope::All, Some(&slug), 100).await?,
        categories: store::body_categories(&state.db, &slug).await?,
        slug,
        name: org.name,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct SupplierDetail {
    pub supplier: crate::suppliers::store::Supplier,
    pub bodies: Vec<store::SupplierBody>,
    pub months: Vec<store::MonthTotal>,
    pub categories: Vec<store::CategoryTotal>,
}

/// One supplier: which bodies pay it, how much, when and for what.
#[utoipa::path(get, path = "/api/v1/spend/suppliers/{id}", tag = "spend",
    params(("id" = i64, Path, description = "The supplier's id")),
    responses((status = 200, body = SupplierDetail), (status = 404, body = crate::web::error::Problem)))]
pub async fn supplier(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<SupplierDetail>, ApiError> {
    let supplier = crate::suppliers::store::get(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(SupplierDetail {
        supplier,
        bodies: store::supplier_bodies(&state.db, id).await?,
        months: store::supplier_months(&state.db, id).await?,
        categories: store::supplier_categories(&state.db, id).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct MarketView {
    #[serde(flatten)]
    pub market: store::Market,
    /// By the CMA's bands: HHI above 1,000 concentrated, above 2,000 highly concentrated.
    pub band: Band,
}

fn view(m: store::Market) -> MarketView {
    MarketView {
        band: m.band(),
        market: m,
    }
}

/// Every category's market concentration (CR4, HHI and its band), largest first.
#[utoipa::path(get, path = "/api/v1/spend/categories", tag = "spend", params(ScopeQuery),
    responses((status = 200, body = Vec<MarketView>)))]
pub async fn categories(
    State(state): State<AppState>,
    Query(q): Query<ScopeQuery>,
) -> Result<Json<Vec<MarketView>>, ApiError> {
    let scope = Scope::parse(q.scope.as_deref());
    Ok(Json(
        store::markets(&state.db, scope)
            .await?
            .into_iter()
            .map(view)
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct CategoryDetail {
    pub code: String,
    pub name: String,
    pub market: Option<MarketView>,
    pub suppliers: Vec<store::Share>,
    pub buyers: Vec<store::BuyerSupplier>,
}

/// One category market: concentration, supplier shares and who buys from whom.
#[utoipa::path(get, path = "/api/v1/spend/categories/{code}", tag = "spend",
    params(("code" = String, Path, description = "The category's code, e.g. ict-software"), ScopeQuery),
    responses((status = 200, body = CategoryDetail), (status = 404, body = crate::web::error::Problem)))]
pub async fn category(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<ScopeQuery>,
) -> Result<Json<CategoryDetail>, ApiError> {
    let scope = Scope::parse(q.scope.as_deref());
    let (name, _) = store::category_name(&state.db, &code)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(CategoryDetail {
        market: store::market(&state.db, scope, &code).await?.map(view),
        suppliers: store::category_suppliers(&state.db, scope, &code, 100).await?,
        buyers: store::category_buyers(&state.db, scope, &code, 200).await?,
        code,
        name,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct FlagsQuery {
    /// `london` (the 33 London authorities, the default) or `all` (every body). Ignored when
    /// `body` is given.
    scope: Option<String>,
    /// One body's slug, e.g. `lambeth`: its payments, and shares of its own spend.
    body: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FlagsView {
    /// The thresholds the "just under" and "split" flags measure against.
    pub thresholds: Vec<flags::Threshold>,
    #[serde(flatten)]
    pub flags: flags::Flags,
}

/// Red flags with their evidence: repeated payments just under a threshold, possible split
/// and duplicate payments, and supplier share jumps. Largest first within each kind.
#[utoipa::path(get, path = "/api/v1/spend/flags", tag = "spend", params(FlagsQuery),
    responses((status = 200, body = FlagsView), (status = 404, body = crate::web::error::Problem)))]
pub async fn flags_list(
    State(state): State<AppState>,
    Query(q): Query<FlagsQuery>,
) -> Result<Json<FlagsView>, ApiError> {
    let body = q.body.filter(|b| !b.trim().is_empty());
    if let Some(slug) = &body {
        crate::accounts::store::find_organisation(&state.db, slug)
            .await?
            .filter(|o| &o.slug == slug)
            .ok_or(ApiError::NotFound)?;
    }
    let filter = flags::Filter {
        scope: Scope::parse(q.scope.as_deref()),
        body,
    };
    Ok(Json(FlagsView {
        thresholds: flags::thresholds(&state.db).await?,
        flags: (*flags::find_cached(&state.db, &state.config.flags_cache, &filter).await?).clone(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct CompareQuery {
    /// A body's slug; repeat for each body, two to six: `?body=lambeth&body=southwark`.
    #[allow(dead_code)]
    body: Vec<String>,
}

/// Two to six bodies side by side: each one's totals, spend per category, and the suppliers
/// two or more of them pay.
#[utoipa::path(get, path = "/api/v1/spend/compare", tag = "spend", params(CompareQuery),
    responses((status = 200, body = compare::Comparison),
        (status = 400, body = crate::web::error::Problem),
        (status = 404, body = crate::web::error::Problem)))]
pub async fn compare(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let pairs: Vec<(String, String)> = raw
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let asked: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "body")
        .map(|(_, v)| v.as_str())
        .collect();
    match compare::compare(&state.db, &compare::distinct(&asked)).await {
        Ok(c) => Ok(Json(c).into_response()),
        Err(compare::CompareError::Db(e)) => Err(e.into()),
        // Which slug is unknown is worth saying: the generic "not found" would not.
        Err(e @ compare::CompareError::Unknown(_)) => {
            let status = axum::http::StatusCode::NOT_FOUND;
            let mut resp = (
                status,
                Json(crate::web::error::Problem {
                    title: "Not Found".into(),
                    status: status.as_u16(),
                    detail: e.to_string(),
                }),
            )
                .into_response();
            resp.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/problem+json"),
            );
            Ok(resp)
        }
        Err(e) => Err(ApiError::BadRequest(e.to_string())),
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(bodies, body, supplier, categories, category, flags_list, compare),
    tags((name = "spend", description = "The London spend database: published spend by body, supplier and category, with market concentration"))
)]
pub struct SpendApi;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/spend/bodies", get(bodies))
        .route("/api/v1/spend/bodies/{slug}", get(body))
        .route("/api/v1/spend/suppliers/{id}", get(supplier))
        .route("/api/v1/spend/categories", get(categories))
        .route("/api/v1/spend/categories/{code}", get(category))
        .route("/api/v1/spend/flags", get(flags_list))
        .route("/api/v1/spend/compare", get(compare))
}

//! The estate's JSON API. Like the pages, it answers only with what the caller may see:
//! public records signed out; London-shared records for London authorities and the convenor;
//! an organisation's private records for its own people.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::store::{self, Concentration, EstateSystem, Filter, ProductUse};
use super::web::{FilterParams, months_ahead, top_n, window};
use crate::web::api::ApiCaller;
use crate::web::{ApiError, AppState};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// At most this many systems (1–1000, default 100).
    pub limit: Option<i64>,
    /// Skip this many systems first.
    pub offset: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SystemList {
    /// How many systems match, in all.
    pub total: i64,
    pub systems: Vec<EstateSystem>,
}

fn bad_filter(f: &FilterParams) -> Result<Filter, ApiError> {
    f.parse().map_err(|errors| {
        ApiError::BadRequest(
            errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// Systems in the estate register, filtered.
#[utoipa::path(get, path = "/api/v1/estate/systems", tag = "estate",
    security((), ("token" = [])),
    params(FilterParams, Paging),
    responses((status = 200, body = SystemList), (status = 400, body = crate::web::error::Problem)))]
pub async fn systems(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(filter): Query<FilterParams>,
    Query(paging): Query<Paging>,
) -> Result<Json<SystemList>, ApiError> {
    let filter = bad_filter(&filter)?;
    let limit = paging.limit.unwrap_or(100).clamp(1, 1000);
    let offset = paging.offset.unwrap_or(0).max(0);
    let (systems, total) = store::list(&state.db, &caller.viewer(), &filter, limit, offset).await?;
    Ok(Json(SystemList { total, systems }))
}

/// One system, if the caller may see it.
#[utoipa::path(get, path = "/api/v1/estate/systems/{id}", tag = "estate",
    security((), ("token" = [])),
    params(("id" = i64, Path, description = "System id")),
    responses((status = 200, body = EstateSystem), (status = 404, body = crate::web::error::Problem)))]
pub async fn system(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<EstateSystem>, ApiError> {
    store::get(&state.db, &caller.viewer(), id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EndingQuery {
    /// Months ahead, 1–60 (default 12).
    pub months: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Ending {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub systems: Vec<EstateSystem>,
}

/// Contracts ending between today and N months from now, across London, soonest first.
#[utoipa::path(get, path = "/api/v1/estate/ending", tag = "estate",
    security((), ("token" = [])),
    params(EndingQuery, FilterParams),
    responses((status = 200, body = Ending), (status = 400, body = crate::web::error::Problem)))]
pub async fn ending(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<EndingQuery>,
    Query(filter): Query<FilterParams>,
) -> Result<Json<Ending>, ApiError> {
    let months = months_ahead(q.months.as_deref()).map_err(ApiError::BadRequest)?;
    let filter = bad_filter(&filter)?;
    let (from, to) = window(months);
    let systems = store::ending_between(&state.db, &caller.viewer(), from, to, &filter).await?;
    Ok(Json(Ending { from, to, systems }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Product, manufacturer or supplier contains this text.
    pub q: Option<String>,
}

/// Products and the organisations that use each, most widely used first.
#[utoipa::path(get, path = "/api/v1/estate/products", tag = "estate",
    security((), ("token" = [])),
    params(ProductQuery),
    responses((status = 200, body = Vec<ProductUse>)))]
pub async fn products(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<ProductQuery>,
) -> Result<Json<Vec<ProductUse>>, ApiError> {
    let text: Option<String> = q.q.map(|t| t.chars().take(200).collect());
    Ok(Json(
        store::products(&state.db, &caller.viewer(), text.as_deref()).await?,
    ))
}

/// The systems running one product (by its `product_key`).
#[utoipa::path(get, path = "/api/v1/estate/products/{key}", tag = "estate",
    security((), ("token" = [])),
    params(("key" = String, Path, description = "The product's key, from /api/v1/estate/products")),
    responses((status = 200, body = Vec<EstateSystem>), (status = 404, body = crate::web::error::Problem)))]
pub async fn product(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(key): Path<String>,
) -> Result<Json<Vec<EstateSystem>>, ApiError> {
    let filter = Filter {
        product_key: Some(key),
        ..Filter::default()
    };
    let (systems, _) = store::list(&state.db, &caller.viewer(), &filter, 10_000, 0).await?;
    if systems.is_empty() {
        return Err(ApiError::NotFound);
    }
    Ok(Json(systems))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConcentrationQuery {
    /// How many top suppliers, 1–50 (default 10).
    pub top: Option<String>,
    /// Only service areas containing this text.
    pub service_area: Option<String>,
}

/// Vendor concentration: the share of systems and of annual contract value held by the top
/// N suppliers, computed only from the records the caller may see.
#[utoipa::path(get, path = "/api/v1/estate/concentration", tag = "estate",
    security((), ("token" = [])),
    params(ConcentrationQuery),
    responses((status = 200, body = Concentration), (status = 400, body = crate::web::error::Problem)))]
pub async fn concentration(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<ConcentrationQuery>,
) -> Result<Json<Concentration>, ApiError> {
    let top = top_n(q.top.as_deref()).map_err(ApiError::BadRequest)?;
    let filter = Filter {
        service_area: q
            .service_area
            .map(|s| s.trim().chars().take(200).collect::<String>())
            .filter(|s| !s.is_empty()),
        ..Filter::default()
    };
    Ok(Json(
        store::concentration(&state.db, &caller.viewer(), top, &filter).await?,
    ))
}

#[derive(OpenApi)]
#[openapi(
    paths(systems, system, ending, products, product, concentration),
    tags((name = "estate", description = "The technology estate and contracts register: systems, suppliers, contract end dates and vendor concentration"))
)]
pub struct EstateApi;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/estate/systems", get(systems))
        .route("/api/v1/estate/systems/{id}", get(system))
        .route("/api/v1/estate/ending", get(ending))
        .route("/api/v1/estate/products", get(products))
        .route("/api/v1/estate/products/{key}", get(product))
        .route("/api/v1/estate/concentration", get(concentration))
}

//! The standard's JSON API: the requirements, product profiles with their scorecards, writing a
//! claim, the OpenAPI checker and tender wording. Reading needs no token for public records;
//! the same visibility rules as the pages apply.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, RawQuery, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::openapi::{self, Report};
use super::scorecard::Scorecard;
use super::standard::{Requirement, Source, SystemType, Theme};
use super::store::{self, Claim, NewClaim, OpenApiUpload};
use super::tender::Tender;
use super::{ClaimStatus, EvidenceUrl, Standard};
use crate::visibility::Visibility;
use crate::web::api::ApiCaller;
use crate::web::error::Problem;
use crate::web::{ApiError, AppState};

#[derive(Serialize, ToSchema)]
pub struct StandardDocument {
    pub version: String,
    pub themes: Vec<Theme>,
    pub requirements: Vec<Requirement>,
    pub system_types: Vec<SystemType>,
    pub sources: Vec<Source>,
}

/// The data and API standard: its requirements, themes, system types and sources.
#[utoipa::path(get, path = "/api/v1/standards", tag = "standards",
    responses((status = 200, body = StandardDocument)))]
pub async fn standard_document() -> Json<StandardDocument> {
    let s = Standard::embedded();
    Json(StandardDocument {
        version: s.version.clone(),
        themes: s.themes.clone(),
        requirements: s.requirements.clone(),
        system_types: s.system_types.clone(),
        sources: s.sources.clone(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct ProductSummary {
    pub id: i64,
    pub name: String,
    pub supplier: String,
    pub system_type: String,
    pub visibility: Visibility,
    /// Score on the "must" requirements, 0–100, when any applies.
    pub must_percent: Option<u32>,
    pub should_percent: Option<u32>,
    /// Requirements the supplier has answered.
    pub answered: usize,
    pub url: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ProductsParams {
    /// Only products of this system type (an id from the standard).
    #[serde(rename = "type")]
    pub system_type: Option<String>,
}

/// Product profiles the caller may see, with their scores.
#[utoipa::path(get, path = "/api/v1/standards/products", tag = "standards",
    security((), ("token" = [])), params(ProductsParams),
    responses((status = 200, body = Vec<ProductSummary>)))]
pub async fn product_list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(p): Query<ProductsParams>,
) -> Result<Json<Vec<ProductSummary>>, ApiError> {
    let viewer = caller.viewer();
    let products = store::products(&state.db, &viewer, p.system_type.as_deref()).await?;
    let ids: Vec<i64> = products.iter().map(|p| p.id).collect();
    let claims = store::claims_for(&state.db, &ids).await?;
    let uploads = store::latest_openapi_for(&state.db, &ids).await?;
    let mut out = Vec::new();
    for p in products {
        let cs: Vec<Claim> = claims
            .iter()
            .filter(|(pid, _)| *pid == p.id)
            .map(|(_, c)| c.clone())
            .collect();
        let vs = store::verifications(&state.db, &viewer, p.id).await?;
        let report = uploads
            .iter()
            .find(|u| u.product_id == p.id)
            .and_then(OpenApiUpload::report);
        let card = Scorecard::build(Standard::embedded(), &cs, &vs, report.as_ref());
        out.push(ProductSummary {
            url: format!("/standards/products/{}", p.id),
            id: p.id,
            name: p.name,
            supplier: p.org_name,
            system_type: p.system_type,
            visibility: p.visibility,
            must_percent: card.must.percent(),
            should_percent: card.should.percent(),
            answered: card.answered,
        });
    }
    Ok(Json(out))
}

#[derive(Serialize, ToSchema)]
pub struct OpenApiEvidence {
    pub id: i64,
    pub file_name: String,
    pub uploaded_at: i64,
    pub report: Option<Report>,
}

#[derive(Serialize, ToSchema)]
pub struct ProductDetail {
    #[serde(flatten)]
    pub product: store::Product,
    pub scorecard: Scorecard,
    /// The latest uploaded OpenAPI document and its report.
    pub openapi: Option<OpenApiEvidence>,
}

/// One product profile with its scorecard: every requirement with the supplier's claim, the
/// boroughs' verdicts the caller may see, and the OpenAPI checker's outcomes.
#[utoipa::path(get, path = "/api/v1/standards/products/{id}", tag = "standards",
    security((), ("token" = [])),
    params(("id" = i64, Path, description = "Product id")),
    responses((status = 200, body = ProductDetail), (status = 404, body = Problem)))]
pub async fn product(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<ProductDetail>, ApiError> {
    let viewer = caller.viewer();
    let product = store::product(&state.db, &viewer, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let claims = store::claims(&state.db, id).await?;
    let vs = store::verifications(&state.db, &viewer, id).await?;
    let upload = store::latest_openapi(&state.db, id).await?;
    let report = upload.as_ref().and_then(OpenApiUpload::report);
    let scorecard = Scorecard::build(Standard::embedded(), &claims, &vs, report.as_ref());
    Ok(Json(ProductDetail {
        product,
        scorecard,
        openapi: upload.map(|u| OpenApiEvidence {
            id: u.id,
            file_name: u.file_name,
            uploaded_at: u.uploaded_at,
            report,
        }),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct ClaimInput {
    pub status: ClaimStatus,
    /// Evidence and explanation; required for not_applicable, and for meets or partly unless
    /// a link or the OpenAPI document is given.
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub evidence_url: Option<String>,
    /// Cite the product's latest uploaded OpenAPI document.
    #[serde(default)]
    pub cite_openapi: bool,
}

/// Sets the supplier's answer for one requirement of one of its products.
#[utoipa::path(put, path = "/api/v1/standards/products/{id}/claims/{requirement}", tag = "standards",
    security(("token" = [])),
    params(("id" = i64, Path, description = "Product id"),
           ("requirement" = String, Path, description = "Requirement id")),
    request_body = ClaimInput,
    responses((status = 200, body = Claim), (status = 400, body = Problem),
              (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn put_claim(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((id, requirement)): Path<(i64, String)>,
    Json(input): Json<ClaimInput>,
) -> Result<Json<Claim>, ApiError> {
    caller.require_user()?;
    let viewer = caller.viewer();
    let req = Standard::embedded()
        .requirement(&requirement)
        .ok_or(ApiError::NotFound)?;
    let product = store::product(&state.db, &viewer, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !viewer.can_edit(product.org_id) {
        return Err(ApiError::Forbidden(
            "only the supplier that owns a product profile can answer for it",
        ));
    }
    let note = input.note.trim();
    if note.chars().count() > 2000 {
        return Err(ApiError::BadRequest(
            "note must be 2,000 characters or fewer".into(),
        ));
    }
    let url = match input.evidence_url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(u) => Some(
            EvidenceUrl::parse(u)
                .map_err(|e| ApiError::BadRequest(format!("evidence_url: {e}")))?,
        ),
    };
    let upload = store::latest_openapi(&state.db, id).await?;
    if input.cite_openapi && upload.is_none() {
        return Err(ApiError::BadRequest(
            "cite_openapi: the product has no uploaded OpenAPI document".into(),
        ));
    }
    let has_evidence = !note.is_empty() || url.is_some() || input.cite_openapi;
    match input.status {
        ClaimStatus::Meets | ClaimStatus::Partly if !has_evidence => {
            return Err(ApiError::BadRequest(
                "give evidence: a note, an evidence_url or cite_openapi".into(),
            ));
        }
        ClaimStatus::NotApplicable if note.is_empty() => {
            return Err(ApiError::BadRequest(
                "note: explain why the requirement does not apply".into(),
            ));
        }
        _ => {}
    }
    store::save_claim(
        &state.db,
        &viewer,
        id,
        &NewClaim {
            requirement_id: &req.id,
            status: input.status,
            note,
            evidence_url: url.as_ref().map(EvidenceUrl::as_str),
            openapi_document_id: if input.cite_openapi {
                upload.map(|u| u.id)
            } else {
                None
            },
        },
    )
    .await?;
    store::claims(&state.db, id)
        .await?
        .into_iter()
        .find(|c| c.requirement_id == req.id)
        .map(Json)
        .ok_or_else(|| ApiError::Internal("saved claim not found".into()))
}

/// Checks an OpenAPI 3.0 or 3.1 document (JSON or YAML, up to 2 MB) sent as the request body.
/// Nothing is stored and nothing the document refers to is fetched.
#[utoipa::path(post, path = "/api/v1/standards/openapi/check", tag = "standards",
    request_body(content = String, description = "The OpenAPI document", content_type = "application/yaml"),
    responses((status = 200, body = Report),
              (status = 400, body = Problem, description = "Not an OpenAPI 3 document, or malformed (with line and column)")))]
pub async fn check(body: Bytes) -> Result<Json<Report>, ApiError> {
    openapi::check_bytes(&body)
        .map(Json)
        .map_err(|e| ApiError::BadRequest(e.to_string()))
}

#[derive(Serialize, ToSchema)]
pub struct TenderWording {
    pub title: String,
    /// The clauses as Markdown, "must" requirements first.
    pub markdown: String,
}

/// Tender wording for a system type and a choice of requirements. Query:
/// `type=housing&requirement=bulk-extract&requirement=rate-limits` (no requirement: all).
#[utoipa::path(get, path = "/api/v1/standards/tender", tag = "standards",
    params(("type" = String, Query, description = "System type id"),
           ("requirement" = Option<Vec<String>>, Query, description = "Requirement ids; all when none is given")),
    responses((status = 200, body = TenderWording), (status = 400, body = Problem)))]
pub async fn tender(RawQuery(q): RawQuery) -> Result<Json<TenderWording>, ApiError> {
    let pairs: Vec<(String, String)> = q
        .as_deref()
        .map(serde_urlencoded::from_str)
        .transpose()
        .map_err(|_| ApiError::BadRequest("the query string could not be read".into()))?
        .unwrap_or_default();
    let s = Standard::embedded();
    let system_type = pairs
        .iter()
        .find(|(k, _)| k == "type")
        .map_or("", |(_, v)| v.as_str());
    let mut ids: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "requirement")
        .map(|(_, v)| v.as_str())
        .collect();
    if ids.is_empty() {
        ids = s.requirements.iter().map(|r| r.id.as_str()).collect();
    }
    let t = Tender::new(s, system_type, &ids).map_err(|es| {
        ApiError::BadRequest(
            es.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    Ok(Json(TenderWording {
        title: t.title(),
        markdown: t.markdown(),
    }))
}

#[derive(OpenApi)]
#[openapi(
    paths(standard_document, product_list, product, put_claim, check, tender),
    tags((name = "standards", description = "The data and API standard: requirements, supplier product profiles, the OpenAPI checker and tender wording"))
)]
pub struct StandardsApi;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/standards", get(standard_document))
        .route("/api/v1/standards/products", get(product_list))
        .route("/api/v1/standards/products/{id}", get(product))
        .route(
            "/api/v1/standards/products/{id}/claims/{requirement}",
            put(put_claim),
        )
        .route(
            "/api/v1/standards/openapi/check",
            post(check).layer(DefaultBodyLimit::max(openapi::MAX_DOCUMENT_BYTES)),
        )
        .route("/api/v1/standards/tender", get(tender))
}

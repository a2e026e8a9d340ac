//! The OCDS JSON API: public release packages (paged, with `since`), a record package per
//! contracting process, and "past London procurements of the same thing".

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::Outcome;
use super::cpv::CpvPrefix;
use super::export::{self, Cursor, Publisher};
use super::similar::{self, PastProcurement, SimilarQuery};
use super::store;
use super::web::{ListQuery, PER_PAGE, parse_filter};
use crate::web::{ApiError, AppState};

/// The shape of an OCDS 1.1 release package (the releases themselves follow the OCDS release
/// schema: https://standard.open-contracting.org/1.1/en/schema/release/).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ReleasePackage {
    pub uri: String,
    /// Always "1.1".
    pub version: String,
    #[serde(rename = "publishedDate")]
    pub published_date: String,
    #[schema(value_type = Object)]
    pub publisher: serde_json::Value,
    pub license: String,
    #[schema(value_type = Vec<Object>)]
    pub releases: Vec<serde_json::Value>,
    /// `{"next": url}` while there are more pages.
    #[schema(value_type = Option<Object>)]
    pub links: Option<serde_json::Value>,
}

/// The shape of an OCDS 1.1 record package.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct RecordPackage {
    pub uri: String,
    pub version: String,
    #[serde(rename = "publishedDate")]
    pub published_date: String,
    #[schema(value_type = Object)]
    pub publisher: serde_json::Value,
    /// One record: `ocid`, every stored `releases`, and the `compiledRelease`.
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<serde_json::Value>,
}

#[derive(Deserialize, IntoParams)]
pub struct ReleasesParams {
    /// Only releases dated on or after this date (`2020-01-31`) or date-time
    /// (`2020-01-31T09:00:00Z`).
    pub since: Option<String>,
    /// The cursor from the previous page's `links.next`.
    pub after: Option<String>,
    /// Releases per page, 1 to 1000 (default 100).
    pub limit: Option<String>,
}

/// A whole number from a query string, or a problem saying what was expected.
fn number_param(name: &str, v: Option<&str>, default: i64, max: i64) -> Result<i64, ApiError> {
    let bad = || ApiError::BadRequest(format!("{name} must be a whole number from 1 to {max}"));
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(bad()),
        },
    }
}

fn publisher(state: &AppState) -> Publisher {
    Publisher {
        base_url: state.config.public_url.trim_end_matches('/').to_owned(),
    }
}

fn json_response(v: serde_json::Value) -> Response {
    Json(v).into_response()
}

/// Every public release, oldest first, as an OCDS 1.1 release package: the notices imported
/// from Contracts Finder and Find a Tender, and London's public procurements (when the service
/// has an ocid prefix). Follow `links.next` for the next page.
#[utoipa::path(get, path = "/api/v1/ocds/releases", tag = "ocds", params(ReleasesParams),
    responses((status = 200, description = "An OCDS 1.1 release package", body = ReleasePackage),
              (status = 400, body = crate::web::error::Problem)))]
pub async fn releases(
    State(state): State<AppState>,
    Query(p): Query<ReleasesParams>,
) -> Result<Response, ApiError> {
    let since = match p.since.as_deref().filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(s) => Some(export::parse_since(s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "since={s:?} is not a date (2020-01-31) or date-time (2020-01-31T09:00:00Z)"
            ))
        })?),
    };
    let after = match p.after.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(a) => Some(Cursor::decode(a).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "after={a:?} is not a cursor from this API: use the links.next address of the previous page"
            ))
        })?),
    };
    let limit = number_param("limit", p.limit.as_deref(), 100, export::MAX_PAGE)?;
    let page = export::public_releases(
        &state.db,
        state.config.ocid_prefix.as_ref(),
        since,
        after,
        limit,
    )
    .await?;
    let base = publisher(&state);
    let mut query = Vec::new();
    if let Some(s) = since {
        query.push(format!(
            "since={}",
            crate::web::filters::urlencode(&export::date_time(s))
        ));
    }
    if p.limit.is_some() {
        query.push(format!("limit={limit}"));
    }
    let here = |extra: Option<String>| {
        let mut q = query.clone();
        q.extend(extra);
        let qs = if q.is_empty() {
            String::new()
        } else {
            format!("?{}", q.join("&"))
        };
        format!("{}/api/v1/ocds/releases{qs}", base.base_url)
    };
    let next = page
        .next
        .map(|c| here(Some(format!("after={}", c.encode()))));
    let uri = here(after.map(|c| format!("after={}", c.encode())));
    let package = export::release_package(
        &base,
        &uri,
        page.last_change.unwrap_or_else(Utc::now),
        page.releases,
        next.clone(),
    );
    let mut resp = json_response(package);
    if let Some(n) = next
        && let Ok(v) = HeaderValue::from_str(&format!("<{n}>; rel=\"next\""))
    {
        resp.headers_mut().insert(header::LINK, v);
    }
    Ok(resp)
}

/// One contracting process as an OCDS 1.1 record package: its releases and the compiled
/// release.
#[utoipa::path(get, path = "/api/v1/ocds/records/{ocid}", tag = "ocds",
    params(("ocid" = String, Path, description = "The contracting process's ocid")),
    responses((status = 200, description = "An OCDS 1.1 record package", body = RecordPackage),
              (status = 404, body = crate::web::error::Problem)))]
pub async fn record(
    State(state): State<AppState>,
    Path(ocid): Path<String>,
) -> Result<Response, ApiError> {
    let detail = store::by_ocid(&state.db, &ocid)
        .await?
        .ok_or(ApiError::NotFound)?;
    let rows = store::releases_of_ocid(&state.db, &ocid).await?;
    let last = rows
        .iter()
        .map(|r| r.updated_at)
        .max()
        .unwrap_or(detail.imported_at);
    let releases = rows
        .iter()
        .filter_map(|r| serde_json::from_str(&r.release_json).ok())
        .collect();
    let compiled = serde_json::from_str(&detail.compiled_release)
        .map_err(|e| ApiError::Internal(format!("stored compiled release: {e}")))?;
    let base = publisher(&state);
    let uri = format!(
        "{}/api/v1/ocds/records/{}",
        base.base_url,
        crate::web::filters::urlencode(&ocid)
    );
    Ok(json_response(export::record_package(
        &base,
        &uri,
        chrono::DateTime::from_timestamp(last, 0).unwrap_or_else(Utc::now),
        &ocid,
        releases,
        compiled,
    )))
}

#[derive(Deserialize, IntoParams)]
pub struct SimilarParams {
    /// CPV codes or their starts, comma-separated (`72212000-4,48`).
    pub cpv: Option<String>,
    /// Words describing what is being bought.
    pub keywords: Option<String>,
    /// Only notices bought by London authorities: true (the default) or false.
    pub london_only: Option<String>,
    /// How many to return, 1 to 50 (default 10).
    pub limit: Option<String>,
}

/// Past procurements of the same thing, closest first, each with the reasons it matched, its
/// outcome and who won it.
#[utoipa::path(get, path = "/api/v1/ocds/similar", tag = "ocds", params(SimilarParams),
    responses((status = 200, body = Vec<PastProcurement>), (status = 400, body = crate::web::error::Problem)))]
pub async fn similar(
    State(state): State<AppState>,
    Query(p): Query<SimilarParams>,
) -> Result<Json<Vec<PastProcurement>>, ApiError> {
    let mut prefixes = Vec::new();
    for part in p.cpv.as_deref().unwrap_or("").split(',') {
        if part.trim().is_empty() {
            continue;
        }
        prefixes.push(CpvPrefix::parse(part).map_err(|e| ApiError::BadRequest(e.to_string()))?);
    }
    let keywords = similar::keywords(&[p.keywords.as_deref().unwrap_or("")]);
    if prefixes.is_empty() && keywords.is_empty() {
        return Err(ApiError::BadRequest(
            "give cpv (codes or their starts) or keywords (words of three letters or more)".into(),
        ));
    }
    let limit = number_param("limit", p.limit.as_deref(), 10, 50)? as usize;
    let london_only = match p.london_only.as_deref().map(str::trim) {
        None | Some("" | "true") => true,
        Some("false") => false,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "london_only must be true or false".into(),
            ));
        }
    };
    Ok(Json(
        similar::find_similar(
            &state.db,
            &SimilarQuery {
                cpv_prefixes: prefixes,
                keywords,
                london_only,
                exclude_ocid: None,
                limit,
            },
        )
        .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct NoticeSummary {
    pub ocid: String,
    pub title: String,
    pub buyer_name: String,
    /// The London authority that bought, when the buyer is one.
    pub buyer_organisation: Option<String>,
    pub outcome: Outcome,
    pub tender_value_pence: Option<i64>,
    pub awarded_value_pence: Option<i64>,
    pub contract_start: Option<chrono::NaiveDate>,
    pub contract_end: Option<chrono::NaiveDate>,
    /// Date-time of the latest release.
    pub last_release_date: String,
    /// CPV codes with check digits.
    pub cpv_codes: Vec<String>,
    /// Who won it, as the notice names them.
    pub suppliers: Vec<String>,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct NoticeList {
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub notices: Vec<NoticeSummary>,
}

/// Imported notices, filtered like the `/notices` page, 25 a page.
#[utoipa::path(get, path = "/api/v1/ocds/notices", tag = "ocds", params(ListQuery),
    responses((status = 200, body = NoticeList), (status = 400, body = crate::web::error::Problem)))]
pub async fn notices(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<NoticeList>, ApiError> {
    let boroughs =
        crate::accounts::store::organisations(&state.db, Some(crate::accounts::OrgKind::Borough))
            .await?;
    let (filter, errors) = parse_filter(&query, &boroughs);
    if let Some(e) = errors.iter().next() {
        return Err(ApiError::BadRequest(format!("{}: {}", e.field, e.message)));
    }
    let page = match query.page.trim() {
        "" => 1,
        p => p
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| ApiError::BadRequest("page must be a whole number from 1".into()))?,
    };
    let (rows, total) = store::search(&state.db, &filter, (page - 1) * PER_PAGE, PER_PAGE).await?;
    let ids: Vec<i64> = rows.iter().map(|n| n.id).collect();
    let cpv = store::cpv_of(&state.db, &ids).await?;
    let suppliers = store::suppliers_of(&state.db, &ids).await?;
    Ok(Json(NoticeList {
        total,
        page,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        notices: rows
            .into_iter()
            .map(|n| NoticeSummary {
                cpv_codes: cpv
                    .iter()
                    .filter(|c| c.record_id == n.id)
                    .map(|c| c.full_code.clone())
                    .collect(),
                suppliers: suppliers
                    .iter()
                    .filter(|s| s.record_id == n.id)
                    .map(|s| s.name.clone())
                    .collect(),
                url: format!("/notices/{}", n.ocid),
                last_release_date: chrono::DateTime::from_timestamp(n.last_release_at, 0)
                    .map(export::date_time)
                    .unwrap_or_default(),
                ocid: n.ocid,
                title: n.title,
                buyer_name: n.buyer_name,
                buyer_organisation: n.buyer_org_name,
                outcome: n.outcome,
                tender_value_pence: n.tender_value_pence,
                awarded_value_pence: n.awarded_value_pence,
                contract_start: n.contract_start,
                contract_end: n.contract_end,
            })
            .collect(),
    }))
}

#[derive(OpenApi)]
#[openapi(
    paths(notices, releases, record, similar),
    components(schemas(ReleasePackage, RecordPackage, PastProcurement, NoticeList, NoticeSummary)),
    tags((name = "ocds", description = "Open Contracting Data Standard: notices imported from Contracts Finder and Find a Tender, published as OCDS 1.1"))
)]
pub struct OcdsApi;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/ocds/releases", get(releases))
        .route("/api/v1/ocds/records/{ocid}", get(record))
        .route("/api/v1/ocds/similar", get(similar))
        .route("/api/v1/ocds/notices", get(notices))
}

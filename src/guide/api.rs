//! The guide's JSON API: readable signed out, like the guide itself.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::content::{Field, Raci, Source};
use super::documents;
use super::{Coverage, coverage};
use crate::capabilities;
use crate::db::search;
use crate::visibility::Visibility;
use crate::web::api::ApiCaller;
use crate::web::{ApiError, AppState};

#[derive(Serialize, ToSchema)]
pub struct PageSummary {
    pub slug: String,
    pub title: String,
    /// preparation, strategy, design, execution, management, or a guide book
    pub section: String,
    /// True for the five lifecycle stages, false for guide books.
    pub is_stage: bool,
    pub summary: String,
    /// Who is responsible, accountable, consulted and informed.
    pub roles: Raci,
    pub url: String,
}

/// Every guide page, in reading order.
#[utoipa::path(get, path = "/api/v1/guide/pages", tag = "guide",
    responses((status = 200, description = "Every guide page", body = Vec<PageSummary>)))]
pub async fn pages(State(state): State<AppState>) -> Json<Vec<PageSummary>> {
    Json(
        state
            .content
            .pages
            .iter()
            .map(|p| PageSummary {
                slug: p.slug.clone(),
                title: p.title.clone(),
                section: p.section.slug().into(),
                is_stage: p.section.is_stage(),
                summary: p.summary.clone(),
                roles: p.raci.clone(),
                url: format!("/guide/{}", p.slug),
            })
            .collect(),
    )
}

#[derive(Serialize, ToSchema)]
pub struct PagePart {
    pub heading: String,
    pub html: String,
}

#[derive(Serialize, ToSchema)]
pub struct PageDetail {
    #[serde(flatten)]
    pub summary: PageSummary,
    pub parts: Vec<PagePart>,
    pub templates: Vec<String>,
    pub problems: Vec<String>,
    pub sources: Vec<Source>,
}

/// One guide page with its text (as HTML), sources and links.
#[utoipa::path(get, path = "/api/v1/guide/pages/{slug}", tag = "guide",
    params(("slug" = String, Path, description = "The page's slug")),
    responses((status = 200, body = PageDetail), (status = 404, body = crate::web::error::Problem)))]
pub async fn page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<PageDetail>, ApiError> {
    let p = state.content.page(&slug).ok_or(ApiError::NotFound)?;
    Ok(Json(PageDetail {
        summary: PageSummary {
            slug: p.slug.clone(),
            title: p.title.clone(),
            section: p.section.slug().into(),
            is_stage: p.section.is_stage(),
            summary: p.summary.clone(),
            roles: p.raci.clone(),
            url: format!("/guide/{}", p.slug),
        },
        parts: p
            .parts
            .iter()
            .map(|x| PagePart {
                heading: x.heading.clone(),
                html: x.html.clone(),
            })
            .collect(),
        templates: p.templates.clone(),
        problems: p.problems.clone(),
        sources: p.sources.clone(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ProblemSummary {
    pub id: String,
    pub title: String,
    /// procurement, digital, service, suppliers or leadership
    pub group: String,
    /// Computed from what exists today.
    pub coverage: Coverage,
    /// Guide page slugs that answer it.
    pub guide: Vec<String>,
    pub templates: Vec<String>,
    pub capabilities: Vec<String>,
    /// Capabilities it needs that this build does not serve yet.
    pub missing_capabilities: Vec<String>,
    pub url: String,
}

/// The problem statements and what answers each.
#[utoipa::path(get, path = "/api/v1/guide/problems", tag = "guide",
    responses((status = 200, body = Vec<ProblemSummary>)))]
pub async fn problems(State(state): State<AppState>) -> Json<Vec<ProblemSummary>> {
    let live = capabilities::live_ids();
    Json(
        state
            .content
            .problems
            .iter()
            .map(|p| {
                let (coverage, missing) = coverage(p, &live);
                ProblemSummary {
                    id: p.id.clone(),
                    title: p.title.clone(),
                    group: serde_json::to_value(p.group)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    coverage,
                    guide: p.guide.clone(),
                    templates: p.templates.clone(),
                    capabilities: p.capabilities.clone(),
                    missing_capabilities: missing,
                    url: format!("/problems/{}", p.id),
                }
            })
            .collect(),
    )
}

#[derive(Serialize, ToSchema)]
pub struct TemplateSummary {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// The form's fields: what a client must send to fill the template in.
    pub fields: Vec<Field>,
    pub url: String,
}

/// The templates and their form fields.
#[utoipa::path(get, path = "/api/v1/guide/templates", tag = "guide",
    responses((status = 200, body = Vec<TemplateSummary>)))]
pub async fn templates(State(state): State<AppState>) -> Json<Vec<TemplateSummary>> {
    Json(
        state
            .content
            .templates
            .iter()
            .map(|t| TemplateSummary {
                slug: t.slug.clone(),
                title: t.title.clone(),
                summary: t.summary.clone(),
                fields: t.fields.clone(),
                url: format!("/templates/{}", t.slug),
            })
            .collect(),
    )
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// What to search for.
    pub q: String,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    /// guide, template or problem
    pub kind: String,
    pub slug: String,
    pub title: String,
    /// Plain text; matched words are wrapped in `<mark>` after HTML-escaping.
    pub snippet_html: String,
    pub url: String,
}

/// Full-text search over guide pages, templates and problem statements, best first.
#[utoipa::path(get, path = "/api/v1/search", tag = "guide", params(SearchParams),
    responses((status = 200, body = Vec<SearchResult>)))]
pub async fn search(
    State(state): State<AppState>,
    Query(p): Query<SearchParams>,
) -> Result<Json<Vec<SearchResult>>, ApiError> {
    let q: String = p.q.chars().take(200).collect();
    let hits = search::search(&state.db, &q, 50).await?;
    Ok(Json(
        hits.into_iter()
            .map(|h| {
                let (_, url) = super::web::result_href(&h.kind, &h.slug);
                SearchResult {
                    snippet_html: super::web::snippet_html(&h.snippet),
                    kind: h.kind,
                    slug: h.slug,
                    title: h.title,
                    url,
                }
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct DocumentSummary {
    pub id: i64,
    pub title: String,
    pub template: String,
    pub organisation: String,
    pub visibility: Visibility,
    pub updated_at: i64,
    pub url: String,
}

impl From<documents::Document> for DocumentSummary {
    fn from(d: documents::Document) -> Self {
        DocumentSummary {
            url: format!("/documents/{}", d.id),
            id: d.id,
            title: d.title,
            template: d.template_slug,
            organisation: d.org_name,
            visibility: d.visibility,
            updated_at: d.updated_at,
        }
    }
}

/// Saved documents the caller may see: their organisation's, and those shared with them.
#[utoipa::path(get, path = "/api/v1/documents", tag = "documents",
    security((), ("token" = [])),
    responses((status = 200, body = Vec<DocumentSummary>)))]
pub async fn document_list(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Vec<DocumentSummary>>, ApiError> {
    let docs = documents::list(&state.db, &caller.viewer()).await?;
    Ok(Json(docs.into_iter().map(Into::into).collect()))
}

/// One saved document, if the caller may see it.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents",
    security((), ("token" = [])),
    params(("id" = i64, Path, description = "Document id")),
    responses((status = 200, body = DocumentSummary), (status = 404, body = crate::web::error::Problem)))]
pub async fn document(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<DocumentSummary>, ApiError> {
    let doc = documents::get(&state.db, &caller.viewer(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(doc.into()))
}

#[derive(OpenApi)]
#[openapi(
    paths(pages, page, problems, templates, search, document_list, document),
    tags(
        (name = "guide", description = "The toolkit guide, templates, problem statements and search"),
        (name = "documents", description = "Templates filled in and saved by organisations")
    )
)]
pub struct GuideApi;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/guide/pages", get(pages))
        .route("/api/v1/guide/pages/{slug}", get(page))
        .route("/api/v1/guide/problems", get(problems))
        .route("/api/v1/guide/templates", get(templates))
        .route("/api/v1/search", get(search))
        .route("/api/v1/documents", get(document_list))
        .route("/api/v1/documents/{id}", get(document))
}

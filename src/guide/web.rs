//! The guide's pages: stages and books, pages, templates and their forms, problem statements,
//! search, comments and saved documents.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;

use super::comments::{self, PageKind};
use super::content::{DocTemplate, Field, FieldKind, GuidePage, Problem, ProblemGroup, Section};
use super::documents::{self, Document};
use super::fill::{self, AuthorityChoice, RawValues};
use super::{Coverage, coverage, docx, markdown};
use crate::accounts::{OrgKind, Role, store as accounts};
use crate::capabilities;
use crate::db::search::{self, MARK_END, MARK_START};
use crate::visibility::Visibility;
use crate::web::auth::Auth;
use crate::web::form::{CsrfForm, Errors, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/guide", get(index))
        .route("/guide/sections/{section}", get(section))
        .route("/guide/{slug}", get(page))
        .route("/templates", get(templates))
        .route(
            "/templates/{slug}",
            get(template_form).post(template_submit),
        )
        .route("/problems", get(problems))
        .route("/problems/coverage", get(problem_coverage))
        .route("/problems/{id}", get(problem))
        .route("/search", get(search_page))
        .route("/comments", post(add_comment))
        .route("/documents", get(document_list))
        .route("/documents/{id}", get(document_page))
        .route("/documents/{id}/download", get(document_download))
        .route("/documents/{id}/visibility", post(document_visibility))
        .route("/documents/{id}/delete", post(document_delete))
        .route("/admin/comments", get(admin_comments))
}

/// What the comment form at the foot of every page needs.
pub struct CommentBox {
    pub kind: &'static str,
    pub slug: String,
    pub name: String,
    pub sent: bool,
}

impl CommentBox {
    fn new(auth: &Auth, kind: PageKind, slug: &str, sent: bool) -> CommentBox {
        CommentBox {
            kind: kind.as_str(),
            slug: slug.to_owned(),
            name: auth
                .user
                .as_ref()
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            sent,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

fn render(t: impl Template) -> Result<Response, PageError> {
    Ok(Html(t.render()?).into_response())
}

// ---- Guide index, sections and pages ----

#[derive(Template)]
#[template(path = "guide/templates/index.html")]
struct IndexPage<'a> {
    layout: Layout,
    stages: Vec<(Section, Vec<&'a GuidePage>)>,
    books: Vec<(Section, Vec<&'a GuidePage>)>,
}

async fn index(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let c = &state.content;
    let group = |stage: bool| {
        Section::ALL
            .into_iter()
            .filter(|s| s.is_stage() == stage)
            .map(|s| (s, c.pages_in(s).collect()))
            .collect()
    };
    render(IndexPage {
        layout: Layout::new(&auth, "The guide")
            .nav("guide")
            .crumb("Home", "/"),
        stages: group(true),
        books: group(false),
    })
}

#[derive(Template)]
#[template(path = "guide/templates/section.html")]
struct SectionPage<'a> {
    layout: Layout,
    section: Section,
    pages: Vec<&'a GuidePage>,
}

async fn section(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let section = Section::from_slug(&slug).ok_or(PageError::NotFound)?;
    render(SectionPage {
        layout: Layout::new(&auth, section.title())
            .nav("guide")
            .crumb("Home", "/")
            .crumb("Guide", "/guide"),
        section,
        pages: state.content.pages_in(section).collect(),
    })
}

pub struct ToolLink {
    pub name: &'static str,
    pub href: &'static str,
    pub live: bool,
}

#[derive(Template)]
#[template(path = "guide/templates/page.html")]
struct PageView<'a> {
    layout: Layout,
    page: &'a GuidePage,
    raci: Vec<(&'static str, String)>,
    templates: Vec<&'a DocTemplate>,
    problems: Vec<&'a Problem>,
    related: Vec<&'a GuidePage>,
    tools: Vec<ToolLink>,
    previous: Option<&'a GuidePage>,
    next: Option<&'a GuidePage>,
    comment: CommentBox,
}

async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let c = &state.content;
    let page = c.page(&slug).ok_or(PageError::NotFound)?;
    let siblings: Vec<&GuidePage> = c.pages_in(page.section).collect();
    let pos = siblings
        .iter()
        .position(|p| p.slug == page.slug)
        .unwrap_or(0);
    // A page lists the problems it names and those that name it.
    let mut problems: Vec<&Problem> = page
        .problems
        .iter()
        .filter_map(|id| c.problem(id))
        .collect();
    for p in c.problems_answered_by_page(&page.slug) {
        if !problems.iter().any(|x| x.id == p.id) {
            problems.push(p);
        }
    }
    problems.sort_by(|a, b| a.id.cmp(&b.id));
    let tools = page
        .tools
        .iter()
        .map(|id| {
            let cap = capabilities::describe(id);
            ToolLink {
                name: cap.name,
                href: cap.href,
                live: capabilities::is_live(id),
            }
        })
        .collect();
    render(PageView {
        layout: Layout::new(&auth, &page.title)
            .nav("guide")
            .crumb("Home", "/")
            .crumb("Guide", "/guide")
            .crumb(
                page.section.title(),
                format!("/guide/sections/{}", page.section.slug()),
            ),
        raci: page.raci.rows(),
        templates: page
            .templates
            .iter()
            .filter_map(|s| c.template(s))
            .collect(),
        problems,
        related: page.related.iter().filter_map(|s| c.page(s)).collect(),
        tools,
        previous: pos.checked_sub(1).and_then(|i| siblings.get(i).copied()),
        next: siblings.get(pos + 1).copied(),
        comment: CommentBox::new(&auth, PageKind::Guide, &page.slug, q.done == "comment"),
        page,
    })
}

// ---- Templates ----

#[derive(Template)]
#[template(path = "guide/templates/templates.html")]
struct TemplatesPage<'a> {
    layout: Layout,
    templates: &'a [DocTemplate],
}

async fn templates(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    render(TemplatesPage {
        layout: Layout::new(&auth, "Templates")
            .nav("templates")
            .crumb("Home", "/"),
        templates: &state.content.templates,
    })
}

/// A field ready to show on the form, with its current value(s) and error.
pub struct FormField<'a> {
    pub field: &'a Field,
    pub id: String,
    pub value: String,
    pub parts: [String; 3],
    pub chosen: Vec<String>,
    pub error: String,
}

impl FormField<'_> {
    pub fn kind(&self) -> &'static str {
        match self.field.kind {
            FieldKind::Text => "text",
            FieldKind::Textarea => "textarea",
            FieldKind::Date => "date",
            FieldKind::Money => "money",
            FieldKind::Number => "number",
            FieldKind::Authority => "authority",
            FieldKind::Authorities => "authorities",
            FieldKind::Select => "select",
            FieldKind::List => "list",
        }
    }

    pub fn is_chosen(&self, code: &str) -> bool {
        self.chosen.iter().any(|c| c == code)
    }
}

#[derive(Template)]
#[template(path = "guide/templates/template_form.html")]
struct TemplateFormPage<'a> {
    layout: Layout,
    template: &'a DocTemplate,
    fields: Vec<FormField<'a>>,
    errors: Errors,
    authorities: Vec<AuthorityChoice>,
    pages: Vec<&'a GuidePage>,
    preview_html: String,
    can_save: bool,
    visibilities: [Visibility; 3],
    comment: CommentBox,
}

pub async fn london_authorities(state: &AppState) -> Result<Vec<AuthorityChoice>, PageError> {
    Ok(accounts::organisations(&state.db, Some(OrgKind::Borough))
        .await?
        .into_iter()
        .filter_map(|o| {
            o.gss_code.map(|g| AuthorityChoice {
                gss_code: g,
                name: o.name,
            })
        })
        .collect())
}

fn form_fields<'a>(t: &'a DocTemplate, raw: &RawValues, errors: &Errors) -> Vec<FormField<'a>> {
    t.fields
        .iter()
        .map(|f| {
            let id = fill::field_id(f);
            FormField {
                error: errors.get(&id).to_owned(),
                value: raw.first(&f.name).to_owned(),
                parts: [0, 1, 2].map(|i| raw.nth(&f.name, i).to_owned()),
                chosen: raw.0.get(&f.name).cloned().unwrap_or_default(),
                id,
                field: f,
            }
        })
        .collect()
}

async fn own_gss(state: &AppState, auth: &Auth) -> Result<Option<String>, PageError> {
    Ok(match &auth.user {
        Some(u) => accounts::organisation(&state.db, u.org_id)
            .await?
            .and_then(|o| o.gss_code),
        None => None,
    })
}

#[allow(clippy::too_many_arguments)]
async fn show_template_form(
    state: &AppState,
    auth: &Auth,
    t: &DocTemplate,
    raw: &RawValues,
    errors: Errors,
    preview_html: String,
    status: StatusCode,
    comment_sent: bool,
) -> Result<Response, PageError> {
    let c = &state.content;
    let pages = t.guide.iter().filter_map(|s| c.page(s)).collect();
    let title = if errors.is_empty() {
        t.title.clone()
    } else {
        format!("Error: {}", t.title)
    };
    let view = TemplateFormPage {
        layout: Layout::new(auth, title)
            .nav("templates")
            .crumb("Home", "/")
            .crumb("Templates", "/templates"),
        fields: form_fields(t, raw, &errors),
        errors,
        authorities: london_authorities(state).await?,
        pages,
        preview_html,
        can_save: auth
            .user
            .as_ref()
            .is_some_and(|u| u.role != Role::SupplierUser),
        visibilities: Visibility::ALL,
        comment: CommentBox::new(auth, PageKind::Template, &t.slug, comment_sent),
        template: t,
    };
    Ok((status, Html(view.render()?)).into_response())
}

async fn template_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let t = state.content.template(&slug).ok_or(PageError::NotFound)?;
    let pairs: Vec<(String, String)> = query
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let q = Fields(pairs);
    let raw = RawValues::defaults(t, own_gss(&state, &auth).await?.as_deref()).overlay(t, &q);
    show_template_form(
        &state,
        &auth,
        t,
        &raw,
        Errors::default(),
        String::new(),
        StatusCode::OK,
        q.get("done") == "comment",
    )
    .await
}

/// The file name for a download: the template's slug and the date, nothing a user typed.
fn file_name(slug: &str, ext: &str) -> String {
    format!("{slug}-{}.{ext}", Utc::now().date_naive())
}

pub fn download_response(title: &str, slug: &str, md: &str, format: &str) -> Response {
    match format {
        "md" => (
            [
                (
                    header::CONTENT_TYPE,
                    "text/markdown; charset=utf-8".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", file_name(slug, "md")),
                ),
            ],
            md.to_owned(),
        )
            .into_response(),
        _ => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                        .to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", file_name(slug, "docx")),
                ),
            ],
            docx::from_markdown(title, md),
        )
            .into_response(),
    }
}

async fn template_submit(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let t = state.content.template(&slug).ok_or(PageError::NotFound)?;
    let raw = RawValues::from_fields(t, &fields);
    let authorities = london_authorities(&state).await?;
    let ctx = match fill::validate(t, &raw, &authorities, Utc::now().date_naive()) {
        Ok(ctx) => ctx,
        Err(errors) => {
            return show_template_form(
                &state,
                &auth,
                t,
                &raw,
                errors,
                String::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
            )
            .await;
        }
    };
    let md = fill::render(t, &ctx).map_err(|e| PageError::Internal(e.to_string()))?;
    match fields.get("action") {
        "docx" | "md" => Ok(download_response(
            &t.title,
            &t.slug,
            &md,
            fields.get("action"),
        )),
        "save" => {
            let user = auth.require_user(&format!("/templates/{slug}"))?;
            if user.role == Role::SupplierUser {
                return Err(PageError::Forbidden(
                    "Saved documents are for London authorities and the convenor.",
                ));
            }
            let visibility: Visibility = fields
                .get("visibility")
                .parse()
                .map_err(|_| PageError::BadRequest("Choose who can see the document.".into()))?;
            let title = match fields.get("document_title") {
                "" => t.title.clone(),
                typed => typed.chars().take(200).collect(),
            };
            let id = documents::create(
                &state.db,
                user.org_id,
                user.id,
                &t.slug,
                &title,
                &raw.to_json(),
                visibility,
            )
            .await?;
            Ok(Redirect::to(&format!("/documents/{id}?done=saved")).into_response())
        }
        _ => {
            show_template_form(
                &state,
                &auth,
                t,
                &raw,
                Errors::default(),
                markdown::to_html(&md),
                StatusCode::OK,
                false,
            )
            .await
        }
    }
}

// ---- Problem statements ----

pub struct ProblemRow<'a> {
    pub problem: &'a Problem,
    pub coverage: Coverage,
    pub missing: Vec<&'static str>,
}

fn problem_rows(problems: &[Problem]) -> Vec<ProblemRow<'_>> {
    let live = capabilities::live_ids();
    problems
        .iter()
        .map(|p| {
            let (coverage, missing) = coverage(p, &live);
            ProblemRow {
                problem: p,
                coverage,
                missing: missing
                    .iter()
                    .map(|m| capabilities::describe(m).name)
                    .collect(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "guide/templates/problems.html")]
struct ProblemsPage<'a> {
    layout: Layout,
    groups: Vec<(ProblemGroup, Vec<ProblemRow<'a>>)>,
}

async fn problems(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let rows = problem_rows(&state.content.problems);
    let groups = ProblemGroup::ALL
        .into_iter()
        .map(|g| {
            (
                g,
                rows.iter()
                    .filter(|r| r.problem.group == g)
                    .map(|r| ProblemRow {
                        problem: r.problem,
                        coverage: r.coverage,
                        missing: r.missing.clone(),
                    })
                    .collect(),
            )
        })
        .collect();
    render(ProblemsPage {
        layout: Layout::new(&auth, "Problem statements")
            .nav("problems")
            .crumb("Home", "/"),
        groups,
    })
}

#[derive(Template)]
#[template(path = "guide/templates/coverage.html")]
struct CoveragePage<'a> {
    layout: Layout,
    rows: Vec<ProblemRow<'a>>,
    full: usize,
    partial: usize,
    none: usize,
    live: Vec<&'static str>,
    not_live: Vec<&'static str>,
}

async fn problem_coverage(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Response, PageError> {
    let rows = problem_rows(&state.content.problems);
    let count = |c: Coverage| rows.iter().filter(|r| r.coverage == c).count();
    let live_ids = capabilities::live_ids();
    render(CoveragePage {
        layout: Layout::new(&auth, "What the toolkit covers")
            .nav("problems")
            .crumb("Home", "/")
            .crumb("Problems", "/problems"),
        full: count(Coverage::Full),
        partial: count(Coverage::Partial),
        none: count(Coverage::None),
        live: super::content::CAPABILITIES
            .iter()
            .filter(|c| live_ids.contains(c))
            .map(|c| capabilities::describe(c).name)
            .collect(),
        not_live: super::content::CAPABILITIES
            .iter()
            .filter(|c| !live_ids.contains(c))
            .map(|c| capabilities::describe(c).name)
            .collect(),
        rows,
    })
}

#[derive(Template)]
#[template(path = "guide/templates/problem.html")]
struct ProblemPage<'a> {
    layout: Layout,
    row: ProblemRow<'a>,
    pages: Vec<&'a GuidePage>,
    templates: Vec<&'a DocTemplate>,
    tools: Vec<ToolLink>,
    comment: CommentBox,
}

async fn problem(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let c = &state.content;
    let p = c.problem(&id).ok_or(PageError::NotFound)?;
    let row = problem_rows(std::slice::from_ref(p))
        .pop()
        .ok_or(PageError::NotFound)?;
    render(ProblemPage {
        layout: Layout::new(&auth, &p.title)
            .nav("problems")
            .crumb("Home", "/")
            .crumb("Problems", "/problems"),
        pages: p.guide.iter().filter_map(|s| c.page(s)).collect(),
        templates: p.templates.iter().filter_map(|s| c.template(s)).collect(),
        tools: p
            .capabilities
            .iter()
            .map(|id| {
                let cap = capabilities::describe(id);
                ToolLink {
                    name: cap.name,
                    href: cap.href,
                    live: capabilities::is_live(id),
                }
            })
            .collect(),
        comment: CommentBox::new(&auth, PageKind::Problem, &p.id, q.done == "comment"),
        row,
    })
}

// ---- Search ----

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub struct ResultView {
    pub kind_label: &'static str,
    pub title: String,
    pub href: String,
    pub snippet_html: String,
}

/// Escapes a snippet, then turns the engine's match marks into `<mark>`: the content cannot
/// inject markup, only our marks become tags.
pub fn snippet_html(snippet: &str) -> String {
    markdown::escape(snippet)
        .replace(MARK_START, "<mark>")
        .replace(MARK_END, "</mark>")
}

pub fn result_href(kind: &str, slug: &str) -> (&'static str, String) {
    match kind {
        "template" => ("Template", format!("/templates/{slug}")),
        "problem" => ("Problem statement", format!("/problems/{slug}")),
        _ => ("Guide page", format!("/guide/{slug}")),
    }
}

#[derive(Template)]
#[template(path = "guide/templates/search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    results: Vec<ResultView>,
}

async fn search_page(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let query: String = q.q.trim().chars().take(200).collect();
    let hits = search::search(&state.db, &query, 50).await?;
    let results = hits
        .into_iter()
        .map(|h| {
            let (kind_label, href) = result_href(&h.kind, &h.slug);
            ResultView {
                kind_label,
                href,
                title: h.title,
                snippet_html: snippet_html(&h.snippet),
            }
        })
        .collect();
    let title = if query.is_empty() {
        "Search the toolkit".to_owned()
    } else {
        format!("Search results for ‘{query}’")
    };
    render(SearchPage {
        layout: Layout::new(&auth, title).nav("search").crumb("Home", "/"),
        q: query,
        results,
    })
}

// ---- Comments ----

#[derive(Template)]
#[template(path = "guide/templates/comment_error.html")]
struct CommentErrorPage {
    layout: Layout,
    back: String,
    errors: Errors,
    kind: String,
    slug: String,
    name: String,
    body: String,
}

async fn add_comment(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let kind = PageKind::parse(fields.get("kind")).ok_or(PageError::NotFound)?;
    let slug = fields.get("slug");
    let exists = match kind {
        PageKind::Guide => state.content.page(slug).is_some(),
        PageKind::Template => state.content.template(slug).is_some(),
        PageKind::Problem => state.content.problem(slug).is_some(),
    };
    if !exists {
        return Err(PageError::NotFound);
    }
    let back = kind.url(slug);
    // A field people cannot see: only form-filling robots put anything in it.
    if !fields.get("website").is_empty() {
        return Ok(Redirect::to(&format!("{back}?done=comment#comment")).into_response());
    }
    let name = match &auth.user {
        Some(u) => u.name.clone(),
        None => fields.get("name").chars().take(100).collect(),
    };
    let body = fields.get("comment");
    let mut errors = Errors::default();
    if auth.user.is_none() && name.is_empty() {
        errors.add("comment-name", "Enter your name");
    }
    if body.is_empty() {
        errors.add("comment", "Enter your comment");
    } else if body.chars().count() > comments::MAX_LENGTH {
        errors.add("comment", "Your comment must be 5,000 characters or fewer");
    }
    if errors.is_empty()
        && comments::recent_from_ip(&state.db, &auth.ip).await? >= comments::MAX_PER_WINDOW
    {
        errors.add(
            "comment",
            "You have sent several comments in the last few minutes. Wait 10 minutes and try again.",
        );
    }
    if !errors.is_empty() {
        let view = CommentErrorPage {
            layout: Layout::new(&auth, "Error: leave a comment").crumb("Home", "/"),
            back,
            errors,
            kind: kind.as_str().into(),
            slug: slug.into(),
            name,
            body: body.into(),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(view.render()?)).into_response());
    }
    comments::add(
        &state.db,
        kind,
        slug,
        auth.user.as_ref().map(|u| u.id),
        &name,
        body,
        &auth.ip,
    )
    .await?;
    Ok(Redirect::to(&format!("{back}?done=comment#comment")).into_response())
}

#[derive(Template)]
#[template(path = "guide/templates/admin_comments.html")]
struct AdminCommentsPage {
    layout: Layout,
    comments: Vec<comments::Comment>,
}

async fn admin_comments(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    auth.require_role(
        "/admin/comments",
        &[Role::PlatformAdmin],
        "Only platform admins can read comments.",
    )?;
    render(AdminCommentsPage {
        layout: Layout::new(&auth, "Comments on the guide")
            .crumb("Home", "/")
            .crumb("Platform admin", "/admin"),
        comments: comments::latest(&state.db, 500).await?,
    })
}

// ---- Documents ----

#[derive(Template)]
#[template(path = "guide/templates/documents.html")]
struct DocumentsPage {
    layout: Layout,
    own: Vec<Document>,
    shared: Vec<Document>,
}

async fn document_list(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let viewer = auth.viewer();
    let all = documents::list(&state.db, &viewer).await?;
    let (own, shared) = all
        .into_iter()
        .partition(|d| Some(d.org_id) == viewer.org_id());
    render(DocumentsPage {
        layout: Layout::new(&auth, "Documents")
            .nav("templates")
            .crumb("Home", "/")
            .crumb("Templates", "/templates"),
        own,
        shared,
    })
}

#[derive(Template)]
#[template(path = "guide/templates/document.html")]
struct DocumentPage {
    layout: Layout,
    doc: Document,
    template_title: String,
    html: String,
    can_edit: bool,
    visibilities: [Visibility; 3],
}

/// A saved document's Markdown, rendered from its template with its saved values.
async fn document_markdown(
    state: &AppState,
    doc: &Document,
) -> Result<(String, String), PageError> {
    let t = state.content.template(&doc.template_slug).ok_or_else(|| {
        PageError::BadRequest("This document's template no longer exists.".into())
    })?;
    let raw = RawValues::from_json(&doc.values_json);
    let authorities = london_authorities(state).await?;
    let ctx = fill::validate(t, &raw, &authorities, Utc::now().date_naive()).map_err(|_| {
        PageError::BadRequest(
            "This document no longer fits its template (the template has changed). Open the template and fill it in again."
                .into(),
        )
    })?;
    let md = fill::render(t, &ctx).map_err(|e| PageError::Internal(e.to_string()))?;
    Ok((t.title.clone(), md))
}

async fn document_page(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let viewer = auth.viewer();
    let doc = documents::get(&state.db, &viewer, id)
        .await?
        .ok_or(PageError::NotFound)?;
    let (template_title, md) = document_markdown(&state, &doc).await?;
    let notice = match q.done.as_str() {
        "saved" => Some("Document saved".to_owned()),
        "visibility" => Some("Sharing updated".to_owned()),
        _ => None,
    };
    render(DocumentPage {
        layout: Layout::new(&auth, &doc.title)
            .nav("templates")
            .crumb("Home", "/")
            .crumb("Documents", "/documents")
            .notice(notice),
        can_edit: viewer.can_edit(doc.org_id),
        html: markdown::to_html(&md),
        template_title,
        doc,
        visibilities: Visibility::ALL,
    })
}

#[derive(Deserialize)]
struct FormatQuery {
    #[serde(default)]
    format: String,
}

async fn document_download(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, PageError> {
    let doc = documents::get(&state.db, &auth.viewer(), id)
        .await?
        .ok_or(PageError::NotFound)?;
    let (_, md) = document_markdown(&state, &doc).await?;
    Ok(download_response(
        &doc.title,
        &doc.template_slug,
        &md,
        &q.format,
    ))
}

async fn document_visibility(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    auth.require_user(&format!("/documents/{id}"))?;
    let visibility: Visibility = fields
        .get("visibility")
        .parse()
        .map_err(|_| PageError::BadRequest("Choose who can see the document.".into()))?;
    if !documents::set_visibility(&state.db, &auth.viewer(), id, visibility).await? {
        // Either invisible to this user (so: not found) or visible but not theirs to change.
        return match documents::get(&state.db, &auth.viewer(), id).await? {
            Some(_) => Err(PageError::Forbidden(
                "Only the organisation that saved a document can change who sees it.",
            )),
            None => Err(PageError::NotFound),
        };
    }
    Ok(Redirect::to(&format!("/documents/{id}?done=visibility")).into_response())
}

async fn document_delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    auth.require_user(&format!("/documents/{id}"))?;
    if !documents::delete(&state.db, &auth.viewer(), id).await? {
        return match documents::get(&state.db, &auth.viewer(), id).await? {
            Some(_) => Err(PageError::Forbidden(
                "Only the organisation that saved a document can delete it.",
            )),
            None => Err(PageError::NotFound),
        };
    }
    Ok(Redirect::to("/documents").into_response())
}

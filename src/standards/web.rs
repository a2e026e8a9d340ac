//! The standard's pages: the requirements, supplier product profiles with their scorecards,
//! claims and boroughs' verdicts, the OpenAPI checker, the comparison of products of one type
//! and the tender wording generator.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::openapi::{self, CheckResult, MAX_DOCUMENT_BYTES, ParseError, Report};
use super::scorecard::{Line, Scorecard};
use super::standard::{Source, Theme};
use super::store::{self, NewClaim, NewProduct, NewVerification, OpenApiUpload, Product};
use super::tender::{Tender, TenderError};
use super::{ClaimStatus, EvidenceUrl, Level, Requirement, Standard, SystemType, Verdict};
use crate::accounts::{OrgKind, User};
use crate::guide::markdown;
use crate::visibility::{Viewer, Visibility};
use crate::web::auth::Auth;
use crate::web::form::{CsrfForm, Errors, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

/// Uploads may carry a document up to [`MAX_DOCUMENT_BYTES`] plus the form around it.
pub const UPLOAD_BODY_LIMIT: usize = MAX_DOCUMENT_BYTES + 64 * 1024;

const MAX_NOTE: usize = 2000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/standards", get(index))
        .route(
            "/standards/products",
            get(product_list).post(product_create),
        )
        .route("/standards/products/new", get(product_new))
        .route("/standards/products/{id}", get(product_page))
        .route(
            "/standards/products/{id}/edit",
            get(product_edit).post(product_update),
        )
        .route(
            "/standards/products/{id}/requirements/{req}",
            get(requirement_page),
        )
        .route(
            "/standards/products/{id}/requirements/{req}/claim",
            axum::routing::post(claim_submit),
        )
        .route(
            "/standards/products/{id}/requirements/{req}/verify",
            axum::routing::post(verify_submit),
        )
        .route(
            "/standards/products/{id}/openapi",
            get(product_report)
                .post(openapi_upload)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/standards/products/{id}/openapi/{doc}/download",
            get(openapi_download),
        )
        .route("/standards/compare", get(compare))
        .route(
            "/standards/checker",
            get(checker_form)
                .post(checker_submit)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/standards/tender", get(tender))
}

fn render(t: impl Template) -> Result<Response, PageError> {
    Ok(Html(t.render()?).into_response())
}

fn render_status(status: StatusCode, t: impl Template) -> Result<Response, PageError> {
    Ok((status, Html(t.render()?)).into_response())
}

fn layout(auth: &Auth, title: impl Into<String>) -> Layout {
    Layout::new(auth, title)
        .nav("standards")
        .crumb("Home", "/")
        .crumb("Data and API standard", "/standards")
}

fn standard() -> &'static Standard {
    Standard::embedded()
}

fn type_name(id: &str) -> &'static str {
    standard()
        .system_type(id)
        .map_or("Unknown type", |t| t.name.as_str())
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

// ---- The standard ----

#[derive(Template)]
#[template(path = "standards/templates/index.html")]
struct IndexPage {
    layout: Layout,
    standard: &'static Standard,
    themes: Vec<(&'static Theme, Vec<&'static Requirement>)>,
    is_supplier: bool,
}

impl IndexPage {
    fn sources_of(&self, r: &Requirement) -> Vec<&'static Source> {
        r.sources
            .iter()
            .filter_map(|s| self.standard.source(s))
            .collect()
    }
}

async fn index(auth: Auth) -> Result<Response, PageError> {
    let s = standard();
    render(IndexPage {
        layout: Layout::new(&auth, "Data and API standard")
            .nav("standards")
            .crumb("Home", "/"),
        standard: s,
        themes: s.by_theme(),
        is_supplier: is_supplier(&auth),
    })
}

fn is_supplier(auth: &Auth) -> bool {
    auth.user
        .as_ref()
        .is_some_and(|u| u.org_kind == OrgKind::Supplier)
}

// ---- Products ----

/// A product with its scores, for lists and the comparison.
pub struct ProductRow {
    pub product: Product,
    pub card: Scorecard,
}

#[derive(Template)]
#[template(path = "standards/templates/products.html")]
struct ProductsPage {
    layout: Layout,
    rows: Vec<ProductRow>,
    types: &'static [SystemType],
    chosen_type: String,
    is_supplier: bool,
    viewer_org: i64,
}

impl ProductsPage {
    fn type_label(&self, id: &str) -> &'static str {
        type_name(id)
    }
}

#[derive(Deserialize, Default)]
struct TypeQuery {
    #[serde(default, rename = "type")]
    system_type: String,
}

async fn scored_rows(
    state: &AppState,
    viewer: &Viewer,
    products: Vec<Product>,
) -> Result<Vec<ProductRow>, PageError> {
    let ids: Vec<i64> = products.iter().map(|p| p.id).collect();
    let claims = store::claims_for(&state.db, &ids).await?;
    let uploads = store::latest_openapi_for(&state.db, &ids).await?;
    let mut rows = Vec::new();
    for p in products {
        let cs: Vec<store::Claim> = claims
            .iter()
            .filter(|(pid, _)| *pid == p.id)
            .map(|(_, c)| c.clone())
            .collect();
        let vs = store::verifications(&state.db, viewer, p.id).await?;
        let report = uploads
            .iter()
            .find(|u| u.product_id == p.id)
            .and_then(OpenApiUpload::report);
        rows.push(ProductRow {
            card: Scorecard::build(standard(), &cs, &vs, report.as_ref()),
            product: p,
        });
    }
    Ok(rows)
}

async fn product_list(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<TypeQuery>,
) -> Result<Response, PageError> {
    let viewer = auth.viewer();
    let chosen = standard()
        .system_type(&q.system_type)
        .map(|t| t.id.clone())
        .unwrap_or_default();
    let filter = (!chosen.is_empty()).then_some(chosen.as_str());
    let products = store::products(&state.db, &viewer, filter).await?;
    let rows = scored_rows(&state, &viewer, products).await?;
    render(ProductsPage {
        layout: layout(&auth, "Product profiles"),
        rows,
        types: &standard().system_types,
        chosen_type: chosen,
        is_supplier: is_supplier(&auth),
        viewer_org: viewer.org_id().unwrap_or(-1),
    })
}

/// The product form's values, as typed.
#[derive(Default)]
struct ProductFields {
    name: String,
    system_type: String,
    description: String,
    visibility: String,
}

#[derive(Template)]
#[template(path = "standards/templates/product_form.html")]
struct ProductFormPage {
    layout: Layout,
    /// None for a new product.
    product_id: Option<i64>,
    f: ProductFields,
    errors: Errors,
    types: &'static [SystemType],
}

fn require_supplier<'a>(auth: &'a Auth, here: &str) -> Result<&'a User, PageError> {
    let user = auth.require_user(here)?;
    if user.org_kind != OrgKind::Supplier {
        return Err(PageError::Forbidden(
            "Product profiles are written by suppliers. London authorities verify or dispute suppliers' claims on each product's page.",
        ));
    }
    Ok(user)
}

async fn product_new(auth: Auth) -> Result<Response, PageError> {
    require_supplier(&auth, "/standards/products/new")?;
    render(ProductFormPage {
        layout: layout(&auth, "Add a product").crumb("Product profiles", "/standards/products"),
        product_id: None,
        f: ProductFields {
            visibility: Visibility::Private.as_str().into(),
            ..Default::default()
        },
        errors: Errors::default(),
        types: &standard().system_types,
    })
}

/// Checks the product form. Returns the values to store, or the errors to show.
fn validate_product(fields: &Fields) -> (ProductFields, Result<Visibility, Errors>) {
    let f = ProductFields {
        name: fields.get("name").to_owned(),
        system_type: fields.get("system_type").to_owned(),
        description: fields.get("description").to_owned(),
        visibility: fields.get("visibility").to_owned(),
    };
    let mut errors = Errors::default();
    if f.name.is_empty() {
        errors.add("name", "Enter the product's name");
    } else if f.name.chars().count() > 120 {
        errors.add("name", "The name must be 120 characters or fewer");
    }
    if standard().system_type(&f.system_type).is_none() {
        errors.add("system_type", "Select the type of system the product is");
    }
    if f.description.is_empty() {
        errors.add(
            "description",
            "Describe the product: what it does and who uses it",
        );
    } else if f.description.chars().count() > MAX_NOTE {
        errors.add(
            "description",
            "The description must be 2,000 characters or fewer",
        );
    }
    let visibility = match f.visibility.parse::<Visibility>() {
        Ok(Visibility::Private) | Ok(Visibility::Public) => f.visibility.parse().ok(),
        _ => None,
    };
    if visibility.is_none() {
        errors.add(
            "visibility",
            "Select whether to keep the profile as a draft or publish it",
        );
    }
    match visibility {
        Some(v) if errors.is_empty() => (f, Ok(v)),
        _ => (f, Err(errors)),
    }
}

async fn product_create(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_supplier(&auth, "/standards/products/new")?;
    let (f, checked) = validate_product(&fields);
    let visibility = match checked {
        Ok(v) => v,
        Err(errors) => {
            return render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProductFormPage {
                    layout: layout(&auth, "Error: Add a product")
                        .crumb("Product profiles", "/standards/products"),
                    product_id: None,
                    f,
                    errors,
                    types: &standard().system_types,
                },
            );
        }
    };
    let id = store::create_product(
        &state.db,
        user.org_id,
        user.id,
        &NewProduct {
            name: &f.name,
            system_type: &f.system_type,
            description: &f.description,
            visibility,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/standards/products/{id}?done=created")).into_response())
}

/// A product the viewer may see, or 404.
async fn visible_product(state: &AppState, viewer: &Viewer, id: i64) -> Result<Product, PageError> {
    store::product(&state.db, viewer, id)
        .await?
        .ok_or(PageError::NotFound)
}

/// A product the viewer's organisation owns: 404 when they cannot see it, 403 when they can
/// but it is another organisation's.
async fn own_product(state: &AppState, auth: &Auth, id: i64) -> Result<Product, PageError> {
    auth.require_user(&format!("/standards/products/{id}"))?;
    let viewer = auth.viewer();
    let p = visible_product(state, &viewer, id).await?;
    if !viewer.can_edit(p.org_id) {
        return Err(PageError::Forbidden(
            "Only the supplier that owns a product profile can change it.",
        ));
    }
    Ok(p)
}

async fn product_edit(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let p = own_product(&state, &auth, id).await?;
    render(ProductFormPage {
        layout: layout(&auth, format!("Change {}", p.name))
            .crumb("Product profiles", "/standards/products")
            .crumb(p.name.clone(), format!("/standards/products/{id}")),
        product_id: Some(id),
        f: ProductFields {
            name: p.name,
            system_type: p.system_type,
            description: p.description,
            visibility: p.visibility.as_str().into(),
        },
        errors: Errors::default(),
        types: &standard().system_types,
    })
}

async fn product_update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let p = own_product(&state, &auth, id).await?;
    let (f, checked) = validate_product(&fields);
    let visibility = match checked {
        Ok(v) => v,
        Err(errors) => {
            return render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProductFormPage {
                    layout: layout(&auth, format!("Error: Change {}", p.name))
                        .crumb("Product profiles", "/standards/products")
                        .crumb(p.name.clone(), format!("/standards/products/{id}")),
                    product_id: Some(id),
                    f,
                    errors,
                    types: &standard().system_types,
                },
            );
        }
    };
    store::update_product(
        &state.db,
        &auth.viewer(),
        id,
        &NewProduct {
            name: &f.name,
            system_type: &f.system_type,
            description: &f.description,
            visibility,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/standards/products/{id}?done=updated")).into_response())
}

#[derive(Template)]
#[template(path = "standards/templates/product.html")]
struct ProductPage {
    layout: Layout,
    product: Product,
    type_name: &'static str,
    card: Scorecard,
    upload: Option<OpenApiUpload>,
    report: Option<Report>,
    can_edit: bool,
    can_verify: bool,
    upload_errors: Errors,
    pasted: String,
}

impl ProductPage {
    fn must_lines(&self) -> Vec<&Line> {
        self.card
            .lines
            .iter()
            .filter(|l| l.level == Level::Must)
            .collect()
    }

    fn should_lines(&self) -> Vec<&Line> {
        self.card
            .lines
            .iter()
            .filter(|l| l.level == Level::Should)
            .collect()
    }
}

/// Everything the product page shows, for the viewer.
async fn product_view(
    state: &AppState,
    auth: &Auth,
    id: i64,
    notice: Option<String>,
) -> Result<ProductPage, PageError> {
    let viewer = auth.viewer();
    let product = visible_product(state, &viewer, id).await?;
    let claims = store::claims(&state.db, id).await?;
    let verifications = store::verifications(&state.db, &viewer, id).await?;
    let upload = store::latest_openapi(&state.db, id).await?;
    let report = upload.as_ref().and_then(OpenApiUpload::report);
    let card = Scorecard::build(standard(), &claims, &verifications, report.as_ref());
    Ok(ProductPage {
        layout: layout(auth, product.name.clone())
            .crumb("Product profiles", "/standards/products")
            .notice(notice),
        type_name: type_name(&product.system_type),
        can_edit: viewer.can_edit(product.org_id),
        can_verify: viewer.is_london_member(),
        card,
        upload,
        report,
        product,
        upload_errors: Errors::default(),
        pasted: String::new(),
    })
}

async fn product_page(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let notice = match q.done.as_str() {
        "created" => {
            Some("Product added. Answer each requirement below to build its scorecard.".to_owned())
        }
        "updated" => Some("Product details saved".to_owned()),
        "uploaded" => Some("OpenAPI document checked and saved".to_owned()),
        "claim" => Some("Answer saved".to_owned()),
        _ => None,
    };
    render(product_view(&state, &auth, id, notice).await?)
}

// ---- One requirement of one product: the claim, its evidence and the verdicts ----

#[derive(Template)]
#[template(path = "standards/templates/requirement.html")]
struct RequirementPage {
    layout: Layout,
    product: Product,
    requirement: &'static Requirement,
    theme: &'static str,
    sources: Vec<&'static Source>,
    line: Line,
    checks: Vec<CheckResult>,
    upload: Option<OpenApiUpload>,
    can_edit: bool,
    can_verify: bool,
    /// The viewer organisation's own verdict, to pre-fill its form.
    own: Option<store::Verification>,
    claim_form: ClaimFields,
    claim_errors: Errors,
    verify_form: VerifyFields,
    verify_errors: Errors,
    next: Option<&'static Requirement>,
    statuses: [ClaimStatus; 4],
    verdicts: [Verdict; 2],
}

impl RequirementPage {
    /// True when a verdict was given before the supplier last changed the claim.
    fn is_stale(&self, v: &store::Verification) -> bool {
        self.line
            .claim
            .as_ref()
            .is_some_and(|c| c.updated_at > v.updated_at)
    }
}

#[derive(Default, Clone)]
struct ClaimFields {
    status: String,
    note: String,
    evidence_url: String,
    use_openapi: bool,
}

#[derive(Default, Clone)]
struct VerifyFields {
    verdict: String,
    note: String,
    visibility: String,
}

fn requirement_of(id: &str) -> Result<&'static Requirement, PageError> {
    standard().requirement(id).ok_or(PageError::NotFound)
}

#[allow(clippy::too_many_arguments)]
async fn requirement_view(
    state: &AppState,
    auth: &Auth,
    product_id: i64,
    req: &'static Requirement,
    claim_form: Option<ClaimFields>,
    claim_errors: Errors,
    verify_form: Option<VerifyFields>,
    verify_errors: Errors,
) -> Result<RequirementPage, PageError> {
    let viewer = auth.viewer();
    let product = visible_product(state, &viewer, product_id).await?;
    let claims = store::claims(&state.db, product_id).await?;
    let verifications = store::verifications(&state.db, &viewer, product_id).await?;
    let upload = store::latest_openapi(&state.db, product_id).await?;
    let report = upload.as_ref().and_then(OpenApiUpload::report);
    let card = Scorecard::build(standard(), &claims, &verifications, report.as_ref());
    let line = card.line(&req.id).cloned().ok_or(PageError::NotFound)?;
    let checks = report
        .as_ref()
        .map(|r| {
            req.checks
                .iter()
                .filter_map(|c| r.check(*c).cloned())
                .collect()
        })
        .unwrap_or_default();
    let own = viewer
        .org_id()
        .and_then(|org| line.verifications.iter().find(|v| v.org_id == org).cloned());
    let claim_form = claim_form.unwrap_or_else(|| match &line.claim {
        Some(c) => ClaimFields {
            status: c.status.as_str().into(),
            note: c.note.clone(),
            evidence_url: c.evidence_url.clone().unwrap_or_default(),
            use_openapi: c.openapi_document_id.is_some(),
        },
        None => ClaimFields::default(),
    });
    let verify_form = verify_form.unwrap_or_else(|| match &own {
        Some(v) => VerifyFields {
            verdict: v.verdict.as_str().into(),
            note: v.note.clone(),
            visibility: v.visibility.as_str().into(),
        },
        None => VerifyFields {
            visibility: Visibility::London.as_str().into(),
            ..Default::default()
        },
    });
    // The next requirement in scorecard order, so a supplier can answer them in one pass.
    let pos = card.lines.iter().position(|l| l.requirement_id == req.id);
    let next = pos
        .and_then(|i| card.lines.get(i + 1))
        .and_then(|l| standard().requirement(&l.requirement_id));
    let failed = !claim_errors.is_empty() || !verify_errors.is_empty();
    let title = if failed {
        format!("Error: {}", req.title)
    } else {
        req.title.clone()
    };
    Ok(RequirementPage {
        layout: layout(auth, title)
            .crumb("Product profiles", "/standards/products")
            .crumb(
                product.name.clone(),
                format!("/standards/products/{product_id}"),
            ),
        can_edit: viewer.can_edit(product.org_id),
        can_verify: viewer.is_london_member() && line.claim.is_some(),
        theme: standard().theme_title(&req.theme),
        sources: req
            .sources
            .iter()
            .filter_map(|s| standard().source(s))
            .collect(),
        product,
        requirement: req,
        line,
        checks,
        upload,
        own,
        claim_form,
        claim_errors,
        verify_form,
        verify_errors,
        next,
        statuses: ClaimStatus::ALL,
        verdicts: Verdict::ALL,
    })
}

async fn requirement_page(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, req)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    let req = requirement_of(&req)?;
    render(
        requirement_view(
            &state,
            &auth,
            id,
            req,
            None,
            Errors::default(),
            None,
            Errors::default(),
        )
        .await?,
    )
}

async fn claim_submit(
    State(state): State<AppState>,
    Path((id, req_id)): Path<(i64, String)>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let req = requirement_of(&req_id)?;
    own_product(&state, &auth, id).await?;
    let form = ClaimFields {
        status: fields.get("status").to_owned(),
        note: fields.get("note").to_owned(),
        evidence_url: fields.get("evidence_url").to_owned(),
        use_openapi: fields.get("use_openapi") == "yes",
    };
    let mut errors = Errors::default();
    let status = form.status.parse::<ClaimStatus>().ok();
    if status.is_none() {
        errors.add(
            "status",
            "Select whether the product meets this requirement",
        );
    }
    if form.note.chars().count() > MAX_NOTE {
        errors.add("note", "The note must be 2,000 characters or fewer");
    }
    let url = if form.evidence_url.is_empty() {
        None
    } else {
        match EvidenceUrl::parse(&form.evidence_url) {
            Ok(u) => Some(u),
            Err(e) => {
                errors.add("evidence_url", e.to_string());
                None
            }
        }
    };
    let upload = store::latest_openapi(&state.db, id).await?;
    if form.use_openapi && upload.is_none() {
        errors.add(
            "use_openapi",
            "Upload an OpenAPI document on the product page before citing it",
        );
    }
    match status {
        Some(ClaimStatus::Meets | ClaimStatus::Partly)
            if form.note.is_empty() && form.evidence_url.is_empty() && !form.use_openapi =>
        {
            errors.add(
                "note",
                "Give evidence for your answer: a note, a link, or your OpenAPI document",
            );
        }
        Some(ClaimStatus::NotApplicable) if form.note.is_empty() => {
            errors.add(
                "note",
                "Explain why this requirement does not apply to the product",
            );
        }
        _ => {}
    }
    let Some(status) = status.filter(|_| errors.is_empty()) else {
        let view = requirement_view(
            &state,
            &auth,
            id,
            req,
            Some(form),
            errors,
            None,
            Errors::default(),
        )
        .await?;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, view);
    };
    store::save_claim(
        &state.db,
        &auth.viewer(),
        id,
        &NewClaim {
            requirement_id: &req.id,
            status,
            note: &form.note,
            evidence_url: url.as_ref().map(EvidenceUrl::as_str),
            openapi_document_id: if form.use_openapi {
                upload.map(|u| u.id)
            } else {
                None
            },
        },
    )
    .await?;
    let to = match fields.get("then") {
        "next" => match fields.get("next") {
            next if standard().requirement(next).is_some() => {
                format!("/standards/products/{id}/requirements/{next}")
            }
            _ => format!("/standards/products/{id}?done=claim"),
        },
        _ => format!("/standards/products/{id}?done=claim"),
    };
    Ok(Redirect::to(&to).into_response())
}

async fn verify_submit(
    State(state): State<AppState>,
    Path((id, req_id)): Path<(i64, String)>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let req = requirement_of(&req_id)?;
    auth.require_user(&format!("/standards/products/{id}/requirements/{req_id}"))?;
    let viewer = auth.viewer();
    visible_product(&state, &viewer, id).await?;
    if !viewer.is_london_member() {
        return Err(PageError::Forbidden(
            "Only London authorities and the convenor can verify or dispute a supplier's claim.",
        ));
    }
    let has_claim = store::claims(&state.db, id)
        .await?
        .iter()
        .any(|c| c.requirement_id == req.id);
    if !has_claim {
        return Err(PageError::BadRequest(
            "The supplier has not answered this requirement yet, so there is nothing to verify."
                .into(),
        ));
    }
    let form = VerifyFields {
        verdict: fields.get("verdict").to_owned(),
        note: fields.get("note").to_owned(),
        visibility: fields.get("visibility").to_owned(),
    };
    let mut errors = Errors::default();
    let verdict = form.verdict.parse::<Verdict>().ok();
    match verdict {
        None => errors.add("verdict", "Select whether you verify or dispute the claim"),
        Some(Verdict::Disputed) if form.note.is_empty() => errors.add(
            "verify-note",
            "Say what you found that does not match the supplier's claim",
        ),
        _ => {}
    }
    if form.note.chars().count() > MAX_NOTE {
        errors.add("verify-note", "The note must be 2,000 characters or fewer");
    }
    let visibility = match form.visibility.as_str() {
        "london" => Some(Visibility::London),
        "public" => Some(Visibility::Public),
        _ => {
            errors.add(
                "verify-visibility",
                "Select who can see your verdict: London authorities, or everyone",
            );
            None
        }
    };
    let (Some(verdict), Some(visibility), true) = (verdict, visibility, errors.is_empty()) else {
        let view = requirement_view(
            &state,
            &auth,
            id,
            req,
            None,
            Errors::default(),
            Some(form),
            errors,
        )
        .await?;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, view);
    };
    store::save_verification(
        &state.db,
        &viewer,
        id,
        &NewVerification {
            requirement_id: &req.id,
            verdict,
            note: &form.note,
            visibility,
        },
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/standards/products/{id}/requirements/{}#verdicts",
        req.id
    ))
    .into_response())
}

// ---- OpenAPI documents ----

/// What an upload form sent: the CSRF token, a file and/or pasted text.
struct Upload {
    csrf: String,
    file_name: String,
    file: Vec<u8>,
    pasted: String,
    /// True when the file or the pasted text was longer than the checker accepts.
    too_large: Option<usize>,
}

impl Upload {
    /// The document to check: the file if one was chosen, otherwise the pasted text.
    fn document(&self) -> (&[u8], String) {
        if !self.file.is_empty() {
            (&self.file, self.file_name.clone())
        } else {
            let name = if self.pasted.trim_start().starts_with('{') {
                "pasted.json"
            } else {
                "pasted.yaml"
            };
            (self.pasted.as_bytes(), name.to_owned())
        }
    }
}

/// Reads a multipart upload without holding more than the checker's limit (plus one byte, to
/// know it was exceeded) of any one field in memory.
async fn read_upload(mut mp: Multipart) -> Result<Upload, PageError> {
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            PageError::TooLarge {
                limit_bytes: MAX_DOCUMENT_BYTES,
            }
        } else {
            PageError::BadRequest("The upload could not be read. Try again.".into())
        }
    };
    let mut up = Upload {
        csrf: String::new(),
        file_name: String::new(),
        file: Vec::new(),
        pasted: String::new(),
        too_large: None,
    };
    while let Some(mut field) = mp.next_field().await.map_err(too_large)? {
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().map(clean_file_name);
        let mut bytes = Vec::new();
        let mut total = 0usize;
        while let Some(chunk) = field.chunk().await.map_err(too_large)? {
            total += chunk.len();
            if bytes.len() <= MAX_DOCUMENT_BYTES {
                let room = MAX_DOCUMENT_BYTES + 1 - bytes.len();
                bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
        }
        if total > MAX_DOCUMENT_BYTES && (name == "document" || name == "pasted") {
            up.too_large = Some(total);
        }
        match name.as_str() {
            "csrf_token" => up.csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "document" => {
                up.file_name = file_name.unwrap_or_default();
                up.file = bytes;
            }
            "pasted" => up.pasted = String::from_utf8_lossy(&bytes).into_owned(),
            _ => {}
        }
    }
    Ok(up)
}

/// The last path component of an uploaded file's name, without control characters.
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    if cleaned.trim().is_empty() {
        "openapi".into()
    } else {
        cleaned
    }
}

/// Checks an upload; the error is the message for the form.
fn check_upload(up: &Upload) -> Result<(Report, String, String), String> {
    if let Some(bytes) = up.too_large {
        return Err(ParseError::TooLarge { bytes }.to_string());
    }
    if up.file.is_empty() && up.pasted.trim().is_empty() {
        return Err(
            "Choose an OpenAPI document (JSON or YAML) to upload, or paste one into the box".into(),
        );
    }
    let (bytes, name) = up.document();
    let report = openapi::check_bytes(bytes).map_err(|e| e.to_string())?;
    // check_bytes accepted it, so it is UTF-8.
    let text = String::from_utf8_lossy(bytes).into_owned();
    Ok((report, name, text))
}

async fn openapi_upload(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let up = read_upload(mp).await?;
    auth.check_csrf(Some(&up.csrf))?;
    own_product(&state, &auth, id).await?;
    let (report, name, text) = match check_upload(&up) {
        Ok(x) => x,
        Err(message) => {
            let mut view = product_view(&state, &auth, id, None).await?;
            view.layout.title = format!("Error: {}", view.product.name);
            view.upload_errors.add("document", message);
            view.pasted = if up.pasted.len() <= 64 * 1024 {
                up.pasted.clone()
            } else {
                String::new()
            };
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, view);
        }
    };
    let report_json =
        serde_json::to_string(&report).map_err(|e| PageError::Internal(format!("report: {e}")))?;
    store::save_openapi(&state.db, &auth.viewer(), id, &name, &text, &report_json)
        .await?
        .ok_or(PageError::NotFound)?;
    Ok(Redirect::to(&format!("/standards/products/{id}/openapi?done=uploaded")).into_response())
}

#[derive(Template)]
#[template(path = "standards/templates/report.html")]
struct ReportPage {
    layout: Layout,
    product: Product,
    upload: OpenApiUpload,
    report: Report,
    /// For each check, the requirements it gives evidence for.
    feeds: Vec<(openapi::CheckId, Vec<&'static Requirement>)>,
}

impl ReportPage {
    fn feeds_of(&self, c: &openapi::CheckId) -> Vec<&'static Requirement> {
        self.feeds
            .iter()
            .find(|(id, _)| id == c)
            .map(|(_, rs)| rs.clone())
            .unwrap_or_default()
    }
}

fn feeds() -> Vec<(openapi::CheckId, Vec<&'static Requirement>)> {
    openapi::CheckId::ALL
        .into_iter()
        .map(|c| {
            (
                c,
                standard()
                    .requirements
                    .iter()
                    .filter(|r| r.checks.contains(&c))
                    .collect(),
            )
        })
        .collect()
}

async fn product_report(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let product = visible_product(&state, &auth.viewer(), id).await?;
    let upload = store::latest_openapi(&state.db, id)
        .await?
        .ok_or(PageError::NotFound)?;
    let report = upload.report().ok_or_else(|| {
        PageError::Internal(format!("stored report {} does not parse", upload.id))
    })?;
    let notice = (q.done == "uploaded").then(|| "OpenAPI document checked and saved".to_owned());
    render(ReportPage {
        layout: layout(&auth, format!("OpenAPI report: {}", product.name))
            .crumb("Product profiles", "/standards/products")
            .crumb(product.name.clone(), format!("/standards/products/{id}"))
            .notice(notice),
        product,
        upload,
        report,
        feeds: feeds(),
    })
}

async fn openapi_download(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, doc)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    visible_product(&state, &auth.viewer(), id).await?;
    let (name, body) = store::openapi_body(&state.db, id, doc)
        .await?
        .ok_or(PageError::NotFound)?;
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let kind = if body.trim_start().starts_with('{') {
        "application/json"
    } else {
        "application/yaml"
    };
    Ok((
        [
            (header::CONTENT_TYPE, format!("{kind}; charset=utf-8")),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "standards/templates/checker.html")]
struct CheckerPage {
    layout: Layout,
    errors: Errors,
    pasted: String,
    report: Option<Report>,
    file_name: String,
    feeds: Vec<(openapi::CheckId, Vec<&'static Requirement>)>,
}

impl CheckerPage {
    fn feeds_of(&self, c: &openapi::CheckId) -> Vec<&'static Requirement> {
        self.feeds
            .iter()
            .find(|(id, _)| id == c)
            .map(|(_, rs)| rs.clone())
            .unwrap_or_default()
    }
}

async fn checker_form(auth: Auth) -> Result<Response, PageError> {
    render(CheckerPage {
        layout: layout(&auth, "Check an OpenAPI document"),
        errors: Errors::default(),
        pasted: String::new(),
        report: None,
        file_name: String::new(),
        feeds: feeds(),
    })
}

/// The checker on its own: nothing is stored, so anyone (a borough evaluating tenders, a
/// supplier before publishing) can use it.
async fn checker_submit(
    State(_state): State<AppState>,
    auth: Auth,
    mp: Multipart,
) -> Result<Response, PageError> {
    let up = read_upload(mp).await?;
    auth.check_csrf(Some(&up.csrf))?;
    match check_upload(&up) {
        Ok((report, name, _)) => render(CheckerPage {
            layout: layout(&auth, "OpenAPI report"),
            errors: Errors::default(),
            pasted: String::new(),
            report: Some(report),
            file_name: name,
            feeds: feeds(),
        }),
        Err(message) => {
            let mut errors = Errors::default();
            errors.add("document", message);
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                CheckerPage {
                    layout: layout(&auth, "Error: Check an OpenAPI document"),
                    errors,
                    pasted: if up.pasted.len() <= 64 * 1024 {
                        up.pasted
                    } else {
                        String::new()
                    },
                    report: None,
                    file_name: String::new(),
                    feeds: feeds(),
                },
            )
        }
    }
}

// ---- Comparison ----

#[derive(Template)]
#[template(path = "standards/templates/compare.html")]
struct ComparePage {
    layout: Layout,
    types: &'static [SystemType],
    chosen: Option<&'static SystemType>,
    rows: Vec<ProductRow>,
    requirements: Vec<&'static Requirement>,
}

impl ComparePage {
    fn cell<'a>(&self, row: &'a ProductRow, req: &Requirement) -> Option<&'a Line> {
        row.card.line(&req.id)
    }
}

/// The comparison shows at most this many products side by side.
const COMPARE_MAX: usize = 8;

async fn compare(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<TypeQuery>,
) -> Result<Response, PageError> {
    let viewer = auth.viewer();
    let chosen = standard().system_type(&q.system_type);
    let rows = match chosen {
        Some(t) => {
            let mut ps = store::products(&state.db, &viewer, Some(&t.id)).await?;
            ps.truncate(COMPARE_MAX);
            scored_rows(&state, &viewer, ps).await?
        }
        None => vec![],
    };
    let mut requirements: Vec<&'static Requirement> = standard().requirements.iter().collect();
    requirements.sort_by_key(|r| r.level);
    render(ComparePage {
        layout: layout(
            &auth,
            match chosen {
                Some(t) => format!("Compare products: {}", t.name),
                None => "Compare products".to_owned(),
            },
        ),
        types: &standard().system_types,
        chosen,
        rows,
        requirements,
    })
}

// ---- Tender wording ----

#[derive(Template)]
#[template(path = "standards/templates/tender.html")]
struct TenderPage {
    layout: Layout,
    types: &'static [SystemType],
    chosen_type: String,
    musts: Vec<&'static Requirement>,
    shoulds: Vec<&'static Requirement>,
    chosen: Vec<String>,
    errors: Errors,
    preview_html: String,
}

impl TenderPage {
    fn is_chosen(&self, id: &str) -> bool {
        self.chosen.iter().any(|c| c == id)
    }
}

async fn tender(auth: Auth, raw: axum::extract::RawQuery) -> Result<Response, PageError> {
    let pairs: Vec<(String, String)> = raw
        .0
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let fields = Fields(pairs);
    let s = standard();
    let submitted = !fields.get("type").is_empty() || fields.get("generate") == "1";
    let chosen_type = fields.get("type").to_owned();
    let chosen: Vec<String> = if submitted {
        fields
            .all("requirement")
            .into_iter()
            .map(str::to_owned)
            .collect()
    } else {
        // Before the first submission every requirement is ticked.
        s.requirements.iter().map(|r| r.id.clone()).collect()
    };
    let musts = s
        .requirements
        .iter()
        .filter(|r| r.level == Level::Must)
        .collect();
    let shoulds = s
        .requirements
        .iter()
        .filter(|r| r.level == Level::Should)
        .collect();
    let mut errors = Errors::default();
    let mut preview_html = String::new();
    if submitted {
        let ids: Vec<&str> = chosen.iter().map(String::as_str).collect();
        match Tender::new(s, &chosen_type, &ids) {
            Ok(t) => {
                let md = t.markdown();
                match fields.get("format") {
                    f @ ("docx" | "md") => {
                        return Ok(crate::guide::web::download_response(
                            &t.title(),
                            &t.slug(),
                            &md,
                            f,
                        ));
                    }
                    _ => preview_html = markdown::to_html(&md),
                }
            }
            Err(es) => {
                for e in es {
                    let field = match e {
                        TenderError::NoSystemType => "type",
                        _ => "requirements",
                    };
                    errors.add(field, e.to_string());
                }
            }
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if errors.is_empty() {
        "Tender wording for data and APIs"
    } else {
        "Error: Tender wording for data and APIs"
    };
    render_status(
        status,
        TenderPage {
            layout: layout(&auth, title),
            types: &s.system_types,
            chosen_type,
            musts,
            shoulds,
            chosen,
            errors,
            preview_html,
        },
    )
}

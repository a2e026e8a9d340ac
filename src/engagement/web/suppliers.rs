//! Supplier registration and email verification, the supplier's own profile, the directory
//! for boroughs and one supplier's page.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{
    Chosen, html, other_categories_text, parse_categories, require_london, require_supplier,
    status_for, title_for,
};
use crate::accounts::{Email, Role, password, session, store as accounts};
use crate::engagement::suppliers::{
    self as store, CaseStudy, DirectoryEntry, DirectoryQuery, LondonRecord, NewSupplier, Product,
    Profile, ProfileInput, Registered, RegistrationError,
};
use crate::engagement::{Category, Certification, check_text, check_url};
use crate::suppliers::CompanyNumber;
use crate::web::auth::{Auth, SESSION_COOKIE, cookie};
use crate::web::form::{CsrfForm, Errors, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

// ---- Registration ----

#[derive(Debug, Clone, Default)]
pub struct RegisterValues {
    pub name: String,
    pub company_number: String,
    pub sme: bool,
    pub vcse: bool,
    pub london_based: bool,
    pub categories: Chosen,
    pub categories_other: String,
    pub contact_name: String,
    pub email: String,
}

impl RegisterValues {
    fn from_fields(f: &Fields) -> RegisterValues {
        RegisterValues {
            name: f.get("name").into(),
            company_number: f.get("company_number").into(),
            sme: !f.get("sme").is_empty(),
            vcse: !f.get("vcse").is_empty(),
            london_based: !f.get("london_based").is_empty(),
            categories: Chosen(f.all("categories").into_iter().map(str::to_owned).collect()),
            categories_other: f.get("categories_other").into(),
            contact_name: f.get("contact_name").into(),
            email: f.get("email").into(),
        }
    }
}

#[derive(Template)]
#[template(path = "engagement/templates/register.html")]
struct RegisterPage {
    layout: Layout,
    v: RegisterValues,
    errors: Errors,
}

fn register_page(
    auth: &Auth,
    status: StatusCode,
    v: RegisterValues,
    errors: Errors,
) -> Result<Response, PageError> {
    html(
        status,
        RegisterPage {
            layout: Layout::new(auth, title_for(&errors, "Register as a supplier"))
                .nav("market")
                .crumb("Home", "/")
                .crumb("Market", "/market"),
            v,
            errors,
        },
    )
}

pub async fn register_form(auth: Auth) -> Result<Response, PageError> {
    if auth.user.is_some() {
        return Err(PageError::BadRequest(
            "You are signed in. To add a colleague to a supplier organisation, invite them from its profile page; to register another organisation, sign out first.".into(),
        ));
    }
    register_page(
        &auth,
        StatusCode::OK,
        RegisterValues::default(),
        Errors::default(),
    )
}

#[derive(Template)]
#[template(path = "engagement/templates/register_done.html")]
struct RegisterDone {
    layout: Layout,
    email: String,
    resent: bool,
}

pub async fn register(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let v = RegisterValues::from_fields(&fields);
    let done = |email: String, resent: bool| {
        html(
            StatusCode::OK,
            RegisterDone {
                layout: Layout::new(&auth, "Check your email")
                    .nav("market")
                    .crumb("Home", "/"),
                email,
                resent,
            },
        )
    };
    // The honeypot: a field people never see or fill. A bot that fills it is told the same as a
    // person, so it learns nothing, and nothing is created.
    if !fields.get("website").is_empty() {
        store::record_attempt(&state.db, &auth.ip, "honeypot").await?;
        return done(v.email.clone(), false);
    }
    if store::registrations_from(&state.db, &auth.ip).await? >= store::MAX_REGISTRATIONS_PER_IP {
        let mut e = Errors::default();
        e.add(
            "name",
            "There have been too many registrations from your network in the last hour. Wait an hour and try again, or ask a colleague who is registered to invite you.",
        );
        return register_page(&auth, StatusCode::TOO_MANY_REQUESTS, v, e);
    }
    let mut e = Errors::default();
    if let Err(m) = check_text(&v.name, "Your organisation's name", true, 200) {
        e.add("name", m);
    }
    let company_number = match v.company_number.as_str() {
        "" => None,
        c => match CompanyNumber::parse(c) {
            Ok(c) => Some(c),
            Err(err) => {
                e.add("company_number", err.to_string());
                None
            }
        },
    };
    let categories = match parse_categories(
        &v.categories
            .0
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &v.categories_other,
        store::MAX_CATEGORIES,
    ) {
        Ok(c) if c.is_empty() => {
            e.add(
                "categories",
                "Choose at least one category, so boroughs looking for what you do can find you",
            );
            Vec::new()
        }
        Ok(c) => c,
        Err(m) => {
            e.add("categories", m);
            Vec::new()
        }
    };
    if let Err(m) = check_text(&v.contact_name, "Your full name", true, 100) {
        e.add("contact_name", m);
    }
    let email = match Email::parse(&v.email) {
        Ok(m) => Some(m),
        Err(err) => {
            e.add("email", err.to_string());
            None
        }
    };
    let pw = fields.get("password").to_owned();
    if let Err(err) = password::check_new(&pw) {
        e.add("password", err.to_string());
    } else if pw != fields.get("confirm_password") {
        e.add("confirm_password", "The passwords do not match");
    }
    let Some(email) = email.filter(|_| e.is_empty()) else {
        return register_page(&auth, StatusCode::UNPROCESSABLE_ENTITY, v, e);
    };
    let hash = password::hash(pw).await;
    let new = NewSupplier {
        name: v.name.clone(),
        company_number,
        sme: v.sme,
        vcse: v.vcse,
        london_based: v.london_based,
        categories,
        contact_name: v.contact_name.clone(),
        email: email.clone(),
        password_hash: hash,
    };
    match store::register(&state.db, &new, &state.config.public_url).await {
        Ok(Registered::New { org_id, .. }) => {
            store::record_attempt(&state.db, &auth.ip, "registered").await?;
            accounts::audit(
                &state.db,
                None,
                "supplier_registered",
                &format!(
                    "{} registered supplier {} (organisation {org_id})",
                    email, v.name
                ),
                Some(&auth.ip),
            )
            .await?;
            done(email.to_string(), false)
        }
        Ok(Registered::LinkResent { .. }) => {
            store::record_attempt(&state.db, &auth.ip, "resent").await?;
            done(email.to_string(), true)
        }
        Err(RegistrationError::EmailTaken) => {
            e.add("email", RegistrationError::EmailTaken.to_string());
            register_page(&auth, StatusCode::UNPROCESSABLE_ENTITY, v, e)
        }
        Err(err @ RegistrationError::CompanyTaken(_)) => {
            e.add("company_number", err.to_string());
            register_page(&auth, StatusCode::UNPROCESSABLE_ENTITY, v, e)
        }
        Err(RegistrationError::Db(err)) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "engagement/templates/verify.html")]
struct VerifyPage {
    layout: Layout,
    token: String,
}

const LINK_GONE: &str = "This link has expired or has already been used. If you have not confirmed your email address yet, register again with the same address and we will send a new link. If you have, sign in.";

/// Shows a button rather than confirming on GET: mail scanners open links in messages, and
/// opening a link must not be what confirms an address.
pub async fn verify_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    if !store::link_is_open(&state.db, &token).await? {
        return Err(PageError::BadRequest(LINK_GONE.into()));
    }
    html(
        StatusCode::OK,
        VerifyPage {
            layout: Layout::new(&auth, "Confirm your email address").nav("market"),
            token,
        },
    )
}

pub async fn verify(
    State(state): State<AppState>,
    Path(token): Path<String>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let Some(user_id) = store::verify_email(&state.db, &token).await? else {
        return Err(PageError::BadRequest(LINK_GONE.into()));
    };
    let user = accounts::user(&state.db, user_id)
        .await?
        .ok_or(PageError::NotFound)?;
    accounts::audit(
        &state.db,
        Some(&user),
        "email_verified",
        "Confirmed their email address",
        Some(&auth.ip),
    )
    .await?;
    let s = session::create(&state.db, user.id).await?;
    accounts::record_sign_in(&state.db, user.id).await?;
    let mut resp = Redirect::to("/market/profile?done=verified").into_response();
    if let Ok(v) = HeaderValue::from_str(
        &cookie(SESSION_COOKIE, s.token, state.config.secure_cookies).to_string(),
    ) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

// ---- The supplier's own profile ----

#[derive(Debug, Clone, Default)]
pub struct ProfileValues {
    pub description: String,
    pub website: String,
    pub company_number: String,
    pub has_company_number: bool,
    pub sme: bool,
    pub vcse: bool,
    pub london_based: bool,
    pub accessibility: String,
    pub security: String,
    pub categories: Chosen,
    pub categories_other: String,
    pub certifications: Chosen,
}

impl ProfileValues {
    fn from_profile(p: &Profile, cats: &[Category], certs: &[Certification]) -> ProfileValues {
        ProfileValues {
            description: p.description.clone(),
            website: p.website.clone(),
            company_number: p.company_number.clone().unwrap_or_default(),
            has_company_number: p.company_number.is_some(),
            sme: p.sme,
            vcse: p.vcse,
            london_based: p.london_based,
            accessibility: p.accessibility.clone(),
            security: p.security.clone(),
            categories: Chosen::from_categories(cats),
            categories_other: other_categories_text(cats),
            certifications: Chosen(certs.iter().map(|c| c.as_str().to_owned()).collect()),
        }
    }

    fn from_fields(f: &Fields, p: &Profile) -> ProfileValues {
        let all = |n: &str| Chosen(f.all(n).into_iter().map(str::to_owned).collect());
        ProfileValues {
            description: f.get("description").into(),
            website: f.get("website_url").into(),
            company_number: if p.company_number.is_some() {
                p.company_number.clone().unwrap_or_default()
            } else {
                f.get("company_number").into()
            },
            has_company_number: p.company_number.is_some(),
            sme: !f.get("sme").is_empty(),
            vcse: !f.get("vcse").is_empty(),
            london_based: !f.get("london_based").is_empty(),
            accessibility: f.get("accessibility").into(),
            security: f.get("security").into(),
            categories: all("categories"),
            categories_other: f.get("categories_other").into(),
            certifications: all("certifications"),
        }
    }
}

/// What a supplier typed into the product and case study forms, kept on a failed submission.
#[derive(Debug, Clone, Default)]
pub struct ItemValues {
    pub product_name: String,
    pub product_description: String,
    pub product_url: String,
    pub case_title: String,
    pub case_client: String,
    pub case_summary: String,
    pub colleague_name: String,
    pub colleague_email: String,
}

#[derive(Template)]
#[template(path = "engagement/templates/profile_form.html")]
struct ProfilePage {
    layout: Layout,
    profile: Profile,
    v: ProfileValues,
    items: ItemValues,
    products: Vec<Product>,
    case_studies: Vec<CaseStudy>,
    colleagues: Vec<store::Colleague>,
    certifications: &'static [Certification],
    errors: Errors,
}

async fn profile_page(
    state: &AppState,
    auth: &Auth,
    v: Option<ProfileValues>,
    items: ItemValues,
    errors: Errors,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let user = require_supplier(auth, "/market/profile")?;
    let profile = store::profile(&state.db, &auth.viewer(), user.org_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let v = match v {
        Some(v) => v,
        None => ProfileValues::from_profile(
            &profile,
            &store::categories(&state.db, user.org_id).await?,
            &store::certifications(&state.db, user.org_id).await?,
        ),
    };
    html(
        status_for(&errors),
        ProfilePage {
            layout: Layout::new(auth, title_for(&errors, "Your organisation's profile"))
                .nav("market")
                .crumb("Home", "/")
                .crumb("Market", "/market")
                .notice(notice),
            products: store::products(&state.db, user.org_id).await?,
            case_studies: store::case_studies(&state.db, user.org_id).await?,
            colleagues: store::colleagues(&state.db, user.org_id).await?,
            certifications: Certification::ALL,
            profile,
            v,
            items,
            errors,
        },
    )
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

pub async fn profile_form(
    State(state): State<AppState>,
    auth: Auth,
    axum::extract::Query(q): axum::extract::Query<DoneQuery>,
) -> Result<Response, PageError> {
    let notice = match q.done.as_str() {
        "verified" => Some(
            "Your email address is confirmed. Complete your profile so boroughs know what you do."
                .to_owned(),
        ),
        "saved" => Some("Your profile is saved".to_owned()),
        "product" => Some("Product added".to_owned()),
        "case" => Some("Case study added".to_owned()),
        "removed" => Some("Removed".to_owned()),
        "invited" => Some("Invitation sent. The link in it lasts a week.".to_owned()),
        _ => None,
    };
    profile_page(
        &state,
        &auth,
        None,
        ItemValues::default(),
        Errors::default(),
        notice,
    )
    .await
}

pub async fn save_profile(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_supplier(&auth, "/market/profile")?.clone();
    let profile = store::profile(&state.db, &auth.viewer(), user.org_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let v = ProfileValues::from_fields(&fields, &profile);
    let mut e = Errors::default();
    if let Err(m) = check_text(&v.description, "What your organisation does", false, 3_000) {
        e.add("description", m);
    }
    if let Err(m) = check_url(&v.website) {
        e.add("website_url", m);
    }
    let company_number = if profile.company_number.is_none() && !v.company_number.is_empty() {
        match CompanyNumber::parse(&v.company_number) {
            Ok(c) => Some(c),
            Err(err) => {
                e.add("company_number", err.to_string());
                None
            }
        }
    } else {
        None
    };
    if let Err(m) = check_text(&v.accessibility, "Accessibility", false, 3_000) {
        e.add("accessibility", m);
    }
    if let Err(m) = check_text(&v.security, "Security", false, 3_000) {
        e.add("security", m);
    }
    let categories = match parse_categories(
        &v.categories
            .0
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &v.categories_other,
        store::MAX_CATEGORIES,
    ) {
        Ok(c) if c.is_empty() => {
            e.add("categories", "Choose at least one category");
            Vec::new()
        }
        Ok(c) => c,
        Err(m) => {
            e.add("categories", m);
            Vec::new()
        }
    };
    let mut certifications = Vec::new();
    for c in &v.certifications.0 {
        match c.parse::<Certification>() {
            Ok(c) => certifications.push(c),
            Err(_) => e.add("certifications", "Choose certifications from the list"),
        }
    }
    if !e.is_empty() {
        return profile_page(&state, &auth, Some(v), ItemValues::default(), e, None).await;
    }
    let input = ProfileInput {
        description: v.description.clone(),
        website: v.website.clone(),
        sme: v.sme,
        vcse: v.vcse,
        london_based: v.london_based,
        accessibility: v.accessibility.clone(),
        security: v.security.clone(),
        categories,
        certifications,
        company_number,
    };
    match store::update_profile(&state.db, user.org_id, &user.org_name, &input).await {
        Ok(()) => Ok(Redirect::to("/market/profile?done=saved").into_response()),
        Err(err @ RegistrationError::CompanyTaken(_)) => {
            e.add("company_number", err.to_string());
            profile_page(&state, &auth, Some(v), ItemValues::default(), e, None).await
        }
        Err(RegistrationError::Db(err)) => Err(err.into()),
        Err(err) => Err(PageError::BadRequest(err.to_string())),
    }
}

pub async fn add_product(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_supplier(&auth, "/market/profile")?.clone();
    let items = ItemValues {
        product_name: fields.get("product_name").into(),
        product_description: fields.get("product_description").into(),
        product_url: fields.get("product_url").into(),
        ..ItemValues::default()
    };
    let mut e = Errors::default();
    if let Err(m) = check_text(&items.product_name, "Product name", true, 200) {
        e.add("product_name", m);
    }
    if let Err(m) = check_text(
        &items.product_description,
        "Product description",
        true,
        3_000,
    ) {
        e.add("product_description", m);
    }
    if let Err(m) = check_url(&items.product_url) {
        e.add("product_url", m);
    }
    if e.is_empty()
        && !store::add_product(
            &state.db,
            user.org_id,
            &items.product_name,
            &items.product_description,
            &items.product_url,
        )
        .await?
    {
        e.add(
            "product_name",
            format!(
                "Your profile lists {} products, the most it can. Remove one to add another.",
                store::MAX_PRODUCTS
            ),
        );
    }
    if !e.is_empty() {
        return profile_page(&state, &auth, None, items, e, None).await;
    }
    Ok(Redirect::to("/market/profile?done=product#products").into_response())
}

pub async fn delete_product(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_supplier(&auth, "/market/profile")?.clone();
    if !store::delete_product(&state.db, user.org_id, id).await? {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to("/market/profile?done=removed#products").into_response())
}

pub async fn add_case_study(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_supplier(&auth, "/market/profile")?.clone();
    let items = ItemValues {
        case_title: fields.get("case_title").into(),
        case_client: fields.get("case_client").into(),
        case_summary: fields.get("case_summary").into(),
        ..ItemValues::default()
    };
    let mut e = Errors::default();
    if let Err(m) = check_text(&items.case_title, "Case study title", true, 200) {
        e.add("case_title", m);
    }
    if let Err(m) = check_text(&items.case_client, "Client", true, 200) {
        e.add("case_client", m);
    }
    if let Err(m) = check_text(
        &items.case_summary,
        "What you did and what changed",
        true,
        5_000,
    ) {
        e.add("case_summary", m);
    }
    if e.is_empty()
        && !store::add_case_study(
            &state.db,
            user.org_id,
            &items.case_title,
            &items.case_client,
            &items.case_summary,
        )
        .await?
    {
        e.add(
            "case_title",
            format!(
                "Your profile has {} case studies, the most it can. Remove one to add another.",
                store::MAX_CASE_STUDIES
            ),
        );
    }
    if !e.is_empty() {
        return profile_page(&state, &auth, None, items, e, None).await;
    }
    Ok(Redirect::to("/market/profile?done=case#case-studies").into_response())
}

pub async fn delete_case_study(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_supplier(&auth, "/market/profile")?.clone();
    if !store::delete_case_study(&state.db, user.org_id, id).await? {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to("/market/profile?done=removed#case-studies").into_response())
}

pub async fn invite_colleague(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_supplier(&auth, "/market/profile")?.clone();
    let items = ItemValues {
        colleague_name: fields.get("colleague_name").into(),
        colleague_email: fields.get("colleague_email").into(),
        ..ItemValues::default()
    };
    let mut e = Errors::default();
    if let Err(m) = check_text(&items.colleague_name, "Their full name", true, 100) {
        e.add("colleague_name", m);
    }
    let email = Email::parse(&items.colleague_email)
        .map_err(|err| e.add("colleague_email", err.to_string()))
        .ok();
    if let (Some(email), true) = (email, e.is_empty()) {
        match store::invite_colleague(
            &state.db,
            &user,
            &email,
            &items.colleague_name,
            &state.config.public_url,
        )
        .await
        {
            Ok(()) => {
                accounts::audit(
                    &state.db,
                    Some(&user),
                    "user_invited",
                    &format!("Invited {email} to {}", user.org_name),
                    Some(&auth.ip),
                )
                .await?;
                return Ok(Redirect::to("/market/profile?done=invited#people").into_response());
            }
            Err(store::InviteError::Db(err)) => return Err(err.into()),
            Err(err) => e.add("colleague_email", err.to_string()),
        }
    }
    profile_page(&state, &auth, None, items, e, None).await
}

// ---- The directory and a supplier's page ----

#[derive(Template)]
#[template(path = "engagement/templates/directory.html")]
struct DirectoryPage {
    layout: Layout,
    q: DirectoryQuery,
    entries: Vec<DirectoryEntry>,
    total: i64,
    pages: i64,
    qs: String,
    certifications: &'static [Certification],
    bad_category: bool,
}

impl DirectoryPage {
    fn page_link(&self, page: i64) -> String {
        let sep = if self.qs.is_empty() { "" } else { "&" };
        format!("/suppliers?{}{sep}page={page}", self.qs)
    }
}

pub async fn directory(
    State(state): State<AppState>,
    auth: Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    require_london(&auth, "/suppliers")?;
    let pairs: Vec<(String, String)> = raw
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let q = DirectoryQuery::parse(&pairs);
    let (entries, total) = store::directory(&state.db, &auth.viewer(), &q).await?;
    let qs = serde_urlencoded::to_string(
        pairs
            .iter()
            .filter(|(k, v)| k != "page" && !v.is_empty())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    html(
        StatusCode::OK,
        DirectoryPage {
            layout: Layout::new(&auth, "Supplier directory")
                .nav("market")
                .crumb("Home", "/")
                .crumb("Market", "/market"),
            bad_category: !q.category_text.is_empty() && q.category.is_none(),
            pages: ((total + store::DIRECTORY_PAGE - 1) / store::DIRECTORY_PAGE).max(1),
            q,
            entries,
            total,
            qs,
            certifications: Certification::ALL,
        },
    )
}

#[derive(Template)]
#[template(path = "engagement/templates/supplier.html")]
struct SupplierPage {
    layout: Layout,
    p: Profile,
    categories: Vec<Category>,
    certifications: Vec<Certification>,
    products: Vec<Product>,
    case_studies: Vec<CaseStudy>,
    record: LondonRecord,
    can_verify: bool,
    is_own: bool,
}

pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<DoneQuery>,
) -> Result<Response, PageError> {
    let viewer = auth.viewer();
    let p = store::profile(&state.db, &viewer, id)
        .await?
        .ok_or(PageError::NotFound)?;
    let is_platform_admin = auth
        .user
        .as_ref()
        .is_some_and(|u| u.role == Role::PlatformAdmin);
    html(
        StatusCode::OK,
        SupplierPage {
            layout: Layout::new(&auth, &p.name)
                .nav("market")
                .crumb("Home", "/")
                .crumb("Supplier directory", "/suppliers")
                .notice((q.done == "verified").then(|| "Supplier verified".to_owned())),
            categories: store::categories(&state.db, id).await?,
            certifications: store::certifications(&state.db, id).await?,
            products: store::products(&state.db, id).await?,
            case_studies: store::case_studies(&state.db, id).await?,
            record: store::what_london_knows(&state.db, &viewer, p.supplier_id).await?,
            can_verify: is_platform_admin && !p.is_verified() && p.email_verified_at.is_some(),
            is_own: viewer.can_edit(p.org_id),
            p,
        },
    )
}

pub async fn mark_verified(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let admin = auth
        .require_role(
            &format!("/suppliers/{id}"),
            &[Role::PlatformAdmin],
            "Only platform admins can verify suppliers.",
        )?
        .clone();
    let p = store::profile(&state.db, &auth.viewer(), id)
        .await?
        .ok_or(PageError::NotFound)?;
    if !store::mark_verified(&state.db, admin.id, id).await? {
        return Err(PageError::BadRequest(
            "This supplier is already verified, or has not confirmed its email address yet.".into(),
        ));
    }
    accounts::audit(
        &state.db,
        Some(&admin),
        "supplier_verified",
        &format!("Verified supplier {} (organisation {id})", p.name),
        Some(&auth.ip),
    )
    .await?;
    Ok(Redirect::to(&format!("/suppliers/{id}?done=verified")).into_response())
}

//! Sign-in and sign-out, the account page (password, API tokens), invitations, and the admin
//! pages for organisation and platform admins.

use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::store::{self, ApiToken, AuditEntry};
use super::{Email, Role, User, password, session, throttle};
use crate::web::auth::{Auth, SESSION_COOKIE, cookie};
use crate::web::form::{CsrfForm, Errors, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/account", get(account))
        .route("/account/password", post(change_password))
        .route("/account/tokens", post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
        .route(
            "/invitations/{token}",
            get(invitation_form).post(accept_invitation),
        )
        .route("/admin", get(admin_home))
        .route("/admin/users", get(users))
        .route("/admin/users/invite", post(invite))
        .route("/admin/users/{id}/role", post(set_role))
        .route("/admin/audit", get(audit_log))
}

fn html(status: StatusCode, t: impl Template) -> Result<Response, PageError> {
    Ok((status, Html(t.render()?)).into_response())
}

/// Only paths on this site: `/guide` yes, `//evil.example` and `https://…` no.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

// ---- Sign in and out ----

#[derive(Template)]
#[template(path = "accounts/templates/sign_in.html")]
struct SignInPage {
    layout: Layout,
    errors: Errors,
    email: String,
    next: String,
}

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

async fn sign_in_form(
    auth: Auth,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> Result<Response, PageError> {
    if auth.user.is_some() {
        return Ok(Redirect::to(safe_next(&q.next)).into_response());
    }
    html(
        StatusCode::OK,
        SignInPage {
            layout: Layout::new(&auth, "Sign in"),
            errors: Errors::default(),
            email: String::new(),
            next: safe_next(&q.next).to_owned(),
        },
    )
}

async fn sign_in(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let typed_email = fields.get("email");
    let next = safe_next(fields.get("next")).to_owned();
    let fail = |status: StatusCode, errors: Errors| {
        html(
            status,
            SignInPage {
                layout: Layout::new(&auth, "Error: sign in"),
                errors,
                email: typed_email.to_owned(),
                next: next.clone(),
            },
        )
    };
    let mut errors = Errors::default();
    let email = match Email::parse(typed_email) {
        Ok(e) => Some(e),
        Err(e) => {
            errors.add("email", e.to_string());
            None
        }
    };
    let password = fields.get("password").to_owned();
    if password.is_empty() {
        errors.add("password", "Enter your password");
    }
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return fail(StatusCode::UNPROCESSABLE_ENTITY, errors);
    };

    match throttle::check(&state.db, email.as_str(), &auth.ip).await? {
        throttle::Verdict::Locked {
            retry_after_seconds,
        } => {
            let minutes = (retry_after_seconds + 59) / 60;
            store::audit(
                &state.db,
                None,
                "sign_in_locked",
                &format!("Sign-in refused for {email}: too many failed attempts"),
                Some(&auth.ip),
            )
            .await?;
            let mut errors = Errors::default();
            errors.add(
                "email",
                format!(
                    "There have been too many failed attempts to sign in to this account. Wait {minutes} minute{} and try again, or ask your organisation's admin to help.",
                    if minutes == 1 { "" } else { "s" }
                ),
            );
            return fail(StatusCode::TOO_MANY_REQUESTS, errors);
        }
        throttle::Verdict::Allow { delay_ms } if delay_ms > 0 => {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        }
        throttle::Verdict::Allow { .. } => {}
    }

    let user = store::user_by_email(&state.db, email.as_str())
        .await?
        .filter(|u| u.active);
    let stored = match &user {
        Some(u) => store::password_hash(&state.db, u.id).await?,
        None => None,
    };
    let ok = password::verify(password, stored).await;
    throttle::record(&state.db, email.as_str(), &auth.ip, ok).await?;
    let Some(user) = user.filter(|_| ok) else {
        store::audit(
            &state.db,
            None,
            "sign_in_failed",
            &format!("Failed sign-in for {email}"),
            Some(&auth.ip),
        )
        .await?;
        let mut errors = Errors::default();
        errors.add("email", "Enter a correct email address and password");
        return fail(StatusCode::UNAUTHORIZED, errors);
    };
    let new = session::create(&state.db, user.id).await?;
    store::record_sign_in(&state.db, user.id).await?;
    store::audit(
        &state.db,
        Some(&user),
        "sign_in",
        "Signed in",
        Some(&auth.ip),
    )
    .await?;
    let mut resp = Redirect::to(&next).into_response();
    set_cookie(
        &mut resp,
        cookie(SESSION_COOKIE, new.token, state.config.secure_cookies),
    );
    Ok(resp)
}

fn set_cookie(resp: &mut Response, c: axum_extra::extract::cookie::Cookie<'static>) {
    if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

async fn sign_out(
    State(state): State<AppState>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    if let Some(token) = &auth.session_token {
        session::destroy(&state.db, token).await?;
    }
    if let Some(u) = &auth.user {
        store::audit(&state.db, Some(u), "sign_out", "Signed out", Some(&auth.ip)).await?;
    }
    let mut resp = Redirect::to("/").into_response();
    let mut gone = cookie(SESSION_COOKIE, String::new(), state.config.secure_cookies);
    gone.make_removal();
    set_cookie(&mut resp, gone);
    Ok(resp)
}

// ---- Account: password and API tokens ----

#[derive(Template)]
#[template(path = "accounts/templates/account.html")]
struct AccountPage {
    layout: Layout,
    user: User,
    errors: Errors,
    tokens: Vec<ApiToken>,
    new_token: Option<String>,
}

impl AccountPage {
    fn when(&self, ts: &Option<i64>) -> String {
        ts.map(crate::web::filters::date_time)
            .unwrap_or_else(|| "never".into())
    }
}

async fn account_page(
    state: &AppState,
    auth: &Auth,
    errors: Errors,
    new_token: Option<String>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let user = auth.require_user("/account")?.clone();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if errors.is_empty() {
        "Your account"
    } else {
        "Error: your account"
    };
    html(
        status,
        AccountPage {
            layout: Layout::new(auth, title).crumb("Home", "/").notice(notice),
            tokens: store::api_tokens(&state.db, user.id).await?,
            user,
            errors,
            new_token,
        },
    )
}

#[derive(Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn account(
    State(state): State<AppState>,
    auth: Auth,
    axum::extract::Query(q): axum::extract::Query<DoneQuery>,
) -> Result<Response, PageError> {
    let notice = match q.done.as_str() {
        "password" => Some(
            "Your password has been changed. You have been signed out everywhere else.".to_owned(),
        ),
        "revoked" => Some("The API token has been revoked.".to_owned()),
        "notifications" => Some("Your notification settings are saved.".to_owned()),
        _ => None,
    };
    account_page(&state, &auth, Errors::default(), None, notice).await
}

async fn change_password(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = auth.require_user("/account")?.clone();
    let current = fields.get("current_password").to_owned();
    let new = fields.get("new_password").to_owned();
    let mut errors = Errors::default();
    if current.is_empty() {
        errors.add("current_password", "Enter your current password");
    }
    if let Err(e) = password::check_new(&new) {
        errors.add("new_password", e.to_string());
    } else if new != fields.get("confirm_password") {
        errors.add("confirm_password", "The passwords do not match");
    }
    if errors.is_empty() {
        let stored = store::password_hash(&state.db, user.id).await?;
        if !password::verify(current, stored).await {
            errors.add("current_password", "Your current password is incorrect");
        }
    }
    if !errors.is_empty() {
        return account_page(&state, &auth, errors, None, None).await;
    }
    let hash = password::hash(new).await;
    store::set_password(&state.db, user.id, &hash).await?;
    session::destroy_all_for_user(&state.db, user.id, auth.session_token.as_deref()).await?;
    store::audit(
        &state.db,
        Some(&user),
        "password_changed",
        "Changed their password",
        Some(&auth.ip),
    )
    .await?;
    Ok(Redirect::to("/account?done=password").into_response())
}

async fn create_token(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = auth.require_user("/account")?.clone();
    let name: String = fields.get("token_name").chars().take(100).collect();
    if name.is_empty() {
        let mut errors = Errors::default();
        errors.add(
            "token_name",
            "Enter a name for the token, like the tool that will use it",
        );
        return account_page(&state, &auth, errors, None, None).await;
    }
    let token = store::create_api_token(&state.db, user.id, &name).await?;
    store::audit(
        &state.db,
        Some(&user),
        "api_token_created",
        &format!("Created API token {name:?}"),
        Some(&auth.ip),
    )
    .await?;
    account_page(&state, &auth, Errors::default(), Some(token), None).await
}

async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = auth.require_user("/account")?.clone();
    if !store::revoke_api_token(&state.db, user.id, id).await? {
        return Err(PageError::NotFound);
    }
    store::audit(
        &state.db,
        Some(&user),
        "api_token_revoked",
        &format!("Revoked API token {id}"),
        Some(&auth.ip),
    )
    .await?;
    Ok(Redirect::to("/account?done=revoked").into_response())
}

// ---- Invitations ----

#[derive(Template)]
#[template(path = "accounts/templates/invitation.html")]
struct InvitationPage {
    layout: Layout,
    invitation: store::Invitation,
    token: String,
    errors: Errors,
}

async fn invitation_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let invitation = store::open_invitation(&state.db, &token)
        .await?
        .ok_or(PageError::BadRequest(
            "This invitation link has expired or has already been used. Ask your organisation's admin for a new one.".into(),
        ))?;
    html(
        StatusCode::OK,
        InvitationPage {
            layout: Layout::new(&auth, "Set up your account"),
            invitation,
            token,
            errors: Errors::default(),
        },
    )
}

async fn accept_invitation(
    State(state): State<AppState>,
    Path(token): Path<String>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let invitation = store::open_invitation(&state.db, &token)
        .await?
        .ok_or(PageError::BadRequest(
            "This invitation link has expired or has already been used. Ask your organisation's admin for a new one.".into(),
        ))?;
    let new = fields.get("new_password").to_owned();
    let mut errors = Errors::default();
    if let Err(e) = password::check_new(&new) {
        errors.add("new_password", e.to_string());
    } else if new != fields.get("confirm_password") {
        errors.add("confirm_password", "The passwords do not match");
    }
    if !errors.is_empty() {
        return html(
            StatusCode::UNPROCESSABLE_ENTITY,
            InvitationPage {
                layout: Layout::new(&auth, "Error: set up your account"),
                invitation,
                token,
                errors,
            },
        );
    }
    let hash = password::hash(new).await;
    let user_id = store::accept_invitation(&state.db, &invitation, &hash).await?;
    let user = store::user(&state.db, user_id)
        .await?
        .ok_or(PageError::NotFound)?;
    store::audit(
        &state.db,
        Some(&user),
        "invitation_accepted",
        "Accepted an invitation and set a password",
        Some(&auth.ip),
    )
    .await?;
    let s = session::create(&state.db, user.id).await?;
    let mut resp = Redirect::to("/").into_response();
    set_cookie(
        &mut resp,
        cookie(SESSION_COOKIE, s.token, state.config.secure_cookies),
    );
    Ok(resp)
}

// ---- Admin ----

#[derive(Template)]
#[template(path = "accounts/templates/admin.html")]
struct AdminPage {
    layout: Layout,
}

async fn admin_home(auth: Auth) -> Result<Response, PageError> {
    auth.require_role(
        "/admin",
        &[Role::PlatformAdmin],
        "Only platform admins can use the platform admin pages.",
    )?;
    html(
        StatusCode::OK,
        AdminPage {
            layout: Layout::new(&auth, "Platform admin").crumb("Home", "/"),
        },
    )
}

#[derive(Template)]
#[template(path = "accounts/templates/users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<User>,
    is_platform_admin: bool,
    roles: Vec<Role>,
    errors: Errors,
    email: String,
    name: String,
    role: String,
    invitation_link: Option<String>,
}

impl UsersPage {
    fn when(&self, ts: &Option<i64>) -> String {
        ts.map(crate::web::filters::date_time)
            .unwrap_or_else(|| "never".into())
    }
}

const ADMINS: &[Role] = &[Role::OrgAdmin, Role::PlatformAdmin];

async fn users_page(
    state: &AppState,
    auth: &Auth,
    errors: Errors,
    form: (&str, &str, &str),
    invitation_link: Option<String>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let me = auth.require_role("/admin/users", ADMINS, "Only admins can manage users.")?;
    let is_platform_admin = me.role == Role::PlatformAdmin;
    // Organisation admins see and manage their own organisation only.
    let users = store::users(&state.db, (!is_platform_admin).then_some(me.org_id)).await?;
    let roles = Role::ALL
        .into_iter()
        .filter(|r| r.fits(me.org_kind))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html(
        status,
        UsersPage {
            layout: Layout::new(
                auth,
                if errors.is_empty() {
                    "Users"
                } else {
                    "Error: users"
                },
            )
            .crumb("Home", "/")
            .notice(notice),
            users,
            is_platform_admin,
            roles,
            errors,
            email: form.0.into(),
            name: form.1.into(),
            role: form.2.into(),
            invitation_link,
        },
    )
}

async fn users(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    users_page(
        &state,
        &auth,
        Errors::default(),
        ("", "", "officer"),
        None,
        None,
    )
    .await
}

async fn invite(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let me = auth
        .require_role("/admin/users", ADMINS, "Only admins can invite users.")?
        .clone();
    let (typed_email, name, typed_role) =
        (fields.get("email"), fields.get("name"), fields.get("role"));
    let mut errors = Errors::default();
    let email = Email::parse(typed_email)
        .map_err(|e| errors.add("email", e.to_string()))
        .ok();
    if name.is_empty() {
        errors.add("name", "Enter the person's full name");
    }
    let role = typed_role
        .parse::<Role>()
        .ok()
        .filter(|r| r.fits(me.org_kind));
    if role.is_none() {
        errors.add("role", "Choose a role");
    }
    let (Some(email), Some(role)) = (email, role) else {
        return users_page(
            &state,
            &auth,
            errors,
            (typed_email, name, typed_role),
            None,
            None,
        )
        .await;
    };
    if !errors.is_empty() {
        return users_page(
            &state,
            &auth,
            errors,
            (typed_email, name, typed_role),
            None,
            None,
        )
        .await;
    }
    // The invitation is always into the inviter's own organisation: there is no field for
    // another, so no form can be forged to add people elsewhere.
    let token = match store::create_invitation(&state.db, &me, &email, name, role).await {
        Ok(t) => t,
        Err(store::AccountError::EmailTaken) => {
            errors.add(
                "email",
                "Someone already has an account with that email address",
            );
            return users_page(
                &state,
                &auth,
                errors,
                (typed_email, name, typed_role),
                None,
                None,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    store::audit(
        &state.db,
        Some(&me),
        "user_invited",
        &format!("Invited {email} as {} to {}", role.label(), me.org_name),
        Some(&auth.ip),
    )
    .await?;
    let link = format!(
        "{}/invitations/{token}",
        state.config.public_url.trim_end_matches('/')
    );
    users_page(
        &state,
        &auth,
        Errors::default(),
        ("", "", "officer"),
        Some(link),
        Some(format!("Invitation created for {email}")),
    )
    .await
}

async fn set_role(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let me = auth
        .require_role("/admin/users", ADMINS, "Only admins can change roles.")?
        .clone();
    let target = store::user(&state.db, id)
        .await?
        .ok_or(PageError::NotFound)?;
    // An organisation admin cannot see another organisation's people, so cannot change them.
    if me.role != Role::PlatformAdmin && target.org_id != me.org_id {
        return Err(PageError::NotFound);
    }
    if target.id == me.id {
        return Err(PageError::Forbidden(
            "You cannot change your own role. Ask another admin.",
        ));
    }
    let role: Role = fields
        .get("role")
        .parse()
        .map_err(|_| PageError::BadRequest("Choose a role from the list.".into()))?;
    if role == Role::PlatformAdmin && me.role != Role::PlatformAdmin {
        return Err(PageError::Forbidden(
            "Only platform admins can make platform admins.",
        ));
    }
    store::set_role(&state.db, &target, role).await?;
    store::audit(
        &state.db,
        Some(&me),
        "role_changed",
        &format!(
            "Changed {} from {} to {}",
            target.email,
            target.role.label(),
            role.label()
        ),
        Some(&auth.ip),
    )
    .await?;
    users_page(
        &state,
        &auth,
        Errors::default(),
        ("", "", "officer"),
        None,
        Some(format!(
            "{} is now a {}",
            target.name,
            role.label().to_lowercase()
        )),
    )
    .await
}

#[derive(Template)]
#[template(path = "accounts/templates/audit.html")]
struct AuditPage {
    layout: Layout,
    entries: Vec<AuditEntry>,
}

impl AuditPage {
    fn when(&self, ts: &i64) -> String {
        crate::web::filters::date_time(*ts)
    }
}

async fn audit_log(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    auth.require_role(
        "/admin/audit",
        &[Role::PlatformAdmin],
        "Only platform admins can read the audit log.",
    )?;
    html(
        StatusCode::OK,
        AuditPage {
            layout: Layout::new(&auth, "Audit log")
                .crumb("Home", "/")
                .crumb("Platform admin", "/admin"),
            entries: store::audit_entries(&state.db, 500).await?,
        },
    )
}

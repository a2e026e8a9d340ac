//! Who is asking, and whether their form is genuine. One middleware reads the session cookie
//! once per request; handlers take [`Auth`] and check the role they need.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::{AppState, PageError};
use crate::accounts::session::{self, constant_time_eq};
use crate::accounts::{Role, User};
use crate::visibility::Viewer;

pub const SESSION_COOKIE: &str = "pk_session";
/// Signed-out visitors' forms (sign-in, comments) are protected by a double-submit token
/// kept in this cookie; signed-in forms use the token stored with the session.
pub const ANON_CSRF_COOKIE: &str = "pk_csrf";

#[derive(Debug, Clone)]
pub struct Auth {
    pub user: Option<User>,
    /// The token every form on the page must send back as `csrf_token`.
    pub csrf: String,
    pub session_token: Option<String>,
    pub ip: String,
}

impl Auth {
    pub fn viewer(&self) -> Viewer {
        self.user
            .as_ref()
            .map(User::viewer)
            .unwrap_or_else(Viewer::anonymous)
    }

    /// The signed-in user, or a redirect to sign in that comes back to `here`.
    pub fn require_user(&self, here: &str) -> Result<&User, PageError> {
        self.user.as_ref().ok_or_else(|| PageError::SignInRequired {
            next: here.to_owned(),
        })
    }

    pub fn require_role(
        &self,
        here: &str,
        allowed: &[Role],
        why: &'static str,
    ) -> Result<&User, PageError> {
        let user = self.require_user(here)?;
        if allowed.contains(&user.role) {
            Ok(user)
        } else {
            Err(PageError::Forbidden(why))
        }
    }

    /// Checks a submitted form's token. Compared in constant time.
    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<(), PageError> {
        match submitted {
            Some(token) if !self.csrf.is_empty() && constant_time_eq(token, &self.csrf) => Ok(()),
            _ => Err(PageError::Csrf),
        }
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Auth>()
            .cloned()
            .ok_or_else(|| PageError::Internal("session middleware not installed".into()))
    }
}

fn client_ip(req: &Request, trust_proxy: bool) -> String {
    if trust_proxy {
        // Behind a load balancer the peer is the balancer; the client is the last address it
        // appended. Only trusted when configured, since anyone can send the header.
        if let Some(ip) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
        {
            return ip.trim().to_owned();
        }
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(secure);
    c
}

/// Loads the session (if any) and makes sure a signed-out visitor has a CSRF cookie.
pub async fn load_session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let jar = CookieJar::from_headers(req.headers());
    let ip = client_ip(&req, state.config.trust_proxy);
    let mut user = None;
    let mut csrf = String::new();
    let mut session_token = None;
    if let Some(c) = jar.get(SESSION_COOKIE) {
        match session::lookup(&state.db, c.value()).await {
            Ok(Some((u, token))) => {
                user = Some(u);
                csrf = token;
                session_token = Some(c.value().to_owned());
            }
            Ok(None) => {}
            Err(e) => return PageError::from(e).into_response(),
        }
    }
    let mut new_anon_cookie = None;
    if user.is_none() {
        match jar.get(ANON_CSRF_COOKIE) {
            Some(c) if c.value().len() == 64 => csrf = c.value().to_owned(),
            _ => {
                csrf = session::random_token();
                new_anon_cookie = Some(csrf.clone());
            }
        }
    }
    req.extensions_mut().insert(Auth {
        user,
        csrf,
        session_token,
        ip,
    });
    let mut resp = next.run(req).await;
    if let Some(token) = new_anon_cookie
        && let Ok(v) = HeaderValue::from_str(
            &cookie(ANON_CSRF_COOKIE, token, state.config.secure_cookies).to_string(),
        )
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

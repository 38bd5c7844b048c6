//! Login, logout and the session cookie; the sign-in itself (argon2id on the blocking
//! pool, sessions in the database) is `minsheng_app::sessions`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use minsheng_app::sessions::{SignIn, SignedIn};
use minsheng_core::Lang;
use minsheng_core::staff::Role;
use serde::Deserialize;

use crate::AppState;
use crate::error::AppError;
use crate::extract::Form;
use crate::i18n::{Texts, UiLang, texts};
use crate::view::Errors;
use crate::view::Nav;

const SESSION_COOKIE: &str = "ms_session";

/// The value of one cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The signed-in staff member of a request (see [`SignedIn`]).
pub struct CurrentStaff(pub SignedIn);

impl std::ops::Deref for CurrentStaff {
    type Target = SignedIn;

    fn deref(&self) -> &SignedIn {
        &self.0
    }
}

impl FromRequestParts<AppState> for CurrentStaff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(AppError::LoginRequired)?;
        let me = state.session(token).await?.ok_or(AppError::LoginRequired)?;
        // With a one-time password, the only page is the one to choose one's own.
        if me.staff.must_change_password && parts.uri.path() != "/staff/password" {
            return Err(AppError::PasswordChangeRequired);
        }
        Ok(CurrentStaff(me))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    t: &'static Texts,
    here: &'static str,
    username: String,
    failed: bool,
    /// Seconds to wait before the next try, when sign-ins are throttled.
    wait: Option<i64>,
}

pub async fn login_form(UiLang(lang): UiLang) -> impl IntoResponse {
    LoginPage {
        t: texts(lang),
        here: "/staff/login",
        username: String::new(),
        failed: false,
        wait: None,
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// Signs in. The client's address (for throttling) is the connection's peer when the
/// server knows it, or behind a trusted proxy the address it forwarded; the cookie is
/// `Secure` when so configured or when a trusted proxy says the browser used HTTPS.
pub async fn login(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    peer: Option<axum::extract::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let peer = peer.map(|p| p.0.0.ip());
    let client = peer.map(|p| crate::security::client_of(p, &headers, &state.trusted_proxies));
    let https =
        peer.is_some_and(|p| crate::security::forwarded_https(p, &headers, &state.trusted_proxies));
    let refused = |failed: bool, wait: Option<i64>| LoginPage {
        t: texts(lang),
        here: "/staff/login",
        username: form.username.clone(),
        failed,
        wait,
    };
    let (staff, token) = match state
        .sign_in(&form.username, &form.password, client)
        .await?
    {
        SignIn::Ok(staff, token) => (staff, token),
        SignIn::Refused => {
            let page = refused(true, None);
            return Ok((axum::http::StatusCode::UNAUTHORIZED, page).into_response());
        }
        SignIn::Throttled(seconds) => {
            let mut response = (
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                refused(false, Some(seconds)),
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            return Ok(response);
        }
    };
    tracing::info!(staff_id = staff.id, "staff logged in");
    let secure = if state.secure_cookies || https {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        state.session_rules.absolute.num_seconds()
    );
    // Leaders and supervisors land on the dashboard; everyone else on their work.
    let next = if staff.must_change_password {
        "/staff/password"
    } else if staff.has(Role::Leader) || staff.has(Role::Supervisor) {
        "/staff/dashboard"
    } else {
        "/staff"
    };
    let mut resp = Redirect::to(next).into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| AppError::Internal(e.to_string()))?,
    );
    Ok(resp)
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        state.sign_out(token).await?;
    }
    let mut resp = Redirect::to("/staff/login").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("ms_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(resp)
}

#[derive(Template, WebTemplate)]
#[template(path = "password.html")]
struct PasswordPage {
    t: &'static Texts,
    here: &'static str,
    me_name: String,
    me_unit: String,
    nav: Nav,
    must: bool,
    done: bool,
    errors: Errors,
    /// How many other sessions "log out everywhere" just ended.
    sessions_ended: Option<u64>,
}

impl PasswordPage {
    fn new(lang: Lang, me: &CurrentStaff, errors: Errors, done: bool) -> PasswordPage {
        PasswordPage {
            t: texts(lang),
            here: "/staff/password",
            me_name: me.staff.display_name.clone(),
            me_unit: me.unit.name.clone(),
            nav: Nav::of(me),
            must: me.staff.must_change_password && !done,
            done,
            errors,
            sessions_ended: None,
        }
    }
}

pub async fn password_form(UiLang(lang): UiLang, me: CurrentStaff) -> impl IntoResponse {
    PasswordPage::new(lang, &me, Errors::default(), false)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

/// "Log out everywhere else": every other session of this staff member ends.
pub async fn end_other_sessions(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let token = cookie(&headers, SESSION_COOKIE).ok_or(AppError::LoginRequired)?;
    let ended = state.end_other_sessions(&me, token).await?;
    let mut page = PasswordPage::new(lang, &me, Errors::default(), false);
    page.sessions_ended = Some(ended);
    Ok(page.into_response())
}

/// A staff member chooses a new password; their other sessions end.
pub async fn change_password(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    me: CurrentStaff,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let token = cookie(&headers, SESSION_COOKIE).ok_or(AppError::LoginRequired)?;
    match state
        .change_own_password(&me, token, &form.current, &form.new, &form.repeat)
        .await
    {
        Ok(()) => {
            let mut me = me;
            me.0.staff.must_change_password = false;
            Ok(PasswordPage::new(lang, &me, Errors::default(), true).into_response())
        }
        Err(minsheng_app::Error::Invalid(errors)) => {
            let page = PasswordPage::new(lang, &me, Errors::explain(&errors, lang), false);
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

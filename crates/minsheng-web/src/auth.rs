//! Login, logout and sessions. Passwords are argon2id hashes; sessions live in the
//! database under the SHA-256 of their token, so any node behind a load balancer can
//! serve any request and a stolen database holds no usable token.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use minsheng_core::staff::{Scope, Staff, Username};
use minsheng_core::unit::Unit;
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::AppError;
use crate::i18n::{Texts, UiLang, texts};

const SESSION_COOKIE: &str = "ms_session";
const SESSION_HOURS: i64 = 12;

/// Hashes a password with argon2id and a fresh salt.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .expect("argon2 with default parameters cannot fail on a generated salt")
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

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

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The logged-in staff member, their unit and what they may see.
pub struct CurrentStaff {
    pub staff: Staff,
    pub unit: Unit,
    pub scope: Scope,
}

impl CurrentStaff {
    /// Whether the staff member looks across a region, not just their unit.
    pub fn sees_region(&self) -> bool {
        !self.scope.regions.is_empty()
    }
}

impl FromRequestParts<AppState> for CurrentStaff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(AppError::LoginRequired)?;
        let staff = state
            .store
            .session_staff(&token_hash(token), minsheng_store::now())
            .await?
            .ok_or(AppError::LoginRequired)?;
        let unit = state.store.unit(staff.unit_id).await?;
        let scope = staff.scope(&unit.jurisdiction);
        Ok(CurrentStaff { staff, unit, scope })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    t: &'static Texts,
    here: &'static str,
    username: String,
    failed: bool,
}

pub async fn login_form(UiLang(lang): UiLang) -> impl IntoResponse {
    LoginPage {
        t: texts(lang),
        here: "/staff/login",
        username: String::new(),
        failed: false,
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let found = match Username::parse(&form.username) {
        Ok(u) => state.store.staff_by_username(u.as_str()).await?,
        Err(_) => None,
    };
    let ok = match &found {
        Some((_, hash)) => verify_password(&form.password, hash),
        None => {
            // Spend the same time as a real check, so timing does not reveal names.
            verify_password(&form.password, DUMMY_HASH);
            false
        }
    };
    let Some((staff, _)) = found.filter(|_| ok) else {
        tracing::info!("failed staff login");
        let page = LoginPage {
            t: texts(lang),
            here: "/staff/login",
            username: form.username,
            failed: true,
        };
        return Ok((axum::http::StatusCode::UNAUTHORIZED, page).into_response());
    };
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let token = hex::encode(raw);
    state
        .store
        .create_session(
            &token_hash(&token),
            staff.id,
            minsheng_store::now() + Duration::hours(SESSION_HOURS),
        )
        .await?;
    tracing::info!(staff_id = staff.id, "staff logged in");
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        SESSION_HOURS * 3600
    );
    let mut resp = Redirect::to("/staff").into_response();
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
        state.store.delete_session(&token_hash(token)).await?;
    }
    let mut resp = Redirect::to("/staff/login").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("ms_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(resp)
}

/// A valid argon2id hash of a random password, checked against when the login name does
/// not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpg";

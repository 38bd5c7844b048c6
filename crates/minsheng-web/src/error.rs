//! The one error type of the web layer.
//!
//! Rule: client errors (not found, forbidden, bad request) are rendered for the person,
//! in Chinese and English, and are not logged as errors. Anything unexpected is logged
//! once, here, with an id, and the person sees a generic message carrying that id.
//! Form validation errors are not `AppError`s: the form is rendered again with them.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use minsheng_store::StoreError;

/// An error that ends a request.
#[derive(Debug)]
pub enum AppError {
    /// The thing asked for does not exist (or may not be seen).
    NotFound,
    /// The person may not do this.
    Forbidden,
    /// The request itself is wrong.
    BadRequest(&'static str, &'static str),
    /// Not logged in: go to the login page.
    LoginRequired,
    /// Signed in with a one-time password: choose one's own first.
    PasswordChangeRequired,
    /// A write that came from another site.
    CrossSite,
    /// The request's body or query could not be read (its status: 400, 413, 415, 422).
    Rejected(StatusCode),
    /// Something broke.
    Internal(String),
}

impl From<minsheng_app::Error> for AppError {
    /// For use cases whose refusals a handler does not render itself.
    fn from(e: minsheng_app::Error) -> AppError {
        match e {
            minsheng_app::Error::NotFound => AppError::NotFound,
            minsheng_app::Error::Forbidden => AppError::Forbidden,
            e => AppError::Internal(e.to_string()),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::NotFound => AppError::NotFound,
            e => AppError::Internal(e.to_string()),
        }
    }
}

fn page(status: StatusCode, zh: &str, en: &str, detail: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{zh} · 民声</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
         <body><main class=\"narrow\"><h1 data-test=\"error-title\">{zh}</h1><p>{en}</p>{detail}\
         <p><a href=\"/\">返回首页 / Home</a></p></main></body></html>"
    );
    (status, Html(body)).into_response()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::NotFound => page(StatusCode::NOT_FOUND, "未找到", "Not found.", ""),
            AppError::Forbidden => page(
                StatusCode::FORBIDDEN,
                "无权访问",
                "You are not allowed to see this.",
                "",
            ),
            AppError::BadRequest(zh, en) => page(StatusCode::BAD_REQUEST, zh, en, ""),
            AppError::LoginRequired => Redirect::to("/staff/login").into_response(),
            AppError::PasswordChangeRequired => Redirect::to("/staff/password").into_response(),
            AppError::CrossSite => page(
                StatusCode::FORBIDDEN,
                "请求来自其他网站，已拒绝",
                "This request came from another site and was refused. Open the page here and send it again.",
                "",
            ),
            AppError::Rejected(status) => {
                let (zh, en) = match status {
                    StatusCode::PAYLOAD_TOO_LARGE => {
                        ("提交的内容太大", "What was sent is too large.")
                    }
                    StatusCode::METHOD_NOT_ALLOWED => (
                        "此页面不接受这种请求",
                        "This page does not take this kind of request.",
                    ),
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                        "不支持的提交格式，请使用网页表单",
                        "Unsupported content type: send the page's form.",
                    ),
                    _ => (
                        "提交的内容无法识别，请返回重新填写",
                        "What was sent could not be read; go back and fill in the form again.",
                    ),
                };
                page(status, zh, en, "")
            }
            AppError::Internal(e) => {
                let id = format!("{:016x}", rand::random::<u64>());
                tracing::error!(error_id = %id, error = %e, "request failed");
                page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "系统出错，请稍后再试",
                    "Something went wrong; please try again later.",
                    &format!("<p>错误编号 / error id: <code>{id}</code></p>"),
                )
            }
        }
    }
}

/// The page for an unknown address.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// A path that exists, asked with a method it does not take.
pub async fn method_not_allowed() -> AppError {
    AppError::Rejected(StatusCode::METHOD_NOT_ALLOWED)
}

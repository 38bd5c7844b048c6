//! Form, query, path and upload extractors whose refusals are the same bilingual error
//! pages as every other client error, instead of axum's plain English text: a body too
//! large (413), a body that is not a form (415), a form or query that cannot be read
//! (400/422), a path that names nothing (404).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// `axum::Form`, refusing with an [`AppError`].
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        axum::Form::<T>::from_request(req, state)
            .await
            .map(|axum::Form(v)| Form(v))
            .map_err(|r| AppError::Rejected(r.status()))
    }
}

/// `axum::extract::Query`, refusing with an [`AppError`].
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|r| AppError::Rejected(r.status()))
    }
}

/// `axum::extract::Path`: a path parameter that does not parse names nothing (404).
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|_| AppError::NotFound)
    }
}

/// `axum::extract::Multipart`, refusing with an [`AppError`] (a body that is not an
/// upload).
pub struct Multipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(Multipart)
            .map_err(|r| AppError::Rejected(r.status()))
    }
}

/// A posted form with its files: form-encoded (no files) or `multipart/form-data`,
/// whose parts named `media` are the files (a file input left empty sends a part with
/// no name and no bytes, which is skipped; a file whose name does not read, such as a
/// GBK name, is kept under a plain one). A file under any other name is refused.
pub struct Submitted {
    /// The text fields, in the order sent.
    pub pairs: Vec<(String, String)>,
    /// The files.
    pub files: Vec<minsheng_app::attachments::Upload>,
}

/// Why a posted form could not be read: the status and what to tell, in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable {
    /// 400, 413 or 415.
    pub status: axum::http::StatusCode,
    /// In Chinese.
    pub zh: &'static str,
    /// In English.
    pub en: &'static str,
}

impl Unreadable {
    fn of(status: axum::http::StatusCode) -> Unreadable {
        use axum::http::StatusCode;
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => Unreadable {
                status,
                zh: "提交的内容过大",
                en: "What was sent is too large.",
            },
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Unreadable {
                status,
                zh: "请以 application/x-www-form-urlencoded 或 multipart/form-data 提交",
                en: "Send application/x-www-form-urlencoded or multipart/form-data.",
            },
            // A body cut off by the network is the client's, never a server error.
            _ => Unreadable {
                status: StatusCode::BAD_REQUEST,
                zh: "提交的内容不完整或无法读取，请重新提交",
                en: "What was sent is incomplete or does not read; send it again.",
            },
        }
    }
}

impl Submitted {
    /// Reads a request's body.
    pub async fn read(req: Request) -> Result<Submitted, Unreadable> {
        use axum::http::{StatusCode, header};
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/x-www-form-urlencoded")
            .trim()
            .to_ascii_lowercase();
        let fail = |status: StatusCode| Unreadable::of(status);
        if content_type.starts_with("multipart/form-data") {
            let mut form = axum::extract::Multipart::from_request(req, &())
                .await
                .map_err(|r| fail(r.status()))?;
            let mut submitted = Submitted {
                pairs: Vec::new(),
                files: Vec::new(),
            };
            while let Some(field) = form.next_field().await.map_err(|e| fail(e.status()))? {
                let name = field.name().unwrap_or_default().to_owned();
                let is_file = field.file_name().is_some()
                    || field
                        .headers()
                        .get(header::CONTENT_DISPOSITION)
                        .is_some_and(|v| {
                            v.as_bytes()
                                .windows(8)
                                .any(|w| w.eq_ignore_ascii_case(b"filename"))
                        });
                if name == "media" || name == "media[]" {
                    let file_name = field.file_name().unwrap_or_default().to_owned();
                    let bytes = field.bytes().await.map_err(|e| fail(e.status()))?;
                    if file_name.is_empty() && bytes.is_empty() {
                        continue;
                    }
                    submitted.files.push(minsheng_app::attachments::Upload {
                        name: file_name,
                        bytes: bytes.to_vec(),
                    });
                } else if is_file {
                    return Err(Unreadable {
                        status: StatusCode::BAD_REQUEST,
                        zh: "文件只能放在名为 media 的部分",
                        en: "Files go in parts named media.",
                    });
                } else {
                    let text = field.text().await.map_err(|e| fail(e.status()))?;
                    submitted.pairs.push((name, text));
                }
            }
            Ok(submitted)
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let body = axum::body::Bytes::from_request(req, &())
                .await
                .map_err(|r| fail(r.status()))?;
            let pairs =
                serde_urlencoded::from_bytes(&body).map_err(|_| fail(StatusCode::BAD_REQUEST))?;
            Ok(Submitted {
                pairs,
                files: Vec::new(),
            })
        } else {
            Err(fail(StatusCode::UNSUPPORTED_MEDIA_TYPE))
        }
    }

    /// The text fields read as a form type, as `axum::Form` reads them.
    pub fn form<T: DeserializeOwned>(&self) -> Result<T, AppError> {
        serde_urlencoded::to_string(&self.pairs)
            .ok()
            .and_then(|encoded| serde_urlencoded::from_str(&encoded).ok())
            .ok_or(AppError::Rejected(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            ))
    }
}

impl<S: Send + Sync> FromRequest<S> for Submitted {
    type Rejection = AppError;

    async fn from_request(req: Request, _: &S) -> Result<Self, AppError> {
        Submitted::read(req).await.map_err(|e| match e.status {
            axum::http::StatusCode::BAD_REQUEST => AppError::BadRequest(e.zh, e.en),
            status => AppError::Rejected(status),
        })
    }
}

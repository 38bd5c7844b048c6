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
/// whose file parts named `media` are the files (a file input left empty sends a part
/// with no name and no bytes, which is skipped). Any other file part is refused.
pub struct Submitted {
    /// The text fields, in the order sent.
    pub pairs: Vec<(String, String)>,
    /// The files.
    pub files: Vec<minsheng_app::attachments::Upload>,
}

impl Submitted {
    /// Reads a request's body; the error is the status to answer (415 for a body
    /// that is neither encoding, 413 for one over the route's limit, 400 for one that
    /// does not read).
    pub async fn read(req: Request) -> Result<Submitted, axum::http::StatusCode> {
        use axum::http::{StatusCode, header};
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/x-www-form-urlencoded")
            .trim()
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let mut form = axum::extract::Multipart::from_request(req, &())
                .await
                .map_err(|r| r.status())?;
            let mut submitted = Submitted {
                pairs: Vec::new(),
                files: Vec::new(),
            };
            while let Some(field) = form.next_field().await.map_err(|e| e.status())? {
                let name = field.name().unwrap_or_default().to_owned();
                match field.file_name().map(str::to_owned) {
                    Some(file_name) => {
                        let bytes = field.bytes().await.map_err(|e| e.status())?;
                        if file_name.is_empty() && bytes.is_empty() {
                            continue;
                        }
                        if name != "media" && name != "media[]" {
                            return Err(StatusCode::BAD_REQUEST);
                        }
                        submitted.files.push(minsheng_app::attachments::Upload {
                            name: file_name,
                            bytes: bytes.to_vec(),
                        });
                    }
                    None => {
                        let text = field.text().await.map_err(|e| e.status())?;
                        submitted.pairs.push((name, text));
                    }
                }
            }
            Ok(submitted)
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let body = axum::body::Bytes::from_request(req, &())
                .await
                .map_err(|r| r.status())?;
            let pairs = serde_urlencoded::from_bytes(&body).map_err(|_| StatusCode::BAD_REQUEST)?;
            Ok(Submitted {
                pairs,
                files: Vec::new(),
            })
        } else {
            Err(StatusCode::UNSUPPORTED_MEDIA_TYPE)
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
        Submitted::read(req).await.map_err(AppError::Rejected)
    }
}

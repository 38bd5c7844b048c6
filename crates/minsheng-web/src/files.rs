//! Handing out attached files: staff read an appeal's files as stored, the public sees
//! a published Open311 request's first image without its metadata. Every file goes out
//! with its real type, `nosniff`, a sandboxing content policy, and a
//! `Content-Disposition` with a clean name; a PDF is always a download, never shown
//! inline, and nothing is cached.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use minsheng_app::attachments::FileOut;
use minsheng_core::AppealNo;

use crate::AppState;
use crate::auth::CurrentStaff;
use crate::error::AppError;
use crate::extract::Path;

/// The response carrying a file.
pub fn respond(out: FileOut) -> Response {
    let disposition = if out.kind.is_image() {
        "inline"
    } else {
        "attachment"
    };
    let name = &out.file.file_name;
    let disposition = content_disposition(disposition, name);
    let mut response = out.bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(out.kind.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `GET /staff/appeals/{no}/files/{id}`: a file of an appeal the person may see.
pub async fn staff_file(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((no, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let no = AppealNo::parse(&no).map_err(|_| AppError::NotFound)?;
    let out = state.attachment_for_staff(&no, id, &me.scope).await?;
    tracing::info!(appeal = %no, file = id, staff = me.staff.id, "attached file read");
    Ok(respond(out))
}

/// A `Content-Disposition` value (`inline` or `attachment`) naming the file: a
/// plain-ASCII name for old clients, the real one (RFC 5987) for the rest.
pub(crate) fn content_disposition(kind: &str, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._- ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// An Excel workbook to download under `name`.
pub(crate) fn xlsx_download(name: &str, bytes: Vec<u8>) -> impl IntoResponse + use<> {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                content_disposition("attachment", name),
            ),
        ],
        bytes,
    )
}

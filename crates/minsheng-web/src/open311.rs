//! Open311 GeoReport v2 under `/open311/v2`, in JSON and XML: discovery, services and
//! their definitions, posting requests with an API key, reading published requests and
//! tokens. A thin adapter over `minsheng_app::open311`; every answer is built once as
//! JSON and written as XML from it.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use minsheng_app::open311::{FilterError, Placed, RequestFilter, ServiceRequest};
use minsheng_core::Lang;
use minsheng_core::category::Category;
use minsheng_core::clock::china;
use minsheng_core::i18n::Explain;
use minsheng_core::intake::FieldError;
use minsheng_core::open311::Status;
use serde_json::{Value, json};

use crate::AppState;

/// The routes, to be nested under `/open311/v2`.
pub fn routes(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/{file}",
            get(top)
                .post(post_request)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route("/services/{file}", get(service_definition))
        .route("/requests/{file}", get(one_request))
        .route("/requests/{file}/media", get(media))
        .route("/tokens/{file}", get(token))
        .fallback(|| async {
            Failure::not_found("path", "没有这个地址", "no such path").with(Format::Json)
        })
        .method_not_allowed_fallback(|| async {
            Failure::one(
                StatusCode::METHOD_NOT_ALLOWED,
                "method",
                "此地址不接受这种请求方法",
                "this address does not take this method",
            )
            .with(Format::Json)
        })
}

/// Holds each client address to Open311's rate: past it, the standard's error list
/// with 429 and `Retry-After`.
pub async fn limit(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(limiter) = &state.rate_limits.open311 {
        let client = crate::rate::client_address(&request, &state.trusted_proxies);
        if let Err(wait) = limiter.check(&client, chrono::Utc::now()) {
            let format = if request.uri().path().ends_with(".xml") {
                Format::Xml
            } else {
                Format::Json
            };
            let mut response = Failure::one(
                StatusCode::TOO_MANY_REQUESTS,
                "rate",
                "请求过于频繁，请稍后再试",
                "too many requests; wait and try again",
            )
            .with(format);
            if let Ok(v) = axum::http::HeaderValue::from_str(&crate::rate::retry_after(wait)) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return response;
        }
    }
    next.run(request).await
}

/// How an answer is written, by the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// Splits `requests.json` into `requests` and its format; any other ending is the
/// standard's 404 (in JSON).
fn split(file: &str) -> Result<(&str, Format), Box<Response>> {
    let format = |ext: &str| match ext.to_ascii_lowercase().as_str() {
        "json" => Some(Format::Json),
        "xml" => Some(Format::Xml),
        _ => None,
    };
    file.rsplit_once('.')
        .and_then(|(stem, ext)| Some((stem, format(ext)?)))
        .ok_or_else(|| {
            Failure::not_found(
                "format",
                "请用 .json 或 .xml 结尾",
                "end the path in .json or .xml",
            )
            .with(Format::Json)
            .into()
        })
}

/// What a list's items are called in XML.
fn item_name(list: &str) -> &'static str {
    match list {
        "services" => "service",
        "service_requests" => "request",
        "attributes" => "attribute",
        "values" => "value",
        "errors" => "error",
        "endpoints" => "endpoint",
        "formats" => "format",
        _ => "item",
    }
}

/// Writes `value` as the XML element `name`: objects as child elements in order,
/// arrays as repeated items ([`item_name`]), null as an empty element.
fn write_xml(w: &mut quick_xml::Writer<Vec<u8>>, name: &str, value: &Value) -> std::io::Result<()> {
    use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
    match value {
        Value::Null => w.write_event(Event::Empty(BytesStart::new(name)))?,
        Value::Object(fields) => {
            w.write_event(Event::Start(BytesStart::new(name)))?;
            for (k, v) in fields {
                write_xml(w, k, v)?;
            }
            w.write_event(Event::End(BytesEnd::new(name)))?;
        }
        Value::Array(items) => {
            w.write_event(Event::Start(BytesStart::new(name)))?;
            for v in items {
                write_xml(w, item_name(name), v)?;
            }
            w.write_event(Event::End(BytesEnd::new(name)))?;
        }
        Value::String(s) => {
            w.write_event(Event::Start(BytesStart::new(name)))?;
            w.write_event(Event::Text(BytesText::new(&xml_chars(s))))?;
            w.write_event(Event::End(BytesEnd::new(name)))?;
        }
        other => {
            w.write_event(Event::Start(BytesStart::new(name)))?;
            w.write_event(Event::Text(BytesText::new(&other.to_string())))?;
            w.write_event(Event::End(BytesEnd::new(name)))?;
        }
    }
    Ok(())
}

/// `s` with every character XML 1.0 cannot carry (controls but tab and line breaks,
/// surrogates, U+FFFE and U+FFFF) replaced by U+FFFD: whatever was stored, the
/// document parses.
fn xml_chars(s: &str) -> std::borrow::Cow<'_, str> {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..);
    if s.chars().all(allowed) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(
            s.chars()
                .map(|c| if allowed(c) { c } else { '\u{fffd}' })
                .collect(),
        )
    }
}

/// The answer `value` in `format`; in XML its root element is `root`.
fn render(status: StatusCode, format: Format, root: &str, value: &Value) -> Response {
    let (body, kind) = match format {
        Format::Json => (
            value.to_string().into_bytes(),
            "application/json; charset=utf-8",
        ),
        Format::Xml => {
            let mut w = quick_xml::Writer::new(Vec::new());
            let written = w
                .write_event(quick_xml::events::Event::Decl(
                    quick_xml::events::BytesDecl::new("1.0", Some("UTF-8"), None),
                ))
                .and_then(|()| write_xml(&mut w, root, value));
            if let Err(e) = written {
                tracing::error!(error = %e, "Open311: an answer could not be written as XML");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
            (w.into_inner(), "text/xml; charset=utf-8")
        }
    };
    (
        status,
        [
            (header::CONTENT_TYPE, kind),
            // Published data, readable from any page (a city's map).
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        body,
    )
        .into_response()
}

/// The standard's errors: each names its field, in Chinese and English.
#[derive(Debug)]
struct Failure {
    status: StatusCode,
    errors: Vec<String>,
}

impl Failure {
    fn one(status: StatusCode, field: &str, zh: &str, en: &str) -> Failure {
        Failure {
            status,
            errors: vec![format!("{field}: {zh} / {en}")],
        }
    }

    fn not_found(field: &str, zh: &str, en: &str) -> Failure {
        Failure::one(StatusCode::NOT_FOUND, field, zh, en)
    }

    fn bad(field: &str, zh: &str, en: &str) -> Failure {
        Failure::one(StatusCode::BAD_REQUEST, field, zh, en)
    }

    fn with(self, format: Format) -> Response {
        let code = self.status.as_u16();
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|d| json!({"code": code, "description": d}))
            .collect();
        render(self.status, format, "errors", &Value::Array(errors))
    }

    /// A use case's failure: bad fields name the Open311 field they came from.
    fn from_app(e: minsheng_app::Error, attributes: &[(String, Vec<String>)]) -> Failure {
        match e {
            minsheng_app::Error::Invalid(errors) => Failure {
                status: StatusCode::BAD_REQUEST,
                errors: errors
                    .0
                    .iter()
                    .map(|(field, error)| {
                        let field = match (*field, error) {
                            ("attribute", FieldError::AttributeUnknown(c))
                            | ("attribute", FieldError::AttributeMissing(c))
                            | ("attribute", FieldError::AttributeValue(c)) => {
                                let list =
                                    attributes.iter().any(|(code, v)| code == c && v.len() > 1);
                                format!("attribute[{c}]{}", if list { "[]" } else { "" })
                            }
                            _ => open311_field(field).to_owned(),
                        };
                        format!(
                            "{field}: {} / {}",
                            error.explain(Lang::Zh),
                            error.explain(Lang::En)
                        )
                    })
                    .collect(),
            },
            minsheng_app::Error::NotFound => {
                Failure::not_found("service_request_id", "没有这件诉求", "no such request")
            }
            e => {
                tracing::error!(error = %e, "Open311 request failed");
                Failure::one(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server",
                    "服务器出错，请稍后再试",
                    "the server failed; try again later",
                )
            }
        }
    }
}

/// The Open311 name of a form field.
fn open311_field(field: &str) -> &str {
    match field {
        "category" => "service_code",
        "village" | "township" => "address_id",
        "address" => "address_string",
        "text" => "description",
        "name" => "first_name",
        "lat" => "lat",
        other => other,
    }
}

/// The language asked for in `Accept-Language` (Chinese unless English comes first).
fn lang(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::Zh, Lang::from_tag)
}

/// W3C date and time in the county's zone (China, +08:00).
fn w3c(at: DateTime<Utc>) -> String {
    at.with_timezone(&china())
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The pairs of a query string or form body (`None` when it does not read).
fn pairs(raw: &[u8]) -> Option<Vec<(String, String)>> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(raw).ok()
}

/// `GET discovery`, `GET services`, `GET requests` (by the file's stem).
async fn top(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (stem, format) = match split(&file) {
        Ok(split) => split,
        Err(refused) => return *refused,
    };
    let lang = lang(&headers);
    match stem {
        "discovery" => discovery(&state, &headers, format),
        "services" => match state.services().await {
            Ok(services) => {
                let list: Vec<Value> = services
                    .iter()
                    .map(|c| service(c, &services, lang))
                    .collect();
                render(StatusCode::OK, format, "services", &Value::Array(list))
            }
            Err(e) => Failure::from_app(e, &[]).with(format),
        },
        "requests" => list_requests(&state, query.as_deref().unwrap_or(""), &headers, format).await,
        _ => Failure::not_found("path", "没有这个地址", "no such path").with(format),
    }
}

/// Where this endpoint is: under the configured public address, else as the client
/// reached it (its `Host`, when it reads as a host name).
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(public) = &state.public_url {
        return format!("{}/open311/v2", public.trim_end_matches('/'));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}/open311/v2")
}

/// The discovery document: where this endpoint is and what it speaks.
fn discovery(state: &AppState, headers: &HeaderMap, format: Format) -> Response {
    let changeset = "2026-11-30T00:00:00+08:00";
    let doc = json!({
        "changeset": changeset,
        "contact": "县12345政务服务便民热线 / the county's 12345 hotline",
        "key_service": "向县政务服务管理部门申请 API key（minsheng api-key create） / ask the county for an API key",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": base_url(state, headers),
            "changeset": changeset,
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    });
    render(StatusCode::OK, format, "discovery", &doc)
}

/// A category as a service.
fn service(c: &Category, all: &[Category], lang: Lang) -> Value {
    let group = c
        .parent
        .as_ref()
        .and_then(|p| all.iter().find(|x| &x.code == p))
        .unwrap_or(c);
    json!({
        "service_code": c.code,
        "service_name": c.label(lang),
        "description": match lang { Lang::Zh => format!("{}（{}）", c.name, c.name_en), Lang::En => c.name_en.clone() },
        "metadata": !c.fields.is_empty(),
        "type": "realtime",
        "keywords": c.keywords.join(","),
        "group": group.label(lang),
    })
}

/// `GET services/{code}.{format}`: a service's attributes.
async fn service_definition(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let (code, format) = match split(&file) {
        Ok(split) => split,
        Err(refused) => return *refused,
    };
    let services = match state.services().await {
        Ok(s) => s,
        Err(e) => return Failure::from_app(e, &[]).with(format),
    };
    let Some(c) = services.iter().find(|c| c.code == code) else {
        return Failure::not_found("service_code", "没有这项服务", "no such service").with(format);
    };
    let attributes: Vec<Value> = c
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            json!({
                "variable": true,
                "code": f.code,
                "datatype": f.datatype.code(),
                "required": f.required,
                "datatype_description": match f.datatype {
                    minsheng_core::category::Datatype::Number => "数字 / a number",
                    minsheng_core::category::Datatype::Datetime => "ISO 8601 时间 / an ISO 8601 date and time",
                    _ => "",
                },
                "order": i + 1,
                "description": f.label,
                "values": f.choices.iter().map(|v| json!({"key": v, "name": v})).collect::<Vec<_>>(),
            })
        })
        .collect();
    render(
        StatusCode::OK,
        format,
        "service_definition",
        &json!({"service_code": c.code, "attributes": attributes}),
    )
}

/// Reads `start_date` or `end_date`: W3C date and time, or a plain date, China time
/// (for `end_date` the whole day: its last second).
fn read_time(text: &str, end: bool) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
            let time = if end {
                day.and_hms_opt(23, 59, 59)
            } else {
                day.and_hms_opt(0, 0, 0)
            };
            time?
                .and_local_timezone(china())
                .single()
                .map(|t| t.with_timezone(&Utc))
        })
}

/// `GET requests.{format}`.
async fn list_requests(
    state: &AppState,
    query: &str,
    headers: &HeaderMap,
    format: Format,
) -> Response {
    let lang = lang(headers);
    let Some(pairs) = pairs(query.as_bytes()) else {
        return Failure::bad(
            "query",
            "查询参数无法读取",
            "the query string does not read",
        )
        .with(format);
    };
    let mut filter = RequestFilter::default();
    let list = |v: &str| -> Vec<String> {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    for (k, v) in &pairs {
        match k.as_str() {
            "service_request_id" => filter.ids.extend(list(v)),
            "service_code" => filter.service_codes.extend(list(v)),
            "start_date" | "end_date" if v.trim().is_empty() => {}
            "start_date" | "end_date" => {
                let Some(at) = read_time(v, k == "end_date") else {
                    return Failure::bad(
                        k,
                        "时间应写成 2026-11-30 或 2026-11-30T08:00:00%2B08:00（“+”须编码）",
                        "write the time as 2026-11-30 or 2026-11-30T08:00:00%2B08:00 (encode the '+')",
                    )
                    .with(format);
                };
                if k == "start_date" {
                    filter.start = Some(at);
                } else {
                    filter.end = Some(at);
                }
            }
            "status" => {
                let mut statuses = Vec::new();
                for s in list(v) {
                    match Status::parse(&s) {
                        Some(st) => statuses.push(st),
                        None => {
                            return Failure::bad(
                                "status",
                                "状态只能是 open 或 closed",
                                "status is open or closed",
                            )
                            .with(format);
                        }
                    }
                }
                statuses.dedup();
                filter.status = match statuses.as_slice() {
                    [one] => Some(*one),
                    _ => None,
                };
            }
            _ => {}
        }
    }
    match state.published_requests(&filter, lang).await {
        Ok(Ok(found)) => {
            let base = base_url(state, headers);
            let list: Vec<Value> = found.iter().map(|r| published(r, &base)).collect();
            render(
                StatusCode::OK,
                format,
                "service_requests",
                &Value::Array(list),
            )
        }
        Ok(Err(FilterError::Backwards)) => Failure::bad(
            "start_date",
            "开始时间晚于结束时间",
            "start_date is after end_date",
        )
        .with(format),
        Ok(Err(FilterError::TooWide)) => Failure::bad(
            "end_date",
            "一次最多查询90天",
            "start_date and end_date may be at most 90 days apart",
        )
        .with(format),
        Err(e) => Failure::from_app(e, &[]).with(format),
    }
}

/// A published request as the standard writes it.
fn published(r: &minsheng_app::open311::Published, base: &str) -> Value {
    json!({
        "service_request_id": r.no.as_str(),
        "status": r.status.code(),
        "status_notes": r.status_notes,
        "service_name": r.service_name,
        "service_code": r.service_code,
        "description": r.description,
        "agency_responsible": r.agency_responsible,
        "service_notice": null,
        "requested_datetime": w3c(r.requested),
        "updated_datetime": w3c(r.updated),
        "expected_datetime": r.expected.map(w3c),
        "address": r.address,
        "address_id": null,
        "zipcode": null,
        "lat": r.location.map(|l| l.0),
        "long": r.location.map(|l| l.1),
        "media_url": r.media_id.map(|_| format!("{base}/requests/{}/media", r.no)),
    })
}

/// `GET requests/{id}.{format}`.
async fn one_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (id, format) = match split(&file) {
        Ok(split) => split,
        Err(refused) => return *refused,
    };
    let filter = RequestFilter {
        ids: vec![id.to_owned()],
        ..RequestFilter::default()
    };
    match state.published_requests(&filter, lang(&headers)).await {
        Ok(Ok(found)) if !found.is_empty() => {
            let base = base_url(&state, &headers);
            let list: Vec<Value> = found.iter().map(|r| published(r, &base)).collect();
            render(
                StatusCode::OK,
                format,
                "service_requests",
                &Value::Array(list),
            )
        }
        Ok(_) => Failure::not_found(
            "service_request_id",
            "没有这件诉求（或它不公开）",
            "no such request (or it is not public)",
        )
        .with(format),
        Err(e) => Failure::from_app(e, &[]).with(format),
    }
}

/// `GET requests/{id}/media`: a published request's first image, without its
/// metadata (the phone's position, the camera); any other file is never public.
async fn media(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(no) = minsheng_core::AppealNo::parse(&id) else {
        return Failure::not_found("service_request_id", "没有这张图片", "no such picture")
            .with(Format::Json);
    };
    match state.public_media(&no).await {
        Ok(out) => crate::files::respond(out),
        Err(minsheng_app::Error::NotFound) => {
            Failure::not_found("service_request_id", "没有这张图片", "no such picture")
                .with(Format::Json)
        }
        Err(e) => Failure::from_app(e, &[]).with(Format::Json),
    }
}

/// `GET tokens/{token}.{format}`: the request a token stands for.
async fn token(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let (token, format) = match split(&file) {
        Ok(split) => split,
        Err(refused) => return *refused,
    };
    match state.request_of_token(token).await {
        Ok(no) => render(
            StatusCode::OK,
            format,
            "service_requests",
            &json!([{"service_request_id": no.as_str(), "token": token}]),
        ),
        Err(minsheng_app::Error::NotFound) => {
            Failure::not_found("token", "没有这个 token", "no such token").with(format)
        }
        Err(e) => Failure::from_app(e, &[]).with(format),
    }
}

/// `POST requests.{format}` (form-encoded, as the standard says).
async fn post_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    request: axum::extract::Request,
) -> Response {
    let (stem, format) = match split(&file) {
        Ok(split) => split,
        Err(refused) => return *refused,
    };
    if stem != "requests" {
        return Failure::one(
            StatusCode::METHOD_NOT_ALLOWED,
            "method",
            "此地址不接受这种请求方法",
            "this address does not take this method",
        )
        .with(format);
    }
    // The standard posts form-encoded; a client sending a picture sends multipart
    // with the file as `media`.
    let submitted = match crate::extract::Submitted::read(request).await {
        Ok(submitted) => submitted,
        Err(e) => {
            let field = match e.status {
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "Content-Type",
                StatusCode::PAYLOAD_TOO_LARGE => "media",
                _ => "body",
            };
            return Failure::one(e.status, field, e.zh, e.en).with(format);
        }
    };
    let pairs = submitted.pairs;
    // Bytes that are not UTF-8 were read as U+FFFD: refused, not stored as garbage.
    if pairs
        .iter()
        .any(|(k, v)| k.contains('\u{fffd}') || v.contains('\u{fffd}'))
    {
        return Failure::bad(
            "body",
            "表单无法读取（须为 UTF-8）",
            "the form does not read (it must be UTF-8)",
        )
        .with(format);
    }
    // A field the standard gives once, given twice, is a mistake to name, not to guess.
    const ONCE: [&str; 13] = [
        "api_key",
        "service_code",
        "jurisdiction_id",
        "lat",
        "long",
        "address_string",
        "address_id",
        "email",
        "first_name",
        "last_name",
        "phone",
        "description",
        "media_url",
    ];
    if let Some(twice) = ONCE
        .iter()
        .find(|name| pairs.iter().filter(|(k, _)| k == *name).count() > 1)
    {
        return Failure::bad(twice, "只能给出一次", "give it once").with(format);
    }
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let key = match state.api_key(&value("api_key")).await {
        Ok(Some(key)) => key,
        Ok(None) => {
            return Failure::one(
                StatusCode::FORBIDDEN,
                "api_key",
                "缺少 api_key 或 api_key 无效（已吊销）",
                "api_key is missing, invalid or revoked",
            )
            .with(format);
        }
        Err(e) => return Failure::from_app(e, &[]).with(format),
    };
    let mut request = ServiceRequest {
        service_code: value("service_code"),
        address_string: value("address_string"),
        address_id: value("address_id"),
        first_name: value("first_name"),
        last_name: value("last_name"),
        phone: value("phone"),
        description: value("description"),
        media_url: value("media_url"),
        files: submitted.files,
        ..ServiceRequest::default()
    };
    if request.service_code.is_empty() {
        return Failure::bad(
            "service_code",
            "请给出 service_code",
            "service_code is required",
        )
        .with(format);
    }
    let mut errors = Vec::new();
    for name in ["lat", "long"] {
        let v = value(name);
        if v.is_empty() {
            continue;
        }
        match v.parse::<f64>() {
            Ok(n) if n.is_finite() => {
                if name == "lat" {
                    request.lat = Some(n);
                } else {
                    request.long = Some(n);
                }
            }
            _ => errors.push(format!("{name}: 应为数字 / must be a number")),
        }
    }
    if !errors.is_empty() {
        return Failure {
            status: StatusCode::BAD_REQUEST,
            errors,
        }
        .with(format);
    }
    if request.lat.is_none()
        && request.long.is_none()
        && request.address_string.is_empty()
        && request.address_id.is_empty()
    {
        return Failure::bad(
            "lat",
            "请给出地点：lat 与 long、address_string 或 address_id",
            "a location is required: lat and long, address_string or address_id",
        )
        .with(format);
    }
    for (k, v) in &pairs {
        let Some(code) = k.strip_prefix("attribute[") else {
            continue;
        };
        let code = code.strip_suffix("][]").or_else(|| code.strip_suffix(']'));
        let Some(code) = code.filter(|c| !c.is_empty() && !c.contains(['[', ']'])) else {
            return Failure::bad(
                "attribute",
                "attribute 应写成 attribute[CODE]",
                "write attribute[CODE]",
            )
            .with(format);
        };
        match request.attributes.iter_mut().find(|(c, _)| c == code) {
            Some((_, values)) => values.push(v.clone()),
            None => request.attributes.push((code.to_owned(), vec![v.clone()])),
        }
    }
    let attributes = request.attributes.clone();
    match state.submit_request(&key, request).await {
        Ok((receipt, placed)) => {
            let notice = match placed {
                Placed::Unplaced => {
                    "已受理，待调度中心确定所在村（社区） / received; the dispatch centre will place it"
                }
                _ => "已受理 / received",
            };
            render(
                StatusCode::OK,
                format,
                "service_requests",
                &json!([{
                    "service_request_id": receipt.no.as_str(),
                    "token": receipt.tracking_code.as_str(),
                    "service_notice": notice,
                    "account_id": null,
                }]),
            )
        }
        Err(e) => Failure::from_app(e, &attributes).with(format),
    }
}

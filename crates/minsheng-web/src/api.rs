//! The JSON API under `/api/v1`, for systems that send and follow appeals (the hotline
//! switchboard, a mini-program, the provincial platform). A thin adapter: every call
//! is a staff API token (`Authorization: Bearer mst_…`) acting with its account's roles
//! and area, and every change is the same use case in `minsheng-app` as the console's.
//!
//! Errors have one shape: `{"error": {"code", "message": {"zh-CN", "en"}, "field",
//! "fields": [{"field", "message"}]}}` with the status that fits (400, 401, 403, 404,
//! 409 for a stale version, 413, 415, 422, 500).

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, extract::rejection::JsonRejection};
use chrono::{DateTime, Utc};
use minsheng_app::cases::Intake;
use minsheng_app::sessions::SignedIn;
use minsheng_core::appeal::Step;
use minsheng_core::i18n::Explain;
use minsheng_core::intake::{AppealForm, FieldErrors, Origin};
use minsheng_core::staff::Role;
use minsheng_core::{AppealKind, AppealNo, Channel, Lang, RegionLevel, State as CaseState};
use minsheng_store::{AppealDetail, AppealSummary, InboxFilter, ListScope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::AppState;
use crate::console::ActionForm;

/// The OpenAPI document of the API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Minsheng API", version = "1", description = "Appeals in and out of Minsheng (民声). Every call carries a staff API token: `Authorization: Bearer mst_…` (`minsheng token create --user LOGIN`)."),
    paths(list_appeals, create_appeal, get_appeal, attachment, reveal, timeline, act, list_alerts, units, regions, categories, staff),
    modifiers(&Bearer),
)]
pub struct ApiDoc;

struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // Every call may be held to the token's rate (see `limit`).
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let too_many = ResponseBuilder::new()
            .description("Too many requests for this token; wait the Retry-After seconds")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            for operation in [&mut item.get, &mut item.post].into_iter().flatten() {
                operation
                    .responses
                    .responses
                    .insert("429".into(), too_many.clone().into());
            }
        }
    }
}

/// `GET /api/openapi.json`: the document, made from the code.
pub async fn openapi_json() -> Response {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Json(ApiDoc::openapi()),
    )
        .into_response()
}

/// `GET /api/docs`: the document to browse, served from here (no CDN).
pub async fn docs_page() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("../static/api-docs.html"),
    )
        .into_response()
}

/// `GET /static/api-docs.js`: renders the document on the docs page.
pub async fn docs_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/api-docs.js"),
    )
        .into_response()
}

/// The routes under `/api/v1`.
pub fn routes(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/appeals",
            get(list_appeals)
                .post(create_appeal)
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route("/appeals/{no}", get(get_appeal))
        .route("/appeals/{no}/attachments/{id}", get(attachment))
        .route("/appeals/{no}/reveal", post(reveal))
        .route("/appeals/{no}/timeline", get(timeline))
        .route("/appeals/{no}/actions", post(act))
        .route("/alerts", get(list_alerts))
        .route("/units", get(units))
        .route("/regions", get(regions))
        .route("/categories", get(categories))
        .route("/staff", get(staff))
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "此地址不接受这种请求方法",
                "This address does not take this method.",
            )
        })
}

/// Holds each token (or, without one, each client address) to the API's rate: past
/// it, 429 with `Retry-After` in the one error shape.
pub async fn limit(
    State(state): State<AppState>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(limiter) = &state.rate_limits.api {
        let now = Utc::now();
        let client = crate::rate::client_key(&request, &state.trusted_proxies);
        let address = format!(
            "a:{}",
            crate::rate::client_address(&request, &state.trusted_proxies)
        );
        // Tokens that do not sign in count against their address, whatever they are.
        let over = match limiter.waiting(&address, now) {
            Some(wait) if client != address => Err(wait),
            _ => limiter.check(&client, now),
        };
        if let Err(wait) = over {
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "请求过于频繁，请稍后再试",
                "Too many requests; wait and try again.",
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&crate::rate::retry_after(wait)) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return response;
        }
        let response = next.run(request).await;
        if response.status() == StatusCode::UNAUTHORIZED && client != address {
            let _ = limiter.check(&address, now);
        }
        return response;
    }
    next.run(request).await
}

/// A message in both interface languages.
#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    #[serde(rename = "zh-CN")]
    zh: String,
    en: String,
}

impl Message {
    fn new(zh: impl Into<String>, en: impl Into<String>) -> Message {
        Message {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
struct FieldMessage {
    field: String,
    message: Message,
}

/// An API error: its status and its JSON body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: Message,
    fields: Vec<FieldMessage>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, zh: &str, en: &str) -> ApiError {
        ApiError {
            status,
            code,
            message: Message::new(zh, en),
            fields: Vec::new(),
        }
    }

    fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "未找到", "Not found.")
    }

    fn forbidden() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "无权进行此操作",
            "You may not do this.",
        )
    }

    fn field(status: StatusCode, field: &str, zh: &str, en: &str) -> ApiError {
        ApiError {
            fields: vec![FieldMessage {
                field: field.to_owned(),
                message: Message::new(zh, en),
            }],
            ..ApiError::new(status, "invalid", zh, en)
        }
    }

    fn invalid(errors: &FieldErrors) -> ApiError {
        let fields: Vec<FieldMessage> = errors
            .0
            .iter()
            .map(|(f, e)| FieldMessage {
                field: (*f).to_owned(),
                message: Message::new(e.explain(Lang::Zh), e.explain(Lang::En)),
            })
            .collect();
        ApiError {
            fields,
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "提交的内容有误，见各字段说明",
                "Some fields are wrong; see each field.",
            )
        }
    }
}

impl From<minsheng_app::Error> for ApiError {
    fn from(e: minsheng_app::Error) -> ApiError {
        match e {
            minsheng_app::Error::NotFound => ApiError::not_found(),
            minsheng_app::Error::Forbidden => ApiError::forbidden(),
            minsheng_app::Error::Invalid(errors) => ApiError::invalid(&errors),
            minsheng_app::Error::Refused(refusal) => ApiError {
                message: Message::new(refusal.explain(Lang::Zh), refusal.explain(Lang::En)),
                ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", "", "")
            },
            minsheng_app::Error::Stale => ApiError::new(
                StatusCode::CONFLICT,
                "stale_version",
                "该件已被他人处理，请重新读取后再试",
                "The case changed since it was read; read it again and retry.",
            ),
            e => {
                let id = format!("{:016x}", rand::random::<u64>());
                tracing::error!(error_id = %id, error = %e, "API request failed");
                ApiError {
                    code: "internal",
                    message: Message::new(
                        format!("系统出错，请稍后再试（错误编号 {id}）"),
                        format!("Something went wrong; please try again later (error id {id})."),
                    ),
                    ..ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "", "")
                }
            }
        }
    }
}

impl From<minsheng_store::StoreError> for ApiError {
    fn from(e: minsheng_store::StoreError) -> ApiError {
        minsheng_app::Error::from(e).into()
    }
}

/// The body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
struct ErrorDetail {
    /// Stable: unauthorized, forbidden, not_found, invalid, refused, stale_version,
    /// malformed_json, unsupported_media_type, too_large, bad_query, bad_request,
    /// internal.
    code: &'static str,
    message: Message,
    /// The first field at fault, if a field is.
    field: Option<String>,
    /// Every field at fault.
    fields: Vec<FieldMessage>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                field: self.fields.first().map(|f| f.field.clone()),
                message: self.message,
                fields: self.fields,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"minsheng\""),
            );
        }
        response
    }
}

/// The staff member a bearer token acts as.
pub struct ApiCaller(SignedIn);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthorized = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "缺少有效的 API 令牌（Authorization: Bearer …），或令牌已过期、已吊销",
                "A valid API token is needed (Authorization: Bearer …); this one is missing, expired or revoked.",
            )
        };
        let token = crate::security::bearer_token(&parts.headers).ok_or_else(unauthorized)?;
        let me = state.api_session(token).await?.ok_or_else(unauthorized)?;
        // An account still on its one-time password has not taken it over yet.
        if me.staff.must_change_password {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "该账号须先登录工作台设置自己的密码，令牌才能使用",
                "The account must first sign in to the console and choose its own password.",
            ));
        }
        Ok(ApiCaller(me))
    }
}

/// `axum::Json`, refusing with the API's error shape.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(v)| ApiJson(v))
            .map_err(json_rejection)
    }
}

/// The API's error for a JSON body that was refused.
fn json_rejection(rejection: JsonRejection) -> ApiError {
    {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "请以 JSON 提交（Content-Type: application/json）",
                "Send JSON (Content-Type: application/json).",
            ),
            JsonRejection::JsonDataError(e) => data_error(&e.body_text()),
            JsonRejection::JsonSyntaxError(_) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                "JSON 格式有误",
                "The body is not well-formed JSON.",
            ),
            r if r.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
            _ => ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "请求无法读取",
                "The request could not be read.",
            ),
        }
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        "提交的内容太大",
        "The body is too large.",
    )
}

/// The body of a new appeal: JSON, or `multipart/form-data` with the same JSON in a
/// part named `appeal` and the files as parts named `media`.
pub struct AppealBody {
    input: NewAppealIn,
    files: Vec<minsheng_app::attachments::Upload>,
}

impl FromRequest<AppState> for AppealBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| {
                t.trim()
                    .to_ascii_lowercase()
                    .starts_with("multipart/form-data")
            });
        if !multipart {
            let ApiJson(input) = ApiJson::from_request(req, state).await?;
            return Ok(AppealBody {
                input,
                files: Vec::new(),
            });
        }
        let submitted = crate::extract::Submitted::read(req)
            .await
            .map_err(|e| match e.status {
                StatusCode::PAYLOAD_TOO_LARGE => too_large(),
                status => ApiError::new(status, "bad_request", e.zh, e.en),
            })?;
        if submitted
            .pairs
            .iter()
            .filter(|(name, _)| name == "appeal")
            .count()
            > 1
        {
            return Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "appeal",
                "appeal 部分只能有一个",
                "Send the appeal part once.",
            ));
        }
        let json = submitted
            .pairs
            .iter()
            .find(|(name, _)| name == "appeal")
            .ok_or_else(|| {
                ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "appeal",
                    "缺少名为 appeal 的部分（诉求的 JSON）",
                    "The part named appeal (the appeal as JSON) is missing.",
                )
            })?;
        // The part is text to the form: JSON that does not read is a wrong field (422).
        let Json(input) = Json::<NewAppealIn>::from_bytes(json.1.as_bytes()).map_err(|r| {
            let error = json_rejection(r);
            if error.status == StatusCode::BAD_REQUEST {
                ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "appeal",
                    "appeal 部分应为诉求的 JSON",
                    "The appeal part must be the appeal as JSON.",
                )
            } else {
                error
            }
        })?;
        Ok(AppealBody {
            input,
            files: submitted.files,
        })
    }
}

/// A body that is JSON but not the expected shape: the field at fault and what is
/// wrong with it, without echoing the value sent (it may be a phone or ID number).
fn data_error(text: &str) -> ApiError {
    let text = text
        .strip_prefix("Failed to deserialize the JSON body into the target type: ")
        .unwrap_or(text);
    let (path, problem) = text.split_once(": ").unwrap_or(("", text));
    let named = |prefix: &str| {
        problem
            .strip_prefix(prefix)
            .map(|rest| rest.split('`').next().unwrap_or_default().to_owned())
    };
    // The field at fault is named in `fields`, as for every other refusal.
    let (field, zh, en) = if let Some(name) = named("unknown field `") {
        (
            name.clone(),
            format!("不认识的字段“{name}”"),
            format!("unknown field `{name}`"),
        )
    } else if let Some(name) = named("missing field `") {
        (
            name.clone(),
            format!("缺少字段“{name}”"),
            format!("missing field `{name}`"),
        )
    } else if path.is_empty() || path == "." {
        (
            String::new(),
            "正文的类型或取值有误".to_owned(),
            "the body has the wrong type or value".to_owned(),
        )
    } else {
        (
            path.to_owned(),
            format!("字段“{path}”的类型或取值有误"),
            format!("`{path}` has the wrong type or value"),
        )
    };
    if field.is_empty() {
        ApiError {
            message: Message::new(zh, en),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "", "")
        }
    } else {
        ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, &field, &zh, &en)
    }
}

/// A query string, refusing with the API's error shape.
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| ApiQuery(v))
            .map_err(|e| {
                let text = e.body_text();
                let detail = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text);
                // "limit: invalid digit…", "duplicate field `q`", "unknown field `x`".
                let field = detail
                    .split_once(": ")
                    .map(|(f, _)| f)
                    .filter(|f| {
                        !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    })
                    .or_else(|| detail.split('`').nth(1))
                    .map(str::to_owned);
                let (zh, en) = match &field {
                    Some(f) => (
                        format!("查询参数「{f}」的值无效或重复"),
                        format!("The query parameter {f} is invalid or repeated ({detail})."),
                    ),
                    None => (
                        "查询参数有误".to_owned(),
                        format!("A query parameter is wrong ({detail})."),
                    ),
                };
                ApiError {
                    fields: field
                        .into_iter()
                        .map(|field| FieldMessage {
                            field,
                            message: Message::new(zh.clone(), en.clone()),
                        })
                        .collect(),
                    message: Message::new(zh, en),
                    ..ApiError::new(StatusCode::BAD_REQUEST, "bad_query", "", "")
                }
            })
    }
}

fn appeal_no(no: &str) -> Result<AppealNo, ApiError> {
    AppealNo::parse(no).map_err(|_| ApiError::not_found())
}

/// A unit as named in an appeal.
#[derive(Debug, Serialize, ToSchema)]
struct UnitRef {
    id: i64,
    name: String,
}

/// A deadline with its traffic light.
#[derive(Debug, Serialize, ToSchema)]
struct Deadline {
    due_at: DateTime<Utc>,
    /// green, yellow or red; absent when the clock is not running.
    light: Option<&'static str>,
}

/// An appeal in a list. Fields may be added later (suggestions with confidences, flags,
/// a cluster id); clients should ignore fields they do not know.
#[derive(Debug, Serialize, ToSchema)]
struct AppealOut {
    no: String,
    title: String,
    category: String,
    channel: &'static str,
    kind: &'static str,
    track: &'static str,
    status: &'static str,
    status_label: Message,
    region: String,
    lead_unit: Option<UnitRef>,
    received_at: DateTime<Utc>,
    deadline: Option<Deadline>,
    supervision_due: Option<DateTime<Utc>>,
    backlog: bool,
    hard: bool,
    headcount: i64,
    /// Masked, as on screen.
    appellant_name: Option<String>,
    /// Masked, as on screen.
    appellant_phone: Option<String>,
    /// `life` or `order` when its words threaten either (an alert was raised).
    risk: Option<String>,
    /// With `q`: the text around the first match, in pieces; `match` marks the
    /// matching words. Long numbers in it are masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    snippet: Option<Vec<SnippetPiece>>,
}

/// A cluster of similar appeals.
#[derive(Debug, Serialize, ToSchema)]
struct ClusterOut {
    id: i64,
    /// Appeals in it (all, including those outside the token's area).
    size: i64,
    /// The members in the token's area, oldest first.
    members: Vec<ClusterMemberOut>,
}

#[derive(Debug, Serialize, ToSchema)]
struct ClusterMemberOut {
    no: String,
    received_at: DateTime<Utc>,
    /// Why it joined: shared terms, word similarity, place, days apart (absent for the
    /// appeal that started the cluster).
    why: Option<Message>,
}

/// Routing suggestions.
#[derive(Debug, Serialize, ToSchema)]
struct SuggestionsOut {
    /// Likeliest categories first (at most 3).
    categories: Vec<CategoryGuess>,
    /// Likeliest lead units first (at most 3).
    units: Vec<UnitGuess>,
    /// Appeals of the county's history the model learnt from (0: keywords only).
    learnt_from: usize,
}

#[derive(Debug, Serialize, ToSchema)]
struct CategoryGuess {
    code: String,
    /// 0 to 1.
    confidence: f64,
}

#[derive(Debug, Serialize, ToSchema)]
struct UnitGuess {
    id: i64,
    name: String,
    /// 0 to 1.
    confidence: f64,
}

/// A piece of a search snippet.
#[derive(Debug, Serialize, ToSchema)]
struct SnippetPiece {
    text: String,
    /// Whether these are words searched for.
    #[serde(rename = "match")]
    hit: bool,
}

/// Characters of text in a search snippet.
const SNIPPET_CHARS: usize = 80;

/// One appeal in full (personal data masked).
#[derive(Debug, Serialize, ToSchema)]
struct AppealDetailOut {
    #[serde(flatten)]
    summary: AppealOut,
    /// The routing model's top categories and lead units for this appeal's words
    /// (suggestions only: the rules decide).
    suggestions: SuggestionsOut,
    /// The court or arbitration word that makes it look litigation-related (涉法涉诉:
    /// suggest the legal track), if any.
    litigation: Option<String>,
    /// Its cluster of similar appeals (same problem, place and time), if it has company.
    cluster: Option<ClusterOut>,
    /// The units the appeal accuses (举报), by key: they and the units under them stand
    /// aside (回避), never handling it and never seeing it.
    accused_units: Vec<String>,
    /// The appellant's tracking code: only for the account that registered it (to
    /// hand to the appellant); absent for everyone else.
    tracking_code: Option<String>,
    text: String,
    address: Option<String>,
    tags: Vec<String>,
    /// Send it back with an action: a step decided on an older version is refused (409).
    version: i64,
    appellant: AppellantOut,
    lat: Option<f64>,
    long: Option<f64>,
    /// Why it went to its first lead unit, if known.
    routing: Option<RoutingOut>,
    /// Answers to the category's extra fields (Open311 attributes).
    answers: Vec<AnswerOut>,
    /// Its files (photos, scanned letters).
    attachments: Vec<AttachmentOut>,
}

/// A file attached to an appeal.
#[derive(Debug, Serialize, ToSchema)]
struct AttachmentOut {
    id: i64,
    /// The name it was sent with (cleaned; ends in its real type's extension).
    file_name: String,
    /// image/jpeg, image/png, image/webp or application/pdf, told by the content.
    content_type: String,
    /// Bytes.
    size: u64,
    /// SHA-256 of the content, hex.
    sha256: String,
    /// Where to fetch it (with the token).
    url: String,
}

/// An answer to one of a category's extra fields.
#[derive(Debug, Serialize, ToSchema)]
struct AnswerOut {
    /// The field's code.
    code: String,
    /// What was asked.
    label: String,
    /// The values given.
    values: Vec<String>,
}

/// The routing decision made at registration.
#[derive(Debug, Serialize, ToSchema)]
struct RoutingOut {
    /// rule, category_default, township_fallback, unrouted or recused (the rules' unit
    /// is accused by the appeal).
    reason: &'static str,
    /// The rule that applied, for `rule`.
    rule_id: Option<i64>,
    explanation: Message,
}

#[derive(Debug, Serialize, ToSchema)]
struct AppellantOut {
    name: Option<String>,
    phone: Option<String>,
    id_number: Option<String>,
    address: Option<String>,
    headcount: u32,
}

fn summary_out(
    state: &AppState,
    a: &AppealSummary,
    units: &[minsheng_core::unit::Unit],
    search: Option<&minsheng_text::search::Query>,
) -> AppealOut {
    let now = minsheng_store::now();
    AppealOut {
        risk: a.risk.clone(),
        snippet: search.zip(a.excerpt.as_deref()).map(|(q, text)| {
            let text = minsheng_core::mask::numbers_in_text(text);
            minsheng_app::text::highlight(&text, q, SNIPPET_CHARS)
                .into_iter()
                .map(|p| SnippetPiece {
                    text: p.text,
                    hit: p.hit,
                })
                .collect()
        }),
        no: a.no.to_string(),
        title: a.title.clone(),
        category: a.category.clone(),
        channel: a.channel.code(),
        kind: a.kind.code(),
        track: a.track.code(),
        status: a.status.code(),
        status_label: Message::new(a.status.label(Lang::Zh), a.status.label(Lang::En)),
        region: a.region_code.to_string(),
        lead_unit: a.handler_unit_id.map(|id| UnitRef {
            id,
            name: units
                .iter()
                .find(|u| u.id == id)
                .map(|u| u.name.clone())
                .unwrap_or_default(),
        }),
        received_at: a.received_at,
        deadline: a.due_at.map(|due_at| Deadline {
            due_at,
            light: crate::view::light(&state.policy, a.clock_started_at, a.due_at, now)
                .map(|l| l.code()),
        }),
        supervision_due: a.supervision_due,
        backlog: a.backlog,
        hard: a.hard,
        headcount: a.headcount,
        appellant_name: a.name_mask.clone(),
        appellant_phone: a.phone_mask.clone(),
    }
}

fn detail_out(
    state: &AppState,
    me: i64,
    d: &AppealDetail,
    units: &[minsheng_core::unit::Unit],
    suggestions: &minsheng_app::suggest::Suggestions,
    cluster: Option<minsheng_store::ClusterView>,
) -> AppealDetailOut {
    let who = &d.appellant;
    AppealDetailOut {
        accused_units: units
            .iter()
            .filter(|u| d.facts.accused.contains(&u.id))
            .map(|u| u.key.clone())
            .collect(),
        cluster: cluster.filter(|c| c.size > 1).map(|c| ClusterOut {
            id: c.id,
            size: c.size,
            members: c
                .members
                .iter()
                .map(|m| ClusterMemberOut {
                    no: m.no.to_string(),
                    received_at: m.received_at,
                    why: m.evidence.as_deref().and_then(|e| {
                        Some(Message::new(
                            minsheng_app::cluster::explain(e, Lang::Zh)?,
                            minsheng_app::cluster::explain(e, Lang::En)?,
                        ))
                    }),
                })
                .collect(),
        }),
        litigation: minsheng_text::risk::litigation(&d.text),
        suggestions: SuggestionsOut {
            categories: suggestions
                .categories
                .iter()
                .map(|c| CategoryGuess {
                    code: c.value.clone(),
                    confidence: c.confidence,
                })
                .collect(),
            units: suggestions
                .units
                .iter()
                .map(|u| UnitGuess {
                    id: u.value,
                    name: units
                        .iter()
                        .find(|x| x.id == u.value)
                        .map(|x| x.name.clone())
                        .unwrap_or_default(),
                    confidence: u.confidence,
                })
                .collect(),
            learnt_from: suggestions.learnt_from,
        },
        summary: summary_out(state, &d.summary, units, None),
        tracking_code: (d.created_by == Some(me)).then(|| d.tracking_code.to_string()),
        text: d.text.clone(),
        address: d.address.clone(),
        tags: d.tags.clone(),
        version: d.version,
        lat: d.location.map(|l| l.0),
        long: d.location.map(|l| l.1),
        answers: d
            .answers
            .iter()
            .map(|a| AnswerOut {
                code: a.code.clone(),
                label: a.label.clone(),
                values: a.values.clone(),
            })
            .collect(),
        attachments: d
            .attachments
            .iter()
            .map(|f| AttachmentOut {
                id: f.id,
                file_name: f.file.file_name.clone(),
                content_type: f.file.content_type.clone(),
                size: f.file.size,
                sha256: f.file.sha256.clone(),
                url: format!("/api/v1/appeals/{}/attachments/{}", d.summary.no, f.id),
            })
            .collect(),
        routing: d.routing_reason.as_ref().map(|r| RoutingOut {
            reason: r.code(),
            rule_id: match r {
                minsheng_core::routing::RoutingReason::Rule { id, .. } => Some(*id),
                _ => None,
            },
            explanation: Message::new(r.explain(Lang::Zh), r.explain(Lang::En)),
        }),
        appellant: AppellantOut {
            name: who.name.as_deref().map(minsheng_core::mask::name),
            phone: who.phone.as_ref().map(|p| p.masked()),
            id_number: who
                .id_number
                .as_ref()
                .map(|i| minsheng_core::mask::id_number(i.as_str())),
            address: who.address.as_deref().map(minsheng_core::mask::address),
            headcount: who.headcount,
        },
    }
}

/// Filters and paging of `GET /api/v1/appeals`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default, deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[param(
        pattern = "^(registered|accepted|declined|transferred|replied|under_review|reviewed|under_re_review|final|dispatched|returned|handling|answered|escalated|legal_advised|closed|merged)$"
    )]
    status: Option<String>,
    category: Option<String>,
    /// A township's 12-digit code.
    #[param(pattern = "^[0-9]{12}$")]
    township: Option<String>,
    #[param(pattern = "^(hotline|web|visit|letter|mailbox|api|media)$")]
    channel: Option<String>,
    received_from: Option<DateTime<Utc>>,
    received_before: Option<DateTime<Utc>>,
    due_before: Option<DateTime<Utc>>,
    supervised: Option<bool>,
    flagged: Option<bool>,
    tag: Option<String>,
    /// Words to search for in the title, text, address and replies (Chinese is
    /// segmented; punctuation and operators are ignored). Results come best match
    /// first, each with a `snippet`.
    #[param(max_length = 200)]
    q: Option<String>,
    /// Only the appeals this alert names (see `GET /api/v1/alerts`).
    alert: Option<i64>,
    /// Only the appeals of this group of related appeals.
    cluster: Option<i64>,
    /// Only those this unit leads now (a unit id).
    unit: Option<i64>,
    /// Only those my own unit handles (the inbox), not all I may see.
    mine: Option<bool>,
    /// Only the open cases of a work queue: incoming (my unit's to sign for or
    /// accept) and handling (in my unit's hands; both imply `mine`), dispatch (to
    /// place, returns to rule on, orders gone up), merge (open appeals grouped with
    /// similar ones), visits (return visits due),
    /// supervision, leading (my 包案).
    #[param(pattern = "^(incoming|handling|dispatch|merge|visits|supervision|leading)$")]
    queue: Option<String>,
    /// Opaque: the `next` of the previous page.
    #[param(pattern = "^p[1-9][0-9]{0,5}$")]
    cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
struct AppealPage {
    items: Vec<AppealOut>,
    total: i64,
    /// Pass as `cursor` for the next page; absent on the last page.
    next: Option<String>,
}

/// Appeals the token's account may see (or, with `mine`, those its unit handles),
/// soonest deadline first.
#[utoipa::path(get, path = "/api/v1/appeals", tag = "appeals", params(ListQuery),
    responses((status = 200, body = AppealPage), (status = 400, description = "A bad filter", body = ErrorBody), (status = 401, description = "No valid token", body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_appeals(
    State(state): State<AppState>,
    ApiCaller(me): ApiCaller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<AppealPage>, ApiError> {
    let bad =
        |field: &str, zh: &str, en: &str| ApiError::field(StatusCode::BAD_REQUEST, field, zh, en);
    // Every field is checked before any answer (an unknown township answers empty).
    if q.q.as_deref().is_some_and(|w| w.chars().count() > 200) {
        return Err(bad(
            "q",
            "查找的词最多200字",
            "q is at most 200 characters.",
        ));
    }
    let text = match q.q.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(words) => Some(state.search_query(words).await?),
    };
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(
            CaseState::from_code(s)
                .ok_or_else(|| bad("status", "未知的状态", "Unknown status."))?,
        ),
    };
    let channel = match q.channel.as_deref() {
        None => None,
        Some(c) => Some(
            Channel::from_code(c)
                .ok_or_else(|| bad("channel", "未知的渠道", "Unknown channel."))?,
        ),
    };
    // Paging is checked first: a bad cursor is refused even when nothing could match.
    let (page, limit) = paging(q.cursor.as_deref(), q.limit)?;
    let township = match q.township.as_deref() {
        None => None,
        Some(t) if t.len() != 12 || !t.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(bad(
                "township",
                "乡镇代码应为12位数字",
                "A township code has 12 digits.",
            ));
        }
        // Twelve digits that are no region's code: nothing is there.
        Some(t) => match minsheng_core::RegionCode::parse(t) {
            Ok(code) => Some(code),
            Err(_) => {
                return Ok(Json(AppealPage {
                    items: Vec::new(),
                    total: 0,
                    next: None,
                }));
            }
        },
    };
    let queue = match q.queue.as_deref() {
        None => None,
        Some(code) => Some(minsheng_core::queue::Queue::from_code(code).ok_or_else(|| {
            bad(
                "queue",
                "队列应为 incoming、handling、dispatch、merge、visits、supervision 或 leading",
                "A queue is incoming, handling, dispatch, merge, visits, supervision or leading.",
            )
        })?),
    };
    let filter = InboxFilter {
        alert: q.alert,
        cluster: q.cluster,
        unit: q.unit,
        text,
        status,
        due_before: q.due_before,
        supervised: q.supervised.unwrap_or(false),
        flagged: q.flagged.unwrap_or(false),
        category: q.category.filter(|c| !c.is_empty()),
        township,
        channel,
        received_from: q.received_from,
        received_before: q.received_before,
        number: None,
        numbers: Vec::new(),
        tag: q.tag.filter(|t| !t.is_empty()),
        queue: queue.map(|q| (q, me.staff.id)),
    };
    let scope = if q.mine.unwrap_or(false) || queue.is_some_and(|q| q.by_unit()) {
        ListScope::Unit(me.staff.unit_id)
    } else {
        ListScope::Visible(me.scope.clone())
    };
    let found = state
        .store
        .list_appeals(&scope, &filter, page, limit)
        .await?;
    let units = state.store.units().await?;
    let next = next_cursor(page, limit, found.items.len(), found.total);
    Ok(Json(AppealPage {
        items: found
            .items
            .iter()
            .map(|a| summary_out(&state, a, &units, filter.text.as_ref()))
            .collect(),
        total: found.total,
        next,
    }))
}

/// A new appeal sent by a system.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewAppealIn {
    /// What the person says.
    #[schema(min_length = 1, max_length = 5000)]
    text: String,
    #[serde(default)]
    title: Option<String>,
    /// A category code (GET /api/v1/categories). Without one, the appeal goes to the
    /// catch-all category (其他, `qita`), whose unit (the 12345 centre) sorts it.
    #[serde(default)]
    category: Option<String>,
    /// A village's 12-digit code…
    #[serde(default)]
    #[schema(pattern = "^[0-9]{12}$")]
    region: Option<String>,
    /// …or the township's and village's names (the township's only when village
    /// names repeat).
    #[serde(default)]
    township: Option<String>,
    #[serde(default)]
    village: Option<String>,
    #[serde(default)]
    address: Option<String>,
    /// Where it happened, WGS-84 degrees (with `long`).
    #[serde(default)]
    #[schema(minimum = -90, maximum = 90)]
    lat: Option<f64>,
    #[serde(default)]
    #[schema(minimum = -180, maximum = 180)]
    long: Option<f64>,
    /// When it was received, if earlier than now (a letter entered later).
    #[serde(default)]
    received_at: Option<DateTime<Utc>>,
    #[schema(pattern = "^(hotline|web|visit|letter|mailbox|api|media)$")]
    channel: String,
    /// help (default), complaint, suggestion, consultation, report, petition, dispute.
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10000)]
    headcount: Option<u32>,
    /// The sender's own id: sending it again returns the first receipt.
    #[serde(default)]
    #[schema(max_length = 100)]
    external_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    id_number: Option<String>,
    #[serde(default)]
    anonymous: Option<bool>,
    /// Whether the appellant agreed that the reply may be published without personal
    /// data (公开答复).
    #[serde(default)]
    publish_consent: Option<bool>,
}

/// A new appeal with files.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // describes the multipart body read by `AppealBody`
struct AppealUpload {
    /// The appeal, as the JSON body would be.
    appeal: String,
    /// The files, each in its own part named `media` (at most 5, 10 MB each by default).
    #[schema(value_type = Option<Vec<String>>, format = Binary)]
    media: Option<Vec<Vec<u8>>>,
}

#[derive(Debug, Serialize, ToSchema)]
struct Created {
    no: String,
    tracking_code: String,
    /// True when this was sent before (the same external id): nothing new was stored.
    repeat: bool,
}

/// Registers an appeal (call takers, dispatchers, administrators).
#[utoipa::path(post, path = "/api/v1/appeals", tag = "appeals",
    request_body(description = "The appeal as JSON; or, to send files with it, multipart/form-data with the same JSON in a part named appeal and each file (JPEG, PNG, WebP or PDF) in a part named media",
        content((NewAppealIn = "application/json"), (AppealUpload = "multipart/form-data"))),
    responses((status = 201, description = "Stored", body = Created), (status = 200, description = "Sent before: the first receipt", body = Created),
        (status = 400, description = "Malformed JSON", body = ErrorBody), (status = 401, description = "No valid token", body = ErrorBody), (status = 403, description = "Not a call taker", body = ErrorBody),
                (status = 409, description = "The external_id was sent before with other content: nothing stored", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, description = "Fields at fault", body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_appeal(
    State(state): State<AppState>,
    ApiCaller(me): ApiCaller,
    AppealBody { input, files }: AppealBody,
) -> Result<Response, ApiError> {
    if !me.staff.has(Role::CallTaker)
        && !me.staff.has(Role::Dispatcher)
        && !me.staff.has(Role::Admin)
    {
        return Err(ApiError::forbidden());
    }
    let code = input.region.clone().unwrap_or_default();
    let township = input.township.clone().unwrap_or_default();
    let village = input.village.clone().unwrap_or_default();
    let place = if code.trim().is_empty() && village.trim().is_empty() {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "region",
            "请给出地点：region（12位代码），或 township 与 village（名称）",
            "Give the place: region (a 12-digit code), or township and village (names).",
        ));
    } else {
        state
            .place_named(&code, &township, &village)
            .await?
            .ok_or_else(|| {
                ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    if code.trim().is_empty() {
                        "village"
                    } else {
                        "region"
                    },
                    "本县没有这个地点（或它已停用）",
                    "No such place in this county (or it was retired).",
                )
            })?
    };
    let anonymous = input.anonymous.unwrap_or(false)
        || (input.name.as_deref().unwrap_or("").trim().is_empty()
            && input.phone.as_deref().unwrap_or("").trim().is_empty());
    // The form's one-time key: derived from the sender's id when there is one (a
    // repeat is then the same form), else fresh.
    let submission_key = match input.external_id.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => minsheng_app::cases::api_form_key(me.staff.id, id),
        _ => format!("api-{:032x}", rand::random::<u128>()),
    };
    let form = AppealForm {
        channel: input.channel.clone(),
        kind: input
            .kind
            .clone()
            .unwrap_or_else(|| AppealKind::Help.code().to_owned()),
        category: input
            .category
            .clone()
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| minsheng_core::category::CATCH_ALL.to_owned()),
        township: place.parent().map(|t| t.to_string()).unwrap_or_default(),
        village: place.to_string(),
        address: input.address.clone().unwrap_or_default(),
        title: input.title.clone().unwrap_or_default(),
        text: input.text.clone(),
        name: input.name.clone().unwrap_or_default(),
        phone: input.phone.clone().unwrap_or_default(),
        id_number: input.id_number.clone().unwrap_or_default(),
        home_address: String::new(),
        anonymous: if anonymous {
            "on".into()
        } else {
            String::new()
        },
        headcount: input.headcount.map(|h| h.to_string()).unwrap_or_default(),
        submission_key,
        answers: Vec::new(),
        publish: if input.publish_consent.unwrap_or(false) {
            "on".into()
        } else {
            String::new()
        },
    };
    let intake = Intake {
        received_at: input.received_at,
        external_id: input.external_id.clone(),
        lat: input.lat,
        long: input.long,
        files,
        ..Intake::default()
    };
    let done = match state
        .register_with(&form, Origin::Staff, Some(me.staff.id), intake)
        .await
    {
        Err(minsheng_app::Error::Invalid(errors))
            if errors.0.iter().any(|(f, _)| *f == "submission_key") =>
        {
            return Err(ApiError::field(
                StatusCode::CONFLICT,
                "external_id",
                "这个 external_id 已用于内容不同的另一件诉求，未保存",
                "This external_id was sent before with other content; nothing was stored.",
            ));
        }
        other => other?,
    };
    let status = if done.repeat {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let no = done.receipt.no.to_string();
    let mut response = (
        status,
        Json(Created {
            no: no.clone(),
            tracking_code: done.receipt.tracking_code.to_string(),
            repeat: done.repeat,
        }),
    )
        .into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/appeals/{no}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// One appeal, personal data masked.
#[utoipa::path(get, path = "/api/v1/appeals/{no}", tag = "appeals", params(("no" = String, Path, description = "The appeal's number, e.g. MS2026-000123", example = "MS2026-000001")),
    responses((status = 200, body = AppealDetailOut), (status = 401, description = "No valid token", body = ErrorBody), (status = 404, description = "No such appeal in the token's area", body = ErrorBody)),
    security(("bearer" = [])))]
async fn get_appeal(
    State(state): State<AppState>,
    ApiCaller(me): ApiCaller,
    axum::extract::Path(no): axum::extract::Path<String>,
) -> Result<Json<AppealDetailOut>, ApiError> {
    let no = appeal_no(&no)?;
    let detail = state.store.appeal(&no, &me.scope).await?;
    let units = state.store.units().await?;
    let s = &detail.summary;
    let suggestions = state.suggest_for(&detail).await?;
    let cluster = state.cluster_of(&me, s.id).await?;
    Ok(Json(detail_out(
        &state,
        me.staff.id,
        &detail,
        &units,
        &suggestions,
        cluster,
    )))
}

/// One of an appeal's files, as stored (staff whose area covers the appeal).
#[utoipa::path(get, path = "/api/v1/appeals/{no}/attachments/{id}", tag = "appeals",
    params(("no" = String, Path, description = "The appeal's number", example = "MS2026-000001"), ("id" = i64, Path, description = "The file's id (from the appeal's attachments)")),
    responses((status = 200, description = "The file; a PDF comes as a download (Content-Disposition: attachment)",
            content(("image/jpeg"), ("image/png"), ("image/webp"), ("application/pdf"))),
        (status = 400, description = "Malformed path", body = ErrorBody), (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "No such appeal in the token's area, or no such file on it", body = ErrorBody)),
    security(("bearer" = [])))]
async fn attachment(
    State(state): State<AppState>,
    ApiCaller(me): ApiCaller,
    axum::extract::Path((no, id)): axum::extract::Path<(String, String)>,
) -> Result<Response, ApiError> {
    let no = appeal_no(&no)?;
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    let out = state.attachment_for_staff(&no, id, &me.scope).await?;
    tracing::info!(appeal = %no, file = id, staff = me.staff.id, "attached file read through the API");
    Ok(crate::files::respond(out))
}

/// One timeline entry.
#[derive(Debug, Serialize, ToSchema)]
struct EventOut {
    at: DateTime<Utc>,
    /// The step's code (registered, dispatch, accept, reply, …).
    step: &'static str,
    label: Message,
    actor: Option<String>,
    unit: Option<String>,
    note: Option<String>,
    /// Whether the appellant and the public see this entry.
    public: bool,
}

/// An appeal's timeline, oldest first.
#[utoipa::path(get, path = "/api/v1/appeals/{no}/timeline", tag = "appeals", params(("no" = String, Path, description = "The appeal's number", example = "MS2026-000001")),
    responses((status = 200, body = Vec<EventOut>), (status = 401, description = "No valid token", body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn timeline(
    State(state): State<AppState>,
    ApiCaller(me): ApiCaller,
    axum::extract::Path(no): axum::extract::Path<String>,
) -> Result<Json<Vec<EventOut>>, ApiError> {
    let no = appeal_no(&no)?;
    let detail = state.store.appeal(&no, &me.scope).await?;
    Ok(Json(
        detail
            .events
            .iter()
            .map(|e| EventOut {
                at: e.at,
                step: match &e.step {
                    Step::Registered => "registered",
                    Step::Act(c) => c.code(),
                },
                label: Message::new(e.step.label(Lang::Zh), e.step.label(Lang::En)),
                actor: e.actor.clone(),
                unit: e.unit.clone(),
                note: e.note.clone(),
                public: e.public,
            })
            .collect(),
    ))
}

/// A workflow action: the console's actions with typed fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ActionIn {
    #[schema(
        pattern = "^(accept|decline|transfer|advise_legal|dispatch|sign_for|return|rule|reply|extend|return_visit|request_review|issue_review|pause|resume|supervise|assign_leader|merge|reopen|close|contest|rule_contest|contact)$"
    )]
    action: String,
    /// The `version` read with the appeal.
    version: i64,
    /// The reply, reason or note the action needs.
    #[serde(default)]
    text: Option<String>,
    /// extend, supervise: days.
    #[serde(default)]
    days: Option<u64>,
    /// return_visit: satisfied, basic (基本满意) or unsatisfied.
    #[serde(default)]
    #[schema(pattern = "^(satisfied|basic|unsatisfied)$")]
    rating: Option<String>,
    /// return_visit: whether the problem was solved: solved, partly or unsolved.
    #[serde(default)]
    #[schema(pattern = "^(solved|partly|unsolved)$")]
    solved: Option<String>,
    /// dispatch: the lead unit's id.
    #[serde(default)]
    lead: Option<i64>,
    /// dispatch: normal, urgent or complex.
    #[serde(default)]
    urgency: Option<String>,
    /// return: wrong_place, unclear_ownership, overlapping_duties, other;
    /// rule_contest: upheld or rejected; contact: reached, no_answer or wrong_number.
    #[serde(default)]
    reason: Option<String>,
    /// advise_legal: lawsuit, arbitration, reconsideration.
    #[serde(default)]
    channel: Option<String>,
    /// merge: the number of the case to merge into.
    #[serde(default)]
    into: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct ActedOut {
    no: String,
    action: &'static str,
    /// The version to send with the next action.
    version: i64,
    status: &'static str,
}

/// Why the personal data is needed in full.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RevealIn {
    /// Said in the audit record (2 to 200 characters), e.g. 回访核实.
    #[schema(min_length = 2, max_length = 200)]
    reason: String,
}

/// An appellant's personal data in full.
#[derive(Debug, Serialize, ToSchema)]
struct RevealedOut {
    name: Option<String>,
    phone: Option<String>,
    id_number: Option<String>,
    address: Option<String>,
    /// Those speaking for a group, as given.
    representatives: Vec<String>,
    headcount: u32,
}

/// The appellant's personal data in full, for a token whose area covers the appeal and
/// whose holder must contact the appellant, with a reason; every reveal is an audit
/// record (who, which appeal, why) and shows on the case's internal timeline.
#[utoipa::path(post, path = "/api/v1/appeals/{no}/reveal", tag = "appeals", params(("no" = String, Path, description = "The appeal's number", example = "MS2026-000001")),
    request_body = RevealIn,
    responses((status = 200, body = RevealedOut), (status = 400, body = ErrorBody), (status = 401, description = "No valid token", body = ErrorBody), (status = 403, description = "Only those who must contact the appellant (the handling units, the call centre, the leader in charge) see them in full", body = ErrorBody),
        (status = 404, description = "No such appeal in the token's area", body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "No reason, or one too long", body = ErrorBody)),
    security(("bearer" = [])))]
async fn reveal(
    State(state): State<AppState>,
    ApiCaller(me): ApiCaller,
    axum::extract::Path(no): axum::extract::Path<String>,
    ApiJson(input): ApiJson<RevealIn>,
) -> Result<Json<RevealedOut>, ApiError> {
    let no = appeal_no(&no)?;
    let who = state.reveal_appellant(&no, &me, &input.reason).await?;
    Ok(Json(RevealedOut {
        name: who.name,
        phone: who.phone.map(|p| p.as_str().to_owned()),
        id_number: who.id_number.map(|i| i.as_str().to_owned()),
        address: who.address,
        representatives: who.representatives,
        headcount: who.headcount,
    }))
}

/// Takes a workflow step, as in the console, against the version read.
#[utoipa::path(post, path = "/api/v1/appeals/{no}/actions", tag = "appeals", params(("no" = String, Path, description = "The appeal's number", example = "MS2026-000001")),
    request_body = ActionIn,
    responses((status = 200, body = ActedOut), (status = 400, body = ErrorBody), (status = 401, description = "No valid token", body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The case changed since it was read", body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "Refused by the workflow, or a field at fault", body = ErrorBody)),
    security(("bearer" = [])))]
async fn act(
    State(state): State<AppState>,
    ApiCaller(me): ApiCaller,
    axum::extract::Path(no): axum::extract::Path<String>,
    ApiJson(input): ApiJson<ActionIn>,
) -> Result<Json<ActedOut>, ApiError> {
    let no = appeal_no(&no)?;
    let into = match (input.action.as_str(), input.into.as_deref()) {
        ("merge", Some(n)) => match AppealNo::parse(n) {
            Ok(n) => match state.merge_target(&no, &n, &me.scope).await {
                Ok(id) => Some(id),
                Err(minsheng_app::Error::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
            Err(_) => None,
        },
        _ => None,
    };
    let form = ActionForm::typed(
        &input.action,
        input.version,
        input.text.as_deref().unwrap_or(""),
        input.days,
        input.rating.as_deref().unwrap_or(""),
        input.solved.as_deref().unwrap_or(""),
        input.lead,
        input.urgency.as_deref().unwrap_or(""),
        input.reason.as_deref().unwrap_or(""),
        input.channel.as_deref().unwrap_or(""),
    );
    let command = form.command(&me, into).map_err(|p| match p {
        crate::console::FormProblem::UnknownAction => ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "action",
            "未知的操作",
            "Unknown action.",
        ),
        crate::console::FormProblem::Field(zh, en) => {
            ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "action", zh, en)
        }
    })?;
    let decision = state.act(&me.actor(), &no, input.version, command).await?;
    let after = state.store.appeal(&no, &me.scope).await?;
    Ok(Json(ActedOut {
        no: no.to_string(),
        action: decision.event.command.code(),
        version: after.version,
        status: after.summary.status.code(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
struct UnitOut {
    id: i64,
    key: String,
    name: String,
    kind: &'static str,
    parent_id: Option<i64>,
    jurisdiction: Vec<String>,
}

/// The page and page size a list's `cursor` and `limit` ask for (1 to 200, 50 by
/// default), or a 400 naming the field.
fn paging(cursor: Option<&str>, limit: Option<i64>) -> Result<(i64, i64), ApiError> {
    let bad =
        |field: &str, zh: &str, en: &str| ApiError::field(StatusCode::BAD_REQUEST, field, zh, en);
    let page = match cursor {
        None => 1,
        Some(c) => c
            .strip_prefix("p")
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or_else(|| bad("cursor", "分页游标无效", "Invalid cursor."))?,
    };
    let limit = limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(bad("limit", "每页条数应为1至200", "limit is 1 to 200."));
    }
    Ok((page, limit))
}

/// The `next` cursor after a page of `shown` items, if more follow.
fn next_cursor(page: i64, limit: i64, shown: usize, total: i64) -> Option<String> {
    let shown = i64::try_from(shown).unwrap_or(0);
    ((page - 1) * limit + shown < total).then(|| format!("p{}", page + 1))
}

/// Filters and paging of `GET /api/v1/alerts`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default, deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AlertQuery {
    /// `active` (default: open, in hand or before a joint meeting) or `all`.
    #[param(pattern = "^(active|all)$")]
    state: Option<String>,
    #[param(pattern = "^(life_safety|public_order|collective|repeat|cluster|surge)$")]
    rule: Option<String>,
    #[param(pattern = "^(blue|yellow|orange|red)$")]
    level: Option<String>,
    /// Opaque: the `next` of the previous page.
    #[param(pattern = "^p[1-9][0-9]{0,5}$")]
    cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
struct AlertOut {
    id: i64,
    /// life_safety, public_order, collective, repeat, cluster or surge.
    rule: &'static str,
    /// blue, yellow, orange or red.
    level: &'static str,
    /// open, acknowledged, escalated or resolved.
    state: &'static str,
    reason: Message,
    /// Where (the first appeal's region code).
    region: String,
    raised_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// The appeals it names: their numbers, which are also their Open311
    /// `service_request_id`s.
    members: Vec<AlertMember>,
    unit_id: Option<i64>,
    leader_id: Option<i64>,
    outcome: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct AlertMember {
    no: String,
    service_request_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct AlertPage {
    items: Vec<AlertOut>,
    total: i64,
    /// Pass as `cursor` for the next page; absent on the last page.
    next: Option<String>,
}

/// Early-warning alerts naming an appeal in the token's area, most urgent and newest
/// first.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertQuery),
    responses((status = 200, body = AlertPage), (status = 400, description = "A bad filter", body = ErrorBody), (status = 401, description = "No valid token", body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_alerts(
    State(state): State<AppState>,
    ApiCaller(me): ApiCaller,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> Result<Json<AlertPage>, ApiError> {
    use minsheng_core::alerts::{AlertLevel, AlertRule};
    let bad =
        |field: &str, zh: &str, en: &str| ApiError::field(StatusCode::BAD_REQUEST, field, zh, en);
    let active_only = match q.state.as_deref() {
        None | Some("active") => true,
        Some("all") => false,
        Some(_) => {
            return Err(bad(
                "state",
                "状态应为 active 或 all",
                "state is active or all.",
            ));
        }
    };
    let rule = match q.rule.as_deref() {
        None => None,
        Some(r) => Some(
            AlertRule::from_code(r)
                .ok_or_else(|| bad("rule", "未知的预警类型", "Unknown rule."))?,
        ),
    };
    let level = match q.level.as_deref() {
        None => None,
        Some(l) => Some(
            AlertLevel::from_code(l)
                .ok_or_else(|| bad("level", "未知的预警级别", "Unknown level."))?,
        ),
    };
    let (page, limit) = paging(q.cursor.as_deref(), q.limit)?;
    let filter = minsheng_store::AlertFilter {
        active_only,
        rule,
        level,
        ..Default::default()
    };
    let found = state.alerts(&me, &filter, page, limit).await?;
    let ids: Vec<i64> = found.items.iter().map(|a| a.id).collect();
    let members = state.store.alert_members(&ids, &me.scope).await?;
    let next = next_cursor(page, limit, found.items.len(), found.total);
    Ok(Json(AlertPage {
        items: found
            .items
            .iter()
            .map(|a| AlertOut {
                id: a.id,
                rule: a.rule.code(),
                level: a.level.code(),
                state: a.state.code(),
                reason: Message::new(a.signal.explain(Lang::Zh), a.signal.explain(Lang::En)),
                region: a.region.to_string(),
                raised_at: a.raised_at,
                updated_at: a.updated_at,
                members: members
                    .iter()
                    .filter(|(alert, _, _)| *alert == a.id)
                    .map(|(_, _, no)| AlertMember {
                        no: no.to_string(),
                        service_request_id: no.to_string(),
                    })
                    .collect(),
                unit_id: a.unit_id,
                leader_id: a.leader_id,
                outcome: a.outcome.clone(),
            })
            .collect(),
        total: found.total,
        next,
    }))
}

/// The county's units.
#[utoipa::path(get, path = "/api/v1/units", tag = "directory", responses((status = 200, body = Vec<UnitOut>), (status = 401, description = "No valid token", body = ErrorBody)), security(("bearer" = [])))]
async fn units(
    State(state): State<AppState>,
    ApiCaller(_): ApiCaller,
) -> Result<Json<Vec<UnitOut>>, ApiError> {
    Ok(Json(
        state
            .store
            .units()
            .await?
            .into_iter()
            .map(|u| UnitOut {
                id: u.id,
                key: u.key,
                name: u.name,
                kind: u.kind.code(),
                parent_id: u.parent_id,
                jurisdiction: u.jurisdiction.iter().map(ToString::to_string).collect(),
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
struct RegionOut {
    code: String,
    name: String,
    level: &'static str,
    parent: Option<String>,
    lat: Option<f64>,
    long: Option<f64>,
    retired: bool,
}

/// The county's regions, retired ones marked.
#[utoipa::path(get, path = "/api/v1/regions", tag = "directory", responses((status = 200, body = Vec<RegionOut>), (status = 401, description = "No valid token", body = ErrorBody)), security(("bearer" = [])))]
async fn regions(
    State(state): State<AppState>,
    ApiCaller(_): ApiCaller,
) -> Result<Json<Vec<RegionOut>>, ApiError> {
    Ok(Json(
        state
            .store
            .regions()
            .await?
            .into_iter()
            .map(|r| RegionOut {
                code: r.region.code.to_string(),
                level: match r.region.level() {
                    RegionLevel::County => "county",
                    RegionLevel::Township => "township",
                    RegionLevel::Village => "village",
                    RegionLevel::Grid => "grid",
                },
                parent: r.region.code.parent().map(|p| p.to_string()),
                name: r.region.name,
                lat: r.centroid.map(|c| c.0),
                long: r.centroid.map(|c| c.1),
                retired: r.retired,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
struct CategoryOut {
    code: String,
    name: String,
    name_en: String,
    parent: Option<String>,
    default_unit: String,
    keywords: Vec<String>,
    public: bool,
    /// Whether Open311 publishes its requests (when public).
    published: bool,
}

/// The appeal categories.
#[utoipa::path(get, path = "/api/v1/categories", tag = "directory", responses((status = 200, body = Vec<CategoryOut>), (status = 401, description = "No valid token", body = ErrorBody)), security(("bearer" = [])))]
async fn categories(
    State(state): State<AppState>,
    ApiCaller(_): ApiCaller,
) -> Result<Json<Vec<CategoryOut>>, ApiError> {
    Ok(Json(
        state
            .store
            .categories()
            .await?
            .into_iter()
            .map(|c| CategoryOut {
                code: c.code,
                name: c.name,
                name_en: c.name_en,
                parent: c.parent,
                default_unit: c.unit,
                keywords: c.keywords,
                public: c.public,
                published: c.published,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
struct StaffOut {
    id: i64,
    username: String,
    display_name: String,
    unit_id: i64,
    roles: Vec<&'static str>,
    active: bool,
}

/// Staff accounts the token's administrator manages.
#[utoipa::path(get, path = "/api/v1/staff", tag = "directory", responses((status = 200, body = Vec<StaffOut>), (status = 401, description = "No valid token", body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
async fn staff(
    State(state): State<AppState>,
    ApiCaller(me): ApiCaller,
) -> Result<Json<Vec<StaffOut>>, ApiError> {
    if !me.staff.has(Role::Admin) {
        return Err(ApiError::forbidden());
    }
    let actor = me.actor();
    Ok(Json(
        state
            .staff_accounts(Some(&actor), &Default::default())
            .await?
            .into_iter()
            .map(|m| StaffOut {
                id: m.staff.id,
                roles: m.staff.roles.iter().map(|r| r.code()).collect(),
                username: m.staff.username,
                display_name: m.staff.display_name,
                unit_id: m.staff.unit_id,
                active: m.active,
            })
            .collect(),
    ))
}

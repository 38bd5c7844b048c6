//! HTTP for Minsheng: the public portal, the staff console, login and sessions.
//!
//! Handlers stay thin: extract, authorise, call a use case in `minsheng-app`, render.
//! This crate must not contain SQL (that is `minsheng-store`), business rules (that is
//! `minsheng-core`) or writes of its own (every change goes through `minsheng-app`);
//! it reads the store directly only to render pages.

mod admin;
mod admin_org;
mod alerts;
pub mod api;
mod auth;
mod console;
mod dashboard;
mod error;
mod extract;
mod files;
mod i18n;
mod meetings;
pub mod metrics;
mod notices;
mod open311;
mod outreach;
mod portal;
pub mod rate;
pub mod report;
mod security;
mod view;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use minsheng_app::App;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// What every handler can reach: the application (its use cases, store, policy and
/// calendar, reached through `Deref`) and the web's own settings.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub app: App,
    /// Whether session cookies carry `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed.
    pub trusted_proxies: std::sync::Arc<Vec<std::net::IpAddr>>,
    /// How fast API tokens and Open311 clients may call.
    pub rate_limits: std::sync::Arc<rate::RateLimits>,
    /// Requests seen, for `/metrics`.
    pub http_metrics: std::sync::Arc<metrics::HttpMetrics>,
    /// The address the public reaches this server at (`https://12345.example.gov.cn`),
    /// for links handed out (Open311 discovery and media); else the request's `Host`.
    pub public_url: Option<std::sync::Arc<str>>,
}

/// API requests a minute per token, by default (a tenth of it at once).
pub const DEFAULT_API_RATE: u32 = 3000;
/// Open311 requests a minute per client address, by default.
pub const DEFAULT_OPEN311_RATE: u32 = 600;
/// Portal submissions a minute per client address, by default (ten at once: a village
/// office sending several for its residents, or one public network, is not held up).
pub const DEFAULT_PORTAL_RATE: u32 = 2;

impl AppState {
    /// The web over an application, with insecure cookies (plain HTTP).
    pub fn new(app: App) -> AppState {
        AppState {
            app,
            secure_cookies: false,
            trusted_proxies: std::sync::Arc::new(Vec::new()),
            rate_limits: std::sync::Arc::new(rate::RateLimits::per_minute(
                DEFAULT_API_RATE,
                DEFAULT_OPEN311_RATE,
                DEFAULT_PORTAL_RATE,
            )),
            http_metrics: std::sync::Arc::default(),
            public_url: None,
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let upload_limit = upload_limit(&state.file_limits());
    Router::new()
        .route("/", get(portal::home))
        .route(
            "/submit",
            get(portal::submit_form)
                .post(portal::submit_appeal)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/receipt/{code}", get(portal::receipt))
        .route("/track", get(portal::track_lookup))
        .route("/track/{code}", get(portal::track))
        .route(
            "/track/{code}/verdict",
            get(portal::verdict_form).post(portal::give_verdict),
        )
        .route("/lang/{tag}", get(i18n::switch_language))
        .route("/healthz", get(healthz))
        .route("/static/app.css", get(stylesheet))
        .route("/static/app.js", get(script))
        .route("/static/dashboard.js", get(dashboard_script))
        .route("/static/report.css", get(report_stylesheet))
        .route("/static/vendor/echarts.min.js", get(echarts))
        .route("/static/vendor/echarts-LICENSE", get(echarts_licence))
        .nest(
            "/api/v1",
            api::routes(upload_limit).route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                api::limit,
            )),
        )
        .nest(
            "/open311/v2",
            open311::routes(upload_limit).route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                open311::limit,
            )),
        )
        .route("/api/openapi.json", get(api::openapi_json))
        .route("/api/docs", get(api::docs_page))
        .route("/static/api-docs.js", get(api::docs_script))
        .route("/figures", get(portal::figures))
        .route("/receptions", get(portal::receptions))
        .route("/replies", get(portal::replies))
        .route("/consultations", get(portal::consultations))
        .route(
            "/consultations/{id}",
            get(portal::consultation).post(portal::give_opinion),
        )
        .route(
            "/staff/receptions",
            get(outreach::receptions).post(outreach::schedule_reception),
        )
        .route(
            "/staff/contacts",
            get(outreach::contacts).post(outreach::add_contact),
        )
        .route("/staff/contacts/{id}/end", post(outreach::end_contact))
        .route(
            "/staff/visits",
            get(outreach::visits).post(outreach::add_visit),
        )
        .route(
            "/staff/visits/{id}",
            get(outreach::visit).post(outreach::update_visit),
        )
        .route(
            "/staff/disputes",
            get(outreach::disputes).post(outreach::report_dispute),
        )
        .route("/staff/screenings", post(outreach::start_screening))
        .route("/staff/disputes/{id}", get(outreach::dispute))
        .route("/staff/disputes/{id}/follow-up", post(outreach::follow_up))
        .route(
            "/staff/disputes/{id}/reveal",
            post(outreach::reveal_parties),
        )
        .route(
            "/staff/mediations",
            get(outreach::mediations).post(outreach::record_mediation),
        )
        .route(
            "/staff/consultations",
            get(outreach::consultations).post(outreach::open_consultation),
        )
        .route("/staff/consultations/{id}", get(outreach::consultation))
        .route("/staff/consultations/{id}/respond", post(outreach::respond))
        .route(
            "/staff/admin/weights",
            get(outreach::weights).post(outreach::set_weights),
        )
        .route("/staff/notices", get(notices::list))
        .route("/staff/callers.json", post(console::caller_history_json))
        .route("/staff/appeals/{no}/follow-up", post(console::urge))
        .route("/staff/queues", get(console::queue_counts))
        .route(
            "/staff/answers",
            get(notices::answers).post(notices::save_answer),
        )
        .route("/staff/answers/{id}/remove", post(notices::remove_answer))
        .route("/staff/bulk", post(console::bulk))
        .route("/staff/notices/count", get(notices::count))
        .route("/staff/notices/read", post(notices::read_all))
        .route("/staff/notices/{id}/open", post(notices::open))
        .route("/staff/notices/prefs", post(notices::save_prefs))
        .route("/staff/admin/messages", get(notices::messages))
        .route(
            "/staff/admin/messages/template",
            post(notices::save_template),
        )
        .route("/staff/admin/messages/{id}/retry", post(notices::retry))
        .route("/staff/login", get(auth::login_form).post(auth::login))
        .route("/staff/logout", post(auth::logout))
        .route("/staff", get(console::inbox))
        .route("/staff/dashboard", get(dashboard::dashboard))
        .route("/staff/reports", get(report::page))
        .route("/staff/reports.xlsx", get(report::xlsx))
        .route("/staff/export.xlsx", get(console::export))
        .route("/staff/alerts", get(alerts::board))
        .route("/staff/alerts/{id}", get(alerts::show).post(alerts::act))
        .route(
            "/staff/meetings",
            get(meetings::list).post(meetings::create),
        )
        .route(
            "/staff/meetings/{id}",
            get(meetings::show).post(meetings::act),
        )
        .route("/staff/meetings/{id}/minutes", get(meetings::minutes))
        .route(
            "/staff/meetings/{id}/minutes.docx",
            get(meetings::minutes_docx),
        )
        .route("/staff/appeals/{no}", get(console::show_appeal))
        .route("/staff/appeals/{no}/act", post(console::act_on_appeal))
        .route("/staff/appeals/{no}/sheet", get(console::appeal_sheet))
        .route("/staff/appeals/{no}/files/{id}", get(files::staff_file))
        .route("/staff/appeals/{no}/reveal", post(console::reveal))
        .route("/staff/appeals/{no}/recusal", post(console::lift_recusal))
        .route(
            "/staff/intake",
            get(console::intake_form)
                .post(console::register_appeal)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/staff/callers", post(console::caller_history))
        .route("/staff/admin", get(admin::admin_home))
        .route(
            "/staff/admin/regions",
            post(admin::import_regions).layer(DefaultBodyLimit::max(20 * 1024 * 1024)),
        )
        .route(
            "/staff/admin/routing",
            get(admin::show_routing).post(admin::add_rule),
        )
        .route("/staff/admin/routing/{id}/remove", post(admin::remove_rule))
        .route("/staff/admin/regions/save", post(admin_org::save_region))
        .route(
            "/staff/admin/regions/retire",
            post(admin_org::retire_region),
        )
        .route(
            "/staff/admin/units",
            get(admin_org::list_units).post(admin_org::create_unit),
        )
        .route(
            "/staff/admin/units/import",
            post(admin_org::import_units).layer(DefaultBodyLimit::max(20 * 1024 * 1024)),
        )
        .route(
            "/staff/admin/units/{key}",
            get(admin_org::edit_unit).post(admin_org::update_unit),
        )
        .route(
            "/staff/admin/categories",
            get(admin_org::list_categories).post(admin_org::create_category),
        )
        .route(
            "/staff/admin/categories/{code}",
            get(admin_org::edit_category).post(admin_org::update_category),
        )
        .route(
            "/staff/admin/calendar",
            get(admin_org::show_calendar)
                .post(admin_org::upload_calendar)
                .layer(DefaultBodyLimit::max(1024 * 1024)),
        )
        .route(
            "/staff/admin/staff",
            get(admin::list_staff).post(admin::create_staff),
        )
        .route(
            "/staff/admin/staff/{id}",
            get(admin::edit_staff).post(admin::update_staff),
        )
        .route(
            "/staff/admin/staff/{id}/active",
            post(admin::set_staff_active),
        )
        .route(
            "/staff/admin/staff/{id}/reset",
            post(admin::reset_staff_password),
        )
        .route(
            "/staff/admin/staff/{id}/sessions/end",
            post(admin::end_staff_sessions),
        )
        .route(
            "/staff/admin/tokens",
            get(admin::list_tokens).post(admin::create_token),
        )
        .route("/staff/admin/tokens/{id}/revoke", post(admin::revoke_token))
        .route("/staff/admin/keys", post(admin::create_key))
        .route("/staff/admin/keys/{id}/revoke", post(admin::revoke_key))
        .route("/staff/sessions/end-others", post(auth::end_other_sessions))
        .route(
            "/staff/password",
            get(auth::password_form).post(auth::change_password),
        )
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn(
            security::refuse_cross_site_writes,
        ))
        .layer(axum::middleware::from_fn(security::security_headers))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::observe,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The largest body of a form that may carry files: every file at its largest, and
/// a megabyte for the fields and the encoding.
fn upload_limit(limits: &minsheng_core::attachment::Limits) -> usize {
    let files = limits.max_bytes.saturating_mul(limits.max_files as u64);
    usize::try_from(files.saturating_add(1024 * 1024)).unwrap_or(usize::MAX)
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.js"),
    )
}

async fn report_stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/report.css"),
    )
}

async fn dashboard_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/dashboard.js"),
    )
}

/// Apache ECharts, as npm gives it (scripts/vendor-assets); its licence is served
/// beside it. It changes only with Minsheng's version, so browsers keep it a day.
async fn echarts() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../static/vendor/echarts.min.js"),
    )
}

async fn echarts_licence() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        concat!(
            include_str!("../static/vendor/echarts-NOTICE"),
            "\n",
            include_str!("../static/vendor/echarts-LICENSE")
        ),
    )
}

/// How long a client has to send a request's headers; a connection that trickles
/// them (slowloris) is closed after it.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// What one connection may take: time to send its headers, pauses in its body, and
/// how many connections its address may hold open at once (a reverse proxy named
/// trusted is not counted).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Headers must arrive within this (a trickle is slowloris).
    pub headers: std::time::Duration,
    /// A body that pauses this long is cut off.
    pub body_idle: std::time::Duration,
    /// Open connections per client address.
    pub per_address: usize,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            headers: HEADER_READ_TIMEOUT,
            body_idle: std::time::Duration::from_secs(30),
            per_address: 64,
        }
    }
}

/// A connection counted against its address, given back when it ends.
struct ConnectionSlot {
    open: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
    address: std::net::IpAddr,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// Serves the portal and the console on `listener` until `shutdown` completes (see
/// [`shutdown_signal`]), then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, shutdown, ConnectionLimits::default()).await
}

/// [`serve`] with other connection limits. Each connection is served by hyper with a
/// timer, so headers must arrive in time (axum's own `serve` sets none, and a client
/// sending a byte a minute would hold its connection for ever); each request carries
/// the peer's address (`ConnectInfo`).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    limits: ConnectionLimits,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use tower::ServiceExt as _;
    let trusted = state.trusted_proxies.clone();
    // A body that stops arriving (a byte now and then keeps the connection) is cut.
    let app = router(state).layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        limits.body_idle,
    ));
    let open = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashMap::<
        std::net::IpAddr,
        usize,
    >::new()));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment, go on.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // One address may hold only so many connections (a trusted proxy any number).
        let address = peer.ip().to_canonical();
        let counted = !trusted.contains(&address);
        if counted {
            let mut open = open
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let n = open.entry(address).or_default();
            if *n >= limits.per_address {
                tracing::warn!(client = %address, "too many connections from one address: refused");
                continue;
            }
            *n += 1;
        }
        let release = counted.then(|| ConnectionSlot {
            open: open.clone(),
            address,
        });
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let mut request = request.map(axum::body::Body::new);
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                app.clone().oneshot(request)
            });
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.headers);
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended");
            }
            drop(release);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Ctrl-C or SIGTERM (systemd, Docker, Kubernetes stopping the service): the server
/// stops taking connections and finishes the requests in flight; every write is a
/// transaction, so nothing is left half done. The handlers are installed when this is
/// called (before the server says it is running), not when the future is first polled.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        let terminate = async {
            match terminate.as_mut() {
                Some(term) => {
                    term.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            () = terminate => {}
        }
        tracing::info!("shutting down: finishing the requests in flight");
    }
}

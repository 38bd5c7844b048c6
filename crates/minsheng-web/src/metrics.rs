//! `/metrics` in Prometheus' text format, on an address of its own (`serve
//! --metrics-bind`, for the monitoring network only): requests and their latency by
//! route, method and status class, appeals registered, the sweep, the outbox backlog.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// Latency buckets, seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Debug, Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Requests seen, by (method, route, status class).
#[derive(Debug, Default)]
pub struct HttpMetrics {
    series: Mutex<BTreeMap<(String, String, &'static str), Series>>,
}

impl HttpMetrics {
    fn observe(&self, method: &str, route: &str, status: StatusCode, seconds: f64) {
        let class = match status.as_u16() {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let mut series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let s = series
            .entry((method.to_owned(), route.to_owned(), class))
            .or_default();
        s.count += 1;
        s.sum += seconds;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                s.buckets[i] += 1;
            }
        }
    }
}

/// Times every request and counts it under its route (the pattern, never the path:
/// numbers and tracking codes stay out of the labels).
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Any token may be sent as a method: only the standard ones become labels.
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS") => m.to_owned(),
        _ => "other".to_owned(),
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(request).await;
    state.http_metrics.observe(
        &method,
        &route,
        response.status(),
        started.elapsed().as_secs_f64(),
    );
    response
}

fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>) -> Response {
    let mut out = http_text(&state.http_metrics);
    let app = state.metrics.read();
    let _ = writeln!(
        out,
        "# HELP minsheng_appeals_registered_total Appeals stored through the intake pipeline by this process.\n\
         # TYPE minsheng_appeals_registered_total counter\n\
         minsheng_appeals_registered_total {}\n\
         # HELP minsheng_appeals_repeated_total Registrations answered with an earlier receipt.\n\
         # TYPE minsheng_appeals_repeated_total counter\n\
         minsheng_appeals_repeated_total {}\n\
         # HELP minsheng_sweeps_total Sweeps finished by this process.\n\
         # TYPE minsheng_sweeps_total counter\n\
         minsheng_sweeps_total {}\n\
         # HELP minsheng_sweep_failures_total Sweeps that failed.\n\
         # TYPE minsheng_sweep_failures_total counter\n\
         minsheng_sweep_failures_total {}\n\
         # HELP minsheng_sweep_duration_seconds The last sweep's duration.\n\
         # TYPE minsheng_sweep_duration_seconds gauge\n\
         minsheng_sweep_duration_seconds {}\n\
         # HELP minsheng_sweep_cases Open cases the last sweep looked at.\n\
         # TYPE minsheng_sweep_cases gauge\n\
         minsheng_sweep_cases {}",
        app.registered,
        app.repeats,
        app.sweeps,
        app.sweep_failures,
        app.last_sweep_seconds,
        app.last_sweep_cases
    );
    match state.store.counts().await {
        Ok(c) => {
            let _ = writeln!(
                out,
                "# HELP minsheng_appeals Appeals in the database.\n\
                 # TYPE minsheng_appeals gauge\n\
                 minsheng_appeals {}\n\
                 # HELP minsheng_outbox_pending Outbox messages not yet delivered.\n\
                 # TYPE minsheng_outbox_pending gauge\n\
                 minsheng_outbox_pending {}\n\
                 # HELP minsheng_up Whether the database answers.\n\
                 # TYPE minsheng_up gauge\n\
                 minsheng_up 1",
                c.appeals, c.outbox_pending
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "metrics: database does not answer");
            let _ = writeln!(out, "# TYPE minsheng_up gauge\nminsheng_up 0");
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// The HTTP part of the text.
fn http_text(http: &HttpMetrics) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP minsheng_http_requests_total HTTP requests by method, route and status class.\n\
         # TYPE minsheng_http_requests_total counter"
    );
    let series = http.series.lock().unwrap_or_else(PoisonError::into_inner);
    for ((method, route, class), s) in series.iter() {
        let _ = writeln!(
            out,
            "minsheng_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{class}\"}} {}",
            label(route),
            s.count
        );
    }
    let _ = writeln!(
        out,
        "# HELP minsheng_http_request_duration_seconds Time to answer, by method and route.\n\
         # TYPE minsheng_http_request_duration_seconds histogram"
    );
    let mut by_route: BTreeMap<(String, String), Series> = BTreeMap::new();
    for ((method, route, _), s) in series.iter() {
        let t = by_route.entry((method.clone(), route.clone())).or_default();
        t.count += s.count;
        t.sum += s.sum;
        for (a, b) in t.buckets.iter_mut().zip(s.buckets) {
            *a += b;
        }
    }
    drop(series);
    for ((method, route), s) in &by_route {
        let route = label(route);
        for (le, n) in BUCKETS.iter().zip(s.buckets) {
            let _ = writeln!(
                out,
                "minsheng_http_request_duration_seconds_bucket{{method=\"{method}\",route=\"{route}\",le=\"{le}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "minsheng_http_request_duration_seconds_bucket{{method=\"{method}\",route=\"{route}\",le=\"+Inf\"}} {}\n\
             minsheng_http_request_duration_seconds_sum{{method=\"{method}\",route=\"{route}\"}} {}\n\
             minsheng_http_request_duration_seconds_count{{method=\"{method}\",route=\"{route}\"}} {}",
            s.count, s.sum, s.count
        );
    }
    out
}

/// Serves `/metrics` (and nothing else) on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) {
    let router = axum::Router::new()
        .route("/metrics", axum::routing::get(render))
        .with_state(state);
    if let Err(e) = axum::serve(listener, router).await {
        tracing::error!(error = %e, "the metrics listener stopped");
    }
}

//! Refusing cross-site writes, and the security headers of every response.
//!
//! Cross-site writes: Browsers say where a request comes from: `Sec-Fetch-Site`
//! (every current browser) and `Origin` (on every cross-origin POST). A state-changing
//! request (anything but GET, HEAD and OPTIONS) that says it comes from another site is
//! refused with 403 before any handler runs, on the portal as on the console. Requests
//! that say nothing (command-line clients, integrations) pass: SameSite=Lax cookies and
//! per-form tokens are the other layers. The JSON API and Open311, authenticated by
//! tokens and keys rather than cookies, are exempt by design.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// Who is on the other end: the connection's peer, or — when the peer is one of the
/// `trusted` proxies — the nearest address in `X-Forwarded-For` that is not a trusted
/// proxy (the list is read right to left: each proxy appends the address it saw).
/// Anything a client wrote further left is ignored, and a malformed entry stops the
/// walk at the last good address.
pub fn client_address(
    peer: std::net::IpAddr,
    forwarded_for: Option<&str>,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(&peer) {
        return peer;
    }
    // An address as proxies write it: bare, with a port, or bracketed IPv6 with one.
    let parse = |hop: &str| {
        hop.parse::<std::net::IpAddr>()
            .or_else(|_| hop.parse::<std::net::SocketAddr>().map(|s| s.ip()))
            .map(|ip| ip.to_canonical())
    };
    let mut client = peer;
    for hop in forwarded_for
        .unwrap_or("")
        .rsplit(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
    {
        match parse(hop) {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// [`client_address`] of a request's headers: every `X-Forwarded-For` line, in order,
/// read as one list (a proxy may add its own line rather than extend the client's).
pub fn client_of(
    peer: std::net::IpAddr,
    headers: &HeaderMap,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    let lines: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or("?"))
        .collect();
    let joined = lines.join(",");
    client_address(
        peer,
        (!lines.is_empty()).then_some(joined.as_str()),
        trusted,
    )
}

/// The token of an `Authorization: Bearer …` header (the scheme in any case, blanks
/// around the token ignored).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once([' ', '\t'])?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Whether the browser's request reached the proxy over HTTPS (`X-Forwarded-Proto`),
/// believed only from a trusted proxy.
pub fn forwarded_https(
    peer: std::net::IpAddr,
    headers: &HeaderMap,
    trusted: &[std::net::IpAddr],
) -> bool {
    trusted.contains(&peer)
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// Paths whose requests carry their own credentials, not cookies.
const EXEMPT: [&str; 2] = ["/api/", "/open311/"];

/// Whether a request's own headers say it comes from another site.
fn cross_site(headers: &HeaderMap) -> bool {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = value("sec-fetch-site") {
        // `none` is the person typing or bookmarking; `same-site` is a sibling
        // subdomain, which is not this application either.
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = value(header::ORIGIN.as_str()) else {
        return false;
    };
    // The host the browser used: behind a proxy, the one it forwarded.
    let host = value("x-forwarded-host").or_else(|| value(header::HOST.as_str()));
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'));
    match (origin_host, host) {
        (Some(o), Some(h)) => !o.eq_ignore_ascii_case(h),
        _ => true,
    }
}

/// The middleware: refuses cross-site writes with the bilingual 403 page.
pub async fn refuse_cross_site_writes(request: Request, next: Next) -> Response {
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let exempt = EXEMPT.iter().any(|p| request.uri().path().starts_with(p));
    if writes && !exempt && cross_site(request.headers()) {
        tracing::warn!(path = %request.uri().path(), "cross-site write refused");
        return AppError::CrossSite.into_response();
    }
    next.run(request).await
}

/// Headers on every response: a content security policy with no inline script or
/// style (the pages have none) that forbids framing, no MIME sniffing, no referrer to
/// other sites, and no caching of anything but the static assets, since staff pages,
/// caller history and receipts carry personal data or tracking codes.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let is_static = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    // An attached file brings its own, stricter policy.
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
        ));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_forwarded_line_counts_and_a_bearer_token_is_read_one_way() {
        let proxy: std::net::IpAddr = "127.0.0.1".parse().expect("ip");
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", HeaderValue::from_static("1.1.3.7"));
        h.append("x-forwarded-for", HeaderValue::from_static("9.9.9.8"));
        // The proxy's own line (the last) names the client; a forged first line does not.
        assert_eq!(client_of(proxy, &h, &[proxy]).to_string(), "9.9.9.8");
        for (line, client) in [
            ("8.8.8.8:1234", "8.8.8.8"),
            ("[2001:db8::1]:80", "2001:db8::1"),
            ("12.12.12.12,,, ", "12.12.12.12"),
            ("::ffff:7.7.7.7", "7.7.7.7"),
        ] {
            let mut h = HeaderMap::new();
            h.insert(
                "x-forwarded-for",
                HeaderValue::from_str(line).expect("ascii"),
            );
            assert_eq!(client_of(proxy, &h, &[proxy]).to_string(), client, "{line}");
        }
        let mapped: std::net::IpAddr = "::ffff:127.0.0.1".parse().expect("ip");
        assert_eq!(
            client_of(mapped, &h, &[proxy]).to_string(),
            "9.9.9.8",
            "the proxy, IPv4-mapped"
        );
        assert_eq!(
            client_of(proxy, &h, &[]),
            proxy,
            "no trusted proxy: the peer"
        );
        for (value, token) in [
            ("Bearer mst_abc", Some("mst_abc")),
            ("bearer mst_abc", Some("mst_abc")),
            ("BEARER    mst_abc  ", Some("mst_abc")),
            ("Basic mst_abc", None),
            ("Bearer ", None),
            ("mst_abc", None),
        ] {
            let mut h = HeaderMap::new();
            h.insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(value).expect("ascii"),
            );
            assert_eq!(bearer_token(&h), token, "{value}");
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn only_requests_that_say_they_come_from_elsewhere_are_cross_site() {
        let host = ("host", "minsheng.example.gov.cn");
        for (pairs, cross) in [
            (vec![host], false),
            (vec![host, ("sec-fetch-site", "same-origin")], false),
            (vec![host, ("sec-fetch-site", "none")], false),
            (vec![host, ("sec-fetch-site", "cross-site")], true),
            (vec![host, ("sec-fetch-site", "same-site")], true),
            (
                vec![host, ("origin", "https://minsheng.example.gov.cn")],
                false,
            ),
            (vec![host, ("origin", "https://evil.example")], true),
            (vec![host, ("origin", "null")], true),
            (
                vec![
                    ("host", "127.0.0.1:8080"),
                    ("x-forwarded-host", "minsheng.example.gov.cn"),
                    ("origin", "https://minsheng.example.gov.cn"),
                ],
                false,
            ),
        ] {
            assert_eq!(cross_site(&headers(&pairs)), cross, "{pairs:?}");
        }
    }
}

//! Request rates for the machine interfaces: each API token, and each client address
//! on Open311, may call at a steady rate with a burst (a token bucket per client, kept
//! in this process's memory; [`minsheng_core::throttle::Bucket`]). Past it, the answer
//! is 429 with `Retry-After`, in the interface's own error shape.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use axum::extract::{ConnectInfo, Request};
use chrono::{DateTime, Duration, Utc};
use minsheng_core::throttle::{Bucket, Rate};

/// The most clients remembered before the ones whose allowance is full again are
/// forgotten (a flood of made-up tokens cannot grow memory without bound).
const PRUNE_AT: usize = 10_000;

/// One interface's limit and its clients' allowances.
#[derive(Debug)]
pub struct Limiter {
    rate: Rate,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Limiter {
    /// A limiter at `rate`.
    pub fn new(rate: Rate) -> Limiter {
        Limiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request of `client` at `now`; the wait when it is over its rate.
    pub fn check(&self, client: &str, now: DateTime<Utc>) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= PRUNE_AT && !buckets.contains_key(client) {
            buckets.retain(|_, b| !b.is_full(&self.rate, now));
            if buckets.len() >= PRUNE_AT {
                // Still full of active clients: a newcomer waits rather than grow it.
                return Err(Duration::seconds(1));
            }
        }
        buckets
            .entry(client.to_owned())
            .or_insert_with(|| Bucket::full(&self.rate, now))
            .take(&self.rate, now)
    }
}

impl Limiter {
    /// How long `client` must wait before its next request, without counting one.
    pub fn waiting(&self, client: &str, now: DateTime<Utc>) -> Option<Duration> {
        let buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        buckets.get(client).and_then(|b| b.wait(&self.rate, now))
    }
}

/// The limits of the machine interfaces (`None`: no limit).
#[derive(Debug, Default)]
pub struct RateLimits {
    /// Per API token.
    pub api: Option<Limiter>,
    /// Per client address on Open311.
    pub open311: Option<Limiter>,
    /// Portal submissions per client address.
    pub portal: Option<Limiter>,
}

impl RateLimits {
    /// Limits of `api` and `open311` requests and `portal` submissions a minute (0:
    /// none), each with a burst of a tenth of a minute's worth (at least 10).
    pub fn per_minute(api: u32, open311: u32, portal: u32) -> RateLimits {
        let limiter = |per_minute: u32| {
            (per_minute > 0).then(|| {
                Limiter::new(Rate {
                    per_minute,
                    burst: (per_minute / 10).max(10),
                })
            })
        };
        RateLimits {
            api: limiter(api),
            open311: limiter(open311),
            portal: limiter(portal),
        }
    }
}

/// Who is calling, for a limit: the bearer token as the API reads it (kept as a
/// hash: the token itself is not kept), else the client's address.
pub fn client_key(request: &Request, trusted: &[std::net::IpAddr]) -> String {
    if let Some(token) = crate::security::bearer_token(request.headers()) {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        token.hash(&mut h);
        return format!("t:{:016x}", h.finish());
    }
    format!("a:{}", client_address(request, trusted))
}

/// The client's address (see [`crate::security::client_of`]); unknown when the
/// server was started without connection info, which shares one allowance.
pub fn client_address(request: &Request, trusted: &[std::net::IpAddr]) -> String {
    request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|ConnectInfo(peer)| {
            crate::security::client_of(peer.ip(), request.headers(), trusted).to_string()
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The `Retry-After` value (whole seconds, at least 1).
pub fn retry_after(wait: Duration) -> String {
    ((wait.num_milliseconds() + 999) / 1000).max(1).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_has_its_own_allowance_and_memory_stays_bounded() {
        let limiter = Limiter::new(Rate {
            per_minute: 60,
            burst: 2,
        });
        let t = DateTime::from_timestamp(1_800_000_000, 0).expect("t");
        assert!(limiter.check("a", t).is_ok());
        assert!(limiter.check("a", t).is_ok());
        assert_eq!(limiter.check("a", t), Err(Duration::seconds(1)));
        assert!(
            limiter.check("b", t).is_ok(),
            "another client is not held up"
        );
        for i in 0..PRUNE_AT {
            let _ = limiter.check(&format!("c{i}"), t);
        }
        // Later, everyone is full again: a newcomer makes room by forgetting them.
        let later = t + Duration::minutes(5);
        assert!(limiter.check("newcomer", later).is_ok());
        assert!(limiter.buckets.lock().expect("lock").len() < 10);
        assert_eq!(retry_after(Duration::milliseconds(1)), "1");
        assert_eq!(retry_after(Duration::milliseconds(1001)), "2");
    }
}

//! Growing back-off for failed sign-ins, per account and per client address: a few
//! free tries, then a wait that doubles with every further failure, up to a quarter
//! of an hour. There is no hard lockout, so nobody can lock a colleague out by failing
//! on purpose; failures an hour old are forgotten.

use chrono::{DateTime, Duration, Utc};

/// Failures allowed before any wait.
pub const FREE_TRIES: i64 = 5;
/// The longest wait.
pub const MAX_WAIT_SECONDS: i64 = 900;
/// Failures older than this are forgotten.
pub const FORGET_AFTER_SECONDS: i64 = 3600;

/// How long to wait before the next try, after `failures` failures, the last at
/// `last`; `None` when a try is allowed now.
pub fn wait(failures: i64, last: DateTime<Utc>, now: DateTime<Utc>) -> Option<Duration> {
    if failures < FREE_TRIES || now - last > Duration::seconds(FORGET_AFTER_SECONDS) {
        return None;
    }
    let exponent = u32::try_from(failures - FREE_TRIES)
        .unwrap_or(u32::MAX)
        .min(20);
    let wait = Duration::seconds((1i64 << exponent).min(MAX_WAIT_SECONDS));
    let until = last + wait;
    (until > now).then(|| until - now)
}

/// How fast a client may call: `per_minute` on average, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests a minute, on average.
    pub per_minute: u32,
    /// Requests allowed at once after a quiet spell.
    pub burst: u32,
}

/// A client's allowance under a [`Rate`] (a token bucket): it starts full, each request
/// takes one, and it refills continuously.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    tokens: f64,
    at: DateTime<Utc>,
}

impl Bucket {
    /// A full bucket at `now`.
    pub fn full(rate: &Rate, now: DateTime<Utc>) -> Bucket {
        Bucket {
            tokens: f64::from(rate.burst.max(1)),
            at: now,
        }
    }

    fn refill(&mut self, rate: &Rate, now: DateTime<Utc>) {
        let seconds = (now - self.at).num_milliseconds().max(0) as f64 / 1000.0;
        let per_second = f64::from(rate.per_minute) / 60.0;
        self.tokens = (self.tokens + seconds * per_second).min(f64::from(rate.burst.max(1)));
        self.at = now.max(self.at);
    }

    /// Takes one request at `now`; when none is left, how long until one is.
    pub fn take(&mut self, rate: &Rate, now: DateTime<Utc>) -> Result<(), Duration> {
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let per_second = f64::from(rate.per_minute.max(1)) / 60.0;
        let wait_ms = ((1.0 - self.tokens) / per_second * 1000.0).ceil() as i64;
        Err(Duration::milliseconds(wait_ms.max(1)))
    }

    /// How long until a request could be taken at `now`, without taking one.
    pub fn wait(&self, rate: &Rate, now: DateTime<Utc>) -> Option<Duration> {
        let mut b = *self;
        b.take(rate, now).err()
    }

    /// Whether it has been full again for a while (`now`), so it can be forgotten.
    pub fn is_full(&self, rate: &Rate, now: DateTime<Utc>) -> bool {
        let mut b = *self;
        b.refill(rate, now);
        b.tokens >= f64::from(rate.burst.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_few_free_tries_then_a_doubling_wait_up_to_a_quarter_hour() {
        let t = DateTime::from_timestamp(1_800_000_000, 0).expect("t");
        assert_eq!(wait(4, t, t), None);
        assert_eq!(wait(5, t, t), Some(Duration::seconds(1)));
        assert_eq!(wait(8, t, t), Some(Duration::seconds(8)));
        assert_eq!(wait(100, t, t), Some(Duration::seconds(900)));
        assert_eq!(wait(8, t, t + Duration::seconds(8)), None);
        assert_eq!(wait(100, t, t + Duration::seconds(3601)), None, "forgotten");
    }

    #[test]
    fn a_burst_then_the_steady_rate() {
        let rate = Rate {
            per_minute: 60,
            burst: 3,
        };
        let t = DateTime::from_timestamp(1_800_000_000, 0).expect("t");
        let mut b = Bucket::full(&rate, t);
        for _ in 0..3 {
            assert_eq!(b.take(&rate, t), Ok(()));
        }
        assert_eq!(b.take(&rate, t), Err(Duration::seconds(1)));
        assert_eq!(
            b.take(&rate, t + Duration::milliseconds(500)),
            Err(Duration::milliseconds(500))
        );
        assert_eq!(b.take(&rate, t + Duration::seconds(1)), Ok(()));
        assert!(!b.is_full(&rate, t + Duration::seconds(2)));
        assert!(b.is_full(&rate, t + Duration::seconds(4)));
    }

    proptest! {
        #[test]
        fn never_more_than_the_burst_and_the_rate_allow(
            per_minute in 1u32..10_000,
            burst in 1u32..500,
            gaps in proptest::collection::vec(0i64..5_000, 1..300),
        ) {
            let rate = Rate { per_minute, burst };
            let start = DateTime::from_timestamp(1_800_000_000, 0).expect("t");
            let mut b = Bucket::full(&rate, start);
            let mut now = start;
            let mut allowed = 0u64;
            for gap in gaps {
                now += Duration::milliseconds(gap);
                match b.take(&rate, now) {
                    Ok(()) => allowed += 1,
                    Err(wait) => {
                        prop_assert!(wait > Duration::zero());
                        // Waiting as told lets the next one through.
                        let mut later = b;
                        prop_assert!(later.take(&rate, now + wait).is_ok());
                    }
                }
            }
            let elapsed = (now - start).num_milliseconds() as f64 / 60_000.0;
            let most = f64::from(burst) + elapsed * f64::from(per_minute) + 1e-6;
            prop_assert!(allowed as f64 <= most, "{allowed} > {most}");
        }

        #[test]
        fn the_wait_never_exceeds_the_cap_and_grows_with_failures(n in 0i64..10_000, after in 0i64..4000) {
            let t = DateTime::from_timestamp(1_800_000_000, 0).expect("t");
            let now = t + Duration::seconds(after);
            let w = wait(n, t, now).unwrap_or_default();
            prop_assert!(w <= Duration::seconds(MAX_WAIT_SECONDS));
            prop_assert!(wait(n + 1, t, now).unwrap_or_default() >= w);
        }
    }
}

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

    proptest! {
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

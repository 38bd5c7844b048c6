//! What the load generators share: their `--flag value` arguments and percentiles.

use std::collections::HashMap;
use std::time::Duration;

/// The command line's `--flag value` pairs; a flag not in `known` stops the program.
pub fn flags(known: &[&str]) -> HashMap<String, String> {
    let mut found = HashMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let name = flag.trim_start_matches("--");
        assert!(known.contains(&name), "unknown flag {flag}");
        found.insert(name.to_owned(), it.next().unwrap_or_default());
    }
    found
}

/// A flag's value read as a number, or `default` when it was not given.
pub fn number<T: std::str::FromStr>(flags: &HashMap<String, String>, name: &str, default: T) -> T {
    flags.get(name).map_or(default, |v| {
        v.parse()
            .unwrap_or_else(|_| panic!("--{name} takes a number, not {v:?}"))
    })
}

/// The `p` percentile of sorted durations, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

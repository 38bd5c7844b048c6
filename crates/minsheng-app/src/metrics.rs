//! What the application counts for monitoring: appeals registered by the pipeline and
//! the sweeps, kept in atomics of this process (the web layer adds HTTP figures and
//! writes them all out in Prometheus' text format).

use std::sync::atomic::{AtomicU64, Ordering};

/// The application's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    registered: AtomicU64,
    repeats: AtomicU64,
    sweeps: AtomicU64,
    sweep_failures: AtomicU64,
    last_sweep_millis: AtomicU64,
    last_sweep_cases: AtomicU64,
}

/// A reading of [`Metrics`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Reading {
    /// Appeals stored by this process.
    pub registered: u64,
    /// Registrations answered with an earlier receipt (a repeat).
    pub repeats: u64,
    /// Sweeps finished.
    pub sweeps: u64,
    /// Sweeps that failed.
    pub sweep_failures: u64,
    /// The last sweep's duration, seconds.
    pub last_sweep_seconds: f64,
    /// Open cases the last sweep looked at.
    pub last_sweep_cases: u64,
}

impl Metrics {
    pub(crate) fn registered(&self, repeat: bool) {
        let counter = if repeat {
            &self.repeats
        } else {
            &self.registered
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn swept(&self, outcome: Option<(f64, u64)>) {
        match outcome {
            Some((seconds, cases)) => {
                self.sweeps.fetch_add(1, Ordering::Relaxed);
                self.last_sweep_millis
                    .store((seconds * 1000.0) as u64, Ordering::Relaxed);
                self.last_sweep_cases.store(cases, Ordering::Relaxed);
            }
            None => {
                self.sweep_failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The counters now.
    pub fn read(&self) -> Reading {
        Reading {
            registered: self.registered.load(Ordering::Relaxed),
            repeats: self.repeats.load(Ordering::Relaxed),
            sweeps: self.sweeps.load(Ordering::Relaxed),
            sweep_failures: self.sweep_failures.load(Ordering::Relaxed),
            last_sweep_seconds: self.last_sweep_millis.load(Ordering::Relaxed) as f64 / 1000.0,
            last_sweep_cases: self.last_sweep_cases.load(Ordering::Relaxed),
        }
    }
}

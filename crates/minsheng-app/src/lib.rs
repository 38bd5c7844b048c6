//! The use cases of Minsheng, each written once. Every surface (the portal, the staff
//! console, the JSON API, Open311, the CLI and its imports, background jobs) is a thin
//! adapter that parses its input into core types, calls a use case here and renders the
//! answer; none holds a business rule or writes to the store itself.
//!
//! A use case reads what it needs, asks `minsheng-core` to decide, carries out every
//! effect the decision returns (outbox messages, deadlines, flags) and persists all of
//! it through `minsheng-store` in one transaction.
//!
//! This crate must not depend on HTTP (axum) or on the command line (clap). CPU-heavy
//! work (argon2) runs on the blocking pool, never on the async runtime's threads.
//!
//! Error rule: every use case returns [`Error`]; it says what a surface needs to
//! answer (not found, invalid input with its fields, refused with the workflow's
//! reason, stale) and wraps the store's failures without losing them.

pub mod cases;
pub mod directory;
pub mod error;
pub mod files;
pub mod history;
pub mod passwords;
pub mod routing;
pub mod sessions;
pub mod setup;
pub mod staff;
pub mod sweep;

use std::sync::Arc;

use minsheng_core::clock::Calendar;
use minsheng_core::workflow::Policy;
use minsheng_store::Store;

pub use error::Error;

/// Shorthand.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The application: the store and the rules every use case runs under. Cheap to clone.
#[derive(Clone)]
pub struct App {
    /// The database.
    pub store: Arc<dyn Store>,
    /// The workflow's rules and limits.
    pub policy: Arc<Policy>,
    /// Public holidays and make-up working days.
    pub calendar: Arc<Calendar>,
}

impl App {
    /// An application with the default policy and the shipped calendar.
    pub fn new(store: Arc<dyn Store>) -> App {
        App {
            store,
            policy: Arc::new(Policy::default()),
            calendar: Arc::new(Calendar::shipped()),
        }
    }

    /// The same application on another calendar.
    pub fn with_calendar(self, calendar: Calendar) -> App {
        App {
            calendar: Arc::new(calendar),
            ..self
        }
    }
}

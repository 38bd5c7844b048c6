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

pub mod alerts;
pub mod attachments;
pub mod cases;
pub mod cluster;
pub mod directory;
pub mod error;
pub mod evaluate;
pub mod export;
pub mod figures;
pub mod files;
pub mod history;
pub mod meetings;
pub mod metrics;
pub mod notify;
pub mod open311;
pub mod outreach;
pub mod passwords;
pub mod pipeline;
pub mod recusal;
pub mod report;
pub mod routing;
pub mod sessions;
pub mod setup;
pub mod staff;
pub mod suggest;
pub mod sweep;
pub mod text;
pub mod tokens;

use std::sync::{Arc, PoisonError, RwLock};

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
    /// How long staff sessions last.
    pub session_rules: sessions::SessionRules,
    calendars: Arc<Calendars>,
    files: Arc<attachments::FileRules>,
    /// What this process counts for monitoring.
    pub metrics: Arc<metrics::Metrics>,
    directory: Arc<pipeline::DirectoryCache>,
    writer: Arc<pipeline::Writer>,
    segmenters: Arc<text::Segmenters>,
    models: Arc<suggest::Models>,
    clustering: Arc<cluster::Clustering>,
    /// Whether intake reads the text (search terms, risk signals): off only to
    /// measure what reading costs.
    read_text: bool,
    /// How messages leave the system (SMS gateway, mail server, public address).
    delivery: Arc<notify::Delivery>,
}

/// The calendar the process starts with (shipped, plus a file given at start) and the
/// one in use: that one with the files uploaded in the console laid over it.
struct Calendars {
    base: Calendar,
    current: RwLock<Arc<Calendar>>,
}

impl Calendars {
    fn new(base: Calendar) -> Calendars {
        Calendars {
            current: RwLock::new(Arc::new(base.clone())),
            base,
        }
    }
}

impl App {
    /// An application with the default policy and the shipped calendar.
    pub fn new(store: Arc<dyn Store>) -> App {
        App {
            store,
            policy: Arc::new(Policy::default()),
            session_rules: sessions::SessionRules::default(),
            calendars: Arc::new(Calendars::new(Calendar::shipped())),
            files: Arc::default(),
            metrics: Arc::default(),
            directory: Arc::default(),
            writer: Arc::default(),
            segmenters: Arc::default(),
            models: Arc::default(),
            clustering: Arc::default(),
            read_text: true,
            delivery: Arc::default(),
        }
    }

    /// The same application sending messages this way.
    pub fn with_delivery(self, delivery: notify::Delivery) -> App {
        App {
            delivery: Arc::new(delivery),
            ..self
        }
    }

    /// The same application on another base calendar (uploads are laid over it by
    /// [`App::load_calendars`]).
    pub fn with_calendar(self, calendar: Calendar) -> App {
        App {
            calendars: Arc::new(Calendars::new(calendar)),
            ..self
        }
    }

    /// The same application with intake not reading the text (no search terms, no
    /// risk signals): for measuring what the text pipeline costs, never for a county.
    pub fn without_text(self) -> App {
        App {
            read_text: false,
            ..self
        }
    }

    /// The same application keeping attached files under other rules (directory,
    /// limits).
    pub fn with_files(self, rules: attachments::FileRules) -> App {
        App {
            files: Arc::new(rules),
            ..self
        }
    }

    /// Public holidays and make-up working days in use now.
    pub fn calendar(&self) -> Arc<Calendar> {
        self.calendars
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Lays the calendar files uploaded in the console over the base calendar, oldest
    /// first, and puts the result in use. Run at start, after an upload and by the
    /// sweep (so every node picks up another node's upload).
    pub async fn load_calendars(&self) -> Result<()> {
        let mut calendar = self.calendars.base.clone();
        for (i, text) in self.store.calendar_files().await?.iter().enumerate() {
            // Files are checked before they are stored; one that no longer reads (a
            // stricter parser) is left out loudly rather than stopping the service.
            match Calendar::parse(text) {
                Ok(uploaded) => calendar = calendar.merge(uploaded),
                Err(e) => tracing::error!(file = i + 1, error = %e, "uploaded calendar left out"),
            }
        }
        *self
            .calendars
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(calendar);
        Ok(())
    }
}

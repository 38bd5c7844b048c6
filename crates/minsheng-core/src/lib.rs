//! Minsheng's pure domain: regions, units, staff, appellants, appeals, numbering and
//! masking. Nothing here performs I/O: time, randomness, the calendar and the rules come
//! in as arguments, and functions return values and decisions.
//!
//! This crate must not depend on tokio, sqlx, axum or any other I/O crate.
#![warn(missing_docs)]

#[macro_use]
pub mod appeal;
pub mod alerts;
pub mod answers;
pub mod appellant;
pub mod attachment;
pub mod category;
pub mod clock;
pub mod closure;
pub mod form;
pub mod history;
pub mod i18n;
pub mod intake;
pub mod kpi;
pub mod mask;
pub mod meeting;
pub mod notify;
pub mod open311;
pub mod outreach;
pub mod place;
pub mod queue;
pub mod region;
pub mod region_import;
pub mod routing;
pub mod staff;
pub mod table;
pub mod throttle;
pub mod unit;
pub mod workflow;

pub use appeal::{AppealKind, AppealNo, Channel, TrackingCode};
pub use appellant::{IdNumber, Phone};
pub use i18n::Lang;
pub use region::{RegionCode, RegionLevel};
pub use staff::Role;
pub use workflow::State;

//! What a use case can answer besides success.

use minsheng_core::intake::FieldErrors;
use minsheng_core::workflow::WorkflowError;
use minsheng_store::StoreError;
use thiserror::Error;

/// Why a use case did not do what was asked.
#[derive(Debug, Error)]
pub enum Error {
    /// The thing does not exist, or the person may not see it (the same answer, so
    /// nobody learns what exists outside their scope).
    #[error("not found")]
    NotFound,
    /// The person may not do this (an administration task outside their role or area).
    #[error("not allowed")]
    Forbidden,
    /// The input is wrong, field by field.
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The workflow refused the command, with its reason.
    #[error(transparent)]
    Refused(#[from] WorkflowError),
    /// Someone else acted on the case since it was read.
    #[error("the case changed since it was read; reload and try again")]
    Stale,
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// A file (an Excel report or export) could not be written.
    #[error("the file could not be written: {0}")]
    Output(String),
    /// A blocking task (password hashing) could not finish.
    #[error("a background task failed: {0}")]
    Task(String),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        match e {
            StoreError::NotFound => Error::NotFound,
            e => Error::Store(e),
        }
    }
}

//! Minsheng's text work, pure and CPU-bound: one pipeline from what a person wrote to
//! the words every other part reads (search terms, the routing model, risk phrases,
//! similarity signatures). No I/O: the county's words come in as arguments.

pub mod accusation;
pub mod classify;
pub mod minhash;
pub mod normalize;
pub mod risk;
pub mod search;
pub mod segment;
pub mod similar;
pub mod urgency;

pub use segment::Segmenter;

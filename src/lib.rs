//! neardup: paragraph-level duplicate and near-duplicate detection for article collections.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod normalize;
pub mod synth;

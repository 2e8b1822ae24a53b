//! Integration tests: one binary, one module per concern (the ripgrep layout).

mod util;

mod accuracy;
mod arabic;
mod cli;
mod determinism;
mod sample_corpus;

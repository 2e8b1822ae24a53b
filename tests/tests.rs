//! Integration tests: one binary, one module per concern (the ripgrep layout).

mod util;

mod arabic;
mod cli;
mod determinism;
mod index;
mod sample_corpus;

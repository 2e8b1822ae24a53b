//! Integration tests: one binary, one module per concern (the ripgrep layout).

mod util;

mod accuracy;
mod arabic;
mod cli;
mod cli_docs;
mod dataset_dedup;
mod dedup;
mod determinism;
mod document_split;
mod eval;
mod hostile;
mod index;
mod index_passages;
mod inputs;
mod long_functions;
#[cfg(feature = "parquet")]
mod parquet;
mod passages;
mod regressions;
mod report;
mod sample_corpus;

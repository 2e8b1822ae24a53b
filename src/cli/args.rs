//! The command line as data: every flag, its help text and default (clap derive), and the one
//! place where flags become library types.
//!
//! Input: `std::env::args` parsed by clap into the low-level structs below. Output: library
//! types ([`Config`], [`InputOptions`], [`ScanOptions`], [`PassageConfig`] …) and, for the
//! commands that take their defaults from an index, [`MatchFlags`]: `Option<T>` per matching
//! flag, `None` where the command line left it out. Invariants: defaults are defined once
//! (here, equal to the library's `Default`s: `defaults_are_the_librarys`); the library derives
//! no clap trait, so the CLI's value enums ([`SplitArg`] …) are converted here and nowhere
//! else.

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, Parser, Subcommand, ValueEnum};

use neardup::config::{HashFamily, DEFAULT_SEED};
use neardup::dedup::{DedupMode, DedupScope, Keep};
use neardup::ingest::{self, InputFormat, InputOptions};
use neardup::passage::{PassageConfig, DEFAULT_MIN_PASSAGE_WORDS};
use neardup::report::Format;
use neardup::scan::DEFAULT_BOILERPLATE_MIN_DOCS;
use neardup::{Config, Error, ScanOptions, SplitMode, VerifyMode};

/// Find duplicate and near-duplicate paragraphs in collections of articles.
#[derive(Parser, Debug)]
#[command(name = "neardup", version, about, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Find clusters of duplicate and near-duplicate paragraphs in articles.
    ///
    /// PATHS are files, directories or - (standard input); directories are walked
    /// recursively, in sorted order, for .txt, .md, .html, .htm, .jsonl, .ndjson and .warc
    /// files, each also .gz or .zst. A text or HTML file is one article; a JSONL file holds
    /// one per line, a WARC crawl one per HTML page.
    Scan(ScanArgs),
    /// Write a cleaned copy of a corpus: one copy of each cluster kept, the others removed.
    ///
    /// CORPUS is one directory; its structure is written again under --out, every file
    /// (whatever its type) copied, and the files with duplicates edited. With --mode mark every
    /// file is copied unchanged and neardup-removed.jsonl lists what would be removed.
    Dedup(DedupArgs),
    /// Print every paragraph taken from the inputs, before normalisation, as JSON Lines.
    ///
    /// One object per paragraph: path, paragraph (0-based ordinal), line, byte_start,
    /// byte_end, text, and with --normalized the normalised form that is compared. For HTML
    /// pages and WARC records, lines and spans refer to the extracted text.
    Paragraphs(ParagraphsArgs),
    /// Print the normalised form of text: exactly what the engine compares.
    ///
    /// Each TEXT argument is normalised on its own line; without arguments, each line of
    /// standard input is.
    Normalize {
        /// Text to normalise.
        text: Vec<String>,
    },
    /// Build, extend, inspect, verify or compact a persistent index.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Find where each paragraph of a text appears in an index.
    ///
    /// TEXT is a file, or '-' for standard input; it is cut into paragraphs with the index's
    /// split mode, and each is matched with the index's parameters.
    Query(QueryArgs),
    /// Show the LSH banding for a threshold and what it does: the probability of becoming a
    /// candidate at each similarity, false-positive and false-negative areas, expected recall.
    Params(ParamsArgs),
    /// Score a JSON report against labelled duplicate groups or against the exact truth.
    ///
    /// Prints pair precision, recall, F1 and adjusted Rand index over all paragraphs, recall
    /// per edit kind (generated labels) and per true-similarity bucket (with --corpus), and,
    /// with --truth exact, the truly similar pairs the report missed.
    Eval(EvalArgs),
    /// Print a shell completion script for SHELL (where to install it: see the README).
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) covering every subcommand: `neardup man | man -l -`.
    Man,
}

/// Subcommands of `neardup index`.
#[derive(Subcommand, Debug)]
pub(crate) enum IndexCommand {
    /// Create an index from files and directories (like `scan`, but kept on disk).
    ///
    /// Each file is identified by its path as named (DIR/relative/path), so `scan --index`
    /// later reports the paths `scan DIR1 DIR2 ...` would.
    Build(WriteArgs),
    /// Add files to an index in one atomic commit: unchanged files are skipped, changed files
    /// replace their earlier version.
    Add(WriteArgs),
    /// Print documents, paragraphs, segments, bytes and parameters of an index.
    Stats {
        /// The index directory.
        #[arg(value_name = "DIR")]
        index: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
        format: InfoFormat,
    },
    /// Read every byte of an index and check all checksums (exit status 2 on any problem).
    Verify {
        /// The index directory.
        #[arg(value_name = "DIR")]
        index: PathBuf,
    },
    /// Merge all segments into one and drop replaced documents, atomically.
    Compact {
        /// The index directory.
        #[arg(value_name = "DIR")]
        index: PathBuf,
        /// Worker threads (0: one per core).
        #[arg(long, default_value_t = 0, value_name = "N")]
        threads: usize,
    },
}

#[derive(Args, Debug)]
pub(crate) struct ScanArgs {
    /// Files or directories to scan.
    #[arg(
        required_unless_present = "index",
        conflicts_with = "index",
        value_name = "PATHS"
    )]
    pub(crate) paths: Vec<PathBuf>,
    /// Cluster everything in this index instead of scanning files (the index's parameters
    /// apply; only --verify may differ).
    #[arg(long, value_name = "DIR")]
    pub(crate) index: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) matching: MatchArgs,
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Report format: text, json, jsonl, html (one self-contained page), md (Markdown), csv
    /// (one row per member), pairs (JSONL, one line per verified pair).
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub(crate) format: FormatArg,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) passage: PassageArgs,
    /// Exit with status 1 when any cluster (or, with --passages, passage) is found.
    #[arg(long)]
    pub(crate) fail_on_duplicates: bool,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

#[derive(Args, Debug)]
pub(crate) struct DedupArgs {
    /// The corpus directory.
    #[arg(value_name = "CORPUS")]
    pub(crate) input: PathBuf,
    /// Directory to write the cleaned corpus to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Which copy of a cluster is kept: the first by path and paragraph, or the longest.
    #[arg(long, value_enum, default_value_t = KeepArg::First)]
    pub(crate) keep: KeepArg,
    /// remove: delete the other copies; mark: copy every file unchanged and list the copies
    /// in neardup-removed.jsonl.
    #[arg(long, value_enum, default_value_t = DedupModeArg::Remove)]
    pub(crate) mode: DedupModeArg,
    /// all: remove every other copy; across: only copies in other articles (an article's own
    /// repetitions stay).
    #[arg(long, value_enum, default_value_t = DedupScopeArg::All)]
    pub(crate) scope: DedupScopeArg,
    /// Remove boilerplate clusters entirely, keeping no copy.
    #[arg(long)]
    pub(crate) drop_boilerplate: bool,
    /// Write into a non-empty output directory (files of the same name are replaced).
    #[arg(long)]
    pub(crate) force: bool,
    /// Datasets (JSONL, Parquet): drop a record whose text is left blank by paragraph removals.
    #[arg(long)]
    pub(crate) drop_empty: bool,
    #[command(flatten)]
    pub(crate) matching: MatchArgs,
    #[command(flatten)]
    pub(crate) input_flags: InputArgs,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

#[derive(Args, Debug)]
pub(crate) struct ParagraphsArgs {
    /// Files, directories or - (standard input).
    #[arg(required = true, value_name = "PATHS")]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// How files are cut into paragraphs: every non-empty line, or blocks between blank lines.
    #[arg(long, value_enum, default_value_t = SplitArg::Lines)]
    pub(crate) split: SplitArg,
    /// Add each paragraph's normalised form (what the engine compares).
    #[arg(long)]
    pub(crate) normalized: bool,
    /// Print no warnings.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

/// Flags of `index build` and `index add`.
#[derive(Args, Debug)]
pub(crate) struct WriteArgs {
    /// Files or directories to index.
    #[arg(required = true, value_name = "PATHS")]
    pub(crate) paths: Vec<PathBuf>,
    /// The index directory.
    #[arg(long, value_name = "DIR")]
    pub(crate) index: PathBuf,
    #[command(flatten)]
    pub(crate) matching: MatchArgs,
    #[command(flatten)]
    pub(crate) input: InputArgs,
    #[command(flatten)]
    pub(crate) passage: PassageArgs,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub(crate) threads: usize,
    /// Megabytes of files read and sketched at a time (bounds memory).
    #[arg(long, default_value_t = 64, value_name = "MB")]
    pub(crate) batch_mb: usize,
    /// Print no warnings, summary or progress bar.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// Print the time of each stage on stderr at the end.
    #[arg(short, long)]
    pub(crate) verbose: bool,
}

/// Flags of `query`.
#[derive(Args, Debug)]
pub(crate) struct QueryArgs {
    /// The index directory.
    #[arg(long, value_name = "DIR")]
    pub(crate) index: PathBuf,
    /// The text to look up: a file, or '-' for standard input.
    #[arg(value_name = "TEXT")]
    pub(crate) text: PathBuf,
    #[command(flatten)]
    pub(crate) matching: MatchArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
    pub(crate) format: InfoFormat,
    /// Keep at most N matches per paragraph (the most similar).
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
    /// Also report the passages of TEXT (quotes, leads: at least the index's
    /// --min-passage-words words) shared with indexed documents, wherever they sit in their
    /// paragraphs. The index must have been built with `index build --passages`.
    #[arg(long)]
    pub(crate) passages: bool,
    /// Write the result to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Print no warnings.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

#[derive(Args, Debug)]
pub(crate) struct ParamsArgs {
    #[command(flatten)]
    pub(crate) lsh: LshArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub(crate) format: SummaryFormat,
}

#[derive(Args, Debug)]
pub(crate) struct EvalArgs {
    /// A JSON report written by `neardup scan --format json`.
    #[arg(value_name = "REPORT")]
    pub(crate) report: PathBuf,
    /// Labels (`neardup.labels/1`: written by the corpus generator, or corpora/sample-labels.json).
    #[arg(long, value_name = "FILE", required_unless_present = "truth")]
    pub(crate) labels: Option<PathBuf>,
    /// Compare against the exact truth instead: all pairs with exact Jaccard ≥ the report's
    /// threshold, found by a prefix-filtered similarity join over --corpus.
    #[arg(long, value_enum, requires = "corpus")]
    pub(crate) truth: Option<Truth>,
    /// The corpus the report was made from (needed by --truth exact; adds recall by similarity).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub(crate) corpus: Vec<PathBuf>,
    /// How the corpus was read for the report (JSONL fields, globs, …): give the same options.
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub(crate) format: SummaryFormat,
}

/// The threshold and the signature and banding that detect it (`scan`'s matching flags and
/// what `params` describes).
#[derive(Args, Debug, Clone)]
pub(crate) struct LshArgs {
    /// Jaccard similarity of word shingles at which paragraphs are near duplicates.
    #[arg(long, default_value_t = 0.8, value_name = "SIM")]
    pub(crate) threshold: f64,
    /// MinHash permutations (signature length): more is more accurate and slower.
    #[arg(long, default_value_t = 128, value_name = "K")]
    pub(crate) num_perm: usize,
    /// LSH bands (with --rows); chosen from --threshold when omitted.
    #[arg(long, requires = "rows", value_name = "B")]
    pub(crate) bands: Option<usize>,
    /// LSH rows per band (with --bands).
    #[arg(long, requires = "bands", value_name = "R")]
    pub(crate) rows: Option<usize>,
}

/// Flags that decide which paragraphs match (shared by every command that compares).
#[derive(Args, Debug, Clone)]
pub(crate) struct MatchArgs {
    #[command(flatten)]
    pub(crate) lsh: LshArgs,
    /// Words per shingle (characters for Chinese, Japanese, Thai and other spaceless scripts).
    #[arg(long, default_value_t = 3, value_name = "K")]
    pub(crate) shingle: usize,
    /// How files are cut into paragraphs: every non-empty line, or blocks between blank lines.
    #[arg(long, value_enum, default_value_t = SplitArg::Lines)]
    pub(crate) split: SplitArg,
    /// Seed of the MinHash permutations.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub(crate) seed: u64,
    /// Ignore paragraphs with fewer words than this after normalisation.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) min_words: usize,
    /// How candidate pairs are confirmed: estimate from signatures, exact Jaccard, or auto
    /// (the estimate, with exact Jaccard when it is close to the threshold).
    #[arg(long, value_enum, default_value_t = VerifyArg::Auto)]
    pub(crate) verify: VerifyArg,
    /// MinHash permutation family: xor-multiply (the default, about six times cheaper) or
    /// multiply-shift (the earlier default, which older indexes and reports name). Recorded
    /// in reports by its full name, which is also accepted here.
    #[arg(long, default_value_t = HashFamily::default(), value_name = "FAMILY",
          value_parser = parse_hash_family)]
    pub(crate) hash: HashFamily,
}

fn parse_hash_family(s: &str) -> Result<HashFamily, String> {
    s.parse()
}

/// Flags about reading input.
#[derive(Args, Debug, Clone)]
pub(crate) struct InputArgs {
    /// Replace invalid UTF-8 with U+FFFD instead of stopping with an error.
    #[arg(long)]
    pub(crate) lossy: bool,
    /// Skip unreadable or undecodable files and malformed records with a warning (exit status
    /// 2 at the end).
    #[arg(long)]
    pub(crate) keep_going: bool,
    /// JSONL: the field holding a document's text; a dotted path reaches nested fields
    /// (article.body, paragraphs.0).
    #[arg(long, default_value = "text", value_name = "FIELD")]
    text_field: String,
    /// JSONL: the field naming a document in reports (FILE#ID); default: the line number.
    #[arg(long, value_name = "FIELD")]
    id_field: Option<String>,
    /// Directory walks take only files matching GLOB (repeatable; default: known extensions).
    /// A glob without / matches file names at any depth.
    #[arg(long, value_name = "GLOB")]
    include: Vec<String>,
    /// Directory walks leave out files and directories matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Directory walks skip files larger than SIZE on disk, with a warning (suffixes K, M, G:
    /// powers of 1024).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_file_size: Option<u64>,
    /// Bound on one document once decompressed (a file, a JSONL line, a WARC record); over it
    /// is an error, or a skip with --keep-going.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "1G")]
    max_document_size: u64,
    /// HTML: elements nested deeper are flattened (text kept), with a warning.
    #[arg(long, value_name = "N", default_value_t = ingest::DEFAULT_HTML_MAX_DEPTH)]
    max_html_depth: usize,
    /// HTML: a page is cut after this many elements, with a warning.
    #[arg(long, value_name = "N", default_value_t = ingest::DEFAULT_HTML_MAX_ELEMENTS)]
    max_html_elements: usize,
    /// HTML: a page is cut after this many bytes of markup, with a warning.
    #[arg(long, value_name = "SIZE", value_parser = parse_size_usize, default_value = "64M")]
    max_html_bytes: usize,
    /// What standard input (-) holds: decided from its first bytes by default.
    #[arg(long, value_enum, default_value_t = InputFormatArg::Auto, value_name = "FORMAT")]
    stdin_format: InputFormatArg,
}

/// The passage flags (shared by scan and index build/add).
#[derive(Args, Debug)]
pub(crate) struct PassageArgs {
    /// Also find passages (quotes, leads, wire copy) shared inside paragraphs of any length,
    /// across paragraph boundaries and articles, with their byte spans. With `index build`:
    /// also store passage fingerprints, so that `query --passages` finds them.
    #[arg(long)]
    pub(crate) passages: bool,
    /// Fewest shared words (after normalisation) for a passage; with --passages.
    #[arg(
        long,
        requires = "passages",
        default_value_t = DEFAULT_MIN_PASSAGE_WORDS,
        value_name = "N"
    )]
    pub(crate) min_passage_words: usize,
}

/// Flags about labels, progress and diagnostics (shared by scan and dedup).
#[derive(Args, Debug, Clone)]
pub(crate) struct RunArgs {
    /// Label clusters spanning at least N distinct articles as boilerplate (0: never).
    #[arg(long, default_value_t = DEFAULT_BOILERPLATE_MIN_DOCS, value_name = "N")]
    pub(crate) boilerplate_min_docs: usize,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub(crate) threads: usize,
    /// Print no warnings and no progress bar.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// Print the time of each stage on stderr at the end.
    #[arg(short, long)]
    pub(crate) verbose: bool,
}

// ---- Value enums: the CLI's own, so the library derives no clap trait. Each variant's doc
// ---- comment is its help text ("Possible values"); `From` converts to the library's enum.

/// Defines a CLI value enum mirroring a library enum variant for variant, and its conversion.
macro_rules! value_enum {
    ($(#[$meta:meta])* $name:ident => $lib:ty { $($(#[$vmeta:meta])* $variant:ident,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
        pub(crate) enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl From<$name> for $lib {
            fn from(value: $name) -> $lib {
                match value {
                    $($name::$variant => <$lib>::$variant,)+
                }
            }
        }
    };
}

value_enum! {
    /// `--split`: how a file is cut into paragraphs.
    SplitArg => SplitMode {
        /// Every non-empty line is a paragraph (scraped news dumps are written this way).
        Lines,
        /// Blocks of non-blank lines separated by blank lines are paragraphs.
        Blank,
        /// The whole document (a file, a JSONL or Parquet record, a WARC record) is one unit:
        /// near-duplicate documents rather than paragraphs.
        Document,
    }
}

value_enum! {
    /// `--verify`: how a candidate pair is confirmed.
    VerifyArg => VerifyMode {
        /// Jaccard similarity estimated from the full MinHash signatures must reach the threshold.
        Estimate,
        /// The estimate decides when it is more than 3 standard errors from the threshold; closer
        /// than that, the exact Jaccard similarity of the shingle sets decides.
        Auto,
        /// Exact Jaccard similarity of the shingle sets must reach the threshold.
        Exact,
    }
}

value_enum! {
    /// `scan --format`: the report formats.
    FormatArg => Format {
        /// Human-readable summary for a terminal.
        Text,
        /// One JSON document (schema in `docs/REPORT.md`).
        Json,
        /// One cluster per line, as JSON.
        Jsonl,
        /// One self-contained HTML page: summary, per-article table, clusters with word diffs.
        Html,
        /// Markdown for pasting into issues and wikis.
        Md,
        /// CSV, one row per cluster member, for spreadsheets and data frames.
        Csv,
        /// JSONL, one line per verified pair (both sides, similarity, method).
        Pairs,
        /// Parquet, one row per cluster member, the CSV columns typed (to a file: `-o`).
        Parquet,
    }
}

value_enum! {
    /// `--stdin-format`: what standard input holds.
    InputFormatArg => InputFormat {
        /// Decided from the name, else from the content: WARC and HTML are recognised by their
        /// first bytes, anything else is plain text.
        Auto,
        /// Plain text, one document.
        Text,
        /// An HTML page, one document: its extracted main text.
        Html,
        /// JSON Lines: one document per line.
        Jsonl,
        /// A WARC crawl: one document per HTML response record.
        Warc,
    }
}

value_enum! {
    /// `dedup --keep`: which copy of a cluster is kept.
    KeepArg => Keep {
        /// The first member by path, then paragraph (the cluster's representative).
        First,
        /// The longest member in bytes (the first of equally long ones).
        Longest,
    }
}

value_enum! {
    /// `dedup --mode`: what happens to the copies that are not kept.
    DedupModeArg => DedupMode {
        /// Delete them from the written corpus.
        Remove,
        /// Copy every file unchanged and list them in the sidecar neardup-removed.jsonl.
        Mark,
    }
}

value_enum! {
    /// `dedup --scope`: which copies are removed.
    DedupScopeArg => DedupScope {
        /// Every copy but the kept one.
        All,
        /// Only copies in other articles than the kept one's: an article's own repetitions stay.
        Across,
    }
}

/// `eval --truth`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Truth {
    /// Exact Jaccard similarity of shingle sets.
    Exact,
}

/// Formats of the summaries printed by `params` and `eval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SummaryFormat {
    /// For people.
    Text,
    /// For programs.
    Json,
}

/// Formats of `index stats` and `query`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum InfoFormat {
    /// For a terminal.
    Text,
    /// One JSON object.
    Json,
}

// ---- Low-level flags → library types.

impl InputArgs {
    /// The library's input options.
    pub(crate) fn options(&self) -> InputOptions {
        // The library's options are `#[non_exhaustive]`: start from its defaults.
        let mut o = InputOptions::default();
        o.lossy = self.lossy;
        o.keep_going = self.keep_going;
        o.text_field = self.text_field.clone();
        o.id_field = self.id_field.clone();
        o.include = self.include.clone();
        o.exclude = self.exclude.clone();
        o.max_file_size = self.max_file_size;
        o.max_document_size = self.max_document_size;
        o.html_limits = ingest::HtmlLimits {
            max_depth: self.max_html_depth,
            max_elements: self.max_html_elements,
            max_bytes: self.max_html_bytes,
        };
        o.stdin_format = self.stdin_format.into();
        o.text_only = false;
        o
    }

    /// Refuse the flags that only a scan of files uses, for a command that cannot honour them
    /// (the index takes plain-text files only), rather than ignore them silently.
    pub(crate) fn only_lossy_and_keep_going(&self, command: &str) -> Result<(), Error> {
        self.options().check_plain_text_only(command)
    }
}

/// `10M` → 10 MiB. Plain numbers are bytes.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&t[..i], t[i..].trim()),
        None => (t, ""),
    };
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("unknown size unit {unit:?} (use K, M or G)")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size (e.g. 500K, 10M)"))?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

fn parse_size_usize(text: &str) -> Result<usize, String> {
    usize::try_from(parse_size(text)?).map_err(|_| format!("{text:?} is too large"))
}

impl RunArgs {
    /// The library's scan options: inputs read with `input`, clusters labelled by this run.
    pub(crate) fn scan_options(&self, input: InputOptions) -> ScanOptions {
        let mut o = ScanOptions::default();
        o.input = input;
        o.boilerplate_min_docs = self.boilerplate_min_docs;
        o
    }
}

impl PassageArgs {
    /// The passage configuration asked for, if any.
    pub(crate) fn config(&self) -> Option<PassageConfig> {
        self.passages.then(|| {
            let mut c = PassageConfig::default();
            c.min_words = self.min_passage_words;
            c
        })
    }
}

impl MatchArgs {
    /// The configuration these flags ask for, defaults filled in (a scan, a new index).
    pub(crate) fn config(&self) -> Config {
        let mut c = Config::default();
        c.threshold = self.lsh.threshold;
        c.num_perm = self.lsh.num_perm;
        c.bands = self.lsh.bands;
        c.rows = self.lsh.rows;
        c.shingle_words = self.shingle;
        c.split = self.split.into();
        c.seed = self.seed;
        c.min_words = self.min_words;
        c.verify = self.verify.into();
        c.passages = None;
        c.hash = self.hash;
        c
    }

    /// The flags as given: `None` where the command line left one out (`leaf` is the parse
    /// of the subcommand these flags belong to). The only place flag ids are named.
    pub(crate) fn given(&self, leaf: &ArgMatches) -> MatchFlags {
        MatchFlags {
            threshold: given(leaf, "threshold", self.lsh.threshold),
            num_perm: given(leaf, "num_perm", self.lsh.num_perm),
            bands: self.lsh.bands,
            rows: self.lsh.rows,
            shingle_words: given(leaf, "shingle", self.shingle),
            split: given(leaf, "split", self.split.into()),
            seed: given(leaf, "seed", self.seed),
            min_words: given(leaf, "min_words", self.min_words),
            verify: given(leaf, "verify", self.verify.into()),
            hash: given(leaf, "hash", self.hash),
        }
    }
}

impl PassageArgs {
    /// `--min-passage-words` when given on the command line.
    pub(crate) fn min_words_given(&self, leaf: &ArgMatches) -> Option<usize> {
        given(leaf, "min_passage_words", self.min_passage_words)
    }
}

/// `value` when the flag `id` was given on the command line (not defaulted).
fn given<T>(leaf: &ArgMatches, id: &str, value: T) -> Option<T> {
    (leaf.value_source(id) == Some(ValueSource::CommandLine)).then_some(value)
}

/// The parse of the innermost subcommand (`index build`, not `index`): where its flags are.
pub(crate) fn leaf(matches: &ArgMatches) -> &ArgMatches {
    let mut m = matches;
    while let Some((_, sub)) = m.subcommand() {
        m = sub;
    }
    m
}

/// The matching flags of a command that works on an existing index: `None` = left out, so
/// the index's own parameter applies.
#[derive(Clone, Debug, Default)]
pub(crate) struct MatchFlags {
    pub(crate) threshold: Option<f64>,
    pub(crate) num_perm: Option<usize>,
    pub(crate) bands: Option<usize>,
    pub(crate) rows: Option<usize>,
    pub(crate) shingle_words: Option<usize>,
    pub(crate) split: Option<SplitMode>,
    pub(crate) seed: Option<u64>,
    pub(crate) min_words: Option<usize>,
    pub(crate) verify: Option<VerifyMode>,
    pub(crate) hash: Option<HashFamily>,
}

impl MatchFlags {
    /// `stored` (an index's configuration) with the given flags applied. Bands and rows
    /// follow a given threshold or permutation count unless given themselves.
    pub(crate) fn over(&self, stored: Config) -> Config {
        let mut c = stored;
        if self.threshold.is_some() || self.num_perm.is_some() {
            (c.bands, c.rows) = (None, None);
        }
        c.threshold = self.threshold.unwrap_or(c.threshold);
        c.num_perm = self.num_perm.unwrap_or(c.num_perm);
        if self.bands.is_some() {
            (c.bands, c.rows) = (self.bands, self.rows);
        }
        c.shingle_words = self.shingle_words.unwrap_or(c.shingle_words);
        c.split = self.split.unwrap_or(c.split);
        c.seed = self.seed.unwrap_or(c.seed);
        c.min_words = self.min_words.unwrap_or(c.min_words);
        c.verify = self.verify.unwrap_or(c.verify);
        c.hash = self.hash.unwrap_or(c.hash);
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, FromArgMatches};

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("10K"), Ok(10 << 10));
        assert_eq!(parse_size("2m"), Ok(2 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert!(parse_size("5Q").is_err());
        assert!(parse_size("M").is_err());
    }

    fn parse(args: &[&str]) -> (Cli, ArgMatches) {
        let matches = Cli::command().get_matches_from(args);
        (Cli::from_arg_matches(&matches).unwrap(), matches)
    }

    #[test]
    fn defaults_are_the_librarys() {
        let (cli, _) = parse(&["neardup", "scan", "x"]);
        let Command::Scan(args) = cli.command else {
            panic!("not a scan")
        };
        assert_eq!(args.matching.config(), Config::default());
        assert_eq!(args.input.options(), InputOptions::default());
        assert_eq!(
            args.passage.min_passage_words,
            PassageConfig::default().min_words
        );
    }

    #[test]
    fn only_flags_on_the_command_line_are_given() {
        let argv = [
            "neardup",
            "query",
            "t",
            "--index",
            "i",
            "--threshold",
            "0.8",
            "--seed",
            "7",
        ];
        let (cli, matches) = parse(&argv);
        let Command::Query(args) = cli.command else {
            panic!("not a query")
        };
        let flags = args.matching.given(leaf(&matches));
        // Given at its default value is still given.
        assert_eq!(flags.threshold, Some(0.8));
        assert_eq!(flags.seed, Some(7));
        assert_eq!(
            (flags.num_perm, flags.split, flags.verify),
            (None, None, None)
        );
        assert_eq!((flags.shingle_words, flags.min_words), (None, None));
    }

    #[test]
    fn every_flag_id_named_exists() {
        // `value_source` answers None for an unknown id: a renamed field would silently
        // never count as given. `try_get_raw` errs on unknown ids instead.
        for argv in [
            &["neardup", "query", "t", "--index", "i"][..],
            &["neardup", "index", "add", "p", "--index", "i"][..],
            &["neardup", "scan", "--index", "i"][..],
        ] {
            let matches = Cli::command().get_matches_from(argv);
            let leaf = leaf(&matches);
            for id in [
                "threshold",
                "num_perm",
                "shingle",
                "split",
                "seed",
                "min_words",
                "verify",
            ] {
                assert!(leaf.try_get_raw(id).is_ok(), "{id} in {argv:?}");
            }
        }
        let matches = Cli::command().get_matches_from(["neardup", "scan", "--index", "i"]);
        assert!(leaf(&matches).try_get_raw("min_passage_words").is_ok());
    }
}

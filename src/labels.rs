//! Labels: the ground-truth schema `neardup.labels/1`, one type for the generator and eval.
//!
//! Input: labels JSON (hand-written, such as `corpora/sample-labels.json`, or written by the
//! generator behind the `synth` feature). Output: [`Labels`]: duplicate groups and hard
//! negatives by document path and paragraph. Invariants: [`Labels::parse`] refuses a file whose
//! `schema` is not [`LABELS_SCHEMA`], naming what it found; paths are relative to the corpus
//! root (`a.txt`), whereas reports name documents as given (`corpus/a.txt`, see
//! `ingest::slash_path`): `eval` maps one onto the other. This module lives outside `synth` so
//! that eval works in builds without the generator.

use serde::{Deserialize, Serialize};

/// Value of [`Labels::schema`] this version reads and writes.
pub const LABELS_SCHEMA: &str = "neardup.labels/1";

/// Ground truth of a corpus: written as `labels.json` by the generator (`synth`), read by
/// `neardup eval --labels` (hand-written labels such as `corpora/sample-labels.json` may leave out
/// `seed`, `hard_negatives`, `edit_kind` and `edit_rate`; unknown fields are ignored).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Labels {
    /// Format identifier, [`LABELS_SCHEMA`] ([`Labels::parse`] refuses any other).
    pub schema: String,
    /// How paragraphs are counted: `"lines"`, i.e. paragraph `i` is the `i`-th non-empty line
    /// (0-based) of the article file.
    pub split: String,
    /// The generator's seed (absent from hand-written labels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Duplicate groups, pairwise disjoint, sorted by (path, paragraph) of their first member.
    pub groups: Vec<LabelGroup>,
    /// Pairs of paragraphs that overlap partially but are not duplicates, sorted.
    #[serde(default)]
    pub hard_negatives: Vec<HardNegative>,
}

impl Labels {
    /// Parse labels JSON, refusing a `schema` other than [`LABELS_SCHEMA`]; the error says what
    /// is wrong (`Err` holds the message, without the file name).
    pub fn parse(text: &str) -> Result<Labels, String> {
        #[derive(Deserialize)]
        struct Schema {
            schema: Option<String>,
        }
        // The schema first, so that a file of another kind is named as such rather than by
        // its first missing field.
        let schema: Schema =
            serde_json::from_str(text).map_err(|e| format!("invalid JSON ({e})"))?;
        match schema.schema.as_deref() {
            Some(LABELS_SCHEMA) => {}
            Some(other) => return Err(format!("schema is {other:?}, expected {LABELS_SCHEMA:?}")),
            None => return Err(format!("no `schema` field (expected {LABELS_SCHEMA:?})")),
        }
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

/// Kind of a duplicate group.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    /// Republished copies, all byte-identical to the source.
    Exact,
    /// Republished copies, each byte-identical or a format variant: all identical after
    /// normalisation.
    Format,
    /// Republished copies of which at least one has edited words.
    Near,
    /// A site's footer line, one member per article of the site.
    Footer,
    /// A lead or title repeated inside its own article.
    LeadRepeat,
}

/// How a member of a group differs from the group's first member.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EditKind {
    /// The original (first member of every group).
    Source,
    /// Byte-identical copy.
    Verbatim,
    /// Same words; only format changed (identical after normalisation).
    Format,
    /// Some words replaced by other words.
    Substitute,
    /// Some words inserted.
    Insert,
    /// Some words deleted.
    Delete,
    /// A mix of substitutions, insertions and deletions.
    Mixed,
}

/// A duplicate group: paragraphs that a perfect detector puts in one cluster.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LabelGroup {
    /// What kind of duplication this is.
    pub kind: GroupKind,
    /// Members; the first has [`EditKind::Source`]. At least two members.
    pub members: Vec<LabelMember>,
}

/// One paragraph of a [`LabelGroup`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LabelMember {
    /// Document path relative to the corpus root (`a.txt`, not `corpus/a.txt`).
    pub path: String,
    /// 0-based index among the article's non-empty lines.
    pub paragraph: usize,
    /// How this member was derived from the source (absent from hand-written labels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_kind: Option<EditKind>,
    /// Number of word edits divided by the source's word count; 0 for source, verbatim and
    /// format members. Lies in the generator's `edit_rate` range whenever that range contains a
    /// multiple of 1 / (source word count). Rounded to 4 decimals.
    #[serde(default)]
    pub edit_rate: f64,
}

/// A paragraph address.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ParagraphRef {
    /// Document path relative to the corpus root (`a.txt`, not `corpus/a.txt`).
    pub path: String,
    /// 0-based index among the article's non-empty lines.
    pub paragraph: usize,
}

/// A partial-overlap pair that must not be reported as a duplicate.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct HardNegative {
    /// The original paragraph.
    pub a: ParagraphRef,
    /// The paragraph that reuses one run of `a`'s words (in a later article).
    pub b: ParagraphRef,
    /// Length of the shared run of words (30–50 % of `a`'s words).
    pub shared_words: usize,
}

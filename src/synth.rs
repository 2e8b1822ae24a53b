//! Synthetic news corpora with known duplicate groups, for tests, benchmarks and evaluation.
//!
//! Input: a [`SynthConfig`] (seed, size, rates). Output: a [`SynthCorpus`] of English and Arabic
//! news-like articles (one paragraph per line, a 6–14 word title first, the site footer last)
//! plus [`Labels`] naming every planted duplicate group and hard negative by article path and
//! paragraph index. Invariants: the same config gives byte-identical articles and labels on
//! every platform and toolchain (own xoshiro256** PRNG, integer arithmetic and correctly rounded
//! `+ - * /` only, no libm, no hash-map iteration); every paragraph is a non-empty line without
//! `\n`; every label points at an existing paragraph; label groups are pairwise disjoint and
//! every group has at least two members.
//!
//! # What is planted
//!
//! | label | what it is | identical after normalisation? |
//! |---|---|---|
//! | [`GroupKind::Footer`] | the site's footer line, last line of every article of that site | yes (byte-identical) |
//! | [`GroupKind::LeadRepeat`] | the lead (2nd line) repeated later in the same article, or the title printed twice | yes (verbatim or format variant) |
//! | [`GroupKind::Exact`] | a body paragraph republished verbatim in articles of other sites | yes (byte-identical) |
//! | [`GroupKind::Format`] | as `Exact`, but some copies differ only by format | yes |
//! | [`GroupKind::Near`] | as `Format`, but some copies have words substituted, inserted or deleted | no |
//! | [`HardNegative`] | a paragraph sharing one run of 30–50 % of another paragraph's words, the rest new | no: word 3-gram Jaccard typically 0.1–0.3 |
//!
//! Format variants change only what the normaliser removes: case, punctuation and quotes,
//! whitespace (double spaces, no-break spaces), Arabic harakat and tanween, tatweel, Arabic
//! presentation forms (U+FE80–U+FEF4), alef/hamza forms (أ إ آ → ا), ة → ه, ى → ي, and
//! Arabic-Indic digits. Paragraphs in no group are unrelated: words are drawn independently
//! from a Zipf–Mandelbrot distribution over a 2,000-word list per language, so common words
//! repeat as in real text while word 3-grams of unrelated paragraphs almost never coincide.
//!
//! [`generate_passages`] writes another kind of corpus: passages of known byte position
//! embedded in unrelated text (labels in [`PassageLabels`]), scored by [`evaluate_passages`].
//!
//! # Example
//!
//! ```
//! use neardup::synth::{generate, SynthConfig};
//!
//! let config = SynthConfig { seed: 7, paragraphs: 2_000, ..SynthConfig::default() };
//! let corpus = generate(&config);
//! assert!(corpus.paragraph_count() >= 2_000);
//! assert_eq!(generate(&config).articles, corpus.articles); // deterministic
//! ```

use std::fmt::Write as _;

pub mod passages;
pub use crate::labels::{
    EditKind, GroupKind, HardNegative, LabelGroup, LabelMember, Labels, ParagraphRef, LABELS_SCHEMA,
};
pub use passages::{
    evaluate_passages, generate_passages, PassageCorpus, PassageEvaluation, PassageLabels,
    PassageOccurrence, PassageSynthConfig, PlantedPassage, PASSAGE_LABELS_SCHEMA,
};
use std::ops::Range;
use std::path::Path;
use std::rc::Rc;

/// English word list, roughly in frequency order (rank 1 first).
const WORDS_EN: &str = include_str!("synth/words_en.txt");
/// Arabic word list, roughly in frequency order (rank 1 first).
const WORDS_AR: &str = include_str!("synth/words_ar.txt");

/// Parameters of a synthetic corpus. Out-of-range values are clamped, never a panic: ranges
/// given as `(max, min)` are swapped, rates are clamped to `[0, 1]` (NaN counts as 0), a
/// paragraph has at least 3 words and an article at least one body paragraph.
#[derive(Clone, Debug)]
pub struct SynthConfig {
    /// Seed of the PRNG; everything generated is a function of the config.
    pub seed: u64,
    /// Approximate total number of paragraphs (lines): articles are added until this many
    /// paragraphs exist, so the result overshoots by less than one article.
    pub paragraphs: usize,
    /// Minimum and maximum number of freshly written body paragraphs per article (the lead
    /// included; title, footer, repeats and republished copies come on top). Default `(4, 12)`.
    pub paragraphs_per_article: (usize, usize),
    /// Minimum and maximum number of words per body paragraph. Default `(20, 80)`.
    pub words_per_paragraph: (usize, usize),
    /// Fraction of articles written in Arabic (the rest in English). Default 0.5.
    pub arabic_share: f64,
    /// Fraction of articles that repeat their lead later in the article or print their title
    /// twice (verbatim or as a format variant). Default 0.2.
    pub lead_repeat_rate: f64,
    /// Fraction of fresh body paragraphs republished, possibly edited, in articles of other
    /// sites. Default 0.05.
    pub near_dup_rate: f64,
    /// Minimum and maximum number of republished copies per source paragraph. Default `(1, 4)`.
    pub copies: (usize, usize),
    /// Range of the fraction of words edited in an edited copy (uniform). Default `(0.0, 0.1)`.
    pub edit_rate: (f64, f64),
    /// Share of copies that differ from their source only by format. Default 0.3.
    pub format_variant_rate: f64,
    /// Fraction of fresh body paragraphs for which a partial-overlap paragraph (a hard negative)
    /// is written into a later article. Default 0.02.
    pub hard_negative_rate: f64,
    /// Number of sites; each site appends its own footer line to every article. Default 20.
    pub sites: usize,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 0,
            paragraphs: 10_000,
            paragraphs_per_article: (4, 12),
            words_per_paragraph: (20, 80),
            arabic_share: 0.5,
            lead_repeat_rate: 0.2,
            near_dup_rate: 0.05,
            copies: (1, 4),
            edit_rate: (0.0, 0.1),
            format_variant_rate: 0.3,
            hard_negative_rate: 0.02,
            sites: 20,
        }
    }
}

/// One generated article.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthArticle {
    /// Relative path with `/` separators: `{en|ar}/site-NN/NNNNNN.txt`, where the file name is
    /// the article's number in generation order, zero-padded to 6 digits (more when
    /// [`SynthConfig::paragraphs`] reaches 3 million) so that paths sort in generation order per site.
    pub path: String,
    /// The article: paragraphs separated by `\n`, with a trailing `\n`, no empty lines.
    pub text: String,
}

/// A generated corpus and its ground truth.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthCorpus {
    /// Articles in generation order (not path order).
    pub articles: Vec<SynthArticle>,
    /// Planted duplicate groups and hard negatives.
    pub labels: Labels,
}

impl SynthCorpus {
    /// Writes every article to `dir/{path}` and the labels to `dir/labels.json` (pretty JSON),
    /// creating directories as needed. Existing files are overwritten.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        let mut made = std::collections::BTreeSet::new();
        for article in &self.articles {
            let path = dir.join(&article.path);
            if let Some(parent) = path.parent() {
                if made.insert(parent.to_path_buf()) {
                    std::fs::create_dir_all(parent)?;
                }
            }
            std::fs::write(&path, &article.text)?;
        }
        std::fs::create_dir_all(dir)?;
        let mut json = serde_json::to_vec_pretty(&self.labels).map_err(std::io::Error::other)?;
        json.push(b'\n');
        std::fs::write(dir.join("labels.json"), json)
    }

    /// Number of paragraphs (non-empty lines) over all articles.
    pub fn paragraph_count(&self) -> usize {
        self.articles
            .iter()
            .map(|a| a.text.split('\n').filter(|l| !l.is_empty()).count())
            .sum()
    }

    /// Total size of the article texts in bytes (labels excluded).
    pub fn byte_count(&self) -> usize {
        self.articles.iter().map(|a| a.text.len()).sum()
    }
}

/// Generates a corpus; see the [module docs](self) for what is planted.
pub fn generate(config: &SynthConfig) -> SynthCorpus {
    let cfg = Params::new(config);
    let mut generator = Generator::new(cfg);
    while generator.total_paragraphs < generator.cfg.paragraphs {
        generator.article();
    }
    generator.finish()
}

// ---------------------------------------------------------------------------------------------
// PRNG: xoshiro256** seeded by SplitMix64 (both fixed algorithms, so output never depends on a
// crate version or platform).

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Clone, Debug)]
struct Rng {
    s: [u64; 4],
}

impl Rng {
    fn new(seed: u64) -> Self {
        let mut state = seed;
        Rng {
            s: [
                splitmix64(&mut state),
                splitmix64(&mut state),
                splitmix64(&mut state),
                splitmix64(&mut state),
            ],
        }
    }

    fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (0 when `n == 0`), by Lemire's multiply-shift.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`; callers guarantee `lo <= hi < usize::MAX`.
    fn range(&mut self, (lo, hi): (usize, usize)) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

// ---------------------------------------------------------------------------------------------
// Config clamping.

/// A [`SynthConfig`] after clamping, plus limits derived from it.
#[derive(Clone, Debug)]
struct Params {
    seed: u64,
    paragraphs: usize,
    body: (usize, usize),
    words: (usize, usize),
    arabic_share: f64,
    lead_repeat_rate: f64,
    near_dup_rate: f64,
    copies: (usize, usize),
    edit_rate: (f64, f64),
    format_variant_rate: f64,
    hard_negative_rate: f64,
    sites: usize,
    /// Most copies / hard negatives placed into one article: twice the expected production per
    /// article, so the pools of pending copies stay small.
    max_copies_per_article: usize,
    max_hard_negatives_per_article: usize,
}

/// Largest count accepted in a range; keeps `hi - lo + 1` and memory sane.
const MAX_COUNT: usize = 1 << 20;

fn rate(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

fn ordered(lo: usize, hi: usize, min: usize) -> (usize, usize) {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    (lo.clamp(min, MAX_COUNT), hi.clamp(min, MAX_COUNT))
}

impl Params {
    fn new(c: &SynthConfig) -> Self {
        let body = ordered(c.paragraphs_per_article.0, c.paragraphs_per_article.1, 1);
        let words = ordered(c.words_per_paragraph.0, c.words_per_paragraph.1, 3);
        let copies = ordered(c.copies.0, c.copies.1, 0);
        let (e0, e1) = (rate(c.edit_rate.0), rate(c.edit_rate.1));
        let edit_rate = if e0 <= e1 { (e0, e1) } else { (e1, e0) };
        let near_dup_rate = rate(c.near_dup_rate);
        let hard_negative_rate = rate(c.hard_negative_rate);
        let mean_body = (body.0 + body.1) as f64 / 2.0;
        let mean_copies = (copies.0 + copies.1) as f64 / 2.0;
        let per_article = |x: f64| (2.0 * x).ceil() as usize + 2;
        Params {
            seed: c.seed,
            paragraphs: c.paragraphs,
            body,
            words,
            arabic_share: rate(c.arabic_share),
            lead_repeat_rate: rate(c.lead_repeat_rate),
            near_dup_rate,
            copies,
            edit_rate,
            format_variant_rate: rate(c.format_variant_rate),
            hard_negative_rate,
            sites: c.sites.clamp(1, 9_999),
            max_copies_per_article: per_article(near_dup_rate * mean_body * mean_copies),
            max_hard_negatives_per_article: per_article(hard_negative_rate * mean_body),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Vocabulary with an alias-method Zipf sampler (one PRNG draw per word).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    En,
    Ar,
}

impl Lang {
    fn dir(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ar => "ar",
        }
    }
    fn index(self) -> usize {
        match self {
            Lang::En => 0,
            Lang::Ar => 1,
        }
    }
}

/// Zipf–Mandelbrot offset: weight of rank r is 1 / (r + Q). Flattens the head a little so the
/// top words do not make common 3-grams out of unrelated paragraphs.
const ZIPF_Q: f64 = 2.7;
/// Rank at which "a number" is drawn as if it were a word.
const NUMBER_RANK: f64 = 30.0;

struct Vocab {
    words: Vec<&'static str>,
    /// Alias method: draw column i uniformly, keep it if the low 32 bits are below thresh[i].
    thresh: Vec<u32>,
    alias: Vec<u32>,
}

impl Vocab {
    fn new(list: &'static str) -> Self {
        let words: Vec<&'static str> = list
            .lines()
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .collect();
        let mut p: Vec<f64> = (0..words.len())
            .map(|r| 1.0 / (r as f64 + 1.0 + ZIPF_Q))
            .chain(std::iter::once(1.0 / (NUMBER_RANK + ZIPF_Q)))
            .collect();
        let n = p.len();
        let sum: f64 = p.iter().sum();
        for x in &mut p {
            *x = *x * n as f64 / sum;
        }
        // Vose's alias method; only IEEE + - * / so the table is identical everywhere.
        let mut thresh = vec![u32::MAX; n];
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| p[i] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            large.pop();
            thresh[s] = (p[s] * 4_294_967_296.0) as u32;
            alias[s] = l as u32;
            p[l] = (p[l] + p[s]) - 1.0;
            if p[l] < 1.0 {
                small.push(l);
            } else {
                large.push(l);
            }
        }
        Vocab {
            words,
            thresh,
            alias,
        }
    }

    /// A word index, or `words.len()` meaning "a number".
    fn sample(&self, rng: &mut Rng) -> u32 {
        let x = rng.next_u64();
        let i = (((x >> 32) * self.thresh.len() as u64) >> 32) as usize;
        if (x as u32) < self.thresh[i] {
            i as u32
        } else {
            self.alias[i]
        }
    }

    /// A token word: a vocabulary index or `NUM_FLAG | value`.
    fn sample_word(&self, rng: &mut Rng) -> u32 {
        let w = self.sample(rng);
        if w as usize == self.words.len() {
            let value = if rng.chance(0.4) {
                1990 + rng.below(36)
            } else {
                1 + rng.below(999)
            };
            NUM_FLAG | value as u32
        } else {
            w
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens and rendering.

const NUM_FLAG: u32 = 1 << 31;
const P_NONE: u8 = 0;
const P_COMMA: u8 = 1;
const P_STOP: u8 = 2;
const P_COLON: u8 = 3;

/// A word plus the punctuation that follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tok {
    word: u32,
    punct: u8,
}

/// Writes sentences of 6–22 words, some with a comma, the last token always ending a sentence.
fn gen_body(rng: &mut Rng, vocab: &Vocab, n: usize, out: &mut Vec<Tok>) {
    out.clear();
    let (mut left, mut comma_at) = (0usize, 0usize);
    for _ in 0..n {
        if left == 0 {
            left = rng.range((6, 22));
            comma_at = if left > 10 && rng.chance(0.5) {
                rng.range((3, left - 4))
            } else {
                0
            };
        }
        let punct = if left == 1 {
            P_STOP
        } else if left == comma_at {
            P_COMMA
        } else {
            P_NONE
        };
        out.push(Tok {
            word: vocab.sample_word(rng),
            punct,
        });
        left -= 1;
    }
    if let Some(last) = out.last_mut() {
        last.punct = P_STOP;
    }
}

/// A title of 6–14 words, sometimes with a colon ("Minister: ..."), no final stop.
fn gen_title(rng: &mut Rng, vocab: &Vocab, out: &mut Vec<Tok>) {
    out.clear();
    let n = rng.range((6, 14));
    let colon = if rng.chance(0.25) {
        rng.range((1, 3))
    } else {
        n
    };
    for i in 0..n {
        out.push(Tok {
            word: vocab.sample_word(rng),
            punct: if i == colon { P_COLON } else { P_NONE },
        });
    }
}

fn push_number(out: &mut String, mut value: u32, arabic_digits: bool) {
    let mut digits = [0u8; 10];
    let mut len = 0;
    loop {
        digits[len] = (value % 10) as u8;
        len += 1;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    for &d in digits[..len].iter().rev() {
        if arabic_digits {
            out.push(char::from_u32(0x0660 + u32::from(d)).unwrap_or('0'));
        } else {
            out.push(char::from(b'0' + d));
        }
    }
}

fn render(out: &mut String, lang: Lang, vocab: &Vocab, toks: &[Tok], arabic_digits: bool) {
    let mut capital = true;
    for (i, t) in toks.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if t.word & NUM_FLAG != 0 {
            push_number(out, t.word & !NUM_FLAG, arabic_digits);
        } else {
            let w = vocab.words[t.word as usize];
            if capital && lang == Lang::En {
                let mut chars = w.chars();
                if let Some(c) = chars.next() {
                    out.push(c.to_ascii_uppercase());
                    out.push_str(chars.as_str());
                }
            } else {
                out.push_str(w);
            }
        }
        capital = false;
        match t.punct {
            P_COMMA => out.push_str(if lang == Lang::Ar { "،" } else { "," }),
            P_STOP => {
                out.push('.');
                capital = true;
            }
            P_COLON => out.push(':'),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Edits.

/// Applies `k` word edits (distinct, never undoing each other) and returns the edit kind.
/// `k` is drawn from the configured rate range and clamped so the realised rate k / n stays
/// inside the range whenever some integer k allows it.
fn edit_tokens(
    rng: &mut Rng,
    vocab: &Vocab,
    src: &[Tok],
    (lo, hi): (f64, f64),
) -> (Vec<Tok>, EditKind, f64) {
    let n = src.len();
    let nf = n as f64;
    let r = lo + (hi - lo) * rng.unit();
    let mut k = (r * nf).round() as usize;
    let (kmin, kmax) = ((lo * nf).ceil() as usize, (hi * nf).floor() as usize);
    if kmin <= kmax {
        k = k.clamp(kmin, kmax);
    }
    k = k.min(n.saturating_sub(3)); // keep a 3-gram even after deletions
    if k == 0 {
        return (src.to_vec(), EditKind::Verbatim, 0.0);
    }
    // An insertion can restore a deleted word in place; retry so an edited copy always differs.
    for _ in 0..8 {
        let (out, kind) = apply_edits(rng, vocab, src, k);
        if out.len() != n || out.iter().zip(src).any(|(a, b)| a.word != b.word) {
            return (out, kind, round4(k as f64 / nf));
        }
    }
    let (out, kind) = apply_edits(rng, vocab, src, k);
    (out, kind, round4(k as f64 / nf))
}

/// Rounded to 4 decimals so that `labels.json` round-trips exactly through any JSON parser.
fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn apply_edits(rng: &mut Rng, vocab: &Vocab, src: &[Tok], k: usize) -> (Vec<Tok>, EditKind) {
    let kind = match rng.below(4) {
        0 => EditKind::Substitute,
        1 => EditKind::Insert,
        2 => EditKind::Delete,
        _ => EditKind::Mixed,
    };
    // (token, touched): touched tokens are never edited again.
    let mut toks: Vec<(Tok, bool)> = src.iter().map(|&t| (t, false)).collect();
    let mut free: Vec<usize> = Vec::with_capacity(toks.len());
    for _ in 0..k {
        let op = match kind {
            EditKind::Mixed => rng.below(3),
            EditKind::Substitute => 0,
            EditKind::Insert => 1,
            _ => 2,
        };
        free.clear();
        free.extend((0..toks.len()).filter(|&i| !toks[i].1));
        if op == 1 {
            let at = rng.below(toks.len() + 1);
            toks.insert(
                at,
                (
                    Tok {
                        word: vocab.sample_word(rng),
                        punct: P_NONE,
                    },
                    true,
                ),
            );
            continue;
        }
        if free.is_empty() {
            break;
        }
        let i = free[rng.below(free.len())];
        if op == 0 {
            let old = toks[i].0.word;
            let mut new = vocab.sample_word(rng);
            while new == old {
                new = vocab.sample_word(rng);
            }
            toks[i] = (
                Tok {
                    word: new,
                    punct: toks[i].0.punct,
                },
                true,
            );
        } else {
            let removed = toks.remove(i).0;
            if removed.punct == P_STOP && i > 0 {
                toks[i - 1].0.punct = P_STOP;
            }
        }
    }
    let mut out: Vec<Tok> = toks.into_iter().map(|(t, _)| t).collect();
    if let Some(last) = out.last_mut() {
        last.punct = P_STOP;
    }
    (out, kind)
}

// ---------------------------------------------------------------------------------------------
// Format variants: changes the normaliser undoes.

const TATWEEL: char = '\u{0640}';

/// Arabic letter → (isolated presentation form, number of positional forms: 1 none joins,
/// 2 right-joining, 4 dual-joining). Forms follow as isolated, final, initial, medial.
const PRESENTATION: &[(char, u32, u8)] = &[
    ('ء', 0xFE80, 1),
    ('آ', 0xFE81, 2),
    ('أ', 0xFE83, 2),
    ('ؤ', 0xFE85, 2),
    ('إ', 0xFE87, 2),
    ('ئ', 0xFE89, 4),
    ('ا', 0xFE8D, 2),
    ('ب', 0xFE8F, 4),
    ('ة', 0xFE93, 2),
    ('ت', 0xFE95, 4),
    ('ث', 0xFE99, 4),
    ('ج', 0xFE9D, 4),
    ('ح', 0xFEA1, 4),
    ('خ', 0xFEA5, 4),
    ('د', 0xFEA9, 2),
    ('ذ', 0xFEAB, 2),
    ('ر', 0xFEAD, 2),
    ('ز', 0xFEAF, 2),
    ('س', 0xFEB1, 4),
    ('ش', 0xFEB5, 4),
    ('ص', 0xFEB9, 4),
    ('ض', 0xFEBD, 4),
    ('ط', 0xFEC1, 4),
    ('ظ', 0xFEC5, 4),
    ('ع', 0xFEC9, 4),
    ('غ', 0xFECD, 4),
    ('ف', 0xFED1, 4),
    ('ق', 0xFED5, 4),
    ('ك', 0xFED9, 4),
    ('ل', 0xFEDD, 4),
    ('م', 0xFEE1, 4),
    ('ن', 0xFEE5, 4),
    ('ه', 0xFEE9, 4),
    ('و', 0xFEED, 2),
    ('ى', 0xFEEF, 2),
    ('ي', 0xFEF1, 4),
];

fn presentation(c: char) -> Option<(u32, u8)> {
    PRESENTATION
        .iter()
        .find(|&&(b, _, _)| b == c)
        .map(|&(_, iso, n)| (iso, n))
}

fn is_haraka(c: char) -> bool {
    ('\u{064B}'..='\u{0652}').contains(&c)
}

fn is_arabic_letter(c: char) -> bool {
    ('\u{0621}'..='\u{064A}').contains(&c) && c != TATWEEL
}

/// Joining class of a char: 0 none, 2 right-joining, 4 dual-joining (tatweel joins both ways).
fn joining(c: char) -> u8 {
    if c == TATWEEL {
        4
    } else {
        presentation(c).map_or(0, |(_, n)| n)
    }
}

/// Replaces Arabic letters by their contextual presentation forms (as PDF extraction does).
fn to_presentation_forms(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + s.len() / 2);
    for (i, &c) in chars.iter().enumerate() {
        let Some((iso, forms)) = presentation(c) else {
            out.push(c);
            continue;
        };
        let prev = chars[..i].iter().rev().find(|&&p| !is_haraka(p)).copied();
        let next = chars[i + 1..].iter().find(|&&p| !is_haraka(p)).copied();
        let joins_prev = forms >= 2 && prev.is_some_and(|p| joining(p) == 4);
        let joins_next = forms == 4 && next.is_some_and(|n| joining(n) >= 2);
        let offset = match (forms, joins_prev, joins_next) {
            (1, _, _) => 0,
            (2, p, _) => u32::from(p),
            (_, false, false) => 0,
            (_, true, false) => 1,
            (_, false, true) => 2,
            (_, true, true) => 3,
        };
        out.push(char::from_u32(iso + offset).unwrap_or(c));
    }
    out
}

fn add_harakat(rng: &mut Rng, s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() * 2);
    for (i, &c) in chars.iter().enumerate() {
        out.push(c);
        if !is_arabic_letter(c) {
            continue;
        }
        let word_end = chars.get(i + 1).is_none_or(|&n| !is_arabic_letter(n));
        if word_end && rng.chance(0.15) {
            // tanween: fathatan, dammatan or kasratan
            out.push(char::from_u32(0x064B + rng.below(3) as u32).unwrap_or(c));
        } else if rng.chance(0.3) {
            // fatha, damma, kasra, shadda or sukun
            out.push(char::from_u32(0x064E + rng.below(5) as u32).unwrap_or(c));
        }
    }
    out
}

fn add_tatweel(rng: &mut Rng, s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 16);
    for (i, &c) in chars.iter().enumerate() {
        out.push(c);
        let next_joins = chars.get(i + 1).is_some_and(|&n| joining(n) >= 2);
        if joining(c) == 4 && c != TATWEEL && next_joins && rng.chance(0.15) {
            out.push(TATWEEL);
        }
    }
    out
}

/// Spelling variants that the normaliser folds: hamza-less alef, ة → ه, final ي ↔ ى.
fn fold_letters(rng: &mut Rng, s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let word_end = chars.get(i + 1).is_none_or(|&n| !is_arabic_letter(n));
        let v = match c {
            'أ' | 'إ' | 'آ' if rng.chance(0.8) => 'ا',
            'ة' if rng.chance(0.7) => 'ه',
            'ى' if rng.chance(0.8) => 'ي',
            'ي' if word_end && rng.chance(0.5) => 'ى',
            _ => c,
        };
        out.push(v);
    }
    out
}

fn flip_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(0x0660 + (c as u32 - '0' as u32)).unwrap_or(c),
            '\u{0660}'..='\u{0669}' => {
                char::from_u32('0' as u32 + (c as u32 - 0x0660)).unwrap_or(c)
            }
            _ => c,
        })
        .collect()
}

fn arabic_punctuation(rng: &mut Rng, s: &str) -> String {
    let swapped: String = s
        .chars()
        .map(|c| match c {
            '،' => ',',
            ',' => '،',
            _ => c,
        })
        .collect();
    if rng.chance(0.5) {
        format!("«{swapped}»")
    } else {
        swapped.replace(". ", " .. ")
    }
}

fn english_punctuation(rng: &mut Rng, s: &str) -> String {
    match rng.below(3) {
        0 => s.replace(", ", " "),
        1 => s.replace(". ", "; ").replace(':', " -"),
        _ => format!("\"{}\"", s.trim_end_matches('.')),
    }
}

fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        out.push(if start { c.to_ascii_uppercase() } else { c });
        start = c == ' ';
    }
    out
}

fn spacing(rng: &mut Rng, s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if c == ' ' {
            match rng.below(8) {
                0 => out.push_str("  "),
                1 => out.push('\u{00A0}'),
                _ => out.push(' '),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A copy of `src` that differs in bytes but not in words after normalisation.
fn format_variant(rng: &mut Rng, lang: Lang, src: &str) -> String {
    let mut s = src.to_owned();
    match lang {
        Lang::En => {
            for _ in 0..1 + rng.below(2) {
                s = match rng.below(5) {
                    0 => s.to_ascii_uppercase(),
                    1 => s.to_ascii_lowercase(),
                    2 => title_case(&s),
                    3 => english_punctuation(rng, &s),
                    _ => spacing(rng, &s),
                };
            }
        }
        Lang::Ar => {
            // Pick 1–3 operations, apply in a fixed order (presentation forms last, as they
            // depend on the letters around them).
            let mut ops = 0u32;
            for _ in 0..1 + rng.below(3) {
                ops |= 1 << rng.below(7);
            }
            if ops & 1 != 0 {
                s = fold_letters(rng, &s);
            }
            if ops & 2 != 0 {
                s = flip_digits(&s);
            }
            if ops & 4 != 0 {
                s = arabic_punctuation(rng, &s);
            }
            if ops & 8 != 0 {
                s = add_harakat(rng, &s);
            }
            if ops & 16 != 0 {
                s = add_tatweel(rng, &s);
            }
            if ops & 32 != 0 {
                s = spacing(rng, &s);
            }
            if ops & 64 != 0 {
                s = to_presentation_forms(&s);
            }
        }
    }
    if s == src {
        s = match lang {
            Lang::En => format!("“{src}”"),
            Lang::Ar => format!("«{src}»"),
        };
    }
    s
}

// ---------------------------------------------------------------------------------------------
// The generator.

/// A paragraph waiting to be republished or partially reused.
struct Source {
    lang: Lang,
    site: usize,
    article: usize,
    at: ParagraphRef,
    text: String,
    toks: Vec<Tok>,
    arabic_digits: bool,
}

struct PendingCopy {
    source: Rc<Source>,
    group: usize,
    due: usize,
}

struct PendingHardNegative {
    source: Rc<Source>,
    due: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Title,
    TitleRepeat,
    Fresh,
    Copy(usize),
    HardNegative(usize),
    LeadRepeat,
    Footer,
}

/// What [`Generator::plan_article`] decided about an article before any text is written.
struct ArticlePlan {
    /// Its number among the generated articles.
    index: usize,
    lang: Lang,
    site: usize,
    path: String,
    arabic_digits: bool,
    /// One slot per line: title first, footer last.
    slots: Vec<Slot>,
    /// The line of the lead (the first body paragraph).
    lead_line: usize,
    /// The lead is repeated further down.
    lead_repeat: bool,
    /// Copies and hard negatives due in this article (`Slot::Copy(i)` is `copies[i]`).
    copies: Vec<PendingCopy>,
    hard_negatives: Vec<PendingHardNegative>,
}

impl ArticlePlan {
    /// Line `p` of this article, as labels name it.
    fn at(&self, p: usize) -> ParagraphRef {
        ParagraphRef {
            path: self.path.clone(),
            paragraph: p,
        }
    }
}

/// An article being written, with the spans of the lines a repeat copies.
struct ArticleText {
    text: String,
    title: Range<usize>,
    lead: Range<usize>,
}

/// Copies land at least one and at most this many articles after their source.
const COPY_SPREAD: usize = 50;

struct Generator {
    cfg: Params,
    rng: Rng,
    vocabs: [Vocab; 2],
    footers: Vec<String>,
    footer_members: Vec<Vec<LabelMember>>,
    articles: Vec<SynthArticle>,
    groups: Vec<LabelGroup>,
    hard_negatives: Vec<HardNegative>,
    copy_pool: Vec<PendingCopy>,
    hard_negative_pool: Vec<PendingHardNegative>,
    toks: Vec<Tok>,
    total_paragraphs: usize,
    path_width: usize,
    site_width: usize,
}

fn digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

impl Generator {
    fn new(cfg: Params) -> Self {
        let vocabs = [Vocab::new(WORDS_EN), Vocab::new(WORDS_AR)];
        // Footers come from their own PRNG so they do not depend on the article stream.
        let mut frng = Rng::new(cfg.seed ^ 0xF007_E125_F007_E125);
        let site_width = digits(cfg.sites - 1).max(2);
        let mut footers = Vec::with_capacity(2 * cfg.sites);
        let mut toks = Vec::new();
        for lang in [Lang::En, Lang::Ar] {
            for site in 0..cfg.sites {
                let vocab = &vocabs[lang.index()];
                let n = frng.range((8, 12));
                gen_body(&mut frng, vocab, n, &mut toks);
                let mut line = String::new();
                match lang {
                    Lang::En => {
                        let _ = write!(line, "© 2024 Site {site:0site_width$} News. ");
                    }
                    Lang::Ar => {
                        let _ = write!(line, "اترك تعليقاً لدى موقع {site:0site_width$} الإخباري: ");
                    }
                }
                render(&mut line, lang, vocab, &toks, false);
                footers.push(line);
            }
        }
        Generator {
            rng: Rng::new(cfg.seed),
            vocabs,
            footers,
            footer_members: (0..2 * cfg.sites).map(|_| Vec::new()).collect(),
            articles: Vec::new(),
            groups: Vec::new(),
            hard_negatives: Vec::new(),
            copy_pool: Vec::new(),
            hard_negative_pool: Vec::new(),
            toks: Vec::new(),
            total_paragraphs: 0,
            // Every article has at least 3 lines (title, lead, footer), so its number stays
            // below paragraphs / 3 + 1.
            path_width: digits(cfg.paragraphs / 3 + 1).max(6),
            site_width,
            cfg,
        }
    }

    /// Generate the next article: plan its lines ([`Generator::plan_article`]), then write
    /// them in order, one `write_*` per kind of line.
    fn article(&mut self) {
        let plan = self.plan_article();
        // Average bytes per word incl. space: ~7 in English, ~11 in Arabic (2-byte letters).
        let word_bytes = if plan.lang == Lang::Ar { 12 } else { 8 };
        let mut out = ArticleText {
            text: String::with_capacity(plan.slots.len() * self.cfg.words.1 * word_bytes / 2 + 64),
            title: 0..0,
            lead: 0..0,
        };
        let mut toks = std::mem::take(&mut self.toks);
        for (p, &slot) in plan.slots.iter().enumerate() {
            match slot {
                Slot::Title => self.write_title(&plan, &mut out, &mut toks),
                Slot::TitleRepeat => {
                    let title = out.title.clone();
                    self.write_repeat(&plan, p, (title, 0), &mut out.text);
                }
                Slot::LeadRepeat => {
                    let lead = out.lead.clone();
                    self.write_repeat(&plan, p, (lead, plan.lead_line), &mut out.text);
                }
                Slot::Fresh => self.write_fresh(&plan, p, &mut out, &mut toks),
                Slot::Copy(i) => self.write_copy(&plan, p, &plan.copies[i], &mut out.text),
                Slot::HardNegative(i) => {
                    let pending = &plan.hard_negatives[i];
                    self.write_hard_negative(&plan, p, pending, &mut out.text, &mut toks);
                }
                Slot::Footer => self.write_footer(&plan, p, &mut out.text),
            }
            out.text.push('\n');
        }
        self.toks = toks;
        self.total_paragraphs += plan.slots.len();
        self.articles.push(SynthArticle {
            path: plan.path,
            text: out.text,
        });
    }

    /// Decide the next article: language, site, name, and its lines — title, fresh body
    /// paragraphs with the copies and hard negatives due now anywhere after the lead, maybe a
    /// repeated title or lead, the site's footer. The random draws happen in this order.
    fn plan_article(&mut self) -> ArticlePlan {
        let index = self.articles.len();
        let lang = if self.rng.chance(self.cfg.arabic_share) {
            Lang::Ar
        } else {
            Lang::En
        };
        let site = self.rng.below(self.cfg.sites);
        let path = format!(
            "{}/site-{site:0sw$}/{index:0pw$}.txt",
            lang.dir(),
            sw = self.site_width,
            pw = self.path_width
        );
        let arabic_digits = lang == Lang::Ar && self.rng.chance(0.3);
        let n_body = self.rng.range(self.cfg.body);
        let (title_repeat, lead_repeat) = if self.rng.chance(self.cfg.lead_repeat_rate) {
            let title = self.rng.chance(0.3);
            (title, !title)
        } else {
            (false, false)
        };

        // Layout: fresh paragraphs, then copies and hard negatives anywhere after the lead.
        let mut body = vec![Slot::Fresh; n_body];
        let copies = self.take_copies(index, lang, site);
        let hard_negatives = self.take_hard_negatives(index, lang);
        for i in 0..copies.len() {
            let at = 1 + self.rng.below(body.len());
            body.insert(at, Slot::Copy(i));
        }
        for i in 0..hard_negatives.len() {
            let at = 1 + self.rng.below(body.len());
            body.insert(at, Slot::HardNegative(i));
        }
        if lead_repeat {
            let at = 2 + self.rng.below(body.len() - 1);
            body.insert(at.min(body.len()), Slot::LeadRepeat);
        }
        let mut slots = vec![Slot::Title];
        if title_repeat {
            slots.push(Slot::TitleRepeat);
        }
        let lead_line = slots.len();
        slots.extend(body);
        slots.push(Slot::Footer);
        ArticlePlan {
            index,
            lang,
            site,
            path,
            arabic_digits,
            slots,
            lead_line,
            lead_repeat,
            copies,
            hard_negatives,
        }
    }

    /// The title line.
    fn write_title(&mut self, plan: &ArticlePlan, out: &mut ArticleText, toks: &mut Vec<Tok>) {
        let start = out.text.len();
        let vocab = &self.vocabs[plan.lang.index()];
        gen_title(&mut self.rng, vocab, toks);
        render(&mut out.text, plan.lang, vocab, toks, plan.arabic_digits);
        out.title = start..out.text.len();
    }

    /// The title or lead again (`span` of `text`, first written on `line`), verbatim or as a
    /// format variant: a lead-repeat group of its own.
    fn write_repeat(
        &mut self,
        plan: &ArticlePlan,
        p: usize,
        (span, line): (Range<usize>, usize),
        text: &mut String,
    ) {
        let original = text[span].to_owned();
        let kind = if self.rng.chance(0.5) {
            text.push_str(&original);
            EditKind::Verbatim
        } else {
            text.push_str(&format_variant(&mut self.rng, plan.lang, &original));
            EditKind::Format
        };
        self.groups.push(LabelGroup {
            kind: GroupKind::LeadRepeat,
            members: vec![
                member(&plan.path, line, EditKind::Source, 0.0),
                member(&plan.path, p, kind, 0.0),
            ],
        });
    }

    /// A fresh paragraph (the first is the lead); at the configured rates it becomes the
    /// source of copies or of a hard negative in articles to come.
    fn write_fresh(
        &mut self,
        plan: &ArticlePlan,
        p: usize,
        out: &mut ArticleText,
        toks: &mut Vec<Tok>,
    ) {
        let start = out.text.len();
        let vocab = &self.vocabs[plan.lang.index()];
        let n = self.rng.range(self.cfg.words);
        gen_body(&mut self.rng, vocab, n, toks);
        render(&mut out.text, plan.lang, vocab, toks, plan.arabic_digits);
        if p == plan.lead_line {
            out.lead = start..out.text.len();
        }
        // A repeated lead is already in a lead-repeat group; groups stay disjoint.
        let planted = !(p == plan.lead_line && plan.lead_repeat);
        let dup = planted && self.rng.chance(self.cfg.near_dup_rate);
        let neg = planted && self.rng.chance(self.cfg.hard_negative_rate);
        if dup || neg {
            let source = Rc::new(Source {
                lang: plan.lang,
                site: plan.site,
                article: plan.index,
                at: plan.at(p),
                text: out.text[start..].to_owned(),
                toks: toks.clone(),
                arabic_digits: plan.arabic_digits,
            });
            if dup {
                self.plant_copies(&source);
            }
            if neg {
                let due = plan.index + 1 + self.rng.below(COPY_SPREAD);
                self.hard_negative_pool
                    .push(PendingHardNegative { source, due });
            }
        }
    }

    /// A copy of an earlier paragraph: a format variant, an edited or a verbatim copy, added
    /// to the source's group.
    fn write_copy(&mut self, plan: &ArticlePlan, p: usize, copy: &PendingCopy, text: &mut String) {
        let src = &copy.source;
        let vocab = &self.vocabs[plan.lang.index()];
        let (kind, rate) = if self.rng.chance(self.cfg.format_variant_rate) {
            text.push_str(&format_variant(&mut self.rng, plan.lang, &src.text));
            (EditKind::Format, 0.0)
        } else {
            let (edited, kind, rate) =
                edit_tokens(&mut self.rng, vocab, &src.toks, self.cfg.edit_rate);
            if kind == EditKind::Verbatim {
                text.push_str(&src.text);
            } else {
                render(text, plan.lang, vocab, &edited, src.arabic_digits);
            }
            (kind, rate)
        };
        self.groups[copy.group]
            .members
            .push(member(&plan.path, p, kind, rate));
    }

    /// A paragraph sharing words with an earlier one without being a copy of it (a hard
    /// negative pair).
    fn write_hard_negative(
        &mut self,
        plan: &ArticlePlan,
        p: usize,
        pending: &PendingHardNegative,
        text: &mut String,
        toks: &mut Vec<Tok>,
    ) {
        let src = &pending.source;
        let vocab = &self.vocabs[plan.lang.index()];
        let shared = hard_negative_tokens(&mut self.rng, vocab, &src.toks, self.cfg.words, toks);
        render(text, plan.lang, vocab, toks, plan.arabic_digits);
        self.hard_negatives.push(HardNegative {
            a: src.at.clone(),
            b: plan.at(p),
            shared_words: shared,
        });
    }

    /// The footer of the article's site and language: its first use is the source, every
    /// other a verbatim copy.
    fn write_footer(&mut self, plan: &ArticlePlan, p: usize, text: &mut String) {
        let f = plan.lang.index() * self.cfg.sites + plan.site;
        text.push_str(&self.footers[f]);
        let members = &mut self.footer_members[f];
        let kind = if members.is_empty() {
            EditKind::Source
        } else {
            EditKind::Verbatim
        };
        members.push(member(&plan.path, p, kind, 0.0));
    }

    fn plant_copies(&mut self, source: &Rc<Source>) {
        let n = self.rng.range(self.cfg.copies);
        if n == 0 {
            return;
        }
        let group = self.groups.len();
        self.groups.push(LabelGroup {
            kind: GroupKind::Exact, // settled in finish()
            members: vec![member(
                &source.at.path,
                source.at.paragraph,
                EditKind::Source,
                0.0,
            )],
        });
        for _ in 0..n {
            let due = source.article + 1 + self.rng.below(COPY_SPREAD);
            self.copy_pool.push(PendingCopy {
                source: Rc::clone(source),
                group,
                due,
            });
        }
    }

    /// Due copies of this language from other sites (any site if there is only one), at most
    /// one per group, in pool order.
    fn take_copies(&mut self, index: usize, lang: Lang, site: usize) -> Vec<PendingCopy> {
        let mut taken: Vec<PendingCopy> = Vec::new();
        let mut i = 0;
        while i < self.copy_pool.len() && taken.len() < self.cfg.max_copies_per_article {
            let c = &self.copy_pool[i];
            let ok = c.due <= index
                && c.source.lang == lang
                && (c.source.site != site || self.cfg.sites == 1)
                && !taken.iter().any(|t| t.group == c.group);
            if ok {
                taken.push(self.copy_pool.remove(i));
            } else {
                i += 1;
            }
        }
        taken
    }

    fn take_hard_negatives(&mut self, index: usize, lang: Lang) -> Vec<PendingHardNegative> {
        let mut taken = Vec::new();
        let mut i = 0;
        while i < self.hard_negative_pool.len()
            && taken.len() < self.cfg.max_hard_negatives_per_article
        {
            let h = &self.hard_negative_pool[i];
            if h.due <= index && h.source.lang == lang {
                taken.push(self.hard_negative_pool.remove(i));
            } else {
                i += 1;
            }
        }
        taken
    }

    fn finish(mut self) -> SynthCorpus {
        let mut groups: Vec<LabelGroup> = std::mem::take(&mut self.groups)
            .into_iter()
            .filter(|g| g.members.len() >= 2)
            .map(|mut g| {
                if g.kind != GroupKind::LeadRepeat {
                    let verbatim = g.members[1..]
                        .iter()
                        .all(|m| m.edit_kind == Some(EditKind::Verbatim));
                    let format = g.members[1..].iter().all(|m| {
                        matches!(m.edit_kind, Some(EditKind::Verbatim | EditKind::Format))
                    });
                    g.kind = if verbatim {
                        GroupKind::Exact
                    } else if format {
                        GroupKind::Format
                    } else {
                        GroupKind::Near
                    };
                }
                g
            })
            .collect();
        groups.extend(
            std::mem::take(&mut self.footer_members)
                .into_iter()
                .filter(|m| m.len() >= 2)
                .map(|members| LabelGroup {
                    kind: GroupKind::Footer,
                    members,
                }),
        );
        groups.sort_by(|a, b| {
            let (a, b) = (&a.members[0], &b.members[0]);
            (&a.path, a.paragraph).cmp(&(&b.path, b.paragraph))
        });
        let mut hard_negatives = std::mem::take(&mut self.hard_negatives);
        hard_negatives.sort_by(|x, y| (&x.a, &x.b).cmp(&(&y.a, &y.b)));
        SynthCorpus {
            articles: self.articles,
            labels: Labels {
                schema: LABELS_SCHEMA.to_owned(),
                split: "lines".to_owned(),
                seed: Some(self.cfg.seed),
                groups,
                hard_negatives,
            },
        }
    }
}

fn member(path: &str, paragraph: usize, edit_kind: EditKind, edit_rate: f64) -> LabelMember {
    LabelMember {
        path: path.to_owned(),
        paragraph,
        edit_kind: Some(edit_kind),
        edit_rate,
    }
}

/// New words around one run of 30–50 % of `src`'s words; returns the run length.
fn hard_negative_tokens(
    rng: &mut Rng,
    vocab: &Vocab,
    src: &[Tok],
    words: (usize, usize),
    out: &mut Vec<Tok>,
) -> usize {
    let n = src.len();
    let share = 0.3 + 0.2 * rng.unit();
    let m = ((share * n as f64).round() as usize).clamp(n.min(3), n);
    let start = rng.below(n - m + 1);
    let total = rng.range(words).max(m + 3);
    let before = rng.below(total - m + 1);
    let mut fresh = Vec::new();
    gen_body(rng, vocab, total - m, &mut fresh);
    out.clear();
    out.extend_from_slice(&fresh[..before]);
    if let Some(last) = out.last_mut() {
        last.punct = P_STOP;
    }
    out.extend_from_slice(&src[start..start + m]);
    if let Some(last) = out.last_mut() {
        last.punct = P_STOP;
    }
    out.extend_from_slice(&fresh[before..]);
    if let Some(last) = out.last_mut() {
        last.punct = P_STOP;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    /// A stand-in for the real normaliser: enough to undo every format change made here.
    fn fold_words(s: &str) -> Vec<String> {
        let mut t = String::with_capacity(s.len());
        for c in s.chars() {
            let mut c = c;
            let u = c as u32;
            if (0xFE80..=0xFEF4).contains(&u) {
                if let Some(&(b, _, _)) = PRESENTATION
                    .iter()
                    .find(|&&(_, iso, n)| (iso..iso + u32::from(n)).contains(&u))
                {
                    c = b;
                }
            }
            if is_haraka(c) || c == TATWEEL {
                continue;
            }
            c = match c {
                'أ' | 'إ' | 'آ' => 'ا',
                'ى' => 'ي',
                'ة' => 'ه',
                '\u{0660}'..='\u{0669}' => char::from_u32('0' as u32 + (u - 0x0660)).unwrap_or(c),
                _ => c,
            };
            if c.is_alphanumeric() {
                t.extend(c.to_lowercase());
            } else {
                t.push(' ');
            }
        }
        t.split_whitespace().map(str::to_owned).collect()
    }

    fn trigrams(s: &str) -> HashSet<Vec<String>> {
        fold_words(s).windows(3).map(<[String]>::to_vec).collect()
    }

    fn jaccard(a: &HashSet<Vec<String>>, b: &HashSet<Vec<String>>) -> f64 {
        let inter = a.intersection(b).count();
        inter as f64 / (a.len() + b.len() - inter).max(1) as f64
    }

    fn lines(corpus: &SynthCorpus) -> HashMap<&str, Vec<&str>> {
        corpus
            .articles
            .iter()
            .map(|a| {
                let v: Vec<&str> = a.text.split('\n').filter(|l| !l.is_empty()).collect();
                (a.path.as_str(), v)
            })
            .collect()
    }

    fn rich() -> SynthConfig {
        SynthConfig {
            seed: 99,
            paragraphs: 6_000,
            lead_repeat_rate: 0.5,
            near_dup_rate: 0.2,
            format_variant_rate: 0.4,
            hard_negative_rate: 0.1,
            edit_rate: (0.0, 0.15),
            sites: 7,
            ..SynthConfig::default()
        }
    }

    #[test]
    fn deterministic() {
        let a = generate(&rich());
        let b = generate(&rich());
        assert_eq!(a, b);
        let c = generate(&SynthConfig {
            seed: 100,
            ..rich()
        });
        assert_ne!(a.articles, c.articles);
    }

    #[test]
    fn paragraph_count_is_met() {
        for n in [0, 1, 500, 5_000] {
            let config = SynthConfig {
                paragraphs: n,
                ..SynthConfig::default()
            };
            let corpus = generate(&config);
            let got = corpus.paragraph_count();
            assert!(got >= n, "{got} < {n}");
            assert!(got < n + 40, "{got} overshoots {n}");
        }
    }

    #[test]
    fn labels_point_at_existing_paragraphs() {
        let corpus = generate(&rich());
        let lines = lines(&corpus);
        let get = |path: &str, p: usize| -> &str {
            let v = lines
                .get(path)
                .unwrap_or_else(|| panic!("no article {path}"));
            v.get(p)
                .copied()
                .unwrap_or_else(|| panic!("{path} has no paragraph {p}"))
        };
        let mut seen = HashSet::new();
        let mut kinds = HashSet::new();
        for g in &corpus.labels.groups {
            kinds.insert(format!("{:?}", g.kind));
            assert!(g.members.len() >= 2);
            assert_eq!(g.members[0].edit_kind, Some(EditKind::Source));
            let first = get(&g.members[0].path, g.members[0].paragraph);
            for m in &g.members {
                assert!(!get(&m.path, m.paragraph).trim().is_empty());
                assert!(
                    seen.insert((m.path.clone(), m.paragraph)),
                    "groups overlap at {m:?}"
                );
                let text = get(&m.path, m.paragraph);
                match m.edit_kind.expect("generated labels name every edit") {
                    EditKind::Source | EditKind::Verbatim => assert_eq!(text, first),
                    EditKind::Format => assert_eq!(fold_words(text), fold_words(first)),
                    _ => assert_ne!(fold_words(text), fold_words(first)),
                }
            }
            if matches!(g.kind, GroupKind::Near) {
                assert!(g.members[0].path != g.members[1].path);
            }
        }
        for kind in ["Exact", "Format", "Near", "Footer", "LeadRepeat"] {
            assert!(kinds.contains(kind), "no {kind} group");
        }
        assert!(!corpus.labels.hard_negatives.is_empty());
        for h in &corpus.labels.hard_negatives {
            let (a, b) = (get(&h.a.path, h.a.paragraph), get(&h.b.path, h.b.paragraph));
            let j = jaccard(&trigrams(a), &trigrams(b));
            assert!(j > 0.0 && j < 0.5, "hard negative jaccard {j}");
            assert!(h.shared_words >= 3);
        }
    }

    #[test]
    fn edit_rates_within_range() {
        let config = SynthConfig {
            edit_rate: (0.02, 0.15),
            ..rich()
        };
        let corpus = generate(&config);
        let mut edited = 0;
        for m in corpus.labels.groups.iter().flat_map(|g| &g.members) {
            match m.edit_kind.expect("generated labels name every edit") {
                EditKind::Substitute | EditKind::Insert | EditKind::Delete | EditKind::Mixed => {
                    edited += 1;
                    assert!(
                        m.edit_rate >= config.edit_rate.0 && m.edit_rate <= config.edit_rate.1,
                        "{m:?}"
                    );
                }
                _ => assert_eq!(m.edit_rate, 0.0),
            }
        }
        assert!(edited > 20);
    }

    #[test]
    fn format_variants_differ_only_in_format() {
        let corpus = generate(&rich());
        let lines = lines(&corpus);
        let mut checked = [0usize; 2];
        for g in &corpus.labels.groups {
            let first = lines[g.members[0].path.as_str()][g.members[0].paragraph];
            for m in g
                .members
                .iter()
                .filter(|m| m.edit_kind == Some(EditKind::Format))
            {
                let text = lines[m.path.as_str()][m.paragraph];
                assert_ne!(text, first);
                assert_eq!(fold_words(text), fold_words(first), "{first}\n{text}");
                checked[usize::from(m.path.starts_with("ar/"))] += 1;
            }
        }
        assert!(checked[0] > 10 && checked[1] > 10, "{checked:?}");
    }

    #[test]
    fn footers_in_every_article_of_a_site() {
        let corpus = generate(&rich());
        let footers: Vec<&LabelGroup> = corpus
            .labels
            .groups
            .iter()
            .filter(|g| g.kind == GroupKind::Footer)
            .collect();
        for article in &corpus.articles {
            let site_dir = &article.path[..article.path.rfind('/').unwrap_or(0) + 1];
            let group = footers
                .iter()
                .find(|g| g.members[0].path.starts_with(site_dir))
                .unwrap_or_else(|| panic!("no footer group for {site_dir}"));
            let last = article
                .text
                .trim_end_matches('\n')
                .rsplit('\n')
                .next()
                .unwrap_or("");
            let n = article.text.split('\n').filter(|l| !l.is_empty()).count();
            assert!(group
                .members
                .iter()
                .any(|m| m.path == article.path && m.paragraph == n - 1));
            let owner = &group.members[0];
            let owner_text = corpus
                .articles
                .iter()
                .find(|a| a.path == owner.path)
                .map(|a| a.text.split('\n').nth(owner.paragraph).unwrap_or(""))
                .unwrap_or("");
            assert_eq!(last, owner_text);
        }
    }

    #[test]
    fn unrelated_paragraphs_share_almost_no_trigrams() {
        let config = SynthConfig {
            paragraphs: 800,
            lead_repeat_rate: 0.0,
            near_dup_rate: 0.0,
            hard_negative_rate: 0.0,
            ..SynthConfig::default()
        };
        let corpus = generate(&config);
        let mut sets = Vec::new();
        for a in &corpus.articles {
            let v: Vec<&str> = a.text.lines().collect();
            for l in &v[1..v.len() - 1] {
                sets.push(trigrams(l));
            }
        }
        let (mut max, mut sum, mut pairs) = (0.0f64, 0.0, 0usize);
        for i in 0..sets.len() {
            for j in i + 1..sets.len() {
                let s = jaccard(&sets[i], &sets[j]);
                max = max.max(s);
                sum += s;
                pairs += 1;
            }
        }
        assert!(max < 0.1, "max jaccard {max}");
        assert!(
            sum / (pairs as f64) < 0.002,
            "mean jaccard {}",
            sum / pairs as f64
        );
    }

    #[test]
    fn write_to_round_trips_labels() {
        let corpus = generate(&SynthConfig {
            paragraphs: 300,
            ..rich()
        });
        let dir = tempfile::tempdir().expect("tempdir");
        corpus.write_to(dir.path()).expect("write");
        let json = std::fs::read_to_string(dir.path().join("labels.json")).expect("labels");
        let labels: Labels = serde_json::from_str(&json).expect("parse");
        assert_eq!(labels, corpus.labels);
        assert_eq!(labels.schema, LABELS_SCHEMA);
        for a in &corpus.articles {
            assert_eq!(
                std::fs::read_to_string(dir.path().join(&a.path)).expect("read"),
                a.text
            );
        }
    }

    #[test]
    fn odd_configs_do_not_panic() {
        let odd = SynthConfig {
            paragraphs: 200,
            paragraphs_per_article: (0, 0),
            words_per_paragraph: (9, 1),
            arabic_share: f64::NAN,
            near_dup_rate: 1.0,
            copies: (5, 0),
            edit_rate: (1.0, 0.5),
            hard_negative_rate: 1.0,
            lead_repeat_rate: 1.0,
            sites: 0,
            ..SynthConfig::default()
        };
        let corpus = generate(&odd);
        assert!(corpus.paragraph_count() >= 200);
        assert!(corpus.articles.iter().all(|a| !a.text.contains("\n\n")));
    }

    #[test]
    fn presentation_forms_are_shaped() {
        // بيت: initial beh, medial yeh, final teh.
        assert_eq!(to_presentation_forms("بيت"), "\u{FE91}\u{FEF4}\u{FE96}");
        // دار: isolated dal, isolated alef (dal does not join left), isolated reh.
        assert_eq!(to_presentation_forms("دار"), "\u{FEA9}\u{FE8D}\u{FEAD}");
    }
}

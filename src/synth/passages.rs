//! Synthetic corpora with shared passages of known position embedded in unrelated text.
//!
//! Input: a [`PassageSynthConfig`]. Output: a [`PassageCorpus`]: English and Arabic articles of
//! unrelated text (a title line, then body paragraphs, one per line) into which planted
//! passages of 12–40 words are written at known byte offsets — inside paragraphs, at their
//! start or end, or across a line break — plus [`PassageLabels`] giving every occurrence's byte
//! span and how it differs from the source (verbatim, format only, or words edited).
//! [`evaluate_passages`] scores a scan's passage report against the labels. Invariants: the
//! same config gives byte-identical articles and labels everywhere (the generator's own PRNG
//! and word lists, as in [`generate`](super::generate)); every label span lies inside its
//! article on character boundaries; occurrences never overlap.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

use super::{
    digits, edit_tokens, format_variant, gen_body, gen_title, render, EditKind, Lang, Rng,
    SynthArticle, Tok, Vocab, WORDS_AR, WORDS_EN,
};
use crate::passage::{words, PassageCluster, PassageReport, PassageSpan};

/// Value of [`PassageLabels::schema`] written by this version of the generator.
pub const PASSAGE_LABELS_SCHEMA: &str = "neardup.passage-labels/1";

/// Parameters of a passage corpus. Ranges given as `(max, min)` are swapped and rates clamped
/// to `[0, 1]`; nothing panics.
#[derive(Clone, Debug)]
pub struct PassageSynthConfig {
    /// Seed of the PRNG.
    pub seed: u64,
    /// Number of articles. Default 400.
    pub articles: usize,
    /// Body paragraphs per article (the title comes on top). Default `(3, 8)`.
    pub paragraphs_per_article: (usize, usize),
    /// Words per body paragraph, before passages are written into it. Default `(15, 60)`.
    pub words_per_paragraph: (usize, usize),
    /// Fraction of Arabic articles. Default 0.5.
    pub arabic_share: f64,
    /// Number of planted passages. Default 200.
    pub passages: usize,
    /// Words per planted passage. Default `(12, 40)`.
    pub passage_words: (usize, usize),
    /// Copies of each passage besides its source. Default `(1, 4)`.
    pub copies: (usize, usize),
    /// Share of copies that differ only by format (case, punctuation, diacritics, letter forms,
    /// presentation forms, spacing). Default 0.3.
    pub format_rate: f64,
    /// Share of copies with words substituted, inserted or deleted. Default 0.4. The rest are
    /// verbatim.
    pub edited_rate: f64,
    /// Range of the fraction of words edited in an edited copy. Default `(0.02, 0.10)`.
    pub edit_rate: (f64, f64),
    /// Share of occurrences written across a line break (two paragraphs). Default 0.15.
    pub cross_paragraph_rate: f64,
    /// Share of copies placed in the source's own article (a quote repeated further down).
    /// Default 0.1.
    pub same_article_rate: f64,
}

impl Default for PassageSynthConfig {
    fn default() -> Self {
        PassageSynthConfig {
            seed: 0,
            articles: 400,
            paragraphs_per_article: (3, 8),
            words_per_paragraph: (15, 60),
            arabic_share: 0.5,
            passages: 200,
            passage_words: (12, 40),
            copies: (1, 4),
            format_rate: 0.3,
            edited_rate: 0.4,
            edit_rate: (0.02, 0.10),
            cross_paragraph_rate: 0.15,
            same_article_rate: 0.1,
        }
    }
}

/// A generated passage corpus and its ground truth.
#[derive(Clone, Debug, PartialEq)]
pub struct PassageCorpus {
    /// Articles in generation order.
    pub articles: Vec<SynthArticle>,
    /// Where every planted passage occurs.
    pub labels: PassageLabels,
}

/// Ground truth of a passage corpus, written as `passage-labels.json`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PassageLabels {
    /// Format identifier, [`PASSAGE_LABELS_SCHEMA`].
    pub schema: String,
    /// [`PassageSynthConfig::seed`] of the corpus.
    pub seed: u64,
    /// Planted passages in generation order.
    pub passages: Vec<PlantedPassage>,
}

/// One planted passage and its occurrences (the first is the source).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PlantedPassage {
    /// Words of the source passage.
    pub words: usize,
    /// Occurrences; the first has [`EditKind::Source`]. At least two.
    pub occurrences: Vec<PassageOccurrence>,
}

/// Where one occurrence of a planted passage is.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PassageOccurrence {
    /// Article path as in [`SynthArticle::path`].
    pub path: String,
    /// Byte offset of the occurrence's first byte in the article.
    pub byte_start: usize,
    /// Byte offset just past the occurrence.
    pub byte_end: usize,
    /// How the occurrence differs from the source.
    pub edit_kind: EditKind,
    /// Word edits divided by the source's word count (0 unless edited), 4 decimals.
    pub edit_rate: f64,
    /// True when the occurrence is written across a line break.
    pub crosses_paragraphs: bool,
}

impl PassageCorpus {
    /// Writes every article to `dir/{path}` and the labels to `dir/passage-labels.json`.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        for article in &self.articles {
            let path = dir.join(&article.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, &article.text)?;
        }
        std::fs::create_dir_all(dir)?;
        let mut json = serde_json::to_vec_pretty(&self.labels).map_err(std::io::Error::other)?;
        json.push(b'\n');
        std::fs::write(dir.join("passage-labels.json"), json)
    }
}

fn rate(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

fn ordered((a, b): (usize, usize), min: usize) -> (usize, usize) {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    (lo.clamp(min, 1 << 20), hi.clamp(min, 1 << 20))
}

/// One occurrence waiting to be written: its text and its label slot.
struct Pending {
    text: String,
    passage: usize,
    occurrence: usize,
}

/// Generates a passage corpus; see the [module docs](crate::synth::passages).
pub fn generate_passages(config: &PassageSynthConfig) -> PassageCorpus {
    let mut g = PassageGenerator::new(config);
    // Plant passages: occurrences per article, in planting order.
    let mut pending: Vec<Vec<Pending>> = (0..g.n_articles).map(|_| Vec::new()).collect();
    let mut passages: Vec<PlantedPassage> = (0..config.passages)
        .map(|p| g.plant(p, &mut pending))
        .collect();
    // Write articles: fresh paragraphs with the pending occurrences woven in.
    let articles = pending
        .into_iter()
        .enumerate()
        .map(|(index, occs)| g.write_article(index, &occs, &mut passages))
        .collect();
    PassageCorpus {
        articles,
        labels: PassageLabels {
            schema: PASSAGE_LABELS_SCHEMA.to_owned(),
            seed: config.seed,
            passages,
        },
    }
}

/// The state of [`generate_passages`]: the config with its ranges ordered and clamped, the
/// PRNG, and each article's language (drawn first).
struct PassageGenerator<'c> {
    config: &'c PassageSynthConfig,
    rng: Rng,
    vocabs: [Vocab; 2],
    n_articles: usize,
    body: (usize, usize),
    para_words: (usize, usize),
    passage_words: (usize, usize),
    copies: (usize, usize),
    edit_range: (f64, f64),
    /// Digits of an article number in its path.
    width: usize,
    langs: Vec<Lang>,
    /// Article numbers by language ([`Lang::index`]).
    by_lang: [Vec<usize>; 2],
    /// Token buffer, reused.
    toks: Vec<Tok>,
}

impl<'c> PassageGenerator<'c> {
    fn new(config: &'c PassageSynthConfig) -> Self {
        let mut rng = Rng::new(config.seed ^ 0x7061_7373_6167_6573); // "passages"
        let n_articles = config.articles.clamp(1, 1 << 20);
        let (e0, e1) = (rate(config.edit_rate.0), rate(config.edit_rate.1));
        let langs: Vec<Lang> = (0..n_articles)
            .map(|_| {
                if rng.chance(rate(config.arabic_share)) {
                    Lang::Ar
                } else {
                    Lang::En
                }
            })
            .collect();
        let by_lang: [Vec<usize>; 2] = [Lang::En, Lang::Ar].map(|l| {
            (0..n_articles)
                .filter(|&i| langs[i] == l)
                .collect::<Vec<_>>()
        });
        PassageGenerator {
            config,
            rng,
            vocabs: [Vocab::new(WORDS_EN), Vocab::new(WORDS_AR)],
            n_articles,
            body: ordered(config.paragraphs_per_article, 1),
            para_words: ordered(config.words_per_paragraph, 3),
            passage_words: ordered(config.passage_words, 3),
            copies: ordered(config.copies, 1),
            edit_range: if e0 <= e1 { (e0, e1) } else { (e1, e0) },
            width: digits(n_articles).max(6),
            langs,
            by_lang,
            toks: Vec::new(),
        }
    }

    /// Passage `p`: a source in a random article and its copies (format variants, edited or
    /// verbatim; in the same article or another of its language), each queued in `pending`
    /// under its article. Returns its label, whose places [`Self::write_article`] fills in.
    fn plant(&mut self, p: usize, pending: &mut [Vec<Pending>]) -> PlantedPassage {
        let config = self.config;
        let rng = &mut self.rng;
        let source = rng.below(self.n_articles);
        let lang = self.langs[source];
        let pool = &self.by_lang[lang.index()];
        let vocab = &self.vocabs[lang.index()];
        let n = rng.range(self.passage_words);
        gen_body(rng, vocab, n, &mut self.toks);
        let mut src_text = String::new();
        render(&mut src_text, lang, vocab, &self.toks, false);
        let mut occurrences = vec![(source, src_text.clone(), EditKind::Source, 0.0)];
        let n_copies = rng.range(self.copies);
        for _ in 0..n_copies {
            let target = if rng.chance(rate(config.same_article_rate)) || pool.len() < 2 {
                source
            } else {
                pool[rng.below(pool.len())]
            };
            let roll = rng.unit();
            let (text, kind, r) = if roll < rate(config.format_rate) {
                (format_variant(rng, lang, &src_text), EditKind::Format, 0.0)
            } else if roll < rate(config.format_rate) + rate(config.edited_rate) {
                let (edited, kind, r) = edit_tokens(rng, vocab, &self.toks, self.edit_range);
                let mut t = String::new();
                render(&mut t, lang, vocab, &edited, false);
                (t, kind, r)
            } else {
                (src_text.clone(), EditKind::Verbatim, 0.0)
            };
            occurrences.push((target, text, kind, r));
        }
        let mut planted = PlantedPassage {
            words: n,
            occurrences: Vec::new(),
        };
        for (o, (article, text, kind, r)) in occurrences.into_iter().enumerate() {
            planted.occurrences.push(PassageOccurrence {
                path: String::new(),
                byte_start: 0,
                byte_end: 0,
                edit_kind: kind,
                edit_rate: r,
                crosses_paragraphs: false,
            });
            pending[article].push(Pending {
                text,
                passage: p,
                occurrence: o,
            });
        }
        planted
    }

    /// Article `index`: a title, then body paragraphs of fresh words with the occurrences
    /// `occs` woven in (each in a random paragraph, in order), their labels in `passages`
    /// filled in.
    fn write_article(
        &mut self,
        index: usize,
        occs: &[Pending],
        passages: &mut [PlantedPassage],
    ) -> SynthArticle {
        let lang = self.langs[index];
        let vocab = &self.vocabs[lang.index()];
        let site = index % 10;
        let path = format!(
            "{}/site-{site:02}/{index:0width$}.txt",
            lang.dir(),
            width = self.width
        );
        let mut text = String::new();
        gen_title(&mut self.rng, vocab, &mut self.toks);
        render(&mut text, lang, vocab, &self.toks, false);
        text.push('\n');
        let n_body = self.rng.range(self.body);
        // Paragraph slot of each occurrence (in order, so sources precede their same-article
        // copies when planted first).
        let mut slots: Vec<usize> = occs.iter().map(|_| self.rng.below(n_body)).collect();
        slots.sort_unstable();
        let mut next = 0;
        for para in 0..n_body {
            let mut wrote_any = false;
            while next < occs.len() && slots[next] == para {
                let occ = &occs[next];
                // Unrelated words before, unless the passage opens the paragraph.
                if wrote_any || self.rng.chance(0.8) {
                    if wrote_any {
                        text.push(' ');
                    }
                    let w = self.rng.range((3, self.para_words.1.max(3)));
                    self.fresh(lang, w, &mut text);
                    text.push(' ');
                }
                let label = &mut passages[occ.passage].occurrences[occ.occurrence];
                self.write_occurrence(&occ.text, &path, &mut text, label);
                wrote_any = true;
                next += 1;
            }
            if !wrote_any {
                let w = self.rng.range(self.para_words);
                self.fresh(lang, w, &mut text);
            } else if self.rng.chance(0.8) {
                text.push(' ');
                let w = self.rng.range((3, self.para_words.1.max(3)));
                self.fresh(lang, w, &mut text);
            }
            text.push('\n');
        }
        SynthArticle { path, text }
    }

    /// `words` fresh words of `lang`, appended to `text`.
    fn fresh(&mut self, lang: Lang, words: usize, text: &mut String) {
        let vocab = &self.vocabs[lang.index()];
        gen_body(&mut self.rng, vocab, words, &mut self.toks);
        render(text, lang, vocab, &self.toks, false);
    }

    /// One occurrence appended to `text` of the article at `path`, broken across two
    /// paragraphs at the configured rate; `label` gets its place.
    fn write_occurrence(
        &mut self,
        occurrence: &str,
        path: &str,
        text: &mut String,
        label: &mut PassageOccurrence,
    ) {
        let start = text.len();
        let cross = self.rng.chance(rate(self.config.cross_paragraph_rate));
        let mut body_text = occurrence.to_owned();
        let mut crossed = false;
        if cross {
            // Break at the space closest to the middle.
            let mid = body_text.len() / 2;
            let at = body_text
                .char_indices()
                .filter(|&(_, c)| c == ' ')
                .map(|(i, _)| i)
                .min_by_key(|&i| i.abs_diff(mid));
            if let Some(i) = at {
                body_text.replace_range(i..i + 1, "\n");
                crossed = true;
            }
        }
        text.push_str(&body_text);
        label.path = path.to_owned();
        label.byte_start = start;
        label.byte_end = text.len();
        label.crosses_paragraphs = crossed;
    }
}

/// Quality of a passage report against [`PassageLabels`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PassageEvaluation {
    /// Source–copy pairs whose copy is verbatim or differs only by format.
    pub pairs_unedited: usize,
    /// Of those, pairs found (some cluster has a span on each of the two occurrences).
    pub found_unedited: usize,
    /// Source–copy pairs whose copy has edited words.
    pub pairs_edited: usize,
    /// Of those, pairs found.
    pub found_edited: usize,
    /// Spans reported.
    pub spans: usize,
    /// Spans lying (at least half of their words) on an occurrence of the passage their
    /// cluster is mostly about.
    pub correct_spans: usize,
    /// Links reported.
    pub links: usize,
    /// Links whose two spans lie on two occurrences of one passage.
    pub correct_links: usize,
    /// Correct spans whose start and end are both within 2 words of the occurrence's.
    pub boundary_within_2: usize,
    /// Largest boundary error (words) over correct spans.
    pub boundary_max: usize,
    /// Sum of boundary errors (start + end, words) over correct spans.
    pub boundary_sum: usize,
}

impl PassageEvaluation {
    /// Recall over unedited (verbatim or format-only) pairs.
    pub fn recall_unedited(&self) -> f64 {
        ratio(self.found_unedited, self.pairs_unedited)
    }
    /// Recall over edited pairs.
    pub fn recall_edited(&self) -> f64 {
        ratio(self.found_edited, self.pairs_edited)
    }
    /// Share of reported spans that are correct.
    pub fn span_precision(&self) -> f64 {
        ratio(self.correct_spans, self.spans)
    }
    /// Share of reported links that are correct.
    pub fn link_precision(&self) -> f64 {
        ratio(self.correct_links, self.links)
    }
    /// Share of correct spans with both boundaries within 2 words of the truth.
    pub fn boundary_share(&self) -> f64 {
        ratio(self.boundary_within_2, self.correct_spans)
    }
    /// Mean boundary error per span end (words).
    pub fn boundary_mean(&self) -> f64 {
        ratio(self.boundary_sum, 2 * self.correct_spans)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Word range covered by a byte range in a text cut by [`crate::passage::words`].
fn word_range(spans: &[std::ops::Range<usize>], bytes: std::ops::Range<usize>) -> (usize, usize) {
    let start = spans.partition_point(|s| s.end <= bytes.start);
    let end = spans.partition_point(|s| s.start < bytes.end);
    (start, end.max(start))
}

/// Score `report` against the labels of `corpus` (whose articles were scanned under their
/// [`SynthArticle::path`]s).
pub fn evaluate_passages(corpus: &PassageCorpus, report: &PassageReport) -> PassageEvaluation {
    let word_spans: BTreeMap<&str, Vec<Range<usize>>> = corpus
        .articles
        .iter()
        .map(|a| (a.path.as_str(), words(a.text.as_bytes()).spans))
        .collect();
    let by_path = labelled_words(corpus, &word_spans);
    let mut eval = PassageEvaluation::default();
    // Pairs of occurrences (passage, occurrence, occurrence) some cluster has spans on.
    let mut found: BTreeSet<(usize, usize, usize)> = BTreeSet::new();
    for cluster in &report.clusters {
        let hits: Vec<Option<Hit>> = cluster
            .spans
            .iter()
            .map(|span| span_hit(span, &word_spans, &by_path))
            .collect();
        eval.score_cluster(cluster, &hits, &mut found);
    }
    for (p, planted) in corpus.labels.passages.iter().enumerate() {
        for (o, occ) in planted.occurrences.iter().enumerate().skip(1) {
            let hit = found.contains(&(p, 0, o));
            match occ.edit_kind {
                EditKind::Source | EditKind::Verbatim | EditKind::Format => {
                    eval.pairs_unedited += 1;
                    eval.found_unedited += usize::from(hit);
                }
                _ => {
                    eval.pairs_edited += 1;
                    eval.found_edited += usize::from(hit);
                }
            }
        }
    }
    eval
}

/// Labelled occurrences by path, in words: (word start, word end, passage, occurrence).
type LabelledWords<'a> = BTreeMap<&'a str, Vec<(usize, usize, usize, usize)>>;

/// A span's labelled occurrence: (passage, occurrence, start error, end error), the errors in
/// words.
type Hit = (usize, usize, usize, usize);

/// Every labelled occurrence of `corpus` as a word range of its article.
fn labelled_words<'a>(
    corpus: &'a PassageCorpus,
    word_spans: &BTreeMap<&str, Vec<Range<usize>>>,
) -> LabelledWords<'a> {
    let mut by_path: LabelledWords<'a> = BTreeMap::new();
    for (p, planted) in corpus.labels.passages.iter().enumerate() {
        for (o, occ) in planted.occurrences.iter().enumerate() {
            let Some(spans) = word_spans.get(occ.path.as_str()) else {
                continue;
            };
            let (s, e) = word_range(spans, occ.byte_start..occ.byte_end);
            by_path.entry(&occ.path).or_default().push((s, e, p, o));
        }
    }
    by_path
}

/// The occurrence a reported span lies on (half of its words at least; the one it overlaps
/// most, then the first), with its boundary errors against it.
fn span_hit(
    span: &PassageSpan,
    word_spans: &BTreeMap<&str, Vec<Range<usize>>>,
    by_path: &LabelledWords<'_>,
) -> Option<Hit> {
    let spans = word_spans.get(span.path.as_str())?;
    let (s, e) = word_range(spans, span.byte_start as usize..span.byte_end as usize);
    by_path
        .get(span.path.as_str())?
        .iter()
        .filter_map(|&(ls, le, p, o)| {
            let overlap = e.min(le).saturating_sub(s.max(ls));
            (2 * overlap >= e - s && overlap > 0).then_some((
                overlap,
                std::cmp::Reverse((p, o)),
                ls.abs_diff(s),
                le.abs_diff(e),
            ))
        })
        .max()
        .map(|(_, std::cmp::Reverse((p, o)), ds, de)| (p, o, ds, de))
}

impl PassageEvaluation {
    /// Count one cluster, whose spans lie on `hits`: its spans on its main passage (the one
    /// most of them lie on), their boundary errors, its links within one passage, and into
    /// `found` the pairs of occurrences it joins.
    fn score_cluster(
        &mut self,
        cluster: &PassageCluster,
        hits: &[Option<Hit>],
        found: &mut BTreeSet<(usize, usize, usize)>,
    ) {
        let mut votes: BTreeMap<usize, usize> = BTreeMap::new();
        for (p, _, _, _) in hits.iter().flatten() {
            *votes.entry(*p).or_default() += 1;
        }
        let main = votes
            .iter()
            .max_by_key(|&(p, n)| (*n, std::cmp::Reverse(*p)))
            .map(|(p, _)| *p);
        self.spans += cluster.spans.len();
        for &(p, _, ds, de) in hits.iter().flatten() {
            if Some(p) == main {
                self.correct_spans += 1;
                if ds <= 2 && de <= 2 {
                    self.boundary_within_2 += 1;
                }
                self.boundary_max = self.boundary_max.max(ds).max(de);
                self.boundary_sum += ds + de;
            }
        }
        self.links += cluster.links.len();
        for link in &cluster.links {
            if let (Some((pa, _, _, _)), Some((pb, _, _, _))) =
                (hits[link.a as usize], hits[link.b as usize])
            {
                if pa == pb {
                    self.correct_links += 1;
                }
            }
        }
        for (i, a) in hits.iter().enumerate() {
            for b in &hits[i + 1..] {
                if let (Some((pa, oa, _, _)), Some((pb, ob, _, _))) = (a, b) {
                    if pa == pb && oa != ob {
                        found.insert((*pa, *oa.min(ob), *oa.max(ob)));
                    }
                }
            }
        }
    }
}

impl std::fmt::Display for PassageEvaluation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "recall unedited {:.4} ({}/{}) · recall edited {:.4} ({}/{})",
            self.recall_unedited(),
            self.found_unedited,
            self.pairs_unedited,
            self.recall_edited(),
            self.found_edited,
            self.pairs_edited
        );
        let _ = writeln!(
            s,
            "span precision {:.4} ({}/{}) · link precision {:.4} ({}/{})",
            self.span_precision(),
            self.correct_spans,
            self.spans,
            self.link_precision(),
            self.correct_links,
            self.links
        );
        let _ = write!(
            s,
            "boundaries within 2 words {:.4} · mean error {:.3} words per end · max {}",
            self.boundary_share(),
            self.boundary_mean(),
            self.boundary_max
        );
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> PassageSynthConfig {
        PassageSynthConfig {
            seed: 5,
            articles: 60,
            passages: 40,
            ..PassageSynthConfig::default()
        }
    }

    #[test]
    fn deterministic_and_labels_point_inside_articles() {
        let a = generate_passages(&small());
        assert_eq!(a, generate_passages(&small()));
        let texts: BTreeMap<&str, &str> = a
            .articles
            .iter()
            .map(|x| (x.path.as_str(), x.text.as_str()))
            .collect();
        let mut crossed = 0;
        for planted in &a.labels.passages {
            assert!(planted.occurrences.len() >= 2);
            assert_eq!(planted.occurrences[0].edit_kind, EditKind::Source);
            for occ in &planted.occurrences {
                let text = texts[occ.path.as_str()];
                let span = &text[occ.byte_start..occ.byte_end];
                assert_eq!(span.contains('\n'), occ.crosses_paragraphs);
                crossed += usize::from(occ.crosses_paragraphs);
                assert!(!span.trim().is_empty());
            }
        }
        assert!(crossed > 0);
        assert!(a.articles.iter().all(|x| !x.text.contains("\n\n")));
    }
}

//! A report from the collected rows of a distributed scan (Spark, Ray over `crate::kernels`).
//!
//! Input: [`Collected`]: every document's paragraph counts, the clustered paragraphs (key,
//! position, text, exact-duplicate unit, the unit representative's signature), the verified
//! links between unit representatives and the scan's counts. Output: the [`Report`] the
//! single-machine scan writes for the same documents. Invariants: no second report builder —
//! the rows become the scan's own `Units`, `VerifiedPair`s and text source and go through
//! `Scanner::report_of`, so clusters are numbered by first paragraph, members, links and
//! similarities are computed exactly as the scan computes them, and the JSON is the scan's
//! byte for byte. Keys are `(document key, paragraph ordinal)`, documents ordered by key
//! bytes, as the scan orders paths; a document key may be an order key only (a driver that
//! numbers the records of a file in the scan's order), its name then given in
//! [`Collected::names`]. Inconsistent rows (a member of an unknown document, a unit
//! whose representative is missing, a link between non-representatives) are an error, never
//! a silently different report.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use super::{Counts, Scanner, TextSource, Texts, Units, VerifiedPair};
use crate::cluster::SimilarityMethod;
use crate::error::{Error, Result};
use crate::ingest::{DocId, Paragraph, Skipped};
use crate::report::{DocumentStats, Report};

/// One paragraph of a cluster as a distributed scan collects it.
#[derive(Clone, Debug, PartialEq)]
pub struct CollectedParagraph {
    /// Document key (path or id, as reports name it).
    pub doc: String,
    /// 0-based ordinal in the document.
    pub paragraph: u32,
    /// 1-based line of its first line.
    pub line: u32,
    /// Byte span in the document's text.
    pub span: Range<usize>,
    /// The paragraph's text (the span's bytes).
    pub text: String,
    /// Its exact-duplicate unit: the smallest key with the same normalised text.
    pub unit: (String, u32),
    /// The signature (`num_perm` values); required for unit representatives (key == unit),
    /// whose signature stands for the unit, ignored for the others.
    pub signature: Option<Vec<u32>>,
}

/// A verified link between two unit representatives.
#[derive(Clone, Debug, PartialEq)]
pub struct CollectedLink {
    /// One representative's key.
    pub a: (String, u32),
    /// The other's.
    pub b: (String, u32),
    /// Similarity as `Sketcher::verify` decided it.
    pub similarity: f64,
    /// How it was measured.
    pub method: SimilarityMethod,
}

/// Everything a distributed scan collects on the driver to write the scan's report.
#[derive(Clone, Debug, Default)]
pub struct Collected {
    /// Every document (paths unique; any order): paragraph count and bytes.
    pub documents: Vec<DocumentStats>,
    /// The paragraphs of clusters, with every member of each of their units (any order).
    pub members: Vec<CollectedParagraph>,
    /// Verified links between unit representatives (any order, each pair once).
    pub links: Vec<CollectedLink>,
    /// Counts over all paragraphs.
    pub counts: Counts,
    /// Inputs or records not scanned, as the scan reports them.
    pub skipped: Vec<Skipped>,
    /// Names of documents whose key only orders them (key → the name reports show); a key
    /// not listed is its own name. Names must be unique, as keys are.
    pub names: HashMap<String, String>,
}

fn bad(msg: String) -> Error {
    Error::InvalidParameter(format!("assembling a report: {msg}"))
}

/// Collected documents and clustered paragraphs as the scan's text source.
struct Source {
    documents: Vec<DocumentStats>,
    /// Clustered paragraphs in key order, and their texts.
    paragraphs: Vec<Paragraph>,
    texts: Vec<String>,
}

impl TextSource for Source {
    fn document_count(&self) -> usize {
        self.documents.len()
    }
    fn path(&self, doc: DocId) -> &str {
        &self.documents[doc.0 as usize].path
    }
    fn text(&self, p: &Paragraph) -> Option<Cow<'_, str>> {
        let i = self
            .paragraphs
            .binary_search_by_key(&(p.doc, p.ordinal), |q| (q.doc, q.ordinal))
            .ok()?;
        Some(Cow::Borrowed(&self.texts[i]))
    }
}

impl Scanner {
    /// The report of a distributed scan from its collected rows: byte for byte the report
    /// [`Scanner::scan_documents`] writes for the same documents with these parameters (see
    /// the module docs of `scan::assemble` for what must be collected).
    // Long because: one pass of checks over the same key-sorted rows, whose lookups (`doc_id`,
    // `position`, `unit_of`) are closures over them; in pieces, each would take them all.
    pub fn assemble(&self, collected: Collected) -> Result<Report> {
        let Collected {
            mut documents,
            members,
            links,
            counts,
            mut skipped,
            mut names,
        } = collected;
        documents.sort_by(|a, b| a.path.cmp(&b.path));
        if let Some(w) = documents.windows(2).find(|w| w[0].path == w[1].path) {
            return Err(bad(format!(
                "document {:?} is listed twice: document keys must be unique",
                w[0].path
            )));
        }
        let doc_id = |doc: &str| -> Result<DocId> {
            documents
                .binary_search_by(|d| d.path.as_str().cmp(doc))
                .map(|i| DocId(i as u32))
                .map_err(|_| bad(format!("paragraph of unknown document {doc:?}")))
        };
        // Clustered paragraphs in key order (DocIds follow key order, so (DocId, ordinal) does).
        let mut rows = Vec::with_capacity(members.len());
        for m in members {
            rows.push((doc_id(&m.doc)?, m));
        }
        rows.sort_by_key(|(d, m)| (*d, m.paragraph));
        if let Some(w) = rows
            .windows(2)
            .find(|w| (w[0].0, w[0].1.paragraph) == (w[1].0, w[1].1.paragraph))
        {
            return Err(bad(format!(
                "paragraph ({:?}, {}) is listed twice",
                w[0].1.doc, w[0].1.paragraph
            )));
        }
        let position = |key: &(String, u32)| -> Result<u32> {
            let d = doc_id(&key.0)?;
            rows.binary_search_by_key(&(d, key.1), |(d, m)| (*d, m.paragraph))
                .map(|i| i as u32)
                .map_err(|_| {
                    bad(format!(
                        "unit representative {key:?} is not among the members"
                    ))
                })
        };
        // Units: (representative position, member position), grouped, by representative.
        let mut unit_rows: Vec<(u32, u32)> = Vec::with_capacity(rows.len());
        for (i, (_, m)) in rows.iter().enumerate() {
            let rep = position(&m.unit)?;
            if rep > i as u32 {
                return Err(bad(format!(
                    "unit {:?} of ({:?}, {}) is not its smallest key",
                    m.unit, m.doc, m.paragraph
                )));
            }
            unit_rows.push((rep, i as u32));
        }
        unit_rows.sort_unstable();
        let mut starts = Vec::new();
        let mut unit_members = Vec::with_capacity(unit_rows.len());
        let mut reps: Vec<u32> = Vec::new();
        for run in unit_rows.chunk_by(|a, b| a.0 == b.0) {
            starts.push(unit_members.len() as u32);
            reps.push(run[0].0);
            unit_members.extend(run.iter().map(|r| r.1));
        }
        starts.push(unit_members.len() as u32);
        let units = Units {
            starts,
            members: unit_members,
        };
        let k = self.params.num_perm;
        let mut signatures = Vec::with_capacity(reps.len() * k);
        for &rep in &reps {
            let m = &rows[rep as usize].1;
            match &m.signature {
                Some(sig) if sig.len() == k => signatures.extend_from_slice(sig),
                _ => {
                    return Err(bad(format!(
                        "unit representative ({:?}, {}) needs a signature of {k} values",
                        m.doc, m.paragraph
                    )))
                }
            }
        }
        let unit_of = |key: &(String, u32)| -> Result<u32> {
            let p = position(key)?;
            reps.binary_search(&p)
                .map(|u| u as u32)
                .map_err(|_| bad(format!("link end {key:?} is not a unit representative")))
        };
        let mut verified = Vec::with_capacity(links.len());
        for l in &links {
            let (a, b) = (unit_of(&l.a)?, unit_of(&l.b)?);
            if a == b {
                return Err(bad(format!("link from {:?} to itself", l.a)));
            }
            verified.push(VerifiedPair {
                a: a.min(b),
                b: a.max(b),
                similarity: l.similarity,
                method: l.method,
            });
        }
        // The scan verifies candidates in (a, b) order and its clusters look pairs up by it.
        verified.sort_by_key(|p| (p.a, p.b));
        if let Some(w) = verified
            .windows(2)
            .find(|w| (w[0].a, w[0].b) == (w[1].a, w[1].b))
        {
            let m = &rows[reps[w[0].a as usize] as usize].1;
            return Err(bad(format!(
                "two links between the units of ({:?}, {})",
                m.doc, m.paragraph
            )));
        }
        let mut paragraphs = Vec::with_capacity(rows.len());
        let mut texts = Vec::with_capacity(rows.len());
        for (doc, m) in rows {
            paragraphs.push(Paragraph {
                doc,
                ordinal: m.paragraph,
                line: m.line,
                span: m.span,
            });
            texts.push(m.text);
        }
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        // DocIds are in key order (above); reports show the names.
        for d in &mut documents {
            if let Some(name) = names.remove(&d.path) {
                d.path = name;
            }
        }
        let source = Source {
            documents,
            paragraphs,
            texts,
        };
        let corpus = Texts {
            source: &source,
            paragraphs: &source.paragraphs,
        };
        let unit_sig = |u: u32| &signatures[u as usize * k..(u as usize + 1) * k];
        let report = Error::catch_panic("assemble", || {
            Ok(self.report_of(&corpus, &units, &unit_sig, &verified, counts, skipped))
        })?;
        let mut report = report;
        report.documents = source.documents;
        Ok(report)
    }
}

#[cfg(all(test, feature = "arrow", feature = "parquet"))]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::kernels::{components, Kernels};
    use crate::Document;

    fn docs() -> Vec<(String, String)> {
        let story = "The harbour authority said on Sunday that the northern port would reopen \
                     to cargo ships within a week, once divers have cleared the wreck";
        let footer = "Leave a comment below and share this story with your friends today";
        vec![
            ("b".into(), format!("{story}\n{footer}\nplain words here")),
            ("a".into(), format!("Port news\n{story}\n{footer}")),
            (
                "c".into(),
                format!(
                    "{}\n{footer}\n{story}",
                    story.replace("a week", "a fortnight")
                ),
            ),
            ("d".into(), String::new()),
        ]
    }

    /// A driver's work without an engine: the scan's paragraphs, sketches, units and
    /// verified links collected straight from the kernels, one batch each.
    // Long because: it is a whole driver (every kernel in order, then the rows it collects),
    // read top to bottom as the specification of what a driver collects.
    fn collect(scanner: &Scanner, docs: &[(String, String)]) -> Collected {
        use arrow_array::cast::AsArray;
        use arrow_array::types::{Int32Type, Int64Type};
        use arrow_array::{ArrayRef, RecordBatch, StringArray};
        use std::sync::Arc;
        let mut k = Kernels::new(scanner.params().clone());
        let batch = RecordBatch::try_from_iter([
            (
                "doc",
                Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.0))) as ArrayRef,
            ),
            (
                "text",
                Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.1))),
            ),
        ])
        .unwrap();
        let paras = k.paragraphs(&batch).unwrap();
        let sk = k.sketch(&paras).unwrap();
        let units = k.units(&sk).unwrap();
        let strs = |b: &RecordBatch, c: &str| -> Vec<String> {
            b.column_by_name(c)
                .unwrap()
                .as_string::<i32>()
                .iter()
                .map(|s| s.unwrap().to_string())
                .collect()
        };
        let ints = |b: &RecordBatch, c: &str| -> Vec<u32> {
            let a = b.column_by_name(c).unwrap();
            if let Some(a) = a.as_primitive_opt::<Int32Type>() {
                a.values().iter().map(|&v| v as u32).collect()
            } else {
                let a = a.as_primitive::<Int64Type>();
                a.values().iter().map(|&v| v as u32).collect()
            }
        };
        let keys = |b: &RecordBatch, p: &str| -> Vec<(String, u32)> {
            strs(b, &format!("{p}doc"))
                .into_iter()
                .zip(ints(b, &format!("{p}paragraph")))
                .collect()
        };
        let pkeys = keys(&paras, "");
        let (lines, starts, ends, texts) = (
            ints(&paras, "line"),
            ints(&paras, "byte_start"),
            ints(&paras, "byte_end"),
            strs(&paras, "text"),
        );
        let sig_col = sk.column_by_name("signature").unwrap().as_list::<i32>();
        let n = scanner.params().num_perm;
        let sig = |i: usize| -> Vec<u32> {
            let v = sig_col.value(i);
            let v = v.as_primitive::<Int32Type>();
            assert_eq!(v.len(), n);
            v.values().iter().map(|&x| x as u32).collect()
        };
        let (ukeys, uunits) = (keys(&units, ""), keys(&units, "unit_"));
        let reps: Vec<usize> = (0..ukeys.len())
            .filter(|&i| ukeys[i] == uunits[i])
            .collect();
        let rep_rows = arrow_select::take::take_record_batch(
            &sk,
            &arrow_array::UInt32Array::from_iter_values(
                reps.iter()
                    .map(|&i| pkeys.iter().position(|k| *k == ukeys[i]).unwrap() as u32),
            ),
        )
        .unwrap();
        let cands = k.candidates(&k.band_rows(&rep_rows).unwrap()).unwrap();
        let (ca, cb) = (keys(&cands, "a_"), keys(&cands, "b_"));
        let row = |key: &(String, u32)| pkeys.iter().position(|k| k == key).unwrap();
        let mut sigs_a =
            arrow_array::builder::ListBuilder::new(arrow_array::builder::Int32Builder::new());
        let mut sigs_b =
            arrow_array::builder::ListBuilder::new(arrow_array::builder::Int32Builder::new());
        for (a, b) in ca.iter().zip(&cb) {
            sigs_a.append_value(sig(row(a)).iter().map(|&v| Some(v as i32)));
            sigs_b.append_value(sig(row(b)).iter().map(|&v| Some(v as i32)));
        }
        let mut cols: Vec<(&str, ArrayRef)> = Vec::new();
        for name in ["a_doc", "a_paragraph", "b_doc", "b_paragraph"] {
            cols.push((name, cands.column_by_name(name).unwrap().clone()));
        }
        cols.push(("a_signature", Arc::new(sigs_a.finish())));
        cols.push(("b_signature", Arc::new(sigs_b.finish())));
        cols.push((
            "a_text",
            Arc::new(StringArray::from_iter_values(
                ca.iter().map(|a| &texts[row(a)]),
            )),
        ));
        cols.push((
            "b_text",
            Arc::new(StringArray::from_iter_values(
                cb.iter().map(|b| &texts[row(b)]),
            )),
        ));
        let pairs = RecordBatch::try_from_iter(cols).unwrap();
        let verified = k.verify(&pairs).unwrap();
        let (va, vb) = (keys(&verified, "a_"), keys(&verified, "b_"));
        let sims = verified
            .column_by_name("similarity")
            .unwrap()
            .as_primitive::<arrow_array::types::Float64Type>()
            .values()
            .to_vec();
        let methods = strs(&verified, "method");
        // Clustered keys: every key the components kernel labels.
        let mut edges: Vec<((String, u32), (String, u32))> = (0..ukeys.len())
            .filter(|&i| ukeys[i] != uunits[i])
            .map(|i| (uunits[i].clone(), ukeys[i].clone()))
            .collect();
        edges.extend(va.iter().cloned().zip(vb.iter().cloned()));
        let edge_batch = RecordBatch::try_from_iter([
            (
                "a_doc",
                Arc::new(StringArray::from_iter_values(edges.iter().map(|e| &e.0 .0))) as ArrayRef,
            ),
            (
                "a_paragraph",
                Arc::new(arrow_array::Int32Array::from_iter_values(
                    edges.iter().map(|e| e.0 .1 as i32),
                )),
            ),
            (
                "b_doc",
                Arc::new(StringArray::from_iter_values(edges.iter().map(|e| &e.1 .0))),
            ),
            (
                "b_paragraph",
                Arc::new(arrow_array::Int32Array::from_iter_values(
                    edges.iter().map(|e| e.1 .1 as i32),
                )),
            ),
        ])
        .unwrap();
        let comp = components(&edge_batch).unwrap();
        let clustered = keys(&comp, "");
        let unit_of =
            |key: &(String, u32)| uunits[ukeys.iter().position(|k| k == key).unwrap()].clone();
        let members = clustered
            .iter()
            .map(|key| {
                let i = row(key);
                let unit = unit_of(key);
                CollectedParagraph {
                    doc: key.0.clone(),
                    paragraph: key.1,
                    line: lines[i],
                    span: starts[i] as usize..ends[i] as usize,
                    text: texts[i].clone(),
                    signature: (unit == *key).then(|| sig(i)),
                    unit,
                }
            })
            .collect();
        let mut documents: Vec<DocumentStats> = docs
            .iter()
            .map(|d| DocumentStats {
                path: d.0.clone(),
                ..Default::default()
            })
            .collect();
        for (i, key) in pkeys.iter().enumerate() {
            let d = documents.iter_mut().find(|d| d.path == key.0).unwrap();
            d.paragraphs += 1;
            d.paragraph_bytes += (ends[i] - starts[i]) as u64;
        }
        let compared = sk
            .column_by_name("compared")
            .unwrap()
            .as_boolean()
            .true_count();
        Collected {
            documents,
            members,
            links: va
                .into_iter()
                .zip(vb)
                .enumerate()
                .map(|(i, (a, b))| CollectedLink {
                    a,
                    b,
                    similarity: sims[i],
                    method: if methods[i] == "exact" {
                        SimilarityMethod::Exact
                    } else {
                        SimilarityMethod::Estimate
                    },
                })
                .collect(),
            counts: Counts {
                paragraphs: pkeys.len(),
                compared_paragraphs: compared,
                candidate_pairs: ca.len(),
                capped_buckets: 0,
            },
            skipped: Vec::new(),
            names: HashMap::new(),
        }
    }

    #[test]
    fn collected_kernel_rows_give_the_scans_report_byte_for_byte() {
        for config in [
            Config::default(),
            Config {
                threshold: 0.5,
                ..Config::default()
            },
        ] {
            let scanner = Scanner::new(config).unwrap();
            let docs = docs();
            let scanned = scanner
                .scan_documents(
                    docs.iter()
                        .map(|(p, t)| Document::from_text(p.clone(), t.clone()))
                        .collect(),
                )
                .unwrap();
            assert!(!scanned.clusters.is_empty());
            let assembled = scanner.assemble(collect(&scanner, &docs)).unwrap();
            assert_eq!(
                serde_json::to_string(&assembled).unwrap(),
                serde_json::to_string(&scanned).unwrap()
            );
            assert_eq!(assembled.documents, scanned.documents);
        }
    }

    #[test]
    fn names_are_shown_and_keys_keep_the_order() {
        // Keys that order the documents as the scan's input does, names that sort otherwise
        // (a file's records): the report numbers clusters by key and shows the names.
        let scanner = Scanner::new(Config::default()).unwrap();
        let docs = docs();
        let names = ["z#1", "y#2", "x#3", "w#4"];
        let mut collected = collect(&scanner, &docs);
        collected.names = docs
            .iter()
            .zip(names)
            .map(|((key, _), name)| (key.clone(), name.to_string()))
            .collect();
        let assembled = scanner.assemble(collected).unwrap();
        let plain = scanner.assemble(collect(&scanner, &docs)).unwrap();
        let rename = |r: &Report| -> String {
            let mut json = serde_json::to_string(r).unwrap();
            for ((key, _), name) in docs.iter().zip(names) {
                json = json.replace(
                    &format!("\"path\":\"{key}\""),
                    &format!("\"path\":\"{name}\""),
                );
            }
            json
        };
        assert_eq!(serde_json::to_string(&assembled).unwrap(), rename(&plain));
        let shown: Vec<&str> = assembled
            .documents
            .iter()
            .map(|d| d.path.as_str())
            .collect();
        assert_eq!(shown, ["y#2", "z#1", "x#3", "w#4"]);
    }

    #[test]
    fn inconsistent_rows_are_an_error_not_another_report() {
        let scanner = Scanner::new(Config::default()).unwrap();
        let good = collect(&scanner, &docs());
        let mut missing_doc = good.clone();
        missing_doc.documents.retain(|d| d.path != "a");
        let mut no_rep = good.clone();
        no_rep
            .members
            .retain(|m| (m.doc.as_str(), m.paragraph) != (m.unit.0.as_str(), m.unit.1));
        let mut no_sig = good.clone();
        for m in &mut no_sig.members {
            m.signature = None;
        }
        let mut twice = good.clone();
        twice.documents.push(twice.documents[0].clone());
        for (what, c) in [
            ("unknown document", missing_doc),
            ("is not among the members", no_rep),
            ("needs a signature", no_sig),
            ("listed twice", twice),
        ] {
            let e = scanner.assemble(c).unwrap_err().to_string();
            assert!(e.contains(what), "{e}");
        }
    }
}

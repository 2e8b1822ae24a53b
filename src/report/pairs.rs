//! Pairs report: JSONL, one line per verified pair, for users who build their own graph.
//!
//! Input: a [`Report`]. Output: for each cluster (report order) and each of its links (sorted
//! by `a`, `b`), one JSON object: `cluster`, `kind`, `scope`, `boilerplate`, `similarity`,
//! `method` (`identical`, `estimate` or `exact`), and both sides `a` and `b`, each with
//! `path`, `paragraph`, `line`, `byte_start`, `byte_end`, `text`. Invariants: exactly the
//! links of the JSON report (the verified pairs that hold clusters together), nothing
//! inferred; deterministic order.

use std::io::{self, Write};

use serde::Serialize;

use super::{LinkMethod, Member, Report};
use crate::cluster::{ClusterKind, Scope};
use crate::passage::PassageSpan;

#[derive(Serialize)]
struct Pair<'a> {
    cluster: u32,
    kind: ClusterKind,
    scope: Scope,
    boilerplate: bool,
    similarity: f64,
    method: LinkMethod,
    a: Side<'a>,
    b: Side<'a>,
}

#[derive(Serialize)]
struct Side<'a> {
    path: &'a str,
    paragraph: u32,
    line: u32,
    byte_start: u64,
    byte_end: u64,
    text: &'a str,
}

impl<'a> From<&'a PassageSpan> for Side<'a> {
    fn from(s: &'a PassageSpan) -> Self {
        Side {
            path: &s.path,
            paragraph: s.paragraph,
            line: s.line,
            byte_start: s.byte_start,
            byte_end: s.byte_end,
            text: &s.text,
        }
    }
}

impl<'a> From<&'a Member> for Side<'a> {
    fn from(m: &'a Member) -> Self {
        Side {
            path: &m.path,
            paragraph: m.paragraph,
            line: m.line,
            byte_start: m.byte_start,
            byte_end: m.byte_end,
            text: &m.text,
        }
    }
}

/// Write the verified pairs of `report`, one JSON object per line.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for c in &report.clusters {
        for l in &c.links {
            let (Some(a), Some(b)) = (c.members.get(l.a as usize), c.members.get(l.b as usize))
            else {
                // A report read back from a hand-edited file may hold bad indices: skip, the
                // pair cannot be described.
                continue;
            };
            let pair = Pair {
                cluster: c.id,
                kind: c.kind,
                scope: c.scope,
                boilerplate: c.boilerplate,
                similarity: l.similarity,
                method: l.method,
                a: a.into(),
                b: b.into(),
            };
            serde_json::to_writer(&mut *out, &pair)?;
            out.write_all(b"\n")?;
        }
    }
    // Passage links (`--passages`) follow: `kind` is `passage`, `cluster` the passage cluster,
    // `similarity` the containment (shared words / words of the shorter side), `method`
    // `alignment`, and each side is a span.
    for c in report.passages.iter().flat_map(|p| &p.clusters) {
        for l in &c.links {
            let (Some(a), Some(b)) = (c.spans.get(l.a as usize), c.spans.get(l.b as usize)) else {
                continue;
            };
            let pair = PassagePair {
                cluster: c.id,
                kind: "passage",
                scope: c.scope,
                boilerplate: false,
                similarity: l.containment,
                shared_words: l.shared_words,
                method: "alignment",
                a: a.into(),
                b: b.into(),
            };
            serde_json::to_writer(&mut *out, &pair)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

/// A passage link, in the shape of [`Pair`] plus the number of shared words.
#[derive(Serialize)]
struct PassagePair<'a> {
    cluster: u32,
    kind: &'static str,
    scope: Scope,
    boilerplate: bool,
    similarity: f64,
    shared_words: u32,
    method: &'static str,
    a: Side<'a>,
    b: Side<'a>,
}

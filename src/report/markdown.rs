//! Markdown report: for pasting into issues and wikis.
//!
//! Input: a [`Report`]. Output: CommonMark with GitHub-style tables: a summary, the
//! boilerplate clusters, a per-article table and the clusters (largest first, then by
//! representative), each member with its place, similarity, a snippet and a short list of
//! the words it changed. Invariants: all corpus text goes through [`escape`] (Markdown and
//! HTML syntax neutralised, `|` cannot break a table, one line per cell); beyond [`Limits`]
//! the output says how many clusters or members it left out, so it stays pasteable.

use std::io::{self, Write};

use super::diff::{word_diff, Piece};
use super::{
    article_rows, by_size, counted, params_line, passage_heading, percent, serde_plain, snippet,
    Overview, Report,
};
use crate::passage::PassageReport;

/// How much of a large report is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Clusters written; the rest are counted.
    pub max_clusters: usize,
    /// Members written per cluster.
    pub max_members: usize,
    /// Rows of the per-article table.
    pub max_articles: usize,
    /// Characters of each paragraph shown.
    pub snippet_chars: usize,
    /// Changes listed per member.
    pub max_changes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_clusters: 100,
            max_members: 30,
            max_articles: 200,
            snippet_chars: 160,
            max_changes: 6,
        }
    }
}

/// Escape text for a Markdown table cell: one line, Markdown punctuation backslash-escaped,
/// HTML syntax as entities (GitHub renders inline HTML).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '~' | '#' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Write `report` as Markdown.
pub fn write(report: &Report, limits: &Limits, out: &mut dyn Write) -> io::Result<()> {
    write_summary(report, out)?;
    write_boilerplate(report, limits, out)?;
    write_articles(report, limits, out)?;
    write_clusters(report, limits, out)?;
    if let Some(passages) = &report.passages {
        write_passages(passages, limits, out)?;
    }
    write_skipped(report, out)
}

/// The title, the one-line summary and the parameters.
fn write_summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.stats;
    let o = Overview::of(report);
    writeln!(out, "# neardup report\n")?;
    let bytes = match o.paragraph_bytes {
        Some(total) => format!(
            ", {} duplicate bytes ({} of paragraph bytes)",
            o.duplicate_bytes,
            percent(o.duplicate_bytes, total)
        ),
        None => format!(", {} duplicate bytes", o.duplicate_bytes),
    };
    writeln!(
        out,
        "**{}, {}: {} ({} boilerplate), {} ({} of paragraphs){bytes}.**\n",
        counted(s.documents, "document"),
        counted(s.paragraphs, "paragraph"),
        counted(s.clusters, "cluster"),
        o.boilerplate_clusters,
        counted(s.duplicate_paragraphs, "duplicate paragraph"),
        percent(s.duplicate_paragraphs as u64, s.paragraphs as u64),
    )?;
    writeln!(out, "Parameters: {}.", escape(&params_line(&report.params)))?;
    Ok(())
}

/// The boilerplate clusters, one table row each (nothing when there are none).
fn write_boilerplate(report: &Report, limits: &Limits, out: &mut dyn Write) -> io::Result<()> {
    let boilerplate: Vec<_> = report.boilerplate_clusters().collect();
    if !boilerplate.is_empty() {
        writeln!(
            out,
            "\n## Boilerplate\n\n{} spanning {} or more articles:\n",
            counted(boilerplate.len(), "cluster"),
            report.boilerplate_min_docs
        )?;
        writeln!(
            out,
            "| cluster | articles | paragraphs | text |\n|--:|--:|--:|---|"
        )?;
        for c in boilerplate.iter().take(limits.max_clusters) {
            writeln!(
                out,
                "| #{} | {} | {} | {} |",
                c.id,
                c.documents(),
                c.members.len(),
                escape(&snippet(&c.members[0].text, limits.snippet_chars))
            )?;
        }
        left_out(
            out,
            boilerplate.len(),
            limits.max_clusters,
            "boilerplate clusters",
        )?;
    }
    Ok(())
}

/// One row per article that holds duplicates (nothing when none does).
fn write_articles(report: &Report, limits: &Limits, out: &mut dyn Write) -> io::Result<()> {
    let rows = article_rows(report);
    if !rows.is_empty() {
        writeln!(
            out,
            "\n## Articles\n\n| article | paragraphs | repeated within | also in other articles \
             | share duplicated |\n|---|--:|--:|--:|--:|"
        )?;
        for r in rows.iter().take(limits.max_articles) {
            let (total, share) = match r.paragraphs {
                Some(n) => (n.to_string(), percent(r.duplicated as u64, u64::from(n))),
                None => ("?".into(), "?".into()),
            };
            writeln!(
                out,
                "| {} | {total} | {} | {} | {share} |",
                escape(r.path),
                r.repeated_within,
                r.shared
            )?;
        }
        left_out(out, rows.len(), limits.max_articles, "articles")?;
    }
    Ok(())
}

/// The clusters, largest first, each a table of its members.
fn write_clusters(report: &Report, limits: &Limits, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "\n## Clusters")?;
    if report.clusters.is_empty() {
        writeln!(out, "\nNo duplicates found.")?;
    }
    let clusters = by_size(report);
    for c in clusters.iter().take(limits.max_clusters) {
        writeln!(
            out,
            "\n### #{} {} · {} · {} in {}{}\n",
            c.id,
            serde_plain(&c.kind),
            serde_plain(&c.scope),
            counted(c.members.len(), "paragraph"),
            counted(c.documents(), "article"),
            if c.boilerplate { " · boilerplate" } else { "" }
        )?;
        writeln!(
            out,
            "| place | ¶ | similarity | text | changes |\n|---|--:|--:|---|---|"
        )?;
        let rep = &c.members[0].text;
        for (j, m) in c.members.iter().take(limits.max_members).enumerate() {
            let changes = if j == 0 {
                "representative".to_string()
            } else {
                changes(rep, &m.text, limits.max_changes)
            };
            writeln!(
                out,
                "| {}:{} | {} | {:.3} | {} | {} |",
                escape(&m.path),
                m.line,
                u64::from(m.paragraph) + 1,
                m.similarity,
                escape(&snippet(&m.text, limits.snippet_chars)),
                changes
            )?;
        }
        left_out(out, c.members.len(), limits.max_members, "members")?;
    }
    left_out(out, clusters.len(), limits.max_clusters, "clusters")?;
    Ok(())
}

/// The inputs that were skipped, with the reason (nothing when none was).
fn write_skipped(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if !report.skipped.is_empty() {
        writeln!(out, "\n## Skipped inputs\n")?;
        for sk in &report.skipped {
            writeln!(out, "- {}: {}", escape(&sk.path), escape(&sk.reason))?;
        }
    }
    Ok(())
}

/// The passage clusters (`--passages`): each span with the shared words in bold inside a
/// little of its context.
fn write_passages(
    passages: &PassageReport,
    limits: &Limits,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (s, p) = (&passages.stats, &passages.params);
    writeln!(
        out,
        "\n## Shared passages\n\n{}, {} of at least {} words shared inside paragraphs; {} \
         fingerprints in more than {} places dropped as boilerplate.",
        counted(s.clusters, "passage cluster"),
        counted(s.spans, "span"),
        p.min_words,
        s.dropped_fingerprints,
        p.max_occurrences
    )?;
    for c in passages.clusters.iter().take(limits.max_clusters) {
        writeln!(
            out,
            "\n### {}\n\n| place | words | passage in context |\n|---|--:|---|",
            passage_heading(c)
        )?;
        for span in c.spans.iter().take(limits.max_members) {
            let context = limits.snippet_chars / 4;
            let before: Vec<char> = span.before.chars().collect();
            let before: String = before[before.len().saturating_sub(context)..]
                .iter()
                .collect();
            let after: String = span.after.chars().take(context).collect();
            writeln!(
                out,
                "| {}:{} | {} | {}**{}**{} |",
                escape(&span.path),
                span.line,
                span.words,
                escape(&before),
                escape(&snippet(&span.text, limits.snippet_chars)),
                escape(&after)
            )?;
        }
        left_out(out, c.spans.len(), limits.max_members, "spans")?;
    }
    left_out(
        out,
        passages.clusters.len(),
        limits.max_clusters,
        "passage clusters",
    )
}

fn left_out(out: &mut dyn Write, total: usize, shown: usize, what: &str) -> io::Result<()> {
    if total > shown {
        writeln!(
            out,
            "\n_{} more {what} not shown; `--format json` or `--format csv` lists all of them._",
            total - shown
        )?;
    }
    Ok(())
}

/// What a member changed, compactly: `~~old~~ → new`, `+new`, `−old`, `old ≈ new`.
fn changes(rep: &str, text: &str, max: usize) -> String {
    let words = |ws: &[&str]| escape(&snippet(&ws.join(" "), 60));
    let all: Vec<String> = word_diff(rep, text)
        .iter()
        .filter_map(|p| match p {
            Piece::Same(_) => None,
            Piece::Variant { rep, text } => Some(format!("{} ≈ {}", escape(rep), escape(text))),
            Piece::Inserted(ws) => Some(format!("\\+{}", words(ws))),
            Piece::Deleted(ws) => Some(format!("~~{}~~", words(ws))),
            Piece::Substituted { rep, text } => {
                Some(format!("~~{}~~ → {}", words(rep), words(text)))
            }
        })
        .collect();
    if all.is_empty() {
        return "identical".to_string();
    }
    let mut s = all.iter().take(max).cloned().collect::<Vec<_>>().join("; ");
    if all.len() > max {
        s.push_str(&format!("; … {} more", all.len() - max));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_tables_intact() {
        assert_eq!(escape("a|b\nc"), "a\\|b c");
        assert_eq!(escape("<script>*x*"), "&lt;script&gt;\\*x\\*");
    }

    #[test]
    fn changes_are_listed() {
        assert_eq!(changes("a b c", "a B d e", 5), "b ≈ B; ~~c~~ → d e");
        assert_eq!(changes("a", "a", 5), "identical");
        assert_eq!(changes("a b c d", "w x y z", 5).matches('~').count(), 4);
    }
}

//! HTML report: one self-contained page for people.
//!
//! Input: a [`Report`]. Output: one HTML5 document with inline CSS and one inline script, no
//! external resources: a summary (counts, share of bytes, parameters, boilerplate clusters), a
//! per-article table and the clusters (largest first, then by representative), each member
//! with its place, similarity and text, the words that differ from the representative marked;
//! a search box and filters (`filters.js`) over the clusters on the page.
//! Invariants: every piece of text from the corpus (paths, paragraphs, skip reasons) goes
//! through `escape`, so no article can add markup to the page; the script is a constant and
//! reads the corpus only from the DOM (`textContent`, `data-` attributes holding enum names
//! and numbers), so no corpus text is ever inside `<script>`; without JavaScript the filter
//! form stays `hidden` and the page reads as a static document; text cells carry
//! `dir="auto"` so Arabic lays out right-to-left beside English; beyond [`Limits`] the page
//! collapses or leaves out clusters and says how many.

use std::io::{self, Write};

use super::diff::{word_diff, Piece};
use super::{
    article_rows, by_size, counted, params_line, passage_heading, percent, serde_plain, Cluster,
    Overview, Report,
};
use crate::passage::PassageReport;

/// How much of a large report the page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Clusters shown expanded; the following ones are collapsed (`<details>` closed).
    pub open_clusters: usize,
    /// Clusters on the page at all; the rest are counted, not shown.
    pub max_clusters: usize,
    /// Members shown per cluster.
    pub max_members: usize,
    /// Rows of the per-article table.
    pub max_articles: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            open_clusters: 50,
            max_clusters: 1000,
            max_members: 100,
            max_articles: 2000,
        }
    }
}

/// Escape text for HTML element content and double- or single-quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and line ends are not allowed in HTML text.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans','Noto Naskh Arabic',sans-serif;margin:1.5em auto;max-width:80em;padding:0 1em;color:#1b1b1b;line-height:1.45}
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .5em;vertical-align:top;text-align:start}
th{background:#f3f3f3}
td.num{text-align:end;font-variant-numeric:tabular-nums;white-space:nowrap}
td.path{font-family:ui-monospace,monospace;font-size:.9em;word-break:break-all}
td.text{unicode-bidi:plaintext}
tr.rep td{background:#f7fbff}
details{margin:.6em 0;border:1px solid #ddd;border-radius:4px;padding:.3em .6em}
summary{cursor:pointer;font-weight:600}
.badge{display:inline-block;font-size:.8em;font-weight:600;padding:0 .4em;border-radius:3px;background:#eee;margin-inline-start:.3em}
.badge.bp{background:#ffe7b3}
ins{background:#d7f5dd;text-decoration:none}
del{background:#ffd9d9;color:#7a1f1f}
ins.sub{background:#d8e9ff}
del.sub{background:#ece2ff;color:#3b2a6b}
.var{background:#fff3c4;border-bottom:1px dotted #9a7b00}
.note{color:#555;font-size:.9em}
.legend span,.legend ins,.legend del{margin-inline-end:1em}
#filters{position:sticky;top:0;z-index:1;background:#fff;border-bottom:1px solid #ccc;padding:.5em 0;display:flex;flex-wrap:wrap;gap:.4em;align-items:center}
#filters[hidden]{display:none}
#filters input{min-width:14em;font:inherit;padding:.15em .3em}
#filters select{font:inherit}
#count{color:#555;font-size:.9em;margin-inline-start:.5em}
";

/// The search and filter script: a constant (never corpus text), so nothing in it needs
/// escaping; it must not contain `</script` (checked by a test).
const SCRIPT: &str = include_str!("filters.js");

/// The filter form's controls; `write` opens the form, `hidden` until the script shows it (so
/// a page read without JavaScript has no dead controls), with the number of clusters in the
/// report (`data-in-report`). The options' values are the `data-` values clusters carry.
const FORM: &str = "<input type=\"search\" name=\"q\" placeholder=\"Search paragraphs (/)\" aria-label=\"Search paragraphs\" dir=\"auto\" autocomplete=\"off\">
<input type=\"search\" name=\"path\" placeholder=\"Article path\" aria-label=\"Article path contains\" dir=\"auto\" autocomplete=\"off\">
<select name=\"kind\" aria-label=\"Kind\"><option value=\"\">any kind</option><option value=\"exact\">exact</option><option value=\"near\">near</option><option value=\"passage\">passage</option></select>
<select name=\"scope\" aria-label=\"Scope\"><option value=\"\">any scope</option><option value=\"within\">within an article</option><option value=\"across\">across articles</option></select>
<select name=\"bp\" aria-label=\"Boilerplate\"><option value=\"\">boilerplate or not</option><option value=\"1\">boilerplate only</option><option value=\"0\">no boilerplate</option></select>
<select name=\"sort\" aria-label=\"Order\"><option value=\"size\">largest first</option><option value=\"first\">first appearance</option></select>
<output id=\"count\" aria-live=\"polite\"></output>
</form>";

/// Write `report` as an HTML page.
pub fn write(report: &Report, limits: &Limits, out: &mut dyn Write) -> io::Result<()> {
    write_head(out)?;
    writeln!(out, "<section id=\"summary\">\n<h2>Summary</h2>\n<table>")?;
    write_summary(report, out)?;
    write_boilerplate(report, limits, out)?;
    writeln!(out, "</section>")?;

    write_articles(report, limits, out)?;
    write_filters(report, out)?;
    write_clusters(report, limits, out)?;
    if let Some(passages) = &report.passages {
        write_passages(passages, limits, out)?;
    }
    write_skipped(report, out)?;
    writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>")
}

/// The doctype, the `<head>` and the page's title.
fn write_head(out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"und\">\n<head>\n<meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(out, "<meta name=\"generator\" content=\"neardup\">")?;
    writeln!(out, "<title>neardup report</title>\n<style>{STYLE}</style>")?;
    writeln!(out, "</head>\n<body>\n<h1>neardup report</h1>")?;
    Ok(())
}

/// The summary table's rows, closing the table, and the parameters.
fn write_summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.stats;
    let o = Overview::of(report);
    let row = |out: &mut dyn Write, name: &str, value: String| -> io::Result<()> {
        writeln!(
            out,
            "<tr><th scope=\"row\">{name}</th><td class=\"num\">{value}</td></tr>"
        )
    };
    row(out, "documents", s.documents.to_string())?;
    row(out, "paragraphs", s.paragraphs.to_string())?;
    row(
        out,
        "clusters",
        format!("{} ({} boilerplate)", s.clusters, o.boilerplate_clusters),
    )?;
    row(
        out,
        "paragraphs in clusters",
        s.paragraphs_in_clusters.to_string(),
    )?;
    row(
        out,
        "duplicate paragraphs",
        format!(
            "{} ({} of paragraphs; {} in boilerplate)",
            s.duplicate_paragraphs,
            percent(s.duplicate_paragraphs as u64, s.paragraphs as u64),
            o.boilerplate_duplicates
        ),
    )?;
    let bytes_share = match o.paragraph_bytes {
        Some(total) => format!(
            "{} of {} ({})",
            o.duplicate_bytes,
            total,
            percent(o.duplicate_bytes, total)
        ),
        None => o.duplicate_bytes.to_string(),
    };
    row(out, "duplicate bytes", bytes_share)?;
    row(out, "skipped inputs", s.skipped_files.to_string())?;
    writeln!(out, "</table>")?;
    writeln!(
        out,
        "<p class=\"note\">Parameters: {}. Duplicate paragraphs and bytes count every member \
         of a cluster but its representative.</p>",
        escape(&params_line(&report.params))
    )?;
    Ok(())
}

/// Boilerplate, listed apart inside the summary (nothing when there is none).
fn write_boilerplate(report: &Report, limits: &Limits, out: &mut dyn Write) -> io::Result<()> {
    let boilerplate: Vec<&Cluster> = report.boilerplate_clusters().collect();
    if !boilerplate.is_empty() {
        writeln!(
            out,
            "<h3 id=\"boilerplate\">Boilerplate</h3>\n<p>{} spanning {} or more articles \
             (<code>--boilerplate-min-docs</code>): footers, copyright lines, share \
             buttons.</p>",
            counted(boilerplate.len(), "cluster"),
            report.boilerplate_min_docs
        )?;
        writeln!(
            out,
            "<table>\n<thead><tr><th>cluster</th><th>articles</th><th>paragraphs</th>\
             <th>text</th></tr></thead>\n<tbody>"
        )?;
        for c in boilerplate.iter().take(limits.max_clusters) {
            writeln!(
                out,
                "<tr><td class=\"num\"><a href=\"#c{id}\">#{id}</a></td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"text\" dir=\"auto\">{}</td></tr>",
                c.documents(),
                c.members.len(),
                escape(&c.members[0].text),
                id = c.id
            )?;
        }
        writeln!(out, "</tbody>\n</table>")?;
        left_out(
            out,
            boilerplate.len(),
            limits.max_clusters,
            "boilerplate clusters",
        )?;
    }
    Ok(())
}

/// The cluster filter form (hidden until the script runs), when there is a cluster to filter.
fn write_filters(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let has_passages = report
        .passages
        .as_ref()
        .is_some_and(|p| !p.clusters.is_empty());
    if !report.clusters.is_empty() || has_passages {
        let in_report =
            report.clusters.len() + report.passages.as_ref().map_or(0, |p| p.clusters.len());
        writeln!(
            out,
            "<form id=\"filters\" role=\"search\" aria-label=\"Filter clusters\" \
             data-in-report=\"{in_report}\" hidden>\n{FORM}"
        )?;
    }
    Ok(())
}

/// The inputs that were skipped, with the reason (nothing when none was).
fn write_skipped(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if !report.skipped.is_empty() {
        writeln!(
            out,
            "<section id=\"skipped\">\n<h2>Skipped inputs</h2>\n<table>\n<thead><tr>\
             <th>path</th><th>reason</th></tr></thead>\n<tbody>"
        )?;
        for sk in &report.skipped {
            writeln!(
                out,
                "<tr><td class=\"path\" dir=\"auto\">{}</td><td>{}</td></tr>",
                escape(&sk.path),
                escape(&sk.reason)
            )?;
        }
        writeln!(out, "</tbody>\n</table>\n</section>")?;
    }
    Ok(())
}

/// The passage clusters (`--passages`), each span in its paragraph with the shared words in
/// `<mark>`.
fn write_passages(
    passages: &PassageReport,
    limits: &Limits,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (s, p) = (&passages.stats, &passages.params);
    writeln!(
        out,
        "<section id=\"passages\">\n<h2>Shared passages</h2>\n<p>{}, {} of at least {} \
         words shared inside paragraphs (quotes, restated leads, wire copy); {} fingerprints \
         found in more than {} places were treated as boilerplate and dropped.</p>",
        counted(s.clusters, "passage cluster"),
        counted(s.spans, "span"),
        p.min_words,
        s.dropped_fingerprints,
        p.max_occurrences
    )?;
    writeln!(out, "<div class=\"cl-list\">")?;
    for (i, c) in passages
        .clusters
        .iter()
        .take(limits.max_clusters)
        .enumerate()
    {
        let open = if i < limits.open_clusters {
            " open"
        } else {
            ""
        };
        writeln!(
            out,
            "<details id=\"p{id}\" class=\"cl\" data-id=\"{id}\" data-kind=\"{}\" \
             data-scope=\"{}\" data-size=\"{}\" data-bp=\"0\"{open}>\n<summary>{}</summary>\n\
             <table>\n<thead><tr><th>place</th><th>words</th><th>paragraph, shared passage \
             marked</th></tr></thead>\n<tbody>",
            serde_plain(&c.kind),
            serde_plain(&c.scope),
            c.spans.len(),
            escape(&passage_heading(c)),
            id = c.id
        )?;
        for span in c.spans.iter().take(limits.max_members) {
            writeln!(
                out,
                "<tr><td class=\"path\" dir=\"auto\">{}:{}</td><td class=\"num\">{}</td>\
                 <td class=\"text\" dir=\"auto\">{}<mark>{}</mark>{}</td></tr>",
                escape(&span.path),
                span.line,
                span.words,
                escape(&span.before),
                escape(&span.text),
                escape(&span.after)
            )?;
        }
        writeln!(out, "</tbody>\n</table>")?;
        left_out(out, c.spans.len(), limits.max_members, "spans")?;
        writeln!(out, "</details>")?;
    }
    writeln!(out, "</div>")?;
    left_out(
        out,
        passages.clusters.len(),
        limits.max_clusters,
        "passage clusters",
    )?;
    writeln!(out, "</section>")
}

fn left_out(out: &mut dyn Write, total: usize, shown: usize, what: &str) -> io::Result<()> {
    if total > shown {
        writeln!(
            out,
            "<p class=\"note\">{} more {what} not shown; <code>--format json</code> or \
             <code>--format csv</code> lists all of them.</p>",
            total - shown
        )?;
    }
    Ok(())
}

fn write_articles(report: &Report, limits: &Limits, out: &mut dyn Write) -> io::Result<()> {
    let rows = article_rows(report);
    writeln!(out, "<section id=\"articles\">\n<h2>Articles</h2>")?;
    if rows.is_empty() {
        writeln!(
            out,
            "<p>No article has a duplicate paragraph.</p>\n</section>"
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "<p class=\"note\">Articles with at least one clustered paragraph. <em>Repeated \
         within</em>: paragraphs repeating an earlier paragraph of the same article. <em>Also \
         in other articles</em>: paragraphs whose cluster reaches another article. <em>Share \
         duplicated</em>: paragraphs of either kind over all the article's paragraphs.</p>"
    )?;
    writeln!(
        out,
        "<table>\n<thead><tr><th>article</th><th>paragraphs</th><th>repeated within</th>\
         <th>also in other articles</th><th>share duplicated</th></tr></thead>\n<tbody>"
    )?;
    for r in rows.iter().take(limits.max_articles) {
        let (total, share) = match r.paragraphs {
            Some(n) => (n.to_string(), percent(r.duplicated as u64, u64::from(n))),
            None => ("?".to_string(), "?".to_string()),
        };
        writeln!(
            out,
            "<tr><td class=\"path\" dir=\"auto\">{}</td><td class=\"num\">{total}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{share}</td></tr>",
            escape(r.path),
            r.repeated_within,
            r.shared
        )?;
    }
    writeln!(out, "</tbody>\n</table>")?;
    left_out(out, rows.len(), limits.max_articles, "articles")?;
    writeln!(out, "</section>")
}

fn write_clusters(report: &Report, limits: &Limits, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<section id=\"clusters\">\n<h2>Clusters</h2>")?;
    if report.clusters.is_empty() {
        writeln!(out, "<p>No duplicates found.</p>\n</section>")?;
        return Ok(());
    }
    writeln!(
        out,
        "<p class=\"note legend\">Largest first. Each member is compared word by word with the \
         cluster's first member (its representative, shaded): <ins>inserted</ins> \
         <del>deleted</del> <del class=\"sub\">replaced</del><ins class=\"sub\">by</ins> \
         <span class=\"var\">same after normalisation</span> (diacritics, letter forms, case, \
         punctuation or digits only; hover for the representative's spelling). Paragraph \
         numbers count from 1 (JSON and CSV count from 0); similarity is the Jaccard \
         similarity to the representative.</p>"
    )?;
    let clusters = by_size(report);
    writeln!(out, "<div class=\"cl-list\">")?;
    for (i, c) in clusters.iter().take(limits.max_clusters).enumerate() {
        write_cluster(c, i < limits.open_clusters, limits, out)?;
    }
    writeln!(out, "</div>")?;
    left_out(out, clusters.len(), limits.max_clusters, "clusters")?;
    writeln!(out, "</section>")
}

/// One cluster: a `<details>` (open when `open`) whose summary gives its number, kind, scope
/// and size, holding the table of its first `limits.max_members` members, each diffed against
/// the representative.
fn write_cluster(c: &Cluster, open: bool, limits: &Limits, out: &mut dyn Write) -> io::Result<()> {
    let open = if open { " open" } else { "" };
    write!(
        out,
        "<details id=\"c{id}\" class=\"cl\" data-id=\"{id}\" data-kind=\"{kind}\" \
         data-scope=\"{scope}\" data-size=\"{}\" data-bp=\"{}\"{open}>\n<summary>#{id} \
         <span class=\"badge\">{kind}</span><span class=\"badge\">{scope}</span>",
        c.members.len(),
        u8::from(c.boilerplate),
        kind = serde_plain(&c.kind),
        scope = serde_plain(&c.scope),
        id = c.id
    )?;
    if c.boilerplate {
        write!(out, "<span class=\"badge bp\">boilerplate</span>")?;
    }
    writeln!(
        out,
        " {} in {}</summary>",
        counted(c.members.len(), "paragraph"),
        counted(c.documents(), "article")
    )?;
    writeln!(
        out,
        "<table>\n<thead><tr><th>article</th><th>paragraph</th><th>line</th>\
         <th>similarity</th><th>text</th></tr></thead>\n<tbody>"
    )?;
    let rep = &c.members[0].text;
    for (j, m) in c.members.iter().take(limits.max_members).enumerate() {
        let text = if j == 0 {
            escape(rep)
        } else {
            diff_html(rep, &m.text)
        };
        writeln!(
            out,
            "<tr{}><td class=\"path\" dir=\"auto\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{:.3}</td>\
             <td class=\"text\" dir=\"auto\">{text}</td></tr>",
            if j == 0 { " class=\"rep\"" } else { "" },
            escape(&m.path),
            u64::from(m.paragraph) + 1,
            m.line,
            m.similarity
        )?;
    }
    writeln!(out, "</tbody>\n</table>")?;
    if c.members.len() > limits.max_members {
        writeln!(
            out,
            "<p class=\"note\">{} more members not shown.</p>",
            c.members.len() - limits.max_members
        )?;
    }
    writeln!(out, "</details>")
}

/// The member's text, escaped, with its differences from `rep` marked up.
pub(crate) fn diff_html(rep: &str, text: &str) -> String {
    let words = |ws: &[&str]| escape(&ws.join(" "));
    let parts: Vec<String> = word_diff(rep, text)
        .iter()
        .map(|p| match p {
            Piece::Same(w) => escape(w),
            Piece::Variant { rep, text } => format!(
                "<span class=\"var\" title=\"representative: {}\">{}</span>",
                escape(rep),
                escape(text)
            ),
            Piece::Inserted(ws) => format!("<ins>{}</ins>", words(ws)),
            Piece::Deleted(ws) => format!("<del>{}</del>", words(ws)),
            Piece::Substituted { rep, text } => format!(
                "<del class=\"sub\">{}</del> <ins class=\"sub\">{}</ins>",
                words(rep),
                words(text)
            ),
        })
        .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape("<script>\"x\" & 'y'</table>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/table&gt;"
        );
        assert_eq!(escape("a\u{0}b"), "a\u{FFFD}b");
    }

    #[test]
    fn script_cannot_end_or_comment_out_its_element() {
        let lower = SCRIPT.to_ascii_lowercase();
        assert!(!lower.contains("</script") && !lower.contains("<!--"));
    }

    #[test]
    fn diff_marks_changes() {
        let h = diff_html("a <b> c", "a <B> d");
        assert_eq!(
            h,
            "a <span class=\"var\" title=\"representative: &lt;b&gt;\">&lt;B&gt;</span> \
             <del class=\"sub\">c</del> <ins class=\"sub\">d</ins>"
        );
    }
}

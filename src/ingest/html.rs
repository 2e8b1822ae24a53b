//! HTML pages: bytes in an unknown encoding → the article's paragraphs.
//!
//! Input: the raw bytes of a page and, when known, the charset an HTTP header declared.
//! Output: the main text as paragraphs — the title first, then one paragraph per block element
//! (`p`, headings, list items, blockquotes, table cells, and text loose in other blocks), with
//! whitespace collapsed; `page_text_with` joins them into the text a [`super::Document`] holds (one
//! paragraph per line, blank lines between, so `--split lines` and `--split blank` cut it the
//! same way). Spans and line numbers of HTML documents therefore refer to this extracted text,
//! not to the file.
//!
//! Invariants. Decoding ([`decode`]) follows a fixed precedence: a byte-order mark wins; then
//! bytes that are valid UTF-8 are UTF-8 whatever the page declares (a `<meta charset=gb2312>`
//! on a UTF-8 page is a common lie, while legacy text that happens to be valid UTF-8 is
//! vanishingly rare outside pure ASCII); then the declared charset (HTTP header, then `<meta>`);
//! then detection with `chardetng`. Decoding itself is `encoding_rs`, which never fails
//! (malformed sequences become U+FFFD). Extraction ([`extract_paragraphs`]) is readability.js's
//! algorithm as ported by `dom_smoothie`; when it finds no article, the whole body is taken
//! minus navigation, menus, headers, footers, forms, share buttons and scripts. The same bytes
//! always give the same paragraphs.

use std::borrow::Cow;

use dom_query::{Document as Dom, NodeRef};
use encoding_rs::Encoding;

/// Where the encoding of a page came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodingSource {
    /// A byte-order mark.
    Bom,
    /// The bytes are valid UTF-8.
    ValidUtf8,
    /// An HTTP `Content-Type` header or a `<meta>` tag.
    Declared,
    /// Statistical detection (`chardetng`).
    Detected,
}

/// A decoded page.
#[derive(Clone, Debug)]
pub struct Decoded<'a> {
    /// The page's text.
    pub text: Cow<'a, str>,
    /// The encoding it was decoded from.
    pub encoding: &'static Encoding,
    /// Why that encoding.
    pub source: EncodingSource,
}

/// Decode a page: BOM, then valid UTF-8, then `declared` (e.g. from an HTTP header) or the
/// page's `<meta>` charset, then detection.
pub fn decode<'a>(bytes: &'a [u8], declared: Option<&str>) -> Decoded<'a> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return Decoded {
            text,
            encoding,
            source: EncodingSource::Bom,
        };
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded {
            text: Cow::Borrowed(text),
            encoding: encoding_rs::UTF_8,
            source: EncodingSource::ValidUtf8,
        };
    }
    let declared = declared
        .and_then(|label| Encoding::for_label(label.trim().as_bytes()))
        .or_else(|| meta_charset(bytes))
        // A page cannot declare UTF-16 in ASCII-compatible bytes; the HTML standard reads such
        // a declaration as UTF-8, which these bytes are not: detect instead.
        .filter(|e| *e != encoding_rs::UTF_16LE && *e != encoding_rs::UTF_16BE)
        .map(|e| e.output_encoding());
    let (encoding, source) = match declared {
        Some(e) if e != encoding_rs::UTF_8 => (e, EncodingSource::Declared),
        _ => {
            let mut detector =
                chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            detector.feed(bytes, true);
            (
                detector.guess(None, chardetng::Utf8Detection::Allow),
                EncodingSource::Detected,
            )
        }
    };
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    Decoded {
        text,
        encoding,
        source,
    }
}

/// The charset a `<meta charset=…>` or `<meta http-equiv content="…; charset=…">` declares in
/// the first 4 KiB (the HTML standard's prescan looks at 1 KiB; real pages put long `<head>`s
/// first).
pub(crate) fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = bytes[..bytes.len().min(4096)].to_ascii_lowercase();
    let mut pos = 0;
    while let Some(i) = find(&head[pos..], b"<meta") {
        let start = pos + i + 5;
        let end = find(&head[start..], b">").map_or(head.len(), |e| start + e);
        let tag = &head[start..end];
        if let Some(c) = find(tag, b"charset") {
            let rest = &tag[c + 7..];
            let rest = trim_start(rest);
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = trim_start(rest);
                let rest = rest
                    .strip_prefix(b"\"")
                    .or_else(|| rest.strip_prefix(b"'"))
                    .unwrap_or(rest);
                let len = rest
                    .iter()
                    .position(|b| {
                        matches!(b, b'"' | b'\'' | b';' | b'/') || b.is_ascii_whitespace()
                    })
                    .unwrap_or(rest.len());
                if let Some(e) = Encoding::for_label(&rest[..len]) {
                    return Some(e);
                }
            }
        }
        pos = end;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

/// Decode and extract a page: the text of its paragraphs, one per line, separated by blank
/// lines (what an HTML [`super::Document`] holds), within the default [`HtmlLimits`].
#[cfg(test)]
pub(crate) fn page_text(bytes: &[u8], declared: Option<&str>) -> String {
    page_text_with(bytes, declared, &HtmlLimits::default()).0
}

/// [`page_text`] within `limits`, with one message per limit the page hit (its text is then
/// extracted up to the limit).
pub(crate) fn page_text_with(
    bytes: &[u8],
    declared: Option<&str>,
    limits: &HtmlLimits,
) -> (String, Vec<String>) {
    let decoded = decode(bytes, declared);
    let (html, warnings) = bound_markup(&decoded.text, limits);
    (extract_bounded(&html).join("\n\n"), warnings)
}

/// The article's paragraphs: the title, then the main content's block elements. The page is
/// first bounded by `bound_markup` with the default limits.
pub fn extract_paragraphs(html: &str) -> Vec<String> {
    extract_bounded(&bound_markup(html, &HtmlLimits::default()).0)
}

/// [`extract_paragraphs`] of markup already bounded.
fn extract_bounded(html: &str) -> Vec<String> {
    let config = dom_smoothie::Config {
        // Bounds the work on enormous pages (readability.js has the same knob).
        max_elements_to_parse: 100_000,
        keep_classes: false,
        ..dom_smoothie::Config::default()
    };
    // Boilerplate goes before readability runs: readability keeps what it finds inside the
    // winning container (a share bar, a menu) and drops the class names that show what it is.
    let dom = Dom::from(html);
    strip_boilerplate(&dom);
    let article = dom_smoothie::Readability::with_document(dom, None, Some(config))
        .and_then(|mut r| r.parse())
        .ok()
        .filter(|a| !a.text_content.trim().is_empty());
    let (title, mut paragraphs) = match article {
        Some(article) => {
            let content = Dom::from(article.content.as_ref());
            let mut out = Vec::new();
            collect_blocks(&content.root(), &mut out);
            (collapse(&article.title), out)
        }
        None => {
            // No article found: the whole body without its boilerplate.
            let dom = Dom::from(html);
            strip_boilerplate(&dom);
            let title = dom.select("title").text();
            let mut out = Vec::new();
            let body = dom.select("body");
            match body.nodes().first() {
                Some(body) => collect_blocks(body, &mut out),
                None => collect_blocks(&dom.root(), &mut out),
            }
            (collapse(&title), out)
        }
    };
    if !title.is_empty() && paragraphs.first() != Some(&title) {
        paragraphs.insert(0, title);
    }
    paragraphs
}

/// Every block paragraph of a page, as [`extract_paragraphs`] cuts them, but with no article
/// detection and no boilerplate removal (scripts and styles still go). For reference
/// extractions, such as readability.js's expected output in the quality measurement.
pub fn block_paragraphs(html: &str) -> Vec<String> {
    let dom = Dom::from(bound_markup(html, &HtmlLimits::default()).0.as_ref());
    let mut out = Vec::new();
    collect_blocks(&dom.root(), &mut out);
    out
}

pub use super::HtmlLimits;

/// Void elements never take content, so they never nest.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
    "source", "track", "wbr", "basefont", "bgsound", "frame",
];

/// Elements whose content the tokenizer reads as text up to their end tag.
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// Elements the tree builder reopens after an unrelated end tag closed them (the "active
/// formatting elements").
const FORMATTING: &[&str] = &[
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
];

/// Elements an end tag cannot close across ("scope" boundaries of the HTML tree builder).
const SCOPE_BOUNDARY: &[&str] = &[
    "applet",
    "caption",
    "html",
    "table",
    "td",
    "th",
    "marquee",
    "object",
    "template",
    "svg",
    "math",
    "foreignobject",
    "desc",
    "button",
    "ol",
    "ul",
];

/// Start tags that close an open `<p>` on top of the stack (HTML tree construction, "in body").
const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "header",
    "hgroup",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "section",
    "summary",
    "ul",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "listing",
    "form",
    "table",
    "hr",
];

/// Start tags that close an element of the same name on top of the stack.
const CLOSES_SAME: &[&str] = &["li", "dt", "dd", "option", "tr", "td", "th"];

/// One element open in [`bound_markup`]'s model of the tree.
struct Open {
    name: String,
    /// Its tags were left out (it lies below the depth limit).
    dropped: bool,
}

/// Make `html` safe to hand to the parser: nesting at most `limits.max_depth` deep, at most
/// `limits.max_elements` elements and `limits.max_bytes` bytes. Returns the markup (borrowed
/// when nothing was changed) and one message per limit hit.
///
/// A single linear pass over the tags models the tree the HTML parser will build: a stack of
/// open elements, end tags closing the nearest match not behind a scope boundary, the implied
/// closes of `<p>`, `<li>` and table cells, and formatting elements the parser reopens. The
/// model errs towards counting too deep (flattening sooner), never too shallow, so the parser's
/// tree — and with it the parser's own quadratic scope checks and the recursion of what walks
/// the tree afterwards (readability, serialisation) — stays within the limit.
// Long because: one loop over the tags, a state machine whose state (the stack, `reopen`,
// `foreign`, `elements`, the splice position) every branch reads and updates, and which must
// see each tag exactly once and in order; the steps that touch no shared state are helpers
// (`cut_to_max_bytes`, `tag_end`, `find_open`, `close_at`, `find_end_tag`).
pub(crate) fn bound_markup<'a>(html: &'a str, limits: &HtmlLimits) -> (Cow<'a, str>, Vec<String>) {
    let mut warnings = Vec::new();
    let html = cut_to_max_bytes(html, limits.max_bytes, &mut warnings);
    let b = html.as_bytes();
    let mut out = String::new();
    // `html[copied..]` is not yet in `out`; `out` stays empty while nothing changes.
    let mut copied = 0;
    let mut changed = false;
    let mut stack: Vec<Open> = Vec::new();
    // Formatting elements closed by an unrelated end tag, which the parser may reopen.
    let mut reopen = 0usize;
    let mut elements = 0usize;
    let mut flattened = 0usize;
    let mut foreign = 0usize; // open <svg>/<math>: self-closing tags are honoured there
    let mut i = 0;
    let splice = |out: &mut String, copied: &mut usize, from: usize, to: usize, with: &str| {
        out.push_str(&html[*copied..from]);
        out.push_str(with);
        *copied = to;
    };
    // The state machine of the `Long because` above: each tag once, in order.
    while let Some(lt) = memchr::memchr(b'<', &b[i..]).map(|p| i + p) {
        let next = b.get(lt + 1).copied().unwrap_or(0);
        if b[lt..].starts_with(b"<!--") {
            i = find(&b[lt + 4..], b"-->").map_or(b.len(), |e| lt + 4 + e + 3);
            continue;
        }
        if next == b'!' || next == b'?' {
            i = memchr::memchr(b'>', &b[lt..]).map_or(b.len(), |e| lt + e + 1);
            continue;
        }
        let is_end = next == b'/';
        let name_start = if is_end { lt + 2 } else { lt + 1 };
        if !b.get(name_start).is_some_and(|c| c.is_ascii_alphabetic()) {
            i = lt + 1;
            continue;
        }
        let name_end = b[name_start..]
            .iter()
            .position(|c| c.is_ascii_whitespace() || *c == b'/' || *c == b'>')
            .map_or(b.len(), |e| name_start + e);
        let Some(tag_end) = tag_end(b, name_end) else {
            break; // a tag cut off by the end of the page: the parser drops it
        };
        let name = html[name_start..name_end].to_ascii_lowercase();
        i = tag_end;
        if is_end {
            if let Some(at) = find_open(&stack, &name, limits.max_depth + 16) {
                if close_at(&mut stack, at, &mut reopen, &mut foreign) {
                    changed = true;
                    splice(&mut out, &mut copied, lt, tag_end, "");
                }
            } else if FORMATTING.contains(&name.as_str()) {
                reopen = reopen.saturating_sub(1);
            }
            continue;
        }
        elements += 1;
        if elements > limits.max_elements {
            warnings.push(format!(
                "more than {} elements (--max-html-elements): the page was cut at byte {lt}",
                limits.max_elements
            ));
            changed = true;
            splice(&mut out, &mut copied, lt, b.len(), "");
            break;
        }
        if VOID.contains(&name.as_str()) {
            continue;
        }
        let self_closing = b[..tag_end - 1].ends_with(b"/");
        if self_closing && foreign > 0 {
            continue;
        }
        if let Some(top) = stack.last() {
            let closes = (top.name == "p" && CLOSES_P.contains(&name.as_str()))
                || (top.name == name && CLOSES_SAME.contains(&name.as_str()));
            if closes {
                // Its end tag, if one comes, is then stray: the parser ignores it.
                stack.pop();
            }
        }
        let dropped = stack.len() + reopen >= limits.max_depth;
        if dropped {
            flattened += 1;
            changed = true;
            let with = if BLOCKS.contains(&name.as_str()) {
                "<br>"
            } else {
                ""
            };
            splice(&mut out, &mut copied, lt, tag_end, with);
        } else if name == "svg" || name == "math" {
            foreign += 1;
        }
        if RAW_TEXT.contains(&name.as_str()) || name == "plaintext" {
            // Its content is text to the parser: skip to its end tag (none for plaintext).
            let close = if name == "plaintext" {
                None
            } else {
                find_end_tag(b, tag_end, &name)
            };
            match close {
                Some((start, end)) => {
                    if dropped {
                        splice(&mut out, &mut copied, start, end, "");
                    }
                    i = end;
                }
                None => {
                    i = b.len();
                }
            }
            continue;
        }
        stack.push(Open { name, dropped });
    }
    if flattened > 0 {
        warnings.push(format!(
            "HTML nested deeper than {} levels (--max-html-depth): {flattened} element(s) \
             below that were flattened, their text kept",
            limits.max_depth
        ));
    }
    if !changed {
        return (Cow::Borrowed(html), warnings);
    }
    out.push_str(&html[copied..]);
    (Cow::Owned(out), warnings)
}

/// `html` cut to at most `max_bytes` (at a character boundary), with a warning when cut.
fn cut_to_max_bytes<'a>(html: &'a str, max_bytes: usize, warnings: &mut Vec<String>) -> &'a str {
    if html.len() <= max_bytes {
        return html;
    }
    let mut cut = max_bytes;
    while !html.is_char_boundary(cut) {
        cut -= 1;
    }
    warnings.push(format!(
        "{} bytes of markup, over the limit of {max_bytes} (--max-html-bytes): the rest was not \
         read",
        html.len(),
    ));
    &html[..cut]
}

/// Close the element at `stack[at]` and every element above it, as the parser does for an end
/// tag: formatting elements closed on the way may be reopened (`reopen`), and leaving
/// `<svg>`/`<math>` ends foreign content (`foreign`). Returns whether the closed element's
/// tags were dropped (then its end tag is dropped too).
fn close_at(stack: &mut Vec<Open>, at: usize, reopen: &mut usize, foreign: &mut usize) -> bool {
    for open in stack.drain(at + 1..) {
        if !open.dropped && FORMATTING.contains(&open.name.as_str()) {
            *reopen += 1;
        }
        if open.name == "svg" || open.name == "math" {
            *foreign = foreign.saturating_sub(1);
        }
    }
    let open = stack.pop().expect("`at` is an index into `stack`");
    if open.name == "svg" || open.name == "math" {
        *foreign = foreign.saturating_sub(1);
    }
    open.dropped
}

/// The open element an end tag `</name>` closes: the nearest of that name, unless a scope
/// boundary lies between (the parser then ignores the end tag). Only the top `window` entries
/// are searched, so stray end tags on a deep stack cost constant time; a match further down is
/// treated as none (the model then counts too deep, the safe side).
fn find_open(stack: &[Open], name: &str, window: usize) -> Option<usize> {
    let skip = stack.len().saturating_sub(window);
    for (at, open) in stack.iter().enumerate().skip(skip).rev() {
        if open.name == name {
            return Some(at);
        }
        if SCOPE_BOUNDARY.contains(&open.name.as_str()) {
            return None;
        }
    }
    None
}

/// The index after the `>` ending a tag whose name ends at `from`; quoted attribute values
/// may hold `>`.
fn tag_end(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    let mut after_eq = false;
    while i < b.len() {
        match b[i] {
            b'>' => return Some(i + 1),
            q @ (b'"' | b'\'') if after_eq => {
                i = memchr::memchr(q, &b[i + 1..]).map(|e| i + 1 + e)?;
                after_eq = false;
            }
            b'=' => after_eq = true,
            c if c.is_ascii_whitespace() => {}
            _ => after_eq = false,
        }
        i += 1;
    }
    None
}

/// Where the end tag `</name` of a raw-text element starts and ends, searching from `from`.
fn find_end_tag(b: &[u8], from: usize, name: &str) -> Option<(usize, usize)> {
    let mut i = from;
    while let Some(lt) = memchr::memchr(b'<', &b[i..]).map(|p| i + p) {
        let n = lt + 2;
        if b.get(lt + 1) == Some(&b'/')
            && b.len() >= n + name.len()
            && b[n..n + name.len()].eq_ignore_ascii_case(name.as_bytes())
            && !b
                .get(n + name.len())
                .is_some_and(|c| c.is_ascii_alphanumeric())
        {
            let end = tag_end(b, n + name.len()).unwrap_or(b.len());
            return Some((lt, end));
        }
        i = lt + 1;
    }
    None
}

/// Elements whose content is never article text. (`form` is not one: ASP.NET pages wrap the
/// whole body in a form; a short form is caught by [`is_boilerplate`].)
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "math", "nav", "button", "select",
    "textarea", "iframe", "object", "embed", "canvas", "menu", "input", "label",
];

/// Remove skipped elements and short boilerplate from the page.
fn strip_boilerplate(dom: &Dom) {
    let root = dom.root();
    let doomed: Vec<NodeRef> = root
        .descendants_it()
        .filter(|n| {
            n.is_element() && {
                let name = n
                    .node_name()
                    .map(|t| t.to_ascii_lowercase())
                    .unwrap_or_default();
                SKIPPED.contains(&name.as_str())
                    || (name == "form" && is_short(n))
                    || is_boilerplate(n)
            }
        })
        .collect();
    for node in doomed {
        node.remove_from_parent();
    }
}

fn is_short(node: &NodeRef) -> bool {
    node.text()
        .split_whitespace()
        .nth(BOILERPLATE_MAX_WORDS)
        .is_none()
}

/// Elements that end a paragraph where they start and end.
const BLOCKS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "pre",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "td",
    "th",
    "caption",
    "figure",
    "figcaption",
    "address",
    "hr",
    "details",
    "summary",
    "fieldset",
    "legend",
    "center",
    "body",
    "html",
];

/// Class, id or role words that mark boilerplate (navigation, sharing, comments, ads).
const BOILERPLATE_WORDS: &[&str] = &[
    "nav",
    "navbar",
    "navigation",
    "menu",
    "breadcrumb",
    "breadcrumbs",
    "share",
    "sharing",
    "social",
    "comment",
    "comments",
    "footer",
    "sidebar",
    "related",
    "cookie",
    "cookies",
    "subscribe",
    "newsletter",
    "advert",
    "advertisement",
    "ads",
    "banner",
    "promo",
    "tags",
    "pagination",
    "masthead",
    "topbar",
];

/// Boilerplate by its class, id or role, and short: a wrapper such as
/// `<article class="has-comments">` holding the whole story must not go.
fn is_boilerplate(node: &NodeRef) -> bool {
    boilerplate_name(node) && is_short(node)
}

/// Longest text (in words) an element marked as boilerplate may have and still be dropped.
const BOILERPLATE_MAX_WORDS: usize = 60;

fn boilerplate_name(node: &NodeRef) -> bool {
    if let Some(role) = node.attr("role") {
        let role = role.to_ascii_lowercase();
        if matches!(
            role.as_str(),
            "navigation" | "banner" | "contentinfo" | "menu" | "menubar" | "complementary"
        ) {
            return true;
        }
    }
    let mut words = String::new();
    for attr in ["class", "id"] {
        if let Some(v) = node.attr(attr) {
            words.push(' ');
            words.push_str(&v.to_ascii_lowercase());
        }
    }
    words
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| BOILERPLATE_WORDS.contains(&w))
}

/// Walk `root` in document order, cutting text at block boundaries and `<br>`. Iterative, so
/// a pathologically deep page cannot overflow the stack.
fn collect_blocks(root: &NodeRef, out: &mut Vec<String>) {
    enum Step<'a> {
        Enter(NodeRef<'a>),
        Exit,
    }
    let mut buffer = String::new();
    let mut stack = vec![Step::Enter(*root)];
    while let Some(step) = stack.pop() {
        let node = match step {
            Step::Exit => {
                flush(&mut buffer, out);
                continue;
            }
            Step::Enter(node) => node,
        };
        if node.is_text() {
            buffer.push_str(&node.text());
            continue;
        }
        let name = if node.is_element() {
            node.node_name()
                .map(|n| n.to_ascii_lowercase())
                .unwrap_or_default()
        } else if node.is_document() || node.is_fragment() {
            String::new()
        } else {
            continue; // comments, doctypes, processing instructions
        };
        if name == "head" || SKIPPED.contains(&name.as_str()) {
            // Boilerplate still separates what is around it.
            flush(&mut buffer, out);
            continue;
        }
        if name == "br" {
            flush(&mut buffer, out);
            continue;
        }
        let block = BLOCKS.contains(&name.as_str());
        if block {
            flush(&mut buffer, out);
            stack.push(Step::Exit);
        }
        for child in node.children().into_iter().rev() {
            stack.push(Step::Enter(child));
        }
    }
    flush(&mut buffer, out);
}

fn flush(buffer: &mut String, out: &mut Vec<String>) {
    let text = collapse(buffer);
    buffer.clear();
    if !text.is_empty() {
        out.push(text);
    }
}

/// Whitespace runs → one space, trimmed (HTML rendering collapses them the same way).
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_wins_over_everything() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("<meta charset=windows-1256>é".as_bytes());
        let d = decode(&bytes, Some("iso-8859-6"));
        assert_eq!(d.source, EncodingSource::Bom);
        assert!(d.text.ends_with('é'));
    }

    #[test]
    fn valid_utf8_wins_over_a_lying_declaration() {
        let page = "<meta charset=\"gb2312\"><p>مرحبا بالعالم</p>";
        let d = decode(page.as_bytes(), None);
        assert_eq!(d.source, EncodingSource::ValidUtf8);
        assert_eq!(d.text, page);
    }

    #[test]
    fn declared_charset_decodes_legacy_arabic() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1256.encode("<meta charset=windows-1256>سلام");
        let d = decode(&bytes, None);
        assert_eq!(d.source, EncodingSource::Declared);
        assert!(d.text.ends_with("سلام"));
        let d = decode(&bytes, Some("windows-1256"));
        assert_eq!(d.encoding, encoding_rs::WINDOWS_1256);
    }

    #[test]
    fn meta_http_equiv_is_read() {
        let page = b"<META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=ISO-8859-6'>";
        assert_eq!(meta_charset(page), Some(encoding_rs::ISO_8859_6));
    }

    #[test]
    fn undeclared_legacy_arabic_is_detected() {
        let text = "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في المدينة، وقال الوزير إن \
                    المستشفى سيخدم آلاف المرضى من سكان المنطقة والقرى المجاورة لها.";
        let (bytes, _, _) = encoding_rs::WINDOWS_1256.encode(text);
        let d = decode(&bytes, None);
        assert_eq!(d.source, EncodingSource::Detected);
        assert_eq!(d.text, text);
    }

    #[test]
    fn fallback_keeps_blocks_and_drops_boilerplate() {
        let page = "<html><head><title>T</title><script>x()</script></head><body>\
                    <nav><a>Home</a></nav><div class=\"share-buttons\">Share</div>\
                    <h1>Head</h1><p>One <b>two</b><br>three</p><ul><li>a</li><li>b</li></ul>\
                    </body></html>";
        let got = extract_paragraphs(page);
        assert_eq!(got, vec!["T", "Head", "One two", "three", "a", "b"]);
    }
}

//! Guard for issue #12's "no function over ~80 lines without a reason written beside it".
//!
//! Every `fn` in the repository's Rust sources ([`ROOTS`]: the library, its tests, benches,
//! measurement tools, examples and the Python extension crate) whose lines, from the `fn`
//! line to its closing brace, number more than [`MAX_LINES`] needs a `// Long because: …`
//! comment directly above it (above its doc comment and attributes, or between them and the
//! `fn`). There is no allow-list: every long function is split or says why it is not.
//! A line count is not the goal, a newcomer finding their room is: split where pieces with
//! names read better, write the reason where one linear function is the clearest form.
//!
//! The counter is a small lexer, not a parser: it blanks comments, strings (raw and byte
//! strings too) and character literals, so their braces do not count, then matches braces from
//! each `fn NAME`. That is enough for rustfmt-formatted code; the tests below pin it down.

use std::path::Path;

/// Longest body, in lines (the `fn` line and the closing brace included), that needs no reason.
const MAX_LINES: usize = 80;

/// Every directory holding Rust sources, walked recursively (`benches/` includes
/// `benches/tools/`; `python/src/` is the Python extension crate). A root that is missing fails.
const ROOTS: &[&str] = &["src", "tests", "benches", "examples", "python/src"];

/// The marker a reason starts with.
const REASON: &str = "// Long because:";

/// One function found in a source file.
#[derive(Debug, PartialEq)]
struct Function {
    name: String,
    /// 1-based line of its `fn` keyword.
    line: usize,
    /// Lines from the `fn` line to the closing brace, both included.
    lines: usize,
    /// A `// Long because:` comment sits directly above it.
    has_reason: bool,
}

/// `source` with comments, string and character literals replaced by spaces (line breaks
/// kept), so that only code braces remain.
fn blank_literals(source: &str) -> String {
    let c: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let blank = |out: &mut String, chars: &[char]| {
        for &ch in chars {
            out.push(if ch == '\n' { '\n' } else { ' ' });
        }
    };
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    while i < c.len() {
        let start = i;
        let at_token = i == 0 || !ident(c[i - 1]);
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            // Block comments nest in Rust.
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if at_token && raw_string_start(&c[i..]).is_some() {
            let (prefix, hashes) = raw_string_start(&c[i..]).unwrap_or_default();
            i += prefix;
            // Ends at `"` followed by as many `#` as opened it.
            while i < c.len() {
                if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c[i] == '\'' && c.get(i + 1) == Some(&'\\') {
            // An escaped character: '\n', '\'', '\u{7b}'.
            i += 2;
            while i < c.len() && c[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else if c[i] == '\'' && c.get(i + 2) == Some(&'\'') {
            i += 3; // 'x'; anything else after `'` is a lifetime or a label
        } else {
            out.push(c[i]);
            i += 1;
            continue;
        }
        let end = i.min(c.len());
        blank(&mut out, &c[start..end]);
        i = end;
    }
    out
}

/// At `r"`, `r#"`, `br"`, `br##"`…: (characters up to and including the quote, number of `#`).
fn raw_string_start(c: &[char]) -> Option<(usize, usize)> {
    let mut i = usize::from(c.first() == Some(&'b'));
    if c.get(i) != Some(&'r') {
        return None;
    }
    i += 1;
    let hashes = c[i..].iter().take_while(|&&ch| ch == '#').count();
    i += hashes;
    (c.get(i) == Some(&'"')).then_some((i + 1, hashes))
}

/// Every function with a body in `source`, in order.
fn functions(source: &str) -> Vec<Function> {
    let code = blank_literals(source);
    let lines: Vec<&str> = source.lines().collect();
    let bytes = code.as_bytes();
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = code[at..].find("fn") {
        let start = at + offset;
        at = start + 2;
        let before_ok = start == 0 || !is_ident(bytes[start - 1]);
        let after = &code[at..];
        let name_at = after.len() - after.trim_start().len();
        // `fn NAME`: a keyword, not part of an identifier, not a `fn(…)` pointer type.
        if !before_ok || name_at == 0 {
            continue;
        }
        let name: String = after[name_at..]
            .chars()
            .take_while(|&ch| ch.is_alphanumeric() || ch == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        // The body opens at the first `{` unless a `;` ends a declaration first.
        let Some(open) = code[at..].find(['{', ';']).map(|o| at + o) else {
            break;
        };
        if bytes[open] == b';' {
            continue;
        }
        let mut depth = 0usize;
        let mut close = None;
        for (o, b) in bytes[open..].iter().enumerate() {
            match b {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(open + o);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(close) = close else {
            break;
        };
        let line = line_of(start);
        found.push(Function {
            name,
            line,
            lines: line_of(close) - line + 1,
            has_reason: reason_above(&lines, line - 1),
        });
    }
    found
}

/// Whether the comment and attribute lines directly above line index `fn_line` hold a reason.
fn reason_above(lines: &[&str], fn_line: usize) -> bool {
    lines[..fn_line]
        .iter()
        .rev()
        .map(|l| l.trim_start())
        .take_while(|l| l.starts_with("//") || l.starts_with("#["))
        .any(|l| l.starts_with(REASON))
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_long_function_without_a_reason() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ROOTS {
        rust_files(&root.join(dir), &mut files);
    }
    let mut unexplained = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let source = std::fs::read_to_string(&file).unwrap();
        for f in functions(&source) {
            if f.lines <= MAX_LINES || f.has_reason {
                continue;
            }
            unexplained.push(format!(
                "{rel}:{} fn {} ({} lines)",
                f.line, f.name, f.lines
            ));
        }
    }
    assert!(
        unexplained.is_empty(),
        "functions over {MAX_LINES} lines without a `{REASON} …` comment directly above them \
         (split them into named pieces, or write why one piece reads best):\n  {}",
        unexplained.join("\n  ")
    );
}

#[test]
fn counter_ignores_braces_in_literals_and_comments() {
    let source = r####"
fn short(x: &str) -> char {
    let _ = "{ not a brace }";
    let _ = r#"}"# ;
    let _ = b"{";
    // } in a comment
    /* { /* nested } */ { */
    let _: &'static str = "\"{";
    if x.is_empty() { '{' } else { '\u{7d}' }
}
fn next<'a>(s: &'a str) -> &'a str {
    s
}
"####;
    let found = functions(source);
    let summary: Vec<(&str, usize, usize)> = found
        .iter()
        .map(|f| (f.name.as_str(), f.line, f.lines))
        .collect();
    assert_eq!(summary, [("short", 2, 9), ("next", 11, 3)]);
}

#[test]
fn counter_skips_declarations_and_pointer_types_and_finds_reasons() {
    let source = "trait T {\n    fn declared(&self);\n}\n\
                  /// Docs.\n// Long because: one pass.\n#[inline]\n\
                  fn explained(f: fn(u32) -> u32) {\n    f(1);\n}\n\
                  // Long because: above the blank line does not count.\n\n\
                  fn bare() {}\n";
    let found = functions(source);
    let summary: Vec<(&str, usize, bool)> = found
        .iter()
        .map(|f| (f.name.as_str(), f.lines, f.has_reason))
        .collect();
    assert_eq!(summary, [("explained", 3, true), ("bare", 1, false)]);
}

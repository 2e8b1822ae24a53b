//! JSON Lines: a stream of lines → one document per record.
//!
//! Input: a buffered (decompressed) byte stream, one JSON object per line. Output: one
//! [`Document`] per record, named `FILE#ID` (the id field's value, or the 1-based line number),
//! holding the text field's string; spans refer to that string. Invariants: the stream is read
//! one line at a time, so memory holds one line plus the documents' text, never the file;
//! records keep their order; blank lines are ignored; a malformed line (not JSON, no text
//! field, a text field that is not a string) is an error naming `FILE:LINE`, or a skip naming
//! it under `keep_going`. Never a silent loss.

use std::io::BufRead;
use std::path::Path;

use serde_json::Value;

use super::{Document, InputOptions, Loaded, Skipped};
use crate::error::{Error, Result};

/// Look a dotted path up in a JSON value: `a.b` is field `b` of field `a`, `a.0` the first
/// element of array `a`. A key that itself contains dots is found when it matches whole.
pub fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    if let Some(v) = value.get(path) {
        return Some(v);
    }
    let mut current = value;
    for part in path.split('.') {
        current = match current {
            Value::Object(map) => map.get(part)?,
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Read every record of a JSONL stream. `path` names the file in errors, `display` in
/// document names and skips.
pub fn read(
    mut reader: impl BufRead,
    path: &Path,
    display: &str,
    options: &InputOptions,
) -> Result<Vec<Loaded>> {
    let mut out = Vec::new();
    let mut line = Vec::new();
    let mut line_no: u64 = 0;
    loop {
        line.clear();
        let cut = match read_line(&mut reader, &mut line, options.max_document_size) {
            Ok((0, _)) => break,
            Ok((_, too_long)) => {
                line_no += 1;
                too_long
            }
            Err(e) => {
                // A truncated or corrupt compressed stream: keep what was read, say where.
                let err = Error::BadInput {
                    path: path.to_path_buf(),
                    line: Some(line_no + 1),
                    message: format!("cannot read: {e}"),
                };
                if options.keep_going {
                    out.push(Loaded::Skipped(Skipped {
                        path: format!("{display}:{}", line_no + 1),
                        reason: format!("cannot read the rest of the file: {e}"),
                        error: true,
                    }));
                    break;
                }
                return Err(err);
            }
        };
        let parsed = if cut {
            Err(format!(
                "line longer than {} bytes (--max-document-size raises the limit)",
                options.max_document_size
            ))
        } else {
            record(&line, line_no, options)
        };
        match parsed {
            Ok(None) => {}
            Ok(Some((id, text))) => out.push(Loaded::Document(Document {
                path: format!("{display}#{id}"),
                bytes: text.into_bytes(),
            })),
            Err(message) if options.keep_going => out.push(Loaded::Skipped(Skipped {
                path: format!("{display}:{line_no}"),
                reason: message,
                error: true,
            })),
            Err(message) => {
                return Err(Error::BadInput {
                    path: path.to_path_buf(),
                    line: Some(line_no),
                    message: format!("{message} (fix the line, or pass --keep-going to skip it)"),
                })
            }
        }
    }
    Ok(out)
}

/// Read one line into `line`, keeping at most `limit` bytes of it: memory stays bounded
/// whatever the line's length. The rest of a longer line is read and dropped. Returns the
/// bytes kept (0 at the end of the stream) and whether the line was cut.
pub(crate) fn read_line(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    limit: u64,
) -> std::io::Result<(usize, bool)> {
    // limit + 1: a line of exactly `limit` bytes still fits with its newline.
    let keep = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
    let mut n = 0;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok((n, false));
        }
        let room = keep - line.len().min(keep);
        let (take, ends) = match memchr::memchr(b'\n', buf) {
            Some(i) if i < room => (i + 1, true),
            _ => (buf.len().min(room), false),
        };
        line.extend_from_slice(&buf[..take]);
        reader.consume(take);
        n += take;
        if ends {
            return Ok((n, false));
        }
        if line.len() >= keep {
            break;
        }
    }
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        match memchr::memchr(b'\n', buf) {
            Some(i) => {
                reader.consume(i + 1);
                break;
            }
            None => {
                let len = buf.len();
                reader.consume(len);
            }
        }
    }
    Ok((n, true))
}

/// One line → `(id, text)`, `None` for a blank line, or what is wrong with it.
pub(crate) fn record(
    line: &[u8],
    line_no: u64,
    options: &InputOptions,
) -> std::result::Result<Option<(String, String)>, String> {
    let decoded;
    let text: &str = match simdutf8::compat::from_utf8(line) {
        Ok(s) => s,
        Err(_) if options.lossy => {
            decoded = String::from_utf8_lossy(line);
            &decoded
        }
        Err(e) => {
            return Err(format!(
                "invalid UTF-8 at byte {} of the line (--lossy replaces it)",
                e.valid_up_to()
            ))
        }
    };
    let trimmed = text.trim_start_matches('\u{FEFF}').trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let value: Value = serde_json::from_str(trimmed).map_err(|e| format!("not JSON: {e}"))?;
    if !value.is_object() {
        return Err("not a JSON object".into());
    }
    let field = &options.text_field;
    let body = match lookup(&value, field) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => {
            return Err(format!(
                "no text field {field:?} (choose one with --text-field)"
            ))
        }
        Some(other) => {
            return Err(format!(
                "text field {field:?} is a {}, not a string",
                kind(other)
            ))
        }
    };
    let id = match &options.id_field {
        None => line_no.to_string(),
        Some(id_field) => match lookup(&value, id_field) {
            Some(Value::String(s)) => s.clone(),
            Some(v @ Value::Number(_)) => v.to_string(),
            Some(Value::Null) | None => {
                return Err(format!(
                    "no id field {id_field:?} (choose one with --id-field)"
                ))
            }
            Some(other) => {
                return Err(format!(
                    "id field {id_field:?} is a {}, not a string or number",
                    kind(other)
                ))
            }
        },
    };
    Ok(Some((id, body)))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(input: &str, options: &InputOptions) -> Result<Vec<(String, String)>> {
        let loaded = read(input.as_bytes(), Path::new("d.jsonl"), "d.jsonl", options)?;
        Ok(loaded
            .into_iter()
            .map(|l| match l {
                Loaded::Document(d) => (d.path, String::from_utf8(d.bytes).unwrap()),
                Loaded::Skipped(s) => (s.path, format!("SKIP {}", s.reason)),
            })
            .collect())
    }

    #[test]
    fn nested_fields_by_dotted_path() {
        let options = InputOptions {
            text_field: "article.body".into(),
            id_field: Some("meta.id".into()),
            ..InputOptions::default()
        };
        let got = docs(
            "{\"article\":{\"body\":\"one\"},\"meta\":{\"id\":7}}\n\n{\"article\":{\"body\":\"two\"},\"meta\":{\"id\":\"x\"}}",
            &options,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                ("d.jsonl#7".into(), "one".into()),
                ("d.jsonl#x".into(), "two".into())
            ]
        );
    }

    #[test]
    fn arrays_by_index_and_literal_dotted_keys() {
        let v: Value = serde_json::from_str(r#"{"a.b": 1, "p": [{"t": "x"}]}"#).unwrap();
        assert_eq!(lookup(&v, "a.b"), Some(&Value::from(1)));
        assert_eq!(lookup(&v, "p.0.t"), Some(&Value::from("x")));
        assert_eq!(lookup(&v, "p.1.t"), None);
    }

    #[test]
    fn malformed_line_names_file_and_line() {
        let err = docs("{\"text\":\"a\"}\n{oops\n", &InputOptions::default()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("d.jsonl:2: not JSON"), "{msg}");
        assert!(msg.contains("--keep-going"), "{msg}");
    }

    #[test]
    fn keep_going_skips_bad_lines_and_keeps_the_rest() {
        let options = InputOptions {
            keep_going: true,
            ..InputOptions::default()
        };
        let got = docs(
            "{\"text\":\"a\"}\n[1]\n{\"body\":\"b\"}\n{\"text\":3}\n{\"text\":\"c\"}\n",
            &options,
        )
        .unwrap();
        assert_eq!(got[0], ("d.jsonl#1".into(), "a".into()));
        assert_eq!(got[1].0, "d.jsonl:2");
        assert!(got[2].1.contains("no text field \"text\""));
        assert!(got[3].1.contains("is a number"));
        assert_eq!(got[4], ("d.jsonl#5".into(), "c".into()));
    }
}

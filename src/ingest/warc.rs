//! WARC crawls: a stream of records → one document per HTML page fetched.
//!
//! Input: a buffered (decompressed) WARC 1.0/1.1 stream. Output: one [`Document`] per
//! `response` record whose HTTP status is 2xx and whose `Content-Type` is HTML, named by its
//! `WARC-Target-URI` and holding the page's extracted text ([`super::html`]); one [`Skipped`]
//! row per file counting the other records by kind (`warcinfo`, `request`, `metadata`,
//! non-HTML or non-2xx responses, …), so nothing is dropped silently. Invariants: records are
//! read one at a time (memory holds one record plus the extracted texts); documents keep
//! record order; the HTTP body is de-chunked and gunzipped when its headers say so, and its
//! `Content-Type` charset is the declared encoding. A malformed record is an error naming the
//! file, the record number and its byte offset (under `keep_going`, a skip; the rest of the
//! file cannot be trusted and is not read).

use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::Path;

use super::{html, Document, InputOptions, Loaded, Skipped};
use crate::error::{Error, Result};

/// One WARC record's named headers (names lowercased) and its block.
struct Record {
    headers: Vec<(String, String)>,
    block: Vec<u8>,
}

impl Record {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Read every record of a WARC stream. `path` names the file in errors, `display` in skips.
pub fn read(
    mut reader: impl BufRead,
    path: &Path,
    display: &str,
    options: &InputOptions,
) -> Result<Vec<Loaded>> {
    let mut out = Vec::new();
    let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
    let mut offset: u64 = 0;
    let mut number: u64 = 0;
    loop {
        let start = offset;
        let record = match next_record(&mut reader, &mut offset, options.max_document_size) {
            Ok(None) => break,
            Ok(Some(r)) => r,
            Err(message) => {
                let message = format!("record {} at byte offset {start}: {message}", number + 1);
                if options.keep_going {
                    out.push(Loaded::Skipped(Skipped {
                        path: display.to_string(),
                        reason: format!("{message}; the rest of the file was not read"),
                        error: true,
                    }));
                    break;
                }
                return Err(Error::BadInput {
                    path: path.to_path_buf(),
                    line: None,
                    message: format!(
                        "{message} (a truncated or corrupt crawl; --keep-going keeps the \
                         records before it)"
                    ),
                });
            }
        };
        number += 1;
        match page(&record, options.max_document_size) {
            Ok((uri, body, charset)) => {
                let name = uri.unwrap_or_else(|| format!("{display}#record{number}"));
                extract(name, &body, charset.as_deref(), display, options, &mut out)?;
            }
            Err(kind) => *skipped.entry(kind).or_insert(0) += 1,
        }
    }
    if !skipped.is_empty() {
        let total: u64 = skipped.values().sum();
        let kinds: Vec<String> = skipped.iter().map(|(k, n)| format!("{k} {n}")).collect();
        out.push(Loaded::Skipped(Skipped {
            path: display.to_string(),
            reason: format!(
                "{total} WARC record(s) without an HTML page skipped: {}",
                kinds.join(", ")
            ),
            error: false,
        }));
    }
    Ok(out)
}

/// The text of the page `body` of the record named `name`, pushed to `out` as a document with
/// its limit warnings; a panic extracting it is an error naming the record, or under
/// `keep_going` a skip (the crawl's other records are still read).
fn extract(
    name: String,
    body: &[u8],
    charset: Option<&str>,
    display: &str,
    options: &InputOptions,
    out: &mut Vec<Loaded>,
) -> Result<()> {
    // The record boundary: a panic extracting one page names that record.
    let extracted = Error::catch_panic(&format!("{display}: {name}"), || {
        crate::error::injected_panic(&name);
        Ok(html::page_text_with(body, charset, &options.html_limits))
    });
    let (text, warnings) = match extracted {
        Ok(t) => t,
        Err(e) if options.keep_going => {
            out.push(Loaded::Skipped(Skipped {
                path: name,
                reason: e.reason(),
                error: true,
            }));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let warnings = super::load::limit_warnings(&name, warnings).collect::<Vec<_>>();
    out.push(Loaded::Document(Document {
        path: name,
        bytes: text.into_bytes(),
    }));
    out.extend(warnings);
    Ok(())
}

/// Read one record, or `None` at the end of the stream.
fn next_record(
    reader: &mut impl BufRead,
    offset: &mut u64,
    max_size: u64,
) -> std::result::Result<Option<Record>, String> {
    let mut line = Vec::new();
    // Records are separated by CRLF CRLF; tolerate any number of blank lines.
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read: {e}"))?;
        *offset += n as u64;
        if n == 0 {
            return Ok(None);
        }
        if !line.iter().all(|b| b.is_ascii_whitespace()) {
            break;
        }
    }
    if !line.starts_with(b"WARC/") {
        return Err("not a WARC record (no WARC/ version line)".into());
    }
    let mut headers = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read: {e}"))?;
        *offset += n as u64;
        if n == 0 {
            return Err("truncated headers".into());
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            break;
        }
        if let Some((name, value)) = text.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length: u64 = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .ok_or("no Content-Length header")?
        .1
        .parse()
        .map_err(|_| "Content-Length is not a number".to_string())?;
    if length > max_size {
        return Err(format!(
            "Content-Length {length} is over the limit of {max_size} bytes for one record \
             (--max-document-size raises it)"
        ));
    }
    let mut block = Vec::with_capacity(length.min(1 << 26) as usize);
    reader
        .take(length)
        .read_to_end(&mut block)
        .map_err(|e| format!("cannot read: {e}"))?;
    *offset += block.len() as u64;
    if (block.len() as u64) < length {
        return Err(format!(
            "truncated: Content-Length says {length} bytes, {} found",
            block.len()
        ));
    }
    Ok(Some(Record { headers, block }))
}

type Page = (Option<String>, Vec<u8>, Option<String>);

/// The target URI, HTML body and declared charset of a record holding an HTML page, or the
/// kind of record it is instead (for the skip count).
fn page(record: &Record, max_size: u64) -> std::result::Result<Page, String> {
    let warc_type = record
        .header("warc-type")
        .unwrap_or("untyped")
        .to_ascii_lowercase();
    if warc_type != "response" {
        return Err(warc_type);
    }
    let content_type = record
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if !content_type.starts_with("application/http") {
        return Err(format!("response ({content_type})"));
    }
    let (head, body_start) = http_head(&record.block)?;
    let body = decoded_body(
        record.block[body_start..].to_vec(),
        &head.encoding,
        head.chunked,
        max_size,
    )?;
    let http_type = head.content_type;
    let charset = http_type.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim() == "charset").then(|| v.trim().trim_matches(['"', '\'']).to_string())
    });
    let uri = record
        .header("warc-target-uri")
        .map(|u| u.trim_matches(['<', '>']).to_string());
    Ok((uri, body, charset))
}

/// What [`page`] reads from an HTTP response's headers (values lowercased).
struct HttpHead {
    /// `Content-Type`.
    content_type: String,
    /// `Transfer-Encoding` is chunked.
    chunked: bool,
    /// `Content-Encoding` (empty when none).
    encoding: String,
}

/// The HTTP head of a response block, refused unless its status is 2xx and its type HTML,
/// and where the body starts; `Err` says why, as [`page`] does.
fn http_head(block: &[u8]) -> std::result::Result<(HttpHead, usize), String> {
    let Some(head_end) = find(block, b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| find(block, b"\n\n").map(|i| (i, i + 2)))
    else {
        return Err("response (no HTTP headers)".into());
    };
    let head = String::from_utf8_lossy(&block[..head_end.0]);
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse::<u16>().ok());
    match status {
        Some(200..=299) => {}
        Some(s) => return Err(format!("response (HTTP {s})")),
        None => return Err("response (no HTTP status)".into()),
    }
    let mut http_type = String::new();
    let mut chunked = false;
    let mut encoding = String::new();
    for l in lines {
        if let Some((name, value)) = l.split_once(':') {
            let value = value.trim().to_ascii_lowercase();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-type" => http_type = value,
                "transfer-encoding" => chunked = value.contains("chunked"),
                "content-encoding" => encoding = value,
                _ => {}
            }
        }
    }
    if !(http_type.contains("html")) {
        let mime = http_type.split(';').next().unwrap_or("").trim();
        let mime = if mime.is_empty() { "no type" } else { mime };
        return Err(format!("response ({mime})"));
    }
    let head = HttpHead {
        content_type: http_type,
        chunked,
        encoding,
    };
    Ok((head, head_end.1))
}

/// The body de-chunked (when `chunked`) and decompressed by its `Content-Encoding`, at most
/// `max_size` bytes decompressed; `Err` says why not, as [`page`] does.
fn decoded_body(
    mut body: Vec<u8>,
    encoding: &str,
    chunked: bool,
    max_size: u64,
) -> std::result::Result<Vec<u8>, String> {
    if chunked {
        if let Some(plain) = dechunk(&body) {
            body = plain;
        }
    }
    match encoding {
        "" | "identity" => {}
        "gzip" | "x-gzip" => {
            let mut plain = Vec::new();
            if flate2::read::MultiGzDecoder::new(&body[..])
                .take(max_size.saturating_add(1))
                .read_to_end(&mut plain)
                .is_err()
            {
                return Err("response (corrupt gzip body)".into());
            }
            if plain.len() as u64 > max_size {
                return Err("response (gzip body over --max-document-size)".into());
            }
            body = plain;
        }
        "deflate" => {
            let mut plain = Vec::new();
            let bound = max_size.saturating_add(1);
            if flate2::read::ZlibDecoder::new(&body[..])
                .take(bound)
                .read_to_end(&mut plain)
                .is_err()
            {
                plain.clear();
                if flate2::read::DeflateDecoder::new(&body[..])
                    .take(bound)
                    .read_to_end(&mut plain)
                    .is_err()
                {
                    return Err("response (corrupt deflate body)".into());
                }
            }
            if plain.len() as u64 > max_size {
                return Err("response (deflate body over --max-document-size)".into());
            }
            body = plain;
        }
        other => return Err(format!("response (Content-Encoding {other})")),
    }
    Ok(body)
}

/// Undo HTTP chunked transfer coding; `None` when the body is not validly chunked (crawlers
/// often store it already de-chunked while keeping the header).
fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    loop {
        let line_end = find(body, b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..line_end]).ok()?;
        let size_text = size_text.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        if body.len() < size {
            return None;
        }
        out.extend_from_slice(&body[..size]);
        body = body[size..].strip_prefix(b"\r\n")?;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: &str, uri: &str, content_type: &str, block: &[u8]) -> Vec<u8> {
        let mut r = format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\nContent-Type: \
             {content_type}\r\nContent-Length: {}\r\n\r\n",
            block.len()
        )
        .into_bytes();
        r.extend_from_slice(block);
        r.extend_from_slice(b"\r\n\r\n");
        r
    }

    #[test]
    fn html_responses_become_documents_and_the_rest_is_counted() {
        let mut warc = record(
            "warcinfo",
            "",
            "application/warc-fields",
            b"software: x\r\n",
        );
        warc.extend(record(
            "request",
            "http://a/",
            "application/http; msgtype=request",
            b"GET / HTTP/1.1\r\n\r\n",
        ));
        warc.extend(record(
            "response",
            "http://a/",
            "application/http; msgtype=response",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n\
              11\r\n<title>Hi</title>\r\n0\r\n\r\n",
        ));
        warc.extend(record(
            "response",
            "http://a/img",
            "application/http; msgtype=response",
            b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG",
        ));
        let got = read(
            &warc[..],
            Path::new("c.warc"),
            "c.warc",
            &InputOptions::default(),
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        match &got[0] {
            Loaded::Document(d) => {
                assert_eq!(d.path, "http://a/");
                assert_eq!(d.bytes, b"Hi");
            }
            Loaded::Skipped(s) => panic!("{s:?}"),
        }
        match &got[1] {
            Loaded::Skipped(s) => {
                assert_eq!(
                    s.reason,
                    "3 WARC record(s) without an HTML page skipped: request 1, response \
                     (image/png) 1, warcinfo 1"
                );
                assert!(!s.error);
            }
            Loaded::Document(d) => panic!("{d:?}"),
        }
    }

    #[test]
    fn truncated_record_is_an_error_with_its_offset() {
        let mut warc = record("resource", "x", "text/plain", b"abc");
        warc.extend_from_slice(b"WARC/1.0\r\nContent-Length: 100\r\n\r\nshort");
        let err = read(
            &warc[..],
            Path::new("c.warc"),
            "c.warc",
            &InputOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("c.warc: record 2 at byte offset"), "{err}");
        assert!(err.contains("truncated"), "{err}");
    }
}

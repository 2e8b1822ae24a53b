//! Property tests of every ingest parser on arbitrary and mutated bytes: truncations, flipped
//! bytes and valid inputs spliced together. Whatever the bytes, a parser returns (documents,
//! skips, or an error naming the file) and never panics; inputs are small, so each case runs
//! in bounded time. The index's segment and manifest readers have the same kind of tests in
//! tests/index.rs.

use std::io::Read;
use std::path::Path;

use proptest::prelude::*;

use super::compress::{self, Compression, Limited};
use super::{html, jsonl, warc, HtmlLimits, InputOptions};

const PAGE: &[u8] = include_bytes!("../../tests/fixtures/inputs/lying-charset.html");
const PAGE_CP1256: &[u8] = include_bytes!("../../tests/fixtures/inputs/article-ar-cp1256.html");
const JSONL: &[u8] = include_bytes!("../../tests/fixtures/inputs/dataset.jsonl");
const WARC_GZ: &[u8] = include_bytes!("../../tests/fixtures/inputs/crawl.warc.gz");
const WARC: &[u8] = include_bytes!("../../tests/fixtures/hostile/lying-length.warc");
const GZ: &[u8] = include_bytes!("../../tests/fixtures/inputs/harbour.txt.gz");
const ZST: &[u8] = include_bytes!("../../tests/fixtures/inputs/harbour-b.md.zst");

/// How one valid input is damaged.
#[derive(Clone, Debug)]
enum Damage {
    Truncate(prop::sample::Index),
    Flip(prop::sample::Index, u8),
    Splice(prop::sample::Index, usize, prop::sample::Index),
    Insert(prop::sample::Index, Vec<u8>),
}

fn damage() -> impl Strategy<Value = Vec<Damage>> {
    let one = prop_oneof![
        any::<prop::sample::Index>().prop_map(Damage::Truncate),
        (any::<prop::sample::Index>(), 1u8..=255).prop_map(|(i, f)| Damage::Flip(i, f)),
        (
            any::<prop::sample::Index>(),
            0usize..7,
            any::<prop::sample::Index>()
        )
            .prop_map(|(i, s, j)| Damage::Splice(i, s, j)),
        (
            any::<prop::sample::Index>(),
            prop::collection::vec(any::<u8>(), 0..16)
        )
            .prop_map(|(i, b)| Damage::Insert(i, b)),
    ];
    prop::collection::vec(one, 1..4)
}

const SEEDS: [&[u8]; 7] = [PAGE, PAGE_CP1256, JSONL, WARC_GZ, WARC, GZ, ZST];

/// `seed` with `damages` applied; a splice joins the seed's head to another seed's tail.
fn apply(seed: &[u8], damages: &[Damage]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for d in damages {
        match d {
            Damage::Truncate(at) => bytes.truncate(at.index(bytes.len() + 1)),
            Damage::Flip(at, f) if !bytes.is_empty() => {
                let i = at.index(bytes.len());
                bytes[i] ^= f;
            }
            Damage::Flip(..) => {}
            Damage::Splice(at, other, from) => {
                let other = SEEDS[*other];
                bytes.truncate(at.index(bytes.len() + 1));
                bytes.extend_from_slice(&other[from.index(other.len() + 1)..]);
            }
            Damage::Insert(at, more) => {
                let i = at.index(bytes.len() + 1);
                bytes.splice(i..i, more.iter().copied());
            }
        }
    }
    bytes
}

fn inputs() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2048),
        (0usize..SEEDS.len(), damage()).prop_map(|(s, d)| apply(SEEDS[s], &d)),
    ]
}

fn small_limits() -> InputOptions {
    InputOptions {
        keep_going: false,
        max_document_size: 1 << 20,
        html_limits: HtmlLimits {
            max_depth: 8,
            max_elements: 200,
            max_bytes: 4096,
        },
        ..InputOptions::default()
    }
}

/// Decompress everything, bounded, as a load does.
fn drain(bytes: &[u8], named: Compression) -> std::io::Result<usize> {
    let reader = compress::open(bytes, named)?;
    let mut out = Vec::new();
    Limited::new(reader, 4 << 20, "--max-file-size").read_to_end(&mut out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn html_decoding_and_extraction_never_panic(bytes in inputs(), declared in prop::option::of("[a-z0-9-]{0,12}")) {
        let decoded = html::decode(&bytes, declared.as_deref());
        prop_assert!(!decoded.text.is_empty() || bytes.is_empty() || bytes.len() <= 4);
        let _ = html::page_text_with(&bytes, declared.as_deref(), &small_limits().html_limits);
        let _ = html::page_text(&bytes, None);
    }

    /// Bounding markup never panics; within the limits it changes nothing, and beyond them
    /// it only drops tags (or turns them into `<br>`) and cuts the end.
    #[test]
    fn bounding_markup_only_drops_tags(text in "(<(div|p|b|li|td|table|svg|script|/div|/p|/b|/script|!--)( a=\"[^\"]{0,3}\")?/?>|[a-z ]{0,4}|-->){0,80}", depth in 1usize..6) {
        let limits = HtmlLimits { max_depth: depth, max_elements: 50, max_bytes: 1 << 20 };
        let (bounded, warnings) = html::bound_markup(&text, &limits);
        if warnings.is_empty() {
            prop_assert_eq!(&bounded, &text);
        }
        prop_assert!(bounded.len() <= text.len() + 4 * text.matches('<').count());
        let words = |s: &str| s.split(|c: char| !c.is_ascii_lowercase()).filter(|w| !w.is_empty()).count();
        prop_assert!(words(&bounded) <= words(&text) + text.matches('<').count());
    }

    #[test]
    fn jsonl_errors_name_the_file(bytes in inputs(), keep_going: bool) {
        let options = InputOptions { keep_going, ..small_limits() };
        if let Err(e) = jsonl::read(&bytes[..], Path::new("fuzz.jsonl"), "fuzz.jsonl", &options) {
            prop_assert!(e.to_string().starts_with("fuzz.jsonl"), "{}", e);
            prop_assert!(!keep_going);
        }
    }

    #[test]
    fn warc_errors_name_the_file(bytes in inputs(), keep_going: bool) {
        let options = InputOptions { keep_going, ..small_limits() };
        let reader = match compress::open(&bytes[..], Compression::None) {
            Ok(r) => r,
            Err(_) => return Ok(()),
        };
        if let Err(e) = warc::read(reader, Path::new("fuzz.warc"), "fuzz.warc", &options) {
            prop_assert!(e.to_string().starts_with("fuzz.warc"), "{}", e);
            prop_assert!(!keep_going);
        }
    }

    #[test]
    fn decompression_never_panics(bytes in inputs(), named in 0usize..3) {
        let named = [Compression::None, Compression::Gzip, Compression::Zstd][named];
        let _ = drain(&bytes, named);
    }
}

#[test]
fn deep_nesting_is_flattened_in_linear_time_and_text_kept() {
    let n = 40_000;
    let page = format!(
        "<body>{}<p>deep text</p>{}</body>",
        "<div>".repeat(n),
        "</div>".repeat(n)
    );
    let (text, warnings) = html::page_text_with(page.as_bytes(), None, &HtmlLimits::default());
    assert_eq!(text, "deep text");
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("--max-html-depth"), "{warnings:?}");
}

#[test]
fn element_and_byte_limits_cut_the_page_and_say_so() {
    let page = format!("<body>{}</body>", "<p>word</p>".repeat(100));
    let limits = HtmlLimits {
        max_depth: 512,
        max_elements: 11,
        max_bytes: 1 << 20,
    };
    let (text, warnings) = html::page_text_with(page.as_bytes(), None, &limits);
    assert_eq!(text.matches("word").count(), 10, "{text}");
    assert!(warnings[0].contains("--max-html-elements"));
    let limits = HtmlLimits {
        max_bytes: 6 + 11 * 5,
        ..HtmlLimits::default()
    };
    let (text, warnings) = html::page_text_with(page.as_bytes(), None, &limits);
    assert_eq!(text.matches("word").count(), 5, "{text}");
    assert!(warnings[0].contains("--max-html-bytes"));
}

#[test]
fn ordinary_pages_are_not_changed_by_the_bounds() {
    for page in [PAGE, PAGE_CP1256] {
        let text = html::decode(page, None).text;
        let (bounded, warnings) = html::bound_markup(&text, &HtmlLimits::default());
        assert!(matches!(bounded, std::borrow::Cow::Borrowed(_)));
        assert!(warnings.is_empty());
    }
}

#[test]
fn jsonl_line_over_the_document_bound_is_skipped_and_the_next_read() {
    let data = format!(
        "{{\"text\": \"{}\"}}\n{{\"text\": \"ok\"}}\n",
        "x".repeat(5000)
    );
    let options = InputOptions {
        keep_going: true,
        max_document_size: 1000,
        ..InputOptions::default()
    };
    let got = jsonl::read(data.as_bytes(), Path::new("f.jsonl"), "f.jsonl", &options).unwrap();
    assert_eq!(got.len(), 2);
    assert!(
        matches!(&got[0], super::Loaded::Skipped(s) if s.path == "f.jsonl:1" && s.reason.contains("longer than 1000"))
    );
    assert!(matches!(&got[1], super::Loaded::Document(d) if d.path == "f.jsonl#2"));
}

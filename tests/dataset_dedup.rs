//! `neardup dedup` on JSONL datasets: records dropped or edited in place, every other byte kept,
//! compression kept, and the round trips of issue 15.

use std::io::{Read, Write};
use std::path::Path;

use crate::index::run_in;
use crate::util::scan_json;

const LEAD: &str = "the committee met on tuesday to discuss the annual budget for the regional \
                    water authority and its plans for the coming winter season";

/// Records with odd but valid JSON: key order, unknown fields, escaped Unicode, numbers as
/// written. Record 2 repeats record 1's text; record 3 shares its first paragraph.
fn dataset() -> String {
    let lead_json =
        serde_json::to_string(&format!("{LEAD}\nfirst record's own second line")).unwrap();
    let own = serde_json::to_string(&format!("{LEAD}\nthird record keeps this line")).unwrap();
    [
        format!(r#"{{"z": 1.50, "text": {lead_json}, "a": "caf\u00e9", "n": null}}"#),
        format!(r#"{{"text":{lead_json},"extra":[1,2,{{"k":true}}]}}"#),
        format!(r#"{{"meta": {{"src": "x"}}, "text": {own}, "score": 1e3}}"#),
        r#"{"text": "an unrelated record with words of its own and nothing shared", "id": 4}"#
            .to_string(),
    ]
    .join("\n")
        + "\n"
}

fn lines(path: &Path) -> Vec<String> {
    let mut s = String::new();
    let bytes = std::fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .unwrap();
    } else {
        s = String::from_utf8(bytes).unwrap();
    }
    s.lines().map(str::to_owned).collect()
}

#[test]
fn document_split_drops_duplicate_records_and_keeps_the_others_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("in")).unwrap();
    let data = dataset();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data.as_bytes()).unwrap();
    std::fs::write(d.join("in/data.jsonl.gz"), gz.finish().unwrap()).unwrap();
    run_in(d, &["dedup", "in", "--out", "out", "--split", "document"]);
    let got = lines(&d.join("out/data.jsonl.gz"));
    let want: Vec<String> = data.lines().map(str::to_owned).collect();
    assert_eq!(got, [want[0].clone(), want[2].clone(), want[3].clone()]);
    let report = scan_json(&[d.join("out").to_str().unwrap(), "--split", "document"]);
    assert!(report.clusters.is_empty());
}

#[test]
fn paragraph_split_edits_only_the_text_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("in")).unwrap();
    let data = dataset();
    std::fs::write(d.join("in/data.jsonl"), &data).unwrap();
    run_in(d, &["dedup", "in", "--out", "out"]);
    let got = lines(&d.join("out/data.jsonl"));
    let want: Vec<&str> = data.lines().collect();
    assert_eq!(got[0], want[0], "the kept record is the same bytes");
    assert_eq!(got[3], want[3]);
    assert_eq!(
        got[1], r#"{"text":"","extra":[1,2,{"k":true}]}"#,
        "all of record 2 repeats record 1"
    );
    assert_eq!(
        got[2],
        r#"{"meta": {"src": "x"}, "text": "third record keeps this line", "score": 1e3}"#
    );
    // No cross-record cluster remains.
    let report = scan_json(&[d.join("out").to_str().unwrap()]);
    assert!(report.clusters.is_empty(), "{:?}", report.clusters);
    // --drop-empty drops a record whose text is all duplicate.
    std::fs::write(
        d.join("in/data.jsonl"),
        format!("{{\"text\":\"{LEAD}\"}}\n{{\"text\":\"{LEAD}\"}}\n"),
    )
    .unwrap();
    run_in(d, &["dedup", "in", "--out", "out2", "--drop-empty"]);
    assert_eq!(lines(&d.join("out2/data.jsonl")).len(), 1);
    run_in(d, &["dedup", "in", "--out", "out3"]);
    assert_eq!(lines(&d.join("out3/data.jsonl"))[1], r#"{"text":""}"#);
}

#[test]
fn mark_mode_adds_the_cluster_and_duplicate_fields() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("in")).unwrap();
    std::fs::write(d.join("in/data.jsonl"), dataset()).unwrap();
    run_in(
        d,
        &[
            "dedup", "in", "--out", "out", "--split", "document", "--mode", "mark",
        ],
    );
    let got = lines(&d.join("out/data.jsonl"));
    let values: Vec<serde_json::Value> = got
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(values[0]["neardup_cluster"], values[1]["neardup_cluster"]);
    assert!(values[0]["neardup_cluster"].is_u64());
    assert_eq!(values[0]["neardup_duplicate"], false);
    assert_eq!(values[1]["neardup_duplicate"], true);
    assert!(values[3]["neardup_cluster"].is_null());
    assert_eq!(values[3]["neardup_duplicate"], false);
    assert!(
        got[0].contains(r#""n": null,"neardup_cluster":"#)
            && got[0].ends_with(r#","neardup_duplicate":false}"#),
        "{}",
        got[0]
    );
}

#[test]
fn plain_gzip_and_zstd_datasets_are_rewritten_alike() {
    // The rewrite streams through the compressor: each output decompresses to the records the
    // plain file gives, in the input's compression.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = dataset();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data.as_bytes()).unwrap();
    let zst = ruzstd::encoding::compress_to_vec(
        data.as_bytes(),
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    let inputs: [(&str, Vec<u8>); 3] = [
        ("data.jsonl", data.clone().into_bytes()),
        ("data.jsonl.gz", gz.finish().unwrap()),
        ("data.jsonl.zst", zst),
    ];
    let mut outputs = Vec::new();
    for (i, (name, bytes)) in inputs.iter().enumerate() {
        std::fs::create_dir_all(d.join(format!("in{i}"))).unwrap();
        std::fs::write(d.join(format!("in{i}/{name}")), bytes).unwrap();
        let (input, out) = (format!("in{i}"), format!("out{i}"));
        run_in(d, &["dedup", &input, "--out", &out]);
        let written = std::fs::read(d.join(format!("out{i}/{name}"))).unwrap();
        let mut text = String::new();
        match i {
            0 => text = String::from_utf8(written).unwrap(),
            1 => {
                assert!(written.starts_with(&[0x1f, 0x8b]), "gzip in, gzip out");
                flate2::read::GzDecoder::new(&written[..])
                    .read_to_string(&mut text)
                    .unwrap();
            }
            _ => {
                assert!(
                    written.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]),
                    "zstd in, zstd out"
                );
                ruzstd::decoding::StreamingDecoder::new(&written[..])
                    .unwrap()
                    .read_to_string(&mut text)
                    .unwrap();
            }
        }
        outputs.push(text);
    }
    assert_ne!(outputs[0], data, "something was removed");
    assert_eq!(outputs[1], outputs[0]);
    assert_eq!(outputs[2], outputs[0]);
}

#[test]
fn the_index_skips_datasets_saying_why() {
    // Index reports re-read sources by byte span; a dataset's record has none (yet), so the
    // index leaves datasets out with a warning naming the file and what reads it instead.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("in")).unwrap();
    std::fs::write(d.join("in/data.jsonl"), dataset()).unwrap();
    std::fs::write(d.join("in/a.txt"), format!("{LEAD}\n")).unwrap();
    let out = crate::util::neardup()
        .current_dir(d)
        .args(["index", "build", "in", "--index", "idx"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("in/data.jsonl") && stderr.contains("JSONL or Parquet dataset"),
        "{stderr}"
    );
}

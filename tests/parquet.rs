//! Parquet input: records named like JSONL records, projection into struct and list columns,
//! the same clusters as the same corpus in text files, and every bad input named.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    builder::{ListBuilder, StringBuilder},
    Array, ArrayRef, Int64Array, RecordBatch, StringArray, StructArray,
};
use arrow_schema::{DataType, Field};
use parquet::arrow::ArrowWriter;

use crate::index::fail_in;
use crate::util::{cluster_sets, neardup, scan_json};

/// Write `batch` to `path` as Parquet, in row groups of `group` rows, zstd-compressed.
pub fn write_parquet(path: &Path, batch: &RecordBatch, group: usize) {
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(group))
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

fn strings(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

const STORY: &str = "the committee met on tuesday to discuss the annual budget for the \
                     regional water authority and its plans for the coming winter season";

fn texts() -> Vec<String> {
    vec![
        format!("{STORY}\nsecond paragraph about something else entirely here"),
        "an unrelated record with its own words and nothing in common at all".into(),
        format!("{STORY}\na third article that quotes the same lead paragraph"),
    ]
}

#[test]
fn rows_are_documents_named_by_id_or_row_and_cluster_like_text_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t = texts();
    let batch = RecordBatch::try_from_iter([
        (
            "id",
            Arc::new(Int64Array::from(vec![10, 11, 12])) as ArrayRef,
        ),
        (
            "text",
            strings(&t.iter().map(|s| Some(s.as_str())).collect::<Vec<_>>()),
        ),
        ("other", strings(&[Some("x"), None, Some("z")])),
    ])
    .unwrap();
    std::fs::create_dir_all(d.join("pq")).unwrap();
    write_parquet(&d.join("pq/data.parquet"), &batch, 2);
    std::fs::create_dir_all(d.join("txt")).unwrap();
    for (i, text) in t.iter().enumerate() {
        std::fs::write(d.join(format!("txt/{}", 10 + i)), text).unwrap();
    }
    let pq = d.join("pq");
    let by_id = scan_json(&[pq.to_str().unwrap(), "--id-field", "id"]);
    let txt = scan_json(&[d.join("txt").to_str().unwrap(), "--include", "*"]);
    // Names as given: `DIR/pq/data.parquet#ID` for a row, `DIR/txt/ID` for a file.
    let (pq_name, txt_name) = (
        format!("{}/data.parquet#", pq.to_str().unwrap()),
        format!("{}/", d.join("txt").to_str().unwrap()),
    );
    let rename = |sets: std::collections::BTreeSet<std::collections::BTreeSet<String>>| {
        sets.into_iter()
            .map(|c| {
                c.into_iter()
                    .map(|m| m.replace(&pq_name, &txt_name))
                    .collect::<std::collections::BTreeSet<_>>()
            })
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(rename(cluster_sets(&by_id)), cluster_sets(&txt));
    assert_eq!(
        cluster_sets(&by_id),
        [["10:0", "12:0"]
            .iter()
            .map(|s| format!("{pq_name}{s}"))
            .collect()]
        .into_iter()
        .collect()
    );
    // Without --id-field, rows are named by their 0-based number.
    let by_row = scan_json(&[d.join("pq/data.parquet").to_str().unwrap()]);
    let names: Vec<&str> = by_row.clusters[0]
        .members
        .iter()
        .map(|m| m.path.as_str())
        .collect();
    assert!(names[0].ends_with("data.parquet#0"), "{names:?}");
    assert!(names[1].ends_with("data.parquet#2"), "{names:?}");
    // The document split works on rows as on files.
    let docs = scan_json(&[pq.to_str().unwrap(), "--split", "document"]);
    assert!(docs.clusters.is_empty());
}

#[test]
fn struct_fields_and_list_columns() {
    let dir = tempfile::tempdir().unwrap();
    let t = texts();
    let body = strings(&t.iter().map(|s| Some(s.as_str())).collect::<Vec<_>>());
    let meta = StructArray::from(vec![(
        Arc::new(Field::new("body", DataType::Utf8, true)),
        body,
    )]);
    let mut paras = ListBuilder::new(StringBuilder::new());
    for text in &t {
        for line in text.lines() {
            paras.values().append_value(line);
        }
        paras.append(true);
    }
    let batch = RecordBatch::try_from_iter([
        ("meta", Arc::new(meta) as ArrayRef),
        ("paras", Arc::new(paras.finish()) as ArrayRef),
    ])
    .unwrap();
    let path = dir.path().join("nested.parquet");
    write_parquet(&path, &batch, 100);
    let p = path.to_str().unwrap();
    let a = scan_json(&[p, "--text-field", "meta.body"]);
    let b = scan_json(&[p, "--text-field", "paras", "--split", "blank"]);
    assert_eq!(cluster_sets(&a), cluster_sets(&b));
    assert_eq!(a.clusters.len(), 1);
    assert_eq!(b.clusters[0].members[1].paragraph, 0);
}

#[test]
fn bad_inputs_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let batch = RecordBatch::try_from_iter([
        ("id", strings(&[Some("a"), Some("b"), Some("a")])),
        ("text", strings(&[Some(STORY), None, Some(STORY)])),
        ("n", Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef),
    ])
    .unwrap();
    write_parquet(&d.join("d.parquet"), &batch, 100);
    let err = fail_in(d, &["scan", "d.parquet", "--text-field", "body"]);
    assert!(
        err.contains("d.parquet")
            && err.contains("no column \"body\"")
            && err.contains("id (Utf8), text (Utf8), n (Int64)"),
        "{err}"
    );
    let err = fail_in(d, &["scan", "d.parquet", "--text-field", "n"]);
    assert!(err.contains("of type Int64"), "{err}");
    let err = fail_in(d, &["scan", "d.parquet", "--id-field", "id"]);
    assert!(err.contains("id \"a\" occurs more than once"), "{err}");
    // --keep-going: a warning, rows named by number, the null text counted.
    let out = neardup()
        .current_dir(d)
        .args([
            "scan",
            "d.parquet",
            "--id-field",
            "id",
            "--keep-going",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("named by row number"), "{stderr}");
    assert!(
        stderr.contains("1 rows with a null \"text\" skipped"),
        "{stderr}"
    );
    let report: neardup::Report = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = report.clusters[0]
        .members
        .iter()
        .map(|m| m.path.as_str())
        .collect();
    assert_eq!(names, ["d.parquet#0", "d.parquet#2"]);
    // A truncated file: an error naming it, or a counted skip.
    let bytes = std::fs::read(d.join("d.parquet")).unwrap();
    std::fs::write(d.join("t.parquet"), &bytes[..bytes.len() / 2]).unwrap();
    let err = fail_in(d, &["scan", "t.parquet"]);
    assert!(
        err.contains("t.parquet") && err.contains("Parquet"),
        "{err}"
    );
    let out = neardup()
        .current_dir(d)
        .args(["scan", "t.parquet", "--keep-going"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped t.parquet"));
    // Standard input cannot hold Parquet (it is read by seeking): recognised by its magic
    // number and refused with the reason; `--stdin-format` does not offer it.
    let out = neardup()
        .current_dir(d)
        .args(["scan", "-"])
        .write_stdin(b"PAR1 a Parquet file on standard input".to_vec())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("standard input"), "{err}");
    let err = fail_in(d, &["scan", "-", "--stdin-format", "parquet"]);
    assert!(err.contains("invalid value 'parquet'"), "{err}");
}

#[test]
fn parquet_report_has_the_csv_rows_typed_and_is_refused_on_stdout() {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t = texts();
    let batch = RecordBatch::try_from_iter([(
        "text",
        strings(&t.iter().map(|s| Some(s.as_str())).collect::<Vec<_>>()),
    )])
    .unwrap();
    write_parquet(&d.join("data.parquet"), &batch, 100);
    crate::index::run_in(
        d,
        &[
            "scan",
            "data.parquet",
            "--format",
            "parquet",
            "-o",
            "members.parquet",
        ],
    );
    let csv = crate::index::run_in(d, &["scan", "data.parquet", "--format", "csv"]);
    let file = std::fs::File::open(d.join("members.parquet")).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    let schema = batches[0].schema();
    let header: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(header.join(","), csv.lines().next().unwrap());
    assert_eq!(
        schema.field_with_name("cluster").unwrap().data_type(),
        &DataType::UInt32
    );
    assert_eq!(
        schema.field_with_name("similarity").unwrap().data_type(),
        &DataType::Float64
    );
    assert_eq!(
        schema.field_with_name("byte_end").unwrap().data_type(),
        &DataType::UInt64
    );
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 2);
    let paths = batches[0]
        .column_by_name("path")
        .unwrap()
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    assert_eq!(paths.value(1), "data.parquet#2");
    let err = fail_in(d, &["scan", "data.parquet", "--format", "parquet"]);
    assert!(err.contains("-o FILE"), "{err}");
}

/// A table with metadata on the schema and a field, a struct column and an int column.
fn rich_table(texts: &[Option<&str>]) -> RecordBatch {
    let n = texts.len();
    let mut field_meta = std::collections::HashMap::new();
    field_meta.insert("unit".to_string(), "words".to_string());
    let text_field = Field::new("text", DataType::Utf8, true).with_metadata(field_meta);
    let meta = StructArray::from(vec![(
        Arc::new(Field::new("src", DataType::Utf8, false)),
        strings(&vec![Some("wire"); n]),
    )]);
    let schema = arrow_schema::Schema::new(vec![
        Field::new("n", DataType::Int64, false),
        text_field,
        Field::new("meta", meta.data_type().clone(), false),
    ])
    .with_metadata([("origin".to_string(), "test".to_string())].into());
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(Int64Array::from((0..n as i64).collect::<Vec<_>>())),
            strings(texts),
            Arc::new(meta),
        ],
    )
    .unwrap()
}

fn read_back(path: &Path) -> (arrow_schema::SchemaRef, Vec<RecordBatch>) {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let b = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap()).unwrap();
    let schema = b.schema().clone();
    (schema, b.build().unwrap().map(|b| b.unwrap()).collect())
}

/// Column `i` of every batch in turn, each row read with `value(array, row)`.
fn column_values<A: Array + 'static, T>(
    batches: &[RecordBatch],
    i: usize,
    value: impl Fn(&A, usize) -> T,
) -> Vec<T> {
    batches
        .iter()
        .flat_map(|b| {
            let a = b.column(i).as_any().downcast_ref::<A>().unwrap();
            (0..a.len()).map(|row| value(a, row)).collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn dedup_rewrites_parquet_keeping_schema_metadata_and_row_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("in")).unwrap();
    let t = texts();
    let dup = t[0].clone();
    let rows = [
        Some(t[0].as_str()),
        Some(t[1].as_str()),
        None,
        Some(dup.as_str()),
        Some(t[2].as_str()),
    ];
    let input = rich_table(&rows);
    write_parquet(&d.join("in/data.parquet"), &input, 2);
    crate::index::run_in(d, &["dedup", "in", "--out", "doc", "--split", "document"]);
    let (schema, batches) = read_back(&d.join("doc/data.parquet"));
    assert_eq!(
        schema.as_ref(),
        input.schema().as_ref(),
        "schema and metadata kept"
    );
    let n: Vec<i64> = column_values(&batches, 0, Int64Array::value);
    assert_eq!(
        n,
        [0, 1, 2, 4],
        "the duplicate row 3 dropped, the null-text row and order kept"
    );
    let report = scan_json(&[d.join("doc").to_str().unwrap(), "--split", "document"]);
    assert!(report.clusters.is_empty());
    // Paragraph split: the repeated lead goes from rows 3 and 4; no cluster is left.
    crate::index::run_in(d, &["dedup", "in", "--out", "para"]);
    let (schema, batches) = read_back(&d.join("para/data.parquet"));
    assert_eq!(schema.as_ref(), input.schema().as_ref());
    let report = scan_json(&[d.join("para").to_str().unwrap()]);
    assert!(report.clusters.is_empty(), "{:?}", report.clusters);
    let texts = column_values(&batches, 1, |a: &StringArray, i| {
        (!a.is_null(i)).then(|| a.value(i).to_string())
    });
    assert_eq!(texts[0].as_deref(), Some(t[0].as_str()));
    assert_eq!(texts[2], None);
    assert_eq!(texts[3].as_deref(), Some(""));
    assert_eq!(
        texts[4].as_deref(),
        Some("a third article that quotes the same lead paragraph")
    );
    // Mark mode: every row, two more columns.
    crate::index::run_in(
        d,
        &[
            "dedup", "in", "--out", "mark", "--split", "document", "--mode", "mark",
        ],
    );
    let (schema, batches) = read_back(&d.join("mark/data.parquet"));
    assert_eq!(schema.fields().len(), 5);
    assert_eq!(schema.metadata(), input.schema().metadata());
    let dup = column_values(&batches, 4, arrow_array::BooleanArray::value);
    assert_eq!(dup, [false, false, false, true, false]);
}

/// The clusters of `report` with every member named by its record key: the file stem of a
/// text file, the id of a JSONL or Parquet record.
fn keyed_clusters(report: &neardup::Report) -> std::collections::BTreeSet<Vec<String>> {
    report
        .clusters
        .iter()
        .map(|c| {
            let mut keys: Vec<String> = c
                .members
                .iter()
                .map(|m| {
                    let key = m.path.rsplit(['/', '#']).next().unwrap_or_default();
                    format!("{}:{}", key.trim_end_matches(".txt"), m.paragraph)
                })
                .collect();
            keys.sort();
            keys
        })
        .collect()
}

#[test]
fn text_files_jsonl_and_parquet_give_the_same_clusters() {
    let synth = neardup::synth::generate(&neardup::synth::SynthConfig {
        seed: 15,
        paragraphs: 1500,
        near_dup_rate: 0.2,
        ..neardup::synth::SynthConfig::default()
    });
    // Whole articles republished, so the document split has clusters too.
    let mut texts: Vec<String> = synth.articles.iter().map(|a| a.text.clone()).collect();
    for i in (0..texts.len()).step_by(17) {
        texts.push(texts[i].clone());
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for sub in ["txt", "jsonl", "pq"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    let ids: Vec<String> = (0..texts.len()).map(|i| format!("{i:05}")).collect();
    let mut jsonl = String::new();
    for (id, text) in ids.iter().zip(&texts) {
        std::fs::write(d.join(format!("txt/{id}.txt")), text).unwrap();
        jsonl += &serde_json::json!({"id": id, "text": text, "n": 1}).to_string();
        jsonl.push('\n');
    }
    std::fs::write(d.join("jsonl/data.jsonl"), jsonl).unwrap();
    let batch = RecordBatch::try_from_iter([
        ("id", Arc::new(StringArray::from(ids.clone())) as ArrayRef),
        (
            "text",
            Arc::new(StringArray::from(texts.clone())) as ArrayRef,
        ),
    ])
    .unwrap();
    write_parquet(&d.join("pq/data.parquet"), &batch, 100);
    for split in ["lines", "document"] {
        let scan = |sub: &str| {
            keyed_clusters(&scan_json(&[
                d.join(sub).to_str().unwrap(),
                "--id-field",
                "id",
                "--split",
                split,
            ]))
        };
        let txt = scan("txt");
        assert!(txt.len() > 5, "{split}: the corpus has clusters: {txt:?}");
        assert_eq!(scan("jsonl"), txt, "{split}: JSONL against text files");
        assert_eq!(scan("pq"), txt, "{split}: Parquet against text files");
    }
}

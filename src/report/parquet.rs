//! Parquet report (feature `parquet`): one row per cluster member, for pandas, DuckDB and
//! Spark.
//!
//! Input: a [`Report`]. Output: one Parquet file (zstd-compressed) with the columns of the
//! CSV report, typed: `cluster` (uint32), `kind`, `scope` (string), `boilerplate` (bool),
//! `path` (string), `paragraph`, `line` (uint32), `byte_start`, `byte_end` (uint64),
//! `similarity` (double; null for passage spans), `text` (string). Invariants: rows in the
//! CSV report's order (clusters, then with `--passages` one row per passage span with `kind`
//! `passage` and that passage cluster's number); the same report gives the same bytes. Parquet
//! is binary and needs a seekable footer, so it is written to a file (`-o`), never a terminal.

use std::io::{self, Write};
use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::{serde_plain, Report};

/// The columns, in order (those of the CSV report).
pub fn schema() -> Schema {
    let f = |name: &str, t: DataType, nullable: bool| Field::new(name, t, nullable);
    Schema::new(vec![
        f("cluster", DataType::UInt32, false),
        f("kind", DataType::Utf8, false),
        f("scope", DataType::Utf8, false),
        f("boilerplate", DataType::Boolean, false),
        f("path", DataType::Utf8, false),
        f("paragraph", DataType::UInt32, false),
        f("line", DataType::UInt32, false),
        f("byte_start", DataType::UInt64, false),
        f("byte_end", DataType::UInt64, false),
        f("similarity", DataType::Float64, true),
        f("text", DataType::Utf8, false),
    ])
}

/// Column buffers filled row by row.
#[derive(Default)]
struct Rows {
    cluster: Vec<u32>,
    kind: Vec<String>,
    scope: Vec<String>,
    boilerplate: Vec<bool>,
    path: Vec<String>,
    paragraph: Vec<u32>,
    line: Vec<u32>,
    byte_start: Vec<u64>,
    byte_end: Vec<u64>,
    similarity: Vec<Option<f64>>,
    text: Vec<String>,
}

/// Write `report` as Parquet.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut r = Rows::default();
    for c in &report.clusters {
        let (kind, scope) = (serde_plain(&c.kind), serde_plain(&c.scope));
        for m in &c.members {
            r.cluster.push(c.id);
            r.kind.push(kind.clone());
            r.scope.push(scope.clone());
            r.boilerplate.push(c.boilerplate);
            r.path.push(m.path.clone());
            r.paragraph.push(m.paragraph);
            r.line.push(m.line);
            r.byte_start.push(m.byte_start);
            r.byte_end.push(m.byte_end);
            r.similarity.push(Some(m.similarity));
            r.text.push(m.text.clone());
        }
    }
    for c in report.passages.iter().flat_map(|p| &p.clusters) {
        let scope = serde_plain(&c.scope);
        for span in &c.spans {
            r.cluster.push(c.id);
            r.kind.push("passage".into());
            r.scope.push(scope.clone());
            r.boilerplate.push(false);
            r.path.push(span.path.clone());
            r.paragraph.push(span.paragraph);
            r.line.push(span.line);
            r.byte_start.push(span.byte_start);
            r.byte_end.push(span.byte_end);
            r.similarity.push(None);
            r.text.push(span.text.clone());
        }
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(r.cluster)),
        Arc::new(StringArray::from(r.kind)),
        Arc::new(StringArray::from(r.scope)),
        Arc::new(BooleanArray::from(r.boilerplate)),
        Arc::new(StringArray::from(r.path)),
        Arc::new(UInt32Array::from(r.paragraph)),
        Arc::new(UInt32Array::from(r.line)),
        Arc::new(UInt64Array::from(r.byte_start)),
        Arc::new(UInt64Array::from(r.byte_end)),
        Arc::new(Float64Array::from(r.similarity)),
        Arc::new(StringArray::from(r.text)),
    ];
    let batch = RecordBatch::try_new(Arc::new(schema()), columns).map_err(io::Error::other)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    // The writer wants `Write + Send`; a report is written once, so buffer it whole.
    let mut bytes = Vec::new();
    let mut w =
        ArrowWriter::try_new(&mut bytes, batch.schema(), Some(props)).map_err(io::Error::other)?;
    w.write(&batch).map_err(io::Error::other)?;
    w.close().map_err(io::Error::other)?;
    out.write_all(&bytes)
}

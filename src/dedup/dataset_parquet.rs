//! Dataset dedup for Parquet (feature `parquet`): a `.parquet` file → the same table with
//! duplicates removed or marked.
//!
//! Input: one Parquet file of the corpus, the [`Removal`]s of its rows (named as
//! `ingest::parquet` names them), the cluster of each row, the split and
//! [`DedupOptions`]. Output: the file's new bytes. Invariants: the Arrow schema (types,
//! nullability, field and schema metadata), the file's key-value metadata, the compression
//! codec of its first column chunk and its row-group size are kept, and rows keep their order;
//! `--split document` drops duplicate rows; a paragraph split replaces only the values of the
//! text column (a top-level string column; other shapes are refused, nothing is written) and
//! drops rows left blank with `drop_empty`; mark mode keeps every row and appends the columns
//! `neardup_cluster` (uint32, null when unique) and `neardup_duplicate` (bool).
//!
//! Memory: a first pass reads only the id (and text) columns to name the rows as the scan
//! did, keeping the names of the rows that have a removal or a cluster; the second pass
//! decodes every column one batch at a time and streams the output to `out` row group by row
//! group. So memory holds one batch, one row group being encoded and the names of the changed
//! rows — never the table or the output file.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{
    Array, ArrayRef, BooleanArray, LargeStringArray, RecordBatch, StringArray, UInt32Array,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::properties::WriterProperties;

use super::dataset::{Output, Rewritten};
use crate::config::SplitMode;
use crate::dedup::{DedupMode, DedupOptions, Removal};
use crate::error::{Error, Result};
use crate::ingest::parquet::bad_file;

/// Rewrite the Parquet file `src` (named `display` in reports) to `out`.
pub fn rewrite(
    src: &Path,
    display: &str,
    split: SplitMode,
    removals: &BTreeMap<&str, Vec<&Removal>>,
    clusters: &HashMap<&str, u32>,
    options: &DedupOptions,
    out: &mut Output<'_>,
) -> Result<Rewritten> {
    let bad = |message: String| bad_file(src, message);
    let (text_bytes, by_row) = changed_rows(src, display, removals, clusters, options)?;
    let file = std::fs::File::open(src).map_err(|e| Error::io(src, "open file", e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| bad(format!("not a readable Parquet file: {e}")))?;
    let schema = builder.schema().clone();
    let props = writer_properties(builder.metadata());
    let edits = Edits {
        src,
        split,
        removals,
        clusters,
        options,
        text_index: text_column(src, &schema, split, options)?,
        out_schema: output_schema(&schema, options.mode),
        by_row,
        schema,
    };
    let reader = builder
        .build()
        .map_err(|e| bad(format!("not a readable Parquet file: {e}")))?;
    // The writer encodes into this buffer, drained to `out` after each batch: the encoder
    // counts the bytes it emits itself (offsets in the footer stay right), and `out` is a
    // `dyn Write` the writer could not own (it needs `Send`).
    let mut writer = ArrowWriter::try_new(Vec::new(), Arc::clone(&edits.out_schema), Some(props))
        .map_err(|e| bad(format!("cannot write Parquet: {e}")))?;
    let mut done = Rewritten::default();
    let mut row = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| bad(format!("cannot read row {row} on: {e}")))?;
        let kept = edits.apply(&batch, row, &mut done)?;
        row += batch.num_rows() as u64;
        writer
            .write(&kept)
            .map_err(|e| bad(format!("cannot write Parquet: {e}")))?;
        drain(&mut writer, out)?;
    }
    writer
        .finish()
        .map_err(|e| bad(format!("cannot write Parquet: {e}")))?;
    drain(&mut writer, out)?;
    done.bytes_in = text_bytes;
    Ok(done)
}

/// By row number: the name and text length of each row a rewrite changes or marks.
type ChangedRows = HashMap<u64, (String, usize)>;

/// The names pass: the text bytes of the whole file, and by row number the name (as the scan
/// gave it: ids, or row numbers after duplicate ids) and text length of each row something
/// happens to.
fn changed_rows(
    src: &Path,
    display: &str,
    removals: &BTreeMap<&str, Vec<&Removal>>,
    clusters: &HashMap<&str, u32>,
    options: &DedupOptions,
) -> Result<(u64, ChangedRows)> {
    let (records, _) =
        crate::ingest::parquet::read_records_with(src, display, &options.input, |t| t.len())?;
    // "Bytes in" is text, as "bytes removed" is: the summary's share would otherwise compare
    // text with the compressed file.
    let text_bytes: u64 = records.iter().map(|r| r.text as u64).sum();
    let by_row = records
        .into_iter()
        .filter(|r| {
            removals.contains_key(r.name.as_str()) || clusters.contains_key(r.name.as_str())
        })
        .map(|r| (r.row, (r.name, r.text)))
        .collect();
    Ok((text_bytes, by_row))
}

/// The index of the text column when it is a top-level string column; an error when the
/// rewrite must edit it (paragraphs removed) and it is not one.
fn text_column(
    src: &Path,
    schema: &Schema,
    split: SplitMode,
    options: &DedupOptions,
) -> Result<Option<usize>> {
    let text_field = options.input.text_field.as_str();
    let edits_text = options.mode == DedupMode::Remove && split != SplitMode::Document;
    match schema.index_of(text_field) {
        Ok(i)
            if matches!(
                schema.field(i).data_type(),
                DataType::Utf8 | DataType::LargeUtf8
            ) =>
        {
            Ok(Some(i))
        }
        _ if edits_text => Err(bad_file(
            src,
            format!(
                "dedup removes paragraphs from a top-level string column only; {text_field:?} \
                 is not one: use --split document (whole rows) or --mode mark"
            ),
        )),
        _ => Ok(None),
    }
}

/// The input's schema, with the two mark columns appended in mark mode.
fn output_schema(schema: &Arc<Schema>, mode: DedupMode) -> Arc<Schema> {
    if mode != DedupMode::Mark {
        return Arc::clone(schema);
    }
    let mut fields: Vec<Arc<Field>> = schema.fields().iter().cloned().collect();
    fields.push(Arc::new(Field::new(
        "neardup_cluster",
        DataType::UInt32,
        true,
    )));
    fields.push(Arc::new(Field::new(
        "neardup_duplicate",
        DataType::Boolean,
        false,
    )));
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// The input file's key-value metadata (but its Arrow schema, which the writer adds), the
/// codec of its first column chunk and its row-group size.
fn writer_properties(meta: &ParquetMetaData) -> WriterProperties {
    let mut props = WriterProperties::builder().set_key_value_metadata(
        meta.file_metadata().key_value_metadata().map(|kv| {
            kv.iter()
                .filter(|k| k.key != "ARROW:schema")
                .cloned()
                .collect()
        }),
    );
    if meta.num_row_groups() > 0 {
        let first = meta.row_group(0);
        if first.num_columns() > 0 {
            props = props.set_compression(first.column(0).compression());
        }
        let rows = usize::try_from(first.num_rows())
            .unwrap_or(usize::MAX)
            .max(1);
        props = props.set_max_row_group_row_count(Some(rows));
    }
    props.build()
}

/// What a rewrite does to each batch.
struct Edits<'a> {
    src: &'a Path,
    split: SplitMode,
    removals: &'a BTreeMap<&'a str, Vec<&'a Removal>>,
    clusters: &'a HashMap<&'a str, u32>,
    options: &'a DedupOptions,
    /// From [`changed_rows`].
    by_row: ChangedRows,
    schema: Arc<Schema>,
    out_schema: Arc<Schema>,
    text_index: Option<usize>,
}

impl Edits<'_> {
    /// `batch` (its first row is row `first_row` of the file) as written: rows dropped, texts
    /// edited, mark columns appended; counted into `done`.
    fn apply(
        &self,
        batch: &RecordBatch,
        first_row: u64,
        done: &mut Rewritten,
    ) -> Result<RecordBatch> {
        let bad = |message: String| bad_file(self.src, message);
        let n = batch.num_rows();
        let mut keep = Vec::with_capacity(n);
        let mut cluster = Vec::with_capacity(n);
        let mut duplicate = Vec::with_capacity(n);
        let mut texts: Option<Vec<Option<String>>> = None;
        for i in 0..n {
            let this = self.by_row.get(&(first_row + i as u64));
            let name = this.map_or("", |(name, _)| name.as_str());
            let rs = self
                .removals
                .get(name)
                .map(Vec::as_slice)
                .unwrap_or_default();
            cluster.push(self.clusters.get(name).copied());
            duplicate.push(!rs.is_empty());
            if !rs.is_empty() {
                done.records_changed += 1;
                done.removed += rs.len();
            }
            let mut kept = true;
            if self.options.mode == DedupMode::Remove && !rs.is_empty() {
                if self.split == SplitMode::Document {
                    done.bytes_removed += this.map_or(0, |(_, len)| *len as u64);
                    kept = false;
                } else if let Some(col) = self.text_index {
                    let text = string_at(batch.column(col), i).unwrap_or_default();
                    let ranges = crate::dedup::deletion_ranges(
                        Path::new(name),
                        text.as_bytes(),
                        self.split,
                        rs,
                    )?;
                    let edited = crate::dedup::apply(text.as_bytes(), &ranges);
                    done.bytes_removed += (text.len() - edited.len()) as u64;
                    let edited = String::from_utf8_lossy(&edited).into_owned();
                    kept = !(self.options.drop_empty && edited.trim().is_empty());
                    let values = texts.get_or_insert_with(|| current(batch.column(col)));
                    values[i] = Some(edited);
                }
            }
            keep.push(kept);
        }
        let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
        if let (Some(values), Some(col)) = (texts, self.text_index) {
            columns[col] = match self.schema.field(col).data_type() {
                DataType::LargeUtf8 => Arc::new(LargeStringArray::from(values)),
                _ => Arc::new(StringArray::from(values)),
            };
        }
        if self.options.mode == DedupMode::Mark {
            columns.push(Arc::new(UInt32Array::from(cluster)));
            columns.push(Arc::new(BooleanArray::from(duplicate)));
        }
        let edited = RecordBatch::try_new(Arc::clone(&self.out_schema), columns)
            .map_err(|e| bad(format!("cannot rebuild a batch: {e}")))?;
        arrow_select::filter::filter_record_batch(&edited, &BooleanArray::from(keep))
            .map_err(|e| bad(format!("cannot filter rows: {e}")))
    }
}

/// Move what the writer has emitted so far to `out`.
fn drain(writer: &mut ArrowWriter<Vec<u8>>, out: &mut Output<'_>) -> Result<()> {
    let buffer = writer.inner_mut();
    out.write(buffer)?;
    buffer.clear();
    Ok(())
}

/// Row `i` of a string column (`Utf8` or `LargeUtf8`), `None` when null.
fn string_at(a: &ArrayRef, i: usize) -> Option<&str> {
    if a.is_null(i) {
        return None;
    }
    Some(match a.data_type() {
        DataType::LargeUtf8 => a.as_string::<i64>().value(i),
        _ => a.as_string::<i32>().value(i),
    })
}

/// The values of a string column as owned strings (nulls kept), to edit some of them.
fn current(a: &ArrayRef) -> Vec<Option<String>> {
    (0..a.len())
        .map(|i| string_at(a, i).map(str::to_owned))
        .collect()
}

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
//! `neardup_cluster` (uint32, null when unique) and `neardup_duplicate` (bool). Every column
//! is decoded, so memory holds one batch of the whole table at a time plus the output file.

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
use parquet::file::properties::WriterProperties;

use crate::config::SplitMode;
use crate::dataset::Rewritten;
use crate::dedup::{DedupMode, DedupOptions, Removal};
use crate::error::{Error, Result};

/// Rewrite the Parquet file `src` (named `display` in reports).
pub fn rewrite(
    src: &Path,
    display: &str,
    split: SplitMode,
    removals: &BTreeMap<&str, Vec<&Removal>>,
    clusters: &HashMap<&str, u32>,
    options: &DedupOptions,
) -> Result<Rewritten> {
    let bad = |message: String| Error::BadInput {
        path: src.to_path_buf(),
        line: None,
        message,
    };
    let (records, _) = crate::ingest::parquet::read_records(src, display, &options.input)?;
    let by_row: HashMap<u64, (&str, &str)> = records
        .iter()
        .map(|r| (r.row, (r.name.as_str(), r.text.as_str())))
        .collect();
    let file = std::fs::File::open(src).map_err(|e| Error::io(src, "open file", e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| bad(format!("not a readable Parquet file: {e}")))?;
    let schema = builder.schema().clone();
    let meta = builder.metadata().clone();
    let text_field = options.input.text_field.as_str();
    let edits_text = options.mode == DedupMode::Remove && split != SplitMode::Document;
    let text_index = match schema.index_of(text_field) {
        Ok(i)
            if matches!(
                schema.field(i).data_type(),
                DataType::Utf8 | DataType::LargeUtf8
            ) =>
        {
            Some(i)
        }
        _ if edits_text => {
            return Err(bad(format!(
                "dedup removes paragraphs from a top-level string column only; {text_field:?} \
                 is not one: use --split document (whole rows) or --mode mark"
            )))
        }
        _ => None,
    };
    let out_schema = if options.mode == DedupMode::Mark {
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
    } else {
        Arc::clone(&schema)
    };
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
    let reader = builder
        .build()
        .map_err(|e| bad(format!("not a readable Parquet file: {e}")))?;
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, Arc::clone(&out_schema), Some(props.build()))
        .map_err(|e| bad(format!("cannot write Parquet: {e}")))?;
    let mut out = Rewritten::default();
    let mut row = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| bad(format!("cannot read row {row} on: {e}")))?;
        let n = batch.num_rows();
        let mut keep = Vec::with_capacity(n);
        let mut cluster = Vec::with_capacity(n);
        let mut duplicate = Vec::with_capacity(n);
        let mut texts: Option<Vec<Option<String>>> = None;
        for i in 0..n {
            let this = by_row.get(&(row + i as u64)).copied();
            let rs = this
                .and_then(|(name, _)| removals.get(name))
                .map(Vec::as_slice)
                .unwrap_or_default();
            cluster.push(this.and_then(|(name, _)| clusters.get(name).copied()));
            duplicate.push(!rs.is_empty());
            if !rs.is_empty() {
                out.records_changed += 1;
                out.removed += rs.len();
            }
            let mut kept = true;
            if options.mode == DedupMode::Remove && !rs.is_empty() {
                let (name, text) = this.unwrap_or_default();
                if split == SplitMode::Document {
                    out.bytes_removed += text.len() as u64;
                    kept = false;
                } else if let Some(col) = text_index {
                    let ranges =
                        crate::dedup::deletion_ranges(Path::new(name), text.as_bytes(), split, rs)?;
                    let edited = crate::dedup::apply(text.as_bytes(), &ranges);
                    out.bytes_removed += (text.len() - edited.len()) as u64;
                    let edited = String::from_utf8_lossy(&edited).into_owned();
                    kept = !(options.drop_empty && edited.trim().is_empty());
                    let values = texts.get_or_insert_with(|| current(batch.column(col)));
                    values[i] = Some(edited);
                }
            }
            keep.push(kept);
        }
        row += n as u64;
        let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
        if let (Some(values), Some(col)) = (texts, text_index) {
            columns[col] = match schema.field(col).data_type() {
                DataType::LargeUtf8 => Arc::new(LargeStringArray::from(values)),
                _ => Arc::new(StringArray::from(values)),
            };
        }
        if options.mode == DedupMode::Mark {
            columns.push(Arc::new(UInt32Array::from(cluster)));
            columns.push(Arc::new(BooleanArray::from(duplicate)));
        }
        let edited = RecordBatch::try_new(Arc::clone(&out_schema), columns)
            .map_err(|e| bad(format!("cannot rebuild a batch: {e}")))?;
        let kept = arrow_select::filter::filter_record_batch(&edited, &BooleanArray::from(keep))
            .map_err(|e| bad(format!("cannot filter rows: {e}")))?;
        writer
            .write(&kept)
            .map_err(|e| bad(format!("cannot write Parquet: {e}")))?;
    }
    writer
        .close()
        .map_err(|e| bad(format!("cannot write Parquet: {e}")))?;
    out.bytes_in = std::fs::metadata(src).map(|m| m.len()).unwrap_or(0);
    out.bytes = bytes;
    Ok(out)
}

/// The values of a string column as owned strings (nulls kept), to edit some of them.
fn current(a: &ArrayRef) -> Vec<Option<String>> {
    let get = |i: usize| -> Option<String> {
        if a.is_null(i) {
            return None;
        }
        Some(match a.data_type() {
            DataType::LargeUtf8 => a.as_string::<i64>().value(i).to_owned(),
            _ => a.as_string::<i32>().value(i).to_owned(),
        })
    };
    (0..a.len()).map(get).collect()
}

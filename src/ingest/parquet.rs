//! Parquet datasets: a file → one document per row (feature `parquet`).
//!
//! Input: a `.parquet` file on disk (it is read by seeking: never standard input, never a
//! `.gz`/`.zst` wrapper — Parquet compresses its own pages). Output: one [`Document`] per row
//! whose text is not null, named `FILE#ID` (the id column's value) or `FILE#ROW` (the 0-based
//! row number, pandas' default index), holding the text column's string; a `list<string>`
//! text column is the record's paragraphs in order, joined by blank lines, so `--split blank`
//! (and `lines`, for one-line paragraphs) takes each element as one paragraph. Spans refer to
//! that text.
//!
//! Invariants: row groups are streamed in record batches and only the text and id columns are
//! decoded (projection), so memory holds one batch plus the documents' text, never the other
//! columns; rows keep their order. A dotted field (`meta.body`) reaches into struct columns; a
//! column whose name itself contains dots is found when it matches whole. Bad input is an
//! error naming the file, never a panic: a missing field lists the file's columns, a field of
//! the wrong type names its type, a truncated or corrupt file says so; under `keep_going` the
//! file is a counted skip. Null texts are skipped and counted (one warning row per file).
//! Duplicate ids within one file are an error naming the id (reports would be ambiguous), or
//! under `keep_going` a warning, and the file's records are named by row number instead.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Fields, Schema};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;

use super::{Document, InputOptions, Loaded, Skipped};
use crate::error::{Error, Result};

/// The extension directory walks take as Parquet.
pub const EXTENSION: &str = "parquet";

/// Rows decoded at a time: one batch of text is what a read holds beyond the documents.
const BATCH_ROWS: usize = 1024;

/// Whether the text column holds one string or a list of paragraphs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TextShape {
    String,
    Paragraphs,
}

/// Read every row of the Parquet file at `path`. `display` names it in documents and skips.
pub fn read(path: &Path, display: &str, options: &InputOptions) -> Result<Vec<Loaded>> {
    // The decoder parses bytes from the file (page headers, encodings, codecs): a bug there on a
    // corrupt file must be an error naming it, not a panic, whoever calls this.
    Error::catch_panic(display, || {
        let (records, skips) = read_records(path, display, options)?;
        let mut out: Vec<Loaded> = skips.into_iter().map(Loaded::Skipped).collect();
        out.extend(records.into_iter().map(|r| {
            Loaded::Document(Document {
                path: r.name,
                bytes: r.text.into_bytes(),
            })
        }));
        Ok(out)
    })
}

/// One row read as a document.
pub(crate) struct Record<T = String> {
    /// 0-based row number in the file.
    pub row: u64,
    /// The document's name, `FILE#ID` or `FILE#ROW`.
    pub name: String,
    /// Its text, or what `keep` made of it ([`read_records_with`]).
    pub text: T,
}

/// The file's documents with their row numbers, and the warnings and skips of reading it.
pub(crate) fn read_records(
    path: &Path,
    display: &str,
    options: &InputOptions,
) -> Result<(Vec<Record>, Vec<Skipped>)> {
    read_records_with(path, display, options, std::mem::take)
}

/// [`read_records`], keeping of each text only what `keep` returns: dataset dedup names the
/// rows and keeps their lengths, so its memory does not grow with the text.
pub(crate) fn read_records_with<T>(
    path: &Path,
    display: &str,
    options: &InputOptions,
    mut keep: impl FnMut(&mut String) -> T,
) -> Result<(Vec<Record<T>>, Vec<Skipped>)> {
    let bad = |message: String| bad_file(path, message);
    let (reader, columns) = open_projected(path, options)?;
    let mut records: Vec<(u64, Option<String>, T)> = Vec::new();
    let mut skips: Vec<Skipped> = Vec::new();
    let mut nulls = 0u64;
    let mut row = 0u64;
    let mut text_buf = String::new();
    for batch in reader {
        let batch = batch.map_err(|e| {
            bad(format!(
                "cannot read row {row} on (truncated or corrupt file?): {e}"
            ))
        })?;
        let texts = column(&batch, columns.text).ok_or_else(|| {
            bad(format!(
                "column {:?} missing from a row group",
                columns.text
            ))
        })?;
        let ids = match columns.id {
            Some(name) => Some(
                column(&batch, name)
                    .ok_or_else(|| bad(format!("column {name:?} missing from a row group")))?,
            ),
            None => None,
        };
        for i in 0..batch.num_rows() {
            let this_row = row;
            row += 1;
            text_buf.clear();
            let null = texts.null_at(i);
            if !text_at(texts.array.as_ref(), null, i, columns.shape, &mut text_buf) {
                nulls += 1;
                continue;
            }
            // A record that cannot be read is an error, or one counted skip under keep_going.
            match check_row(&text_buf, ids.as_ref(), i, this_row, &columns, options) {
                Ok(name) => records.push((this_row, name, keep(&mut text_buf))),
                Err(reason) if options.keep_going => skips.push(Skipped {
                    path: format!("{display}#{this_row}"),
                    reason,
                    error: true,
                }),
                Err(message) => return Err(bad(message)),
            }
        }
    }
    let by_row = columns.id.is_some()
        && duplicate_ids(&records, &columns, path, display, options, &mut skips)?;
    if nulls > 0 {
        skips.push(Skipped {
            path: display.to_string(),
            reason: format!("{nulls} rows with a null {:?} skipped", columns.text),
            error: false,
        });
    }
    Ok((name_records(records, display, by_row), skips))
}

/// The error of a Parquet file that cannot be read as asked, naming it.
pub(crate) fn bad_file(path: &Path, message: String) -> Error {
    Error::BadInput {
        path: path.to_path_buf(),
        line: None,
        message,
    }
}

/// The columns a read decodes, checked against the file's schema.
struct Columns<'o> {
    /// `--text-field`.
    text: &'o str,
    shape: TextShape,
    /// `--id-field`, when given.
    id: Option<&'o str>,
}

/// Open the file at `path`, check its text and id columns, and return a reader of those
/// columns only, [`BATCH_ROWS`] rows at a time.
fn open_projected<'o>(
    path: &Path,
    options: &'o InputOptions,
) -> Result<(ParquetRecordBatchReader, Columns<'o>)> {
    let bad = |message: String| bad_file(path, message);
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, "open file", e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| bad(format!("not a readable Parquet file: {e}")))?;
    let schema = builder.schema().clone();
    let text_field = &options.text_field;
    let text = resolve(&schema, text_field).ok_or_else(|| {
        bad(format!(
            "no column {text_field:?} (choose one with --text-field); its columns: {}",
            column_list(&schema)
        ))
    })?;
    let shape = text_shape(text.data_type()).ok_or_else(|| {
        bad(format!(
            "column {text_field:?} is of type {}, not a string or a list of strings",
            text.data_type()
        ))
    })?;
    let id = match &options.id_field {
        None => None,
        Some(name) => {
            let field = resolve(&schema, name).ok_or_else(|| {
                bad(format!(
                    "no column {name:?} (choose one with --id-field); its columns: {}",
                    column_list(&schema)
                ))
            })?;
            if !is_id_type(field.data_type()) {
                return Err(bad(format!(
                    "id column {name:?} is of type {}, not a string or an integer",
                    field.data_type()
                )));
            }
            Some(name.as_str())
        }
    };
    let mut wanted = vec![text_field.as_str()];
    wanted.extend(id);
    let mask = projection(&builder, &schema, &wanted);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| bad(format!("not a readable Parquet file: {e}")))?;
    let columns = Columns {
        text: text_field,
        shape,
        id,
    };
    Ok((reader, columns))
}

/// Row `this_row` (`i` in its batch), whose text is `text`: its id (`None` without an id
/// column), or why it cannot be read (too long, null id).
fn check_row(
    text: &str,
    ids: Option<&Column>,
    i: usize,
    this_row: u64,
    columns: &Columns<'_>,
    options: &InputOptions,
) -> std::result::Result<Option<String>, String> {
    if text.len() as u64 > options.max_document_size {
        return Err(format!(
            "row {this_row}: text of {} bytes is over the limit of {} \
             (--max-document-size raises it)",
            text.len(),
            options.max_document_size
        ));
    }
    match ids {
        None => Ok(None),
        Some(ids) => id_at(ids, i).map(Some).ok_or_else(|| {
            format!(
                "row {this_row}: the id column {:?} is null",
                columns.id.unwrap_or_default()
            )
        }),
    }
}

/// Whether an id occurs twice among `records`: an error, or under `keep_going` a warning in
/// `skips` and `true` (the records are then named by row number).
fn duplicate_ids<T>(
    records: &[(u64, Option<String>, T)],
    columns: &Columns<'_>,
    path: &Path,
    display: &str,
    options: &InputOptions,
    skips: &mut Vec<Skipped>,
) -> Result<bool> {
    let mut seen = HashSet::with_capacity(records.len());
    let Some(dup) = records
        .iter()
        .filter_map(|(_, id, _)| id.as_deref())
        .find(|id| !seen.insert(*id))
    else {
        return Ok(false);
    };
    let message = format!(
        "id {dup:?} occurs more than once in column {:?}: reports would be ambiguous",
        columns.id.unwrap_or_default()
    );
    if !options.keep_going {
        return Err(bad_file(
            path,
            format!(
                "{message} (choose a unique --id-field, or pass --keep-going to name the \
                 records by row number)"
            ),
        ));
    }
    skips.push(Skipped {
        path: display.to_string(),
        reason: format!("{message}; its records are named by row number"),
        error: false,
    });
    Ok(true)
}

/// The records named `FILE#ID`, or `FILE#ROW` without ids or when `by_row`.
fn name_records<T>(
    records: Vec<(u64, Option<String>, T)>,
    display: &str,
    by_row: bool,
) -> Vec<Record<T>> {
    records
        .into_iter()
        .map(|(row, id, text)| {
            let name = match id {
                Some(id) if !by_row => id,
                _ => row.to_string(),
            };
            Record {
                row,
                name: format!("{display}#{name}"),
                text,
            }
        })
        .collect()
}

/// The field a (possibly dotted) name designates: the top-level column of that whole name,
/// else a path through struct columns.
fn resolve<'s>(schema: &'s Schema, name: &str) -> Option<&'s Field> {
    if let Ok(f) = schema.field_with_name(name) {
        return Some(f);
    }
    let mut fields: &Fields = schema.fields();
    let mut found: Option<&Field> = None;
    for part in name.split('.') {
        let f = fields.iter().find(|f| f.name() == part)?;
        found = Some(f.as_ref());
        fields = match f.data_type() {
            DataType::Struct(children) => children,
            _ => &EMPTY_FIELDS,
        };
    }
    found
}

static EMPTY_FIELDS: std::sync::LazyLock<Fields> = std::sync::LazyLock::new(Fields::empty);

/// Only the leaf columns under `names`: the others are never decoded.
fn projection(
    builder: &ParquetRecordBatchReaderBuilder<std::fs::File>,
    schema: &Schema,
    names: &[&str],
) -> ProjectionMask {
    let descr = builder.parquet_schema();
    let mut mask = ProjectionMask::none(descr.num_columns());
    for name in names {
        let one = match schema.index_of(name) {
            // A whole top-level name (dots and all): its root column.
            Ok(root) => ProjectionMask::roots(descr, [root]),
            Err(_) => ProjectionMask::columns(descr, [*name]),
        };
        mask.union(&one);
    }
    mask
}

/// A column of a batch, found as [`resolve`] finds fields, with the struct levels above it
/// (a null struct makes its children null whatever they hold).
struct Column {
    array: ArrayRef,
    parents: Vec<ArrayRef>,
}

impl Column {
    fn null_at(&self, i: usize) -> bool {
        self.array.is_null(i) || self.parents.iter().any(|p| p.is_null(i))
    }
}

fn column(batch: &RecordBatch, name: &str) -> Option<Column> {
    if let Some(a) = batch.column_by_name(name) {
        return Some(Column {
            array: Arc::clone(a),
            parents: Vec::new(),
        });
    }
    let mut parts = name.split('.');
    let mut current = Arc::clone(batch.column_by_name(parts.next()?)?);
    let mut parents = Vec::new();
    for part in parts {
        let child = Arc::clone(current.as_struct_opt()?.column_by_name(part)?);
        parents.push(current);
        current = child;
    }
    Some(Column {
        array: current,
        parents,
    })
}

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn text_shape(t: &DataType) -> Option<TextShape> {
    match t {
        t if is_string(t) => Some(TextShape::String),
        DataType::List(f) | DataType::LargeList(f) if is_string(f.data_type()) => {
            Some(TextShape::Paragraphs)
        }
        _ => None,
    }
}

fn is_id_type(t: &DataType) -> bool {
    is_string(t) || t.is_integer()
}

/// The string at row `i` of a string array of any of arrow's three layouts.
fn str_at(a: &dyn Array, i: usize) -> Option<&str> {
    if a.is_null(i) {
        return None;
    }
    match a.data_type() {
        DataType::Utf8 => Some(a.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => Some(a.as_string::<i64>().value(i)),
        DataType::Utf8View => Some(a.as_string_view().value(i)),
        _ => None,
    }
}

/// Put row `i`'s text in `out`; false when it is null.
fn text_at(a: &dyn Array, null: bool, i: usize, shape: TextShape, out: &mut String) -> bool {
    if null {
        return false;
    }
    match shape {
        TextShape::String => match str_at(a, i) {
            Some(s) => {
                out.push_str(s);
                true
            }
            None => false,
        },
        TextShape::Paragraphs => {
            let items = match a.data_type() {
                DataType::List(_) => a.as_list::<i32>().value(i),
                DataType::LargeList(_) => a.as_list::<i64>().value(i),
                _ => return false,
            };
            for j in 0..items.len() {
                if let Some(s) = str_at(items.as_ref(), j) {
                    if !out.is_empty() {
                        out.push_str("\n\n");
                    }
                    out.push_str(s);
                }
            }
            true
        }
    }
}

/// Row `i`'s id as text, `None` when null.
fn id_at(c: &Column, i: usize) -> Option<String> {
    if c.null_at(i) {
        return None;
    }
    let a = c.array.as_ref();
    macro_rules! int {
        ($t:ty) => {
            a.as_primitive::<$t>().value(i).to_string()
        };
    }
    Some(match a.data_type() {
        DataType::Int8 => int!(Int8Type),
        DataType::Int16 => int!(Int16Type),
        DataType::Int32 => int!(Int32Type),
        DataType::Int64 => int!(Int64Type),
        DataType::UInt8 => int!(UInt8Type),
        DataType::UInt16 => int!(UInt16Type),
        DataType::UInt32 => int!(UInt32Type),
        DataType::UInt64 => int!(UInt64Type),
        _ => str_at(a, i)?.to_string(),
    })
}

/// The file's columns for an error message: top-level names, struct children dotted.
fn column_list(schema: &Schema) -> String {
    fn walk(prefix: &str, fields: &Fields, out: &mut Vec<String>) {
        for f in fields {
            let name = format!("{prefix}{}", f.name());
            if let DataType::Struct(children) = f.data_type() {
                walk(&format!("{name}."), children, out);
            } else {
                out.push(format!("{name} ({})", f.data_type()));
            }
        }
    }
    let mut names = Vec::new();
    walk("", schema.fields(), &mut names);
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::StringArray;
    use parquet::arrow::ArrowWriter;
    use proptest::prelude::*;

    fn valid_file() -> Vec<u8> {
        let texts: Vec<String> = (0..300).map(|i| format!("paragraph number {i}")).collect();
        let batch =
            RecordBatch::try_from_iter([("text", Arc::new(StringArray::from(texts)) as ArrayRef)])
                .unwrap();
        let mut bytes = Vec::new();
        let props = parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(100))
            .build();
        let mut w = ArrowWriter::try_new(&mut bytes, batch.schema(), Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        bytes
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// A truncated or bit-flipped file is an error (or fewer rows), never a panic.
        #[test]
        fn damaged_files_never_panic(cut in 0usize..4000, flips in prop::collection::vec((0usize..4000, 1u8..=255), 0..4)) {
            let mut bytes = valid_file();
            for (at, mask) in flips {
                let n = bytes.len();
                bytes[at % n] ^= mask;
            }
            if cut < bytes.len() {
                bytes.truncate(bytes.len() - cut);
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("d.parquet");
            std::fs::write(&path, &bytes).unwrap();
            match read(&path, "d.parquet", &InputOptions::default()) {
                Ok(_) => {}
                Err(e) => prop_assert!(e.to_string().contains("d.parquet"), "{e}"),
            }
        }
    }
}

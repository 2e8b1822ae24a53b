//! Arrow stage kernels: the scan's stages as pure functions from one `RecordBatch` to another,
//! the contract that distributed drivers (Spark `mapInArrow`, Ray `map_batches`) call.
//!
//! Input: record batches in the schemas of [`SCHEMA_VERSION`] (docs/PYTHON.md "Kernel
//! schemas" lists every column). Output: record batches whose schema metadata names the kernel
//! and the version. The chain is documents → [`Kernels::paragraphs`] → [`Kernels::sketch`] →
//! [`Kernels::units`] (one row per compared paragraph: its exact-duplicate unit) →
//! [`Kernels::band_rows`] (of unit representatives) → [`Kernels::candidates`] (per bucket) →
//! [`Kernels::verify`] → [`components`] (of identical and verified links).
//!
//! Invariants: integers are signed only (Spark and Trino have none unsigned): the 64-bit band
//! key and the two halves of the 128-bit exact hash are bit-cast to `int64`, signature values
//! to `int32`. Rows are keyed by `(doc, paragraph)` — the document key and the paragraph's
//! ordinal in it — never by a position in a batch, so any partitioning of the rows gives the
//! same result, provided a batch holds whole groups where a kernel says so (a hash group for
//! `units`, a bucket for `candidates`, a graph for `components`). Keys order as the scan orders
//! paragraphs: document key by bytes, then ordinal. Every decision is the scan's own function
//! ([`Sketcher::sketch`], [`crate::lsh::bucket_pairs`], [`Sketcher::verify`], smallest key as
//! label), so chaining the kernels gives the clusters of [`crate::Scanner`]. Kernels run on the
//! calling thread: an engine already runs one task per core.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};

use crate::cluster::SimilarityMethod;
use crate::config::Params;
use crate::error::{Error, Result};
use crate::ingest::{self, DocId, Paragraph};
use crate::lsh;
use crate::sketch::Sketcher;
use crate::util::UnionFind;

#[cfg(test)]
mod tests;

/// Version of the kernel schemas, recorded in every output batch's schema metadata
/// (`neardup.schema`); a change of any column's name, type or meaning bumps it.
pub const SCHEMA_VERSION: &str = "neardup.kernels/1";

/// A paragraph's stable key: document key, paragraph ordinal. Orders as the scan orders
/// paragraphs (documents by key, byte order; then ordinal).
pub type Key = (String, i32);

/// The kernels with one set of matching parameters. Single-threaded: it owns a [`Sketcher`]
/// (scratch buffers reused across rows); make one per worker.
#[derive(Clone, Debug)]
pub struct Kernels {
    params: Params,
    sketcher: Sketcher,
}

fn bad(kernel: &str, msg: impl std::fmt::Display) -> Error {
    Error::InvalidParameter(format!("neardup.arrow.{kernel}: {msg}"))
}

/// A string column of any Arrow string layout.
enum Strings<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

impl Strings<'_> {
    fn get(&self, i: usize) -> Option<&str> {
        match self {
            Strings::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Strings::View(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }
}

fn column<'a>(kernel: &str, batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| bad(kernel, format!("the input has no column `{name}`")))
}

fn strings<'a>(kernel: &str, batch: &'a RecordBatch, name: &str) -> Result<Strings<'a>> {
    let c = column(kernel, batch, name)?;
    match c.data_type() {
        DataType::Utf8 => Ok(Strings::Utf8(c.as_string::<i32>())),
        DataType::LargeUtf8 => Ok(Strings::Large(c.as_string::<i64>())),
        DataType::Utf8View => Ok(Strings::View(c.as_string_view())),
        t => Err(bad(kernel, format!("column `{name}` is {t}, not a string"))),
    }
}

/// A non-null string column's value.
fn required<'a>(kernel: &str, col: &'a Strings<'_>, name: &str, i: usize) -> Result<&'a str> {
    col.get(i)
        .ok_or_else(|| bad(kernel, format!("column `{name}` is null in row {i}")))
}

fn int32s(kernel: &str, batch: &RecordBatch, name: &str) -> Result<Vec<i32>> {
    let c = column(kernel, batch, name)?;
    let a = c.as_primitive_opt::<Int32Type>().ok_or_else(|| {
        bad(
            kernel,
            format!("column `{name}` is {}, not int32", c.data_type()),
        )
    })?;
    if a.null_count() > 0 {
        return Err(bad(kernel, format!("column `{name}` has nulls")));
    }
    Ok(a.values().to_vec())
}

fn int64s(kernel: &str, batch: &RecordBatch, name: &str) -> Result<Vec<Option<i64>>> {
    let c = column(kernel, batch, name)?;
    let a = c.as_primitive_opt::<Int64Type>().ok_or_else(|| {
        bad(
            kernel,
            format!("column `{name}` is {}, not int64", c.data_type()),
        )
    })?;
    Ok(a.iter().collect())
}

fn booleans(kernel: &str, batch: &RecordBatch, name: &str) -> Result<Vec<bool>> {
    let c = column(kernel, batch, name)?;
    let a = c.as_boolean_opt().ok_or_else(|| {
        bad(
            kernel,
            format!("column `{name}` is {}, not bool", c.data_type()),
        )
    })?;
    Ok(a.iter().map(|v| v.unwrap_or(false)).collect())
}

/// Signatures of a `list<int32>` (or `large_list`, `fixed_size_list`) column, back to back as
/// `u32` (the bit-cast the sketch kernel wrote), each checked to hold `k` values.
fn signatures(kernel: &str, batch: &RecordBatch, name: &str, k: usize) -> Result<Vec<u32>> {
    let c = column(kernel, batch, name)?;
    let row = |i: usize| -> Option<ArrayRef> {
        if c.is_null(i) {
            return None;
        }
        match c.data_type() {
            DataType::List(_) => Some(c.as_list::<i32>().value(i)),
            DataType::LargeList(_) => Some(c.as_list::<i64>().value(i)),
            DataType::FixedSizeList(_, _) => Some(c.as_fixed_size_list().value(i)),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(c.len() * k);
    for i in 0..c.len() {
        let values = row(i).ok_or_else(|| {
            bad(
                kernel,
                format!(
                    "column `{name}` must be a non-null list<int32> (row {i}, {})",
                    c.data_type()
                ),
            )
        })?;
        let values = values
            .as_primitive_opt::<Int32Type>()
            .filter(|v| v.len() == k && v.null_count() == 0)
            .ok_or_else(|| {
                bad(
                    kernel,
                    format!("column `{name}` row {i}: a signature is {k} non-null int32 values"),
                )
            })?;
        out.extend(values.values().iter().map(|&v| v as u32));
    }
    Ok(out)
}

/// The keys of a batch from its `{prefix}doc` and `{prefix}paragraph` columns.
fn keys(kernel: &str, batch: &RecordBatch, prefix: &str) -> Result<Vec<Key>> {
    let (doc, para) = (format!("{prefix}doc"), format!("{prefix}paragraph"));
    let docs = strings(kernel, batch, &doc)?;
    let ordinals = int32s(kernel, batch, &para)?;
    (0..batch.num_rows())
        .map(|i| Ok((required(kernel, &docs, &doc, i)?.to_string(), ordinals[i])))
        .collect()
}

/// Key columns `{prefix}doc: utf8`, `{prefix}paragraph: int32` being built.
#[derive(Default)]
struct KeyColumns {
    doc: StringBuilder,
    paragraph: Int32Builder,
}

impl KeyColumns {
    fn push(&mut self, (doc, paragraph): (&str, i32)) {
        self.doc.append_value(doc);
        self.paragraph.append_value(paragraph);
    }
    fn fields(prefix: &str) -> [Field; 2] {
        [
            Field::new(format!("{prefix}doc"), DataType::Utf8, false),
            Field::new(format!("{prefix}paragraph"), DataType::Int32, false),
        ]
    }
    fn finish(mut self) -> [ArrayRef; 2] {
        [
            Arc::new(self.doc.finish()),
            Arc::new(self.paragraph.finish()),
        ]
    }
}

/// The item field of signature lists: `int32`, never null.
fn signature_item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Int32, false))
}

fn batch(kernel: &str, fields: Vec<Field>, columns: Vec<ArrayRef>) -> Result<RecordBatch> {
    let metadata = [
        ("neardup.schema".to_string(), SCHEMA_VERSION.to_string()),
        ("neardup.kernel".to_string(), kernel.to_string()),
    ];
    let schema = Schema::new_with_metadata(fields, metadata.into_iter().collect());
    RecordBatch::try_new(Arc::new(schema), columns).map_err(|e| Error::Internal {
        what: format!("neardup.arrow.{kernel}"),
        message: e.to_string(),
    })
}

fn int32(kernel: &str, what: &str, v: u32) -> Result<i32> {
    i32::try_from(v).map_err(|_| bad(kernel, format!("{what} {v} does not fit int32")))
}

/// The two halves of a 128-bit exact hash, bit-cast to `int64` (high, low).
pub fn split_hash(hash: u128) -> (i64, i64) {
    ((hash >> 64) as u64 as i64, hash as u64 as i64)
}

/// The 128-bit exact hash from its two `int64` halves ([`split_hash`] reversed).
pub fn join_hash(hi: i64, lo: i64) -> u128 {
    ((hi as u64 as u128) << 64) | lo as u64 as u128
}

impl Kernels {
    /// Kernels for these (validated) parameters: split mode, sketch, banding, verification.
    pub fn new(params: Params) -> Self {
        let sketcher = Sketcher::new(&params);
        Kernels { params, sketcher }
    }

    /// The parameters every kernel applies.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Documents (`doc: utf8`, `text: utf8`) → one row per paragraph, split exactly as the scan
    /// splits a document (the parameters' split mode): `doc`, `paragraph` (ordinal), `line`
    /// (1-based), `byte_start`/`byte_end` (UTF-8 bytes of `text`), `text`.
    pub fn paragraphs(&self, docs: &RecordBatch) -> Result<RecordBatch> {
        const K: &str = "paragraphs";
        let names = strings(K, docs, "doc")?;
        let texts = strings(K, docs, "text")?;
        let mut key = KeyColumns::default();
        let (mut line, mut start, mut end) = (
            Int32Builder::new(),
            Int64Builder::new(),
            Int64Builder::new(),
        );
        let mut text = StringBuilder::new();
        let mut split: Vec<Paragraph> = Vec::new();
        for i in 0..docs.num_rows() {
            let name = required(K, &names, "doc", i)?;
            let body = required(K, &texts, "text", i)?;
            split.clear();
            ingest::split_paragraphs(DocId(0), body.as_bytes(), self.params.split, &mut split);
            for p in &split {
                key.push((name, int32(K, "paragraph ordinal", p.ordinal)?));
                line.append_value(int32(K, "line", p.line)?);
                start.append_value(p.span.start as i64);
                end.append_value(p.span.end as i64);
                // Spans are trimmed at whitespace, so they fall on character boundaries.
                text.append_value(body.get(p.span.clone()).unwrap_or_default());
            }
        }
        let mut fields = KeyColumns::fields("").to_vec();
        fields.extend([
            Field::new("line", DataType::Int32, false),
            Field::new("byte_start", DataType::Int64, false),
            Field::new("byte_end", DataType::Int64, false),
            Field::new("text", DataType::Utf8, false),
        ]);
        let mut columns = key.finish().to_vec();
        columns.extend([
            Arc::new(line.finish()) as ArrayRef,
            Arc::new(start.finish()),
            Arc::new(end.finish()),
            Arc::new(text.finish()),
        ]);
        batch(K, fields, columns)
    }

    /// Paragraphs (`doc`, `paragraph`, `text`; other columns ignored) → `doc`, `paragraph`,
    /// `compared` (bool), `hash_hi`/`hash_lo` (int64 halves of the 128-bit exact hash; null
    /// when not compared), `signature` (`list<int32>` of `num_perm` values, `u32` bit-cast).
    /// The one sketch path: [`Sketcher::sketch`].
    pub fn sketch(&mut self, paragraphs: &RecordBatch) -> Result<RecordBatch> {
        const K: &str = "sketch";
        let names = strings(K, paragraphs, "doc")?;
        let ordinals = int32s(K, paragraphs, "paragraph")?;
        let texts = strings(K, paragraphs, "text")?;
        let n = paragraphs.num_rows();
        let k = self.sketcher.num_perm();
        let mut key = KeyColumns::default();
        let mut compared = BooleanBuilder::with_capacity(n);
        let (mut hi, mut lo) = (
            Int64Builder::with_capacity(n),
            Int64Builder::with_capacity(n),
        );
        let mut sigs = ListBuilder::with_capacity(Int32Builder::with_capacity(n * k), n)
            .with_field(signature_item());
        let mut sig = vec![0u32; k];
        for (i, &ordinal) in ordinals.iter().enumerate() {
            key.push((required(K, &names, "doc", i)?, ordinal));
            let hash = self
                .sketcher
                .sketch(required(K, &texts, "text", i)?, &mut sig);
            compared.append_value(hash.is_some());
            let halves = hash.map(split_hash);
            hi.append_option(halves.map(|h| h.0));
            lo.append_option(halves.map(|h| h.1));
            for &v in &sig {
                sigs.values().append_value(v as i32);
            }
            sigs.append(true);
        }
        let mut fields = KeyColumns::fields("").to_vec();
        fields.extend([
            Field::new("compared", DataType::Boolean, false),
            Field::new("hash_hi", DataType::Int64, true),
            Field::new("hash_lo", DataType::Int64, true),
            Field::new("signature", DataType::List(signature_item()), false),
        ]);
        let mut columns = key.finish().to_vec();
        columns.extend([
            Arc::new(compared.finish()) as ArrayRef,
            Arc::new(hi.finish()),
            Arc::new(lo.finish()),
            Arc::new(sigs.finish()),
        ]);
        batch(K, fields, columns)
    }

    /// Sketches (`doc`, `paragraph`, `compared`, `hash_hi`, `hash_lo`) → for every compared
    /// paragraph, its exact-duplicate unit: `doc`, `paragraph`, `unit_doc`, `unit_paragraph`
    /// (the smallest key with the same exact hash), sorted by key. The batch must hold whole
    /// hash groups (an engine partitions by `hash_hi, hash_lo`). Rows whose unit is their own
    /// key are the representatives that go on to [`Kernels::band_rows`]; the others are
    /// identical links (similarity 1) for [`components`]. The scan's units are the same.
    pub fn units(&self, sketches: &RecordBatch) -> Result<RecordBatch> {
        const K: &str = "units";
        let keys = keys(K, sketches, "")?;
        let compared = booleans(K, sketches, "compared")?;
        let (hi, lo) = (
            int64s(K, sketches, "hash_hi")?,
            int64s(K, sketches, "hash_lo")?,
        );
        let mut groups: BTreeMap<(i64, i64), Vec<usize>> = BTreeMap::new();
        for i in 0..keys.len() {
            if !compared[i] {
                continue;
            }
            let (Some(h), Some(l)) = (hi[i], lo[i]) else {
                return Err(bad(K, format!("row {i} is compared but has a null hash")));
            };
            groups.entry((h, l)).or_default().push(i);
        }
        let mut rows: Vec<(&Key, &Key)> = Vec::new();
        for members in groups.values() {
            let unit = members.iter().map(|&i| &keys[i]).min().expect("non-empty");
            rows.extend(members.iter().map(|&i| (&keys[i], unit)));
        }
        rows.sort_unstable();
        pair_batch(K, ("", "unit_"), rows, Vec::new())
    }

    /// Sketches of unit representatives (`doc`, `paragraph`, `compared`, `signature`) → one
    /// row per band of every compared row: `band` (int32), `band_key` (int64, the `u64` of
    /// [`lsh::band_key`] bit-cast), `doc`, `paragraph`, in input order then band order.
    pub fn band_rows(&self, sketches: &RecordBatch) -> Result<RecordBatch> {
        const K: &str = "band_rows";
        let keys = keys(K, sketches, "")?;
        let compared = booleans(K, sketches, "compared")?;
        let k = self.params.num_perm;
        let sigs = signatures(K, sketches, "signature", k)?;
        let lsh = self.params.lsh();
        let (mut band, mut band_key) = (Int32Builder::new(), Int64Builder::new());
        let mut key = KeyColumns::default();
        for (i, (doc, paragraph)) in keys.iter().enumerate() {
            if !compared[i] {
                continue;
            }
            let sig = &sigs[i * k..(i + 1) * k];
            for b in 0..lsh.bands {
                band.append_value(b as i32);
                band_key.append_value(lsh::band_key(sig, b, lsh.rows) as i64);
                key.push((doc, *paragraph));
            }
        }
        let mut fields = vec![
            Field::new("band", DataType::Int32, false),
            Field::new("band_key", DataType::Int64, false),
        ];
        fields.extend(KeyColumns::fields(""));
        let mut columns: Vec<ArrayRef> = vec![Arc::new(band.finish()), Arc::new(band_key.finish())];
        columns.extend(key.finish());
        batch(K, fields, columns)
    }

    /// Band rows (`band`, `band_key`, `doc`, `paragraph`) → candidate pairs `a_doc`,
    /// `a_paragraph`, `b_doc`, `b_paragraph` with key a < key b, sorted, without repeats in the
    /// batch (an engine takes the distinct pairs over all batches). The batch must hold whole
    /// buckets (partition by `band, band_key`). The rule is the scan's own,
    /// [`lsh::bucket_pairs`]: members in key order, each paired with the next
    /// [`lsh::BUCKET_WINDOW`].
    pub fn candidates(&self, bucket_rows: &RecordBatch) -> Result<RecordBatch> {
        self.candidates_counted(bucket_rows).map(|(pairs, _)| pairs)
    }

    /// [`Kernels::candidates`] and the number of buckets in the batch over the window
    /// (more than [`lsh::BUCKET_WINDOW`] + 1 members: the report's `capped_buckets`, summed
    /// over all batches of all bands).
    pub fn candidates_counted(&self, bucket_rows: &RecordBatch) -> Result<(RecordBatch, usize)> {
        const K: &str = "candidates";
        let band = int32s(K, bucket_rows, "band")?;
        let band_key = int64s(K, bucket_rows, "band_key")?;
        let keys = keys(K, bucket_rows, "")?;
        let mut rows: Vec<(i32, i64, &Key)> = Vec::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            let bk = band_key[i].ok_or_else(|| bad(K, format!("`band_key` is null in row {i}")))?;
            rows.push((band[i], bk, key));
        }
        rows.sort_unstable();
        rows.dedup();
        let mut pairs: Vec<(&Key, &Key)> = Vec::new();
        let mut capped = 0;
        for bucket in rows.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            if lsh::bucket_pairs(bucket, |r| r.2, |a, b| pairs.push((a, b))) {
                capped += 1;
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        Ok((pair_batch(K, ("a_", "b_"), pairs, Vec::new())?, capped))
    }

    /// Candidate pairs (`a_doc`, `a_paragraph`, `b_doc`, `b_paragraph`, `a_signature`,
    /// `b_signature`, and optionally `a_text`, `b_text`: the units' representative texts; a
    /// missing or null text falls back to the estimate, as the scan does for an unavailable
    /// source) → the pairs that pass, in input order: the four key columns, `similarity`
    /// (float64), `method` (`"estimate"` or `"exact"`). The decision is [`Sketcher::verify`].
    pub fn verify(&mut self, pairs: &RecordBatch) -> Result<RecordBatch> {
        const K: &str = "verify";
        let (a, b) = (keys(K, pairs, "a_")?, keys(K, pairs, "b_")?);
        let k = self.params.num_perm;
        let (sa, sb) = (
            signatures(K, pairs, "a_signature", k)?,
            signatures(K, pairs, "b_signature", k)?,
        );
        let optional = |name| match pairs.column_by_name(name) {
            Some(_) => strings(K, pairs, name).map(Some),
            None => Ok(None),
        };
        let (ta, tb) = (optional("a_text")?, optional("b_text")?);
        let mut out: Vec<(&Key, &Key)> = Vec::new();
        let (mut similarity, mut method) = (Vec::new(), Vec::new());
        for i in 0..a.len() {
            let texts = || Some((ta.as_ref()?.get(i)?, tb.as_ref()?.get(i)?));
            let decided =
                self.sketcher
                    .verify(&sa[i * k..(i + 1) * k], &sb[i * k..(i + 1) * k], texts);
            if let Some((s, m)) = decided {
                out.push((&a[i], &b[i]));
                similarity.push(s);
                method.push(match m {
                    SimilarityMethod::Estimate => "estimate",
                    SimilarityMethod::Exact => "exact",
                });
            }
        }
        let extra = vec![
            (
                Field::new("similarity", DataType::Float64, false),
                Arc::new(arrow_array::Float64Array::from(similarity)) as ArrayRef,
            ),
            (
                Field::new("method", DataType::Utf8, false),
                Arc::new(arrow_array::StringArray::from(method)),
            ),
        ];
        pair_batch(K, ("a_", "b_"), out, extra)
    }
}

/// A batch of key pairs: `{prefixes.0}doc`, `{prefixes.0}paragraph`, `{prefixes.1}doc`,
/// `{prefixes.1}paragraph`, then the `extra` columns.
fn pair_batch<'k>(
    kernel: &str,
    prefixes: (&str, &str),
    pairs: impl IntoIterator<Item = (&'k Key, &'k Key)>,
    extra: Vec<(Field, ArrayRef)>,
) -> Result<RecordBatch> {
    let (mut a, mut b) = (KeyColumns::default(), KeyColumns::default());
    for (x, y) in pairs {
        a.push((&x.0, x.1));
        b.push((&y.0, y.1));
    }
    let mut fields = KeyColumns::fields(prefixes.0).to_vec();
    fields.extend(KeyColumns::fields(prefixes.1));
    let mut columns = a.finish().to_vec();
    columns.extend(b.finish());
    for (field, column) in extra {
        fields.push(field);
        columns.push(column);
    }
    batch(kernel, fields, columns)
}

/// Edges (`a_doc`, `a_paragraph`, `b_doc`, `b_paragraph`; other columns ignored: identical
/// links from [`Kernels::units`] and verified links from [`Kernels::verify`]) → one row per
/// key that appears: `doc`, `paragraph`, `component_doc`, `component_paragraph` (the smallest
/// key of its connected component), sorted by key. Union-find over the batch, which must hold
/// the whole graph (a driver collects the edges, or runs large-star/small-star and calls this
/// per partition). With every identical and verified link, the components are the scan's
/// clusters.
pub fn components(edges: &RecordBatch) -> Result<RecordBatch> {
    const K: &str = "components";
    let (a, b) = (keys(K, edges, "a_")?, keys(K, edges, "b_")?);
    let mut nodes: Vec<&Key> = a.iter().chain(&b).collect();
    nodes.sort_unstable();
    nodes.dedup();
    let id = |k: &Key| nodes.binary_search(&k).expect("every key is a node") as u32;
    let mut uf = UnionFind::new(nodes.len());
    for (x, y) in a.iter().zip(&b) {
        uf.union(id(x), id(y));
    }
    // Components come sorted, members ascending: the first is the smallest key.
    let mut label = vec![0u32; nodes.len()];
    for comp in uf.components(1) {
        for &m in &comp {
            label[m as usize] = comp[0];
        }
    }
    let rows = nodes
        .iter()
        .enumerate()
        .map(|(i, &node)| (node, nodes[label[i] as usize]));
    pair_batch(K, ("", "component_"), rows, Vec::new())
}

/// Edges grouped by their `a_` end (`a_doc`, `a_paragraph`, `b_doc`, `b_paragraph`; the batch
/// holds every row of each `a_` key in it): the neighbours of each node.
fn neighbourhoods<'k>(kernel: &str, a: &'k [Key], b: &'k [Key]) -> Vec<(&'k Key, Vec<&'k Key>)> {
    let _ = kernel;
    let mut rows: Vec<(&Key, &Key)> = a.iter().zip(b).filter(|(x, y)| x != y).collect();
    rows.sort_unstable();
    rows.dedup();
    rows.chunk_by(|x, y| x.0 == y.0)
        .map(|g| (g[0].0, g.iter().map(|r| r.1).collect()))
        .collect()
}

/// Large-star, one step of the distributed connected components (Kiveris et al., "Connected
/// Components in MapReduce and Beyond", 2014): edges in both directions, the batch holding
/// every edge of each `a_` node → for each node `u`, with `m` the smallest of `u` and its
/// neighbours, an edge `(v, m)` for every neighbour `v > u`. Output edges are oriented
/// larger key → smaller key (`a_` > `b_`), sorted and distinct within the batch.
pub fn large_star(edges: &RecordBatch) -> Result<RecordBatch> {
    const K: &str = "large_star";
    let (a, b) = (keys(K, edges, "a_")?, keys(K, edges, "b_")?);
    let mut out: Vec<(&Key, &Key)> = Vec::new();
    for (u, neighbours) in neighbourhoods(K, &a, &b) {
        let m = neighbours[0].min(u);
        out.extend(neighbours.iter().filter(|&&v| v > u).map(|&v| (v, m)));
    }
    out.sort_unstable();
    out.dedup();
    pair_batch(K, ("a_", "b_"), out, Vec::new())
}

/// Small-star, the other step: edges oriented larger → smaller key (`a_` > `b_`), the batch
/// holding every edge of each `a_` node → for each node `u` with smaller neighbours `N`, `m`
/// the smallest of them, an edge `(v, m)` for every `v` in `N ∪ {u}` other than `m`. Output
/// oriented as the input, sorted and distinct within the batch. Alternating both steps until
/// the edge set no longer changes leaves each component a star around its smallest key: the
/// label of [`components`].
pub fn small_star(edges: &RecordBatch) -> Result<RecordBatch> {
    const K: &str = "small_star";
    let (a, b) = (keys(K, edges, "a_")?, keys(K, edges, "b_")?);
    let mut out: Vec<(&Key, &Key)> = Vec::new();
    for (u, smaller) in neighbourhoods(K, &a, &b) {
        if let Some(v) = smaller.iter().find(|&&v| v > u) {
            return Err(bad(
                K,
                format!("edge {u:?} → {v:?} is not oriented from the larger key to the smaller"),
            ));
        }
        let m = smaller[0];
        out.extend(smaller[1..].iter().map(|&v| (v, m)));
        out.push((u, m));
    }
    out.sort_unstable();
    out.dedup();
    pair_batch(K, ("a_", "b_"), out, Vec::new())
}

fn int64_values(kernel: &str, batch: &RecordBatch, name: &str) -> Result<Vec<i64>> {
    int64s(kernel, batch, name)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| v.ok_or_else(|| bad(kernel, format!("column `{name}` is null in row {i}"))))
        .collect()
}

fn unsigned(kernel: &str, what: &str, v: i64) -> Result<u32> {
    u32::try_from(v).map_err(|_| bad(kernel, format!("{what} {v} is out of range")))
}

/// A distributed scan's collected rows → the scan's [`Report`](crate::Report) ([`Scanner::assemble`](crate::Scanner::assemble)):
/// `documents` (`doc`, `paragraphs` int64, `paragraph_bytes` int64: every document; an
/// optional `name` string column when `doc` is an order key only: the name reports show),
/// `members` (`doc`, `paragraph`, `line`, `byte_start`, `byte_end`, `text`, `unit_doc`,
/// `unit_paragraph`, `signature` `list<int32>`, null except for unit representatives: every
/// paragraph of a cluster), `links` (`a_doc`, `a_paragraph`, `b_doc`, `b_paragraph`,
/// `similarity` float64, `method` `"estimate"`/`"exact"`: the verified links), the counts
/// over all paragraphs and the skips. Column layouts as [`Kernels`] write them.
pub fn assemble(
    scanner: &crate::Scanner,
    documents: &RecordBatch,
    members: &RecordBatch,
    links: &RecordBatch,
    counts: crate::scan::Counts,
    skipped: Vec<ingest::Skipped>,
) -> Result<crate::Report> {
    let (documents, names) = collected_documents(documents)?;
    scanner.assemble(crate::scan::Collected {
        documents,
        members: collected_members(members, scanner.params().num_perm)?,
        links: collected_links(links)?,
        counts,
        skipped,
        names,
    })
}

const ASSEMBLE: &str = "assemble";

/// `assemble`'s documents → their stats keyed by `doc`, and the names of those with a `name`.
fn collected_documents(
    documents: &RecordBatch,
) -> Result<(
    Vec<crate::report::DocumentStats>,
    std::collections::HashMap<String, String>,
)> {
    const K: &str = ASSEMBLE;
    let docs = strings(K, documents, "doc")?;
    let (paras, bytes) = (
        int64_values(K, documents, "paragraphs")?,
        int64_values(K, documents, "paragraph_bytes")?,
    );
    let shown = match documents.column_by_name("name") {
        Some(_) => Some(strings(K, documents, "name")?),
        None => None,
    };
    let mut doc_stats = Vec::with_capacity(documents.num_rows());
    let mut names = std::collections::HashMap::new();
    for i in 0..documents.num_rows() {
        let key = required(K, &docs, "doc", i)?.to_string();
        if let Some(shown) = &shown {
            names.insert(key.clone(), required(K, shown, "name", i)?.to_string());
        }
        doc_stats.push(crate::report::DocumentStats {
            path: key,
            paragraphs: unsigned(K, "paragraph count", paras[i])?,
            paragraph_bytes: bytes[i].max(0) as u64,
        });
    }
    Ok((doc_stats, names))
}

/// `assemble`'s members → the clustered paragraphs (signatures of `k` values where present).
fn collected_members(
    members: &RecordBatch,
    k: usize,
) -> Result<Vec<crate::scan::CollectedParagraph>> {
    const K: &str = ASSEMBLE;
    let keys_m = keys(K, members, "")?;
    let units = keys(K, members, "unit_")?;
    let lines = int32s(K, members, "line")?;
    let (starts, ends) = (
        int64_values(K, members, "byte_start")?,
        int64_values(K, members, "byte_end")?,
    );
    let texts = strings(K, members, "text")?;
    let sig_col = column(K, members, "signature")?;
    let mut collected = Vec::with_capacity(members.num_rows());
    for (i, ((doc, ordinal), unit)) in keys_m.into_iter().zip(units).enumerate() {
        let signature = if sig_col.is_null(i) {
            None
        } else {
            Some(signatures(K, &members.slice(i, 1), "signature", k)?)
        };
        collected.push(crate::scan::CollectedParagraph {
            doc,
            paragraph: unsigned(K, "paragraph", ordinal as i64)?,
            line: unsigned(K, "line", lines[i] as i64)?,
            span: starts[i].max(0) as usize..ends[i].max(0) as usize,
            text: required(K, &texts, "text", i)?.to_string(),
            unit: (unit.0, unsigned(K, "unit paragraph", unit.1 as i64)?),
            signature,
        });
    }
    Ok(collected)
}

/// `assemble`'s links → the verified links.
fn collected_links(links: &RecordBatch) -> Result<Vec<crate::scan::CollectedLink>> {
    const K: &str = ASSEMBLE;
    let (la, lb) = (keys(K, links, "a_")?, keys(K, links, "b_")?);
    let sims = column(K, links, "similarity")?
        .as_primitive_opt::<arrow_array::types::Float64Type>()
        .ok_or_else(|| bad(K, "column `similarity` is not float64"))?
        .values()
        .to_vec();
    let methods = strings(K, links, "method")?;
    let key =
        |(d, p): Key| -> Result<(String, u32)> { Ok((d, unsigned(K, "paragraph", p as i64)?)) };
    let mut collected = Vec::with_capacity(links.num_rows());
    for (i, (a, b)) in la.into_iter().zip(lb).enumerate() {
        let method = match required(K, &methods, "method", i)? {
            "estimate" => SimilarityMethod::Estimate,
            "exact" => SimilarityMethod::Exact,
            m => {
                return Err(bad(
                    K,
                    format!("link method {m:?} is not estimate or exact"),
                ))
            }
        };
        collected.push(crate::scan::CollectedLink {
            a: key(a)?,
            b: key(b)?,
            similarity: sims[i],
            method,
        });
    }
    Ok(collected)
}

/// A `list<int64>` column of `docs` as one optional vector per row (null stays `None`).
fn int64_lists(kernel: &str, docs: &RecordBatch, name: &str) -> Result<Vec<Option<Vec<i64>>>> {
    let c = column(kernel, docs, name)?;
    let list = c.as_list_opt::<i32>().ok_or_else(|| {
        bad(
            kernel,
            format!("column `{name}` is {}, not list<int64>", c.data_type()),
        )
    })?;
    (0..list.len())
        .map(|i| {
            if list.is_null(i) {
                return Ok(None);
            }
            let v = list.value(i);
            let v = v.as_primitive_opt::<Int64Type>().ok_or_else(|| {
                bad(
                    kernel,
                    format!("column `{name}` holds {}, not int64", v.data_type()),
                )
            })?;
            Ok(Some(v.values().to_vec()))
        })
        .collect()
}

/// `text` of document `name` with the paragraphs at byte spans `starts[i]..ends[i]` deleted,
/// through the very functions `neardup dedup` deletes with.
fn without_spans(
    name: &str,
    text: &str,
    starts: &[i64],
    ends: &[i64],
    split: crate::config::SplitMode,
) -> Result<String> {
    let removals: Vec<crate::dedup::Removal> = starts
        .iter()
        .zip(ends)
        .map(|(&s, &e)| {
            let (s, e) = (s.max(0) as usize, e.max(0) as usize);
            crate::dedup::Removal {
                path: name.to_string(),
                paragraph: 0,
                line: 0,
                byte_start: s as u64,
                byte_end: e as u64,
                cluster: 0,
                boilerplate: false,
                kept: None,
                text: text.get(s..e).unwrap_or("\u{FFFD}").to_string(),
            }
        })
        .collect();
    let refs: Vec<&crate::dedup::Removal> = removals.iter().collect();
    let ranges =
        crate::dedup::deletion_ranges(std::path::Path::new(name), text.as_bytes(), split, &refs)?;
    let edited = crate::dedup::apply(text.as_bytes(), &ranges);
    // Whole lines of valid UTF-8 go: the rest stays valid.
    Ok(String::from_utf8_lossy(&edited).into_owned())
}

/// Documents with the paragraphs to remove (`doc`, `text`, `byte_start` and `byte_end`:
/// `list<int64>` spans of the removed paragraphs in `text`, null or empty for none) → `doc`,
/// `text` with those paragraphs deleted exactly as `neardup dedup` deletes them from a file or
/// a dataset record (whole lines; with `split` blank, the blank lines after a block; with
/// `split` document, all of the text). A span that is not a paragraph of the text is an error
/// naming the document.
pub fn remove_paragraphs(
    split: crate::config::SplitMode,
    docs: &RecordBatch,
) -> Result<RecordBatch> {
    const K: &str = "remove_paragraphs";
    let names = strings(K, docs, "doc")?;
    let texts = strings(K, docs, "text")?;
    let starts = int64_lists(K, docs, "byte_start")?;
    let ends = int64_lists(K, docs, "byte_end")?;
    let mut doc_out = StringBuilder::new();
    let mut text_out = StringBuilder::new();
    for i in 0..docs.num_rows() {
        let name = required(K, &names, "doc", i)?;
        let text = required(K, &texts, "text", i)?;
        doc_out.append_value(name);
        let (s, e) = (
            starts[i].as_deref().unwrap_or(&[]),
            ends[i].as_deref().unwrap_or(&[]),
        );
        if s.len() != e.len() {
            return Err(bad(
                K,
                format!("{name}: byte_start and byte_end differ in length"),
            ));
        }
        if s.is_empty() {
            text_out.append_value(text);
        } else {
            text_out.append_value(without_spans(name, text, s, e, split)?);
        }
    }
    batch(
        K,
        vec![
            Field::new("doc", DataType::Utf8, false),
            Field::new("text", DataType::Utf8, false),
        ],
        vec![Arc::new(doc_out.finish()), Arc::new(text_out.finish())],
    )
}

//! Compression: a byte stream → the decompressed byte stream, whatever it was compressed with.
//!
//! Input: any reader (a file, standard input) and what its name says (`.gz`, `.zst`).
//! Output: a buffered reader of the decompressed bytes, streamed (nothing is read ahead beyond
//! a buffer). Invariants: the magic number decides, not the name, so a gzip file named `.txt`
//! is still read right; a name that promises compression the bytes do not have is an error
//! (the file is probably truncated or mislabelled, and reading it as text would index garbage).
//! Concatenated gzip members (as in `.warc.gz`) and multi-frame zstd files are read whole.

use std::io::{self, BufRead, BufReader, Read};

use ruzstd::decoding::{FrameDecoder, StreamingDecoder};

/// A compression format neardup reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip (RFC 1952), possibly several members back to back.
    Gzip,
    /// Zstandard, possibly several frames back to back.
    Zstd,
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

impl Compression {
    /// The compression a file name promises (`.gz`, `.zst`, `.zstd`), and the name without it.
    pub fn from_name(name: &str) -> (Compression, &str) {
        let lower = name.to_ascii_lowercase();
        for (suffix, c) in [
            (".gz", Compression::Gzip),
            (".zst", Compression::Zstd),
            (".zstd", Compression::Zstd),
        ] {
            if lower.ends_with(suffix) {
                return (c, &name[..name.len() - suffix.len()]);
            }
        }
        (Compression::None, name)
    }

    /// The compression the first bytes of a stream show.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(GZIP_MAGIC) {
            Compression::Gzip
        } else if head.starts_with(ZSTD_MAGIC) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// A decompressed, buffered byte stream.
pub type Reader<'a> = Box<dyn BufRead + Send + 'a>;

/// [`open_detected`] without the compression found (the property tests' entry point).
#[cfg(all(test, feature = "html"))]
pub fn open<'a, R: Read + Send + 'a>(source: R, named: Compression) -> io::Result<Reader<'a>> {
    open_detected(source, named).map(|(reader, _)| reader)
}

/// Wrap `source` in the decompressor its magic number calls for, and say which compression
/// the magic number showed. `named` is what the file name promises: a mismatch with the magic
/// is an error (an empty stream is never one).
pub fn open_detected<'a, R: Read + Send + 'a>(
    mut source: R,
    named: Compression,
) -> io::Result<(Reader<'a>, Compression)> {
    // Pipes may deliver a byte at a time: read until the magic's 4 bytes are in or EOF, then
    // put them back in front of the stream.
    let mut head = Vec::with_capacity(4);
    let mut byte = [0u8; 4];
    while head.len() < 4 {
        let got = match source.read(&mut byte[..4 - head.len()]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if got == 0 {
            break;
        }
        head.extend_from_slice(&byte[..got]);
    }
    let found = Compression::sniff(&head);
    if named != Compression::None && found != named && !head.is_empty() {
        let what = match named {
            Compression::Gzip => "gzip",
            _ => "zstd",
        };
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "the name says {what} but the data is not {what}-compressed (truncated or \
                 mislabelled file?)"
            ),
        ));
    }
    let buffered = BufReader::with_capacity(1 << 16, io::Cursor::new(head).chain(source));
    let reader: Reader<'a> = match found {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(buffered),
        )),
        Compression::Zstd => Box::new(BufReader::with_capacity(
            1 << 16,
            ZstdReader::new(buffered)?,
        )),
    };
    Ok((reader, found))
}

/// Reads every frame of a zstd stream (ruzstd's decoder reads one frame).
struct ZstdReader<R: BufRead> {
    decoder: Option<StreamingDecoder<R, FrameDecoder>>,
}

impl<R: BufRead> ZstdReader<R> {
    fn new(source: R) -> io::Result<Self> {
        Ok(ZstdReader {
            decoder: Some(StreamingDecoder::new(source).map_err(zstd_error)?),
        })
    }
}

fn zstd_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}"))
}

impl<R: BufRead> Read for ZstdReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // End of a frame: another may follow.
            let Some(mut source) = self.decoder.take().map(|d| d.into_inner()) else {
                return Ok(0);
            };
            if source.fill_buf()?.is_empty() {
                return Ok(0);
            }
            self.decoder = Some(StreamingDecoder::new(source).map_err(zstd_error)?);
        }
    }
}

/// A stream that fails once more than `limit` bytes have come out of it: the bound on what one
/// (decompressed) file may hold, so a decompression bomb stops with an error instead of
/// filling memory or disk.
pub struct Limited<R> {
    inner: R,
    limit: u64,
    passed: u64,
    flag: &'static str,
}

impl<R: BufRead> Limited<R> {
    /// Bound `inner` to `limit` bytes; `flag` names the option that sets the limit, for the
    /// error message.
    pub fn new(inner: R, limit: u64, flag: &'static str) -> Self {
        Limited {
            inner,
            limit,
            passed: 0,
            flag,
        }
    }

    fn check(&self) -> io::Result<()> {
        if self.passed > self.limit {
            return Err(over_limit(self.limit, self.flag));
        }
        Ok(())
    }
}

/// The error of a stream or record over its size bound.
pub fn over_limit(limit: u64, flag: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "more than {limit} bytes once decompressed, over the limit ({flag} raises it; a \
             decompression bomb?)"
        ),
    )
}

impl<R: BufRead> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.check()?;
        let n = self.inner.read(buf)?;
        self.passed += n as u64;
        self.check()?;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Limited<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.check()?;
        // Never hand out more than one byte past the limit: what is consumed beyond it fails
        // the next call.
        let room = (self.limit - self.passed).saturating_add(1);
        let buf = self.inner.fill_buf()?;
        let len = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        Ok(&buf[..len])
    }

    fn consume(&mut self, amt: usize) {
        self.passed += amt as u64;
        self.inner.consume(amt);
    }
}

//! Getting text out of a published file: which files a path or upload holds (CSV, TSV, or a
//! ZIP of them), which character encoding they use, and which delimiter. Everything here
//! streams: a file is read a block at a time, never loaded whole.

use std::io::{self, BufRead, Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use encoding_rs::{Decoder, Encoding, UTF_8, WINDOWS_1252};

/// How much of a file is read up front to decide its encoding and delimiter.
const SNIFF_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{file}: cannot be read: {source}")]
    Io {
        file: String,
        #[source]
        source: io::Error,
    },
    #[error("{file}: is not a ZIP archive that can be opened ({detail})")]
    Zip { file: String, detail: String },
    #[error(
        "{file}: the ZIP archive holds no CSV or TSV files (it has: {members}). Extract the spend file and import it directly."
    )]
    EmptyZip { file: String, members: String },
    #[error("{file}: is empty")]
    Empty { file: String },
    #[error(
        "{file}: looks like a spreadsheet (Excel) file, not CSV. Save it as CSV (\"CSV UTF-8\" in Excel) and import that."
    )]
    Spreadsheet { file: String },
}

/// Counts the bytes a reader has handed out, for the progress bar.
#[derive(Clone, Default)]
pub struct Progress(pub Arc<AtomicU64>);

impl Progress {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

struct Counting<R> {
    inner: R,
    progress: Progress,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Which character encoding a file uses, and how that was decided (for the report).
#[derive(Debug, Clone, Copy)]
pub struct Sniffed {
    pub encoding: &'static Encoding,
    pub bom: bool,
    pub delimiter: u8,
    /// Lines end with a lone CR (classic Mac OS exports): line numbers then count records.
    pub cr_only: bool,
}

impl Sniffed {
    pub fn encoding_name(&self) -> String {
        let mut s = self.encoding.name().to_owned();
        if self.bom {
            s.push_str(" (with byte-order mark)");
        }
        s
    }

    pub fn delimiter_name(&self) -> &'static str {
        match self.delimiter {
            b'\t' => "tab",
            b';' => "semicolon",
            b'|' => "pipe",
            _ => "comma",
        }
    }
}

/// Decides encoding and delimiter from the start of a file. Byte-order marks are trusted;
/// otherwise text that is valid UTF-8 is UTF-8, and anything else goes to chardetng, which in
/// practice finds Windows-1252 (the "£" in `Amount £ (Excl VAT)` is byte 0xA3 there).
pub fn sniff(head: &[u8], at_eof: bool) -> Sniffed {
    let (encoding, bom) = match Encoding::for_bom(head) {
        Some((enc, _)) => (enc, true),
        None => {
            let valid_utf8 = match std::str::from_utf8(head) {
                Ok(_) => true,
                // A multi-byte character cut by the end of the sample is still UTF-8.
                Err(e) => !at_eof && e.error_len().is_none(),
            };
            if valid_utf8 {
                (UTF_8, false)
            } else {
                let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
                det.feed(head, at_eof);
                let guess = det.guess(Some(b"uk"), chardetng::Utf8Detection::Deny);
                // Council files are English: a guess of a far-away legacy encoding is a
                // worse bet than Windows-1252, which is what Excel on a UK PC writes.
                let enc = if guess.is_single_byte() {
                    guess
                } else {
                    WINDOWS_1252
                };
                (enc, false)
            }
        }
    };
    let (text, _, _) = encoding.decode(head);
    let cr_only = !text.contains('\n') && text.contains('\r');
    Sniffed {
        encoding,
        bom,
        delimiter: sniff_delimiter(&text),
        cr_only,
    }
}

/// The delimiter that splits the first lines into the same number of cells most often, and
/// into more than one. Quoted text is skipped, so commas inside "Children, Young People"
/// do not count.
fn sniff_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text
        .split(['\n', '\r'])
        .filter(|l| !l.trim().is_empty())
        .take(60)
        .collect();
    let mut best = (b',', 0usize);
    for d in [b',', b'\t', b';', b'|'] {
        let mut freq: std::collections::HashMap<usize, usize> = Default::default();
        for line in &lines {
            let mut in_quotes = false;
            let mut n = 0;
            for b in line.bytes() {
                if b == b'"' {
                    in_quotes = !in_quotes;
                } else if b == d && !in_quotes {
                    n += 1;
                }
            }
            if n > 0 {
                *freq.entry(n).or_default() += 1;
            }
        }
        // Lines agreeing on one count of delimiters (the header and its data rows).
        let score = freq.values().copied().max().unwrap_or(0);
        if score > best.1 {
            best = (d, score);
        }
    }
    best.0
}

/// Turns bytes in any encoding into UTF-8 as they stream past.
pub struct Decoding<R> {
    inner: R,
    decoder: Decoder,
    raw: Vec<u8>,
    raw_len: usize,
    out: Vec<u8>,
    out_pos: usize,
    out_len: usize,
    done: bool,
}

impl<R: Read> Decoding<R> {
    pub fn new(inner: R, encoding: &'static Encoding) -> Decoding<R> {
        Decoding {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            raw: vec![0; 64 * 1024],
            raw_len: 0,
            out: vec![0; 3 * 64 * 1024 + 16],
            out_pos: 0,
            out_len: 0,
            done: false,
        }
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.fill_buf()?.len().min(buf.len());
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Decoding<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.out_pos == self.out_len && !self.done {
            let n = loop {
                match self.inner.read(&mut self.raw[self.raw_len..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            self.raw_len += n;
            let last = n == 0;
            let (_, read, written, _) =
                self.decoder
                    .decode_to_utf8(&self.raw[..self.raw_len], &mut self.out, last);
            self.raw.copy_within(read..self.raw_len, 0);
            self.raw_len -= read;
            self.out_pos = 0;
            self.out_len = written;
            if last {
                self.done = true;
            }
        }
        Ok(&self.out[self.out_pos..self.out_len])
    }

    fn consume(&mut self, amt: usize) {
        self.out_pos = (self.out_pos + amt).min(self.out_len);
    }
}

#[derive(Clone)]
/// One CSV to import: its name as shown in reports (`archive.zip!member.csv` for a ZIP
/// member), its size for the progress bar, and the means to read it once.
pub struct Input {
    pub name: String,
    pub size: u64,
    pub sha256: String,
    open: Opener,
}

#[derive(Clone)]
enum Opener {
    File(std::path::PathBuf),
    Bytes(Arc<Vec<u8>>),
    ZipMember { archive: ZipArchive, index: usize },
}

#[derive(Clone)]
enum ZipArchive {
    File(std::path::PathBuf),
    Bytes(Arc<Vec<u8>>),
}

fn is_spreadsheet(head: &[u8]) -> bool {
    // OLE2 (.xls) and the ZIP-based .xlsx (a ZIP whose members are xl/…) are caught apart.
    head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

fn looks_like_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04")
}

fn wanted_member(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !lower.starts_with("__macosx/")
        && !lower.ends_with('/')
        && (lower.ends_with(".csv") || lower.ends_with(".tsv") || lower.ends_with(".txt"))
}

fn sha256_hex(mut r: impl Read) -> io::Result<String> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(crate::accounts::session::hex(&h.finalize()))
}

fn zip_inputs<RS: Read + io::Seek>(
    file: &str,
    reader: RS,
    archive: ZipArchive,
) -> Result<Vec<Input>, SourceError> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| SourceError::Zip {
        file: file.into(),
        detail: e.to_string(),
    })?;
    let mut out = Vec::new();
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let mut member = zip.by_index(i).map_err(|e| SourceError::Zip {
            file: file.into(),
            detail: e.to_string(),
        })?;
        let name = member.name().map(|n| n.into_owned()).unwrap_or_default();
        if name.starts_with("xl/") {
            return Err(SourceError::Spreadsheet { file: file.into() });
        }
        names.push(name.clone());
        if !wanted_member(&name) {
            continue;
        }
        let size = member.size();
        let sha256 = sha256_hex(&mut member).map_err(|e| SourceError::Io {
            file: format!("{file}!{name}"),
            source: e,
        })?;
        out.push(Input {
            name: format!("{file}!{name}"),
            size,
            sha256,
            open: Opener::ZipMember {
                archive: archive.clone(),
                index: i,
            },
        });
    }
    if out.is_empty() {
        return Err(SourceError::EmptyZip {
            file: file.into(),
            members: if names.is_empty() {
                "nothing".into()
            } else {
                names.join(", ")
            },
        });
    }
    Ok(out)
}

/// The CSVs a path holds: itself, or the CSV/TSV members of a ZIP.
pub fn inputs_from_path(path: &std::path::Path) -> Result<Vec<Input>, SourceError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let io_err = |e| SourceError::Io {
        file: name.clone(),
        source: e,
    };
    let mut f = std::fs::File::open(path).map_err(io_err)?;
    let size = f.metadata().map_err(io_err)?.len();
    let mut head = [0u8; 8];
    let n = f.read(&mut head).map_err(io_err)?;
    if n == 0 {
        return Err(SourceError::Empty { file: name });
    }
    if is_spreadsheet(&head[..n]) {
        return Err(SourceError::Spreadsheet { file: name });
    }
    if looks_like_zip(&head[..n]) {
        let f = std::fs::File::open(path).map_err(io_err)?;
        return zip_inputs(
            &name,
            io::BufReader::new(f),
            ZipArchive::File(path.to_owned()),
        );
    }
    let sha256 = sha256_hex(std::fs::File::open(path).map_err(io_err)?).map_err(io_err)?;
    Ok(vec![Input {
        name,
        size,
        sha256,
        open: Opener::File(path.to_owned()),
    }])
}

/// The CSVs of an uploaded file (held in memory by the web server, which caps its size).
pub fn inputs_from_bytes(name: &str, bytes: Vec<u8>) -> Result<Vec<Input>, SourceError> {
    if bytes.is_empty() {
        return Err(SourceError::Empty { file: name.into() });
    }
    if is_spreadsheet(&bytes) {
        return Err(SourceError::Spreadsheet { file: name.into() });
    }
    let bytes = Arc::new(bytes);
    if looks_like_zip(&bytes) {
        return zip_inputs(
            name,
            Cursor::new(bytes.as_slice()),
            ZipArchive::Bytes(bytes.clone()),
        );
    }
    let sha256 = sha256_hex(bytes.as_slice()).map_err(|e| SourceError::Io {
        file: name.into(),
        source: e,
    })?;
    Ok(vec![Input {
        name: name.into(),
        size: bytes.len() as u64,
        sha256,
        open: Opener::Bytes(bytes),
    }])
}

struct ArcBytes(Arc<Vec<u8>>);
impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

impl Input {
    /// Reads the file once: `f` gets its sniffed encoding and delimiter and a reader of its
    /// text as UTF-8. Reading advances `progress` by the raw bytes consumed.
    pub fn read<T>(
        &self,
        progress: Progress,
        f: impl FnOnce(Sniffed, &mut dyn BufRead) -> T,
    ) -> Result<T, SourceError> {
        let io_err = |e| SourceError::Io {
            file: self.name.clone(),
            source: e,
        };
        let zip_err = |e: zip::result::ZipError| SourceError::Zip {
            file: self.name.clone(),
            detail: e.to_string(),
        };
        match &self.open {
            Opener::File(p) => {
                let file = std::fs::File::open(p).map_err(io_err)?;
                self.read_from(file, progress, f)
            }
            Opener::Bytes(b) => self.read_from(Cursor::new(ArcBytes(b.clone())), progress, f),
            Opener::ZipMember { archive, index } => match archive {
                ZipArchive::File(p) => {
                    let file = std::fs::File::open(p).map_err(io_err)?;
                    let mut z = zip::ZipArchive::new(io::BufReader::new(file)).map_err(zip_err)?;
                    let member = z.by_index(*index).map_err(zip_err)?;
                    self.read_from(member, progress, f)
                }
                ZipArchive::Bytes(b) => {
                    let mut z =
                        zip::ZipArchive::new(Cursor::new(ArcBytes(b.clone()))).map_err(zip_err)?;
                    let member = z.by_index(*index).map_err(zip_err)?;
                    self.read_from(member, progress, f)
                }
            },
        }
    }

    fn read_from<R: Read, T>(
        &self,
        mut raw: R,
        progress: Progress,
        f: impl FnOnce(Sniffed, &mut dyn BufRead) -> T,
    ) -> Result<T, SourceError> {
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        (&mut raw)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut head)
            .map_err(|e| SourceError::Io {
                file: self.name.clone(),
                source: e,
            })?;
        if head.is_empty() {
            return Err(SourceError::Empty {
                file: self.name.clone(),
            });
        }
        let at_eof = head.len() < SNIFF_BYTES;
        let sniffed = sniff(&head, at_eof);
        let counted = Counting {
            inner: Cursor::new(head).chain(raw),
            progress,
        };
        let mut text = Decoding::new(counted, sniffed.encoding);
        Ok(f(sniffed, &mut text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        let s = sniff(
            b"Transaction Number,Amount \xa3 (Excl VAT)\r\n1,2\r\n",
            true,
        );
        assert_eq!(s.encoding, WINDOWS_1252);
        let s = sniff("Amount £,x\n".as_bytes(), true);
        assert_eq!(s.encoding, UTF_8);
        let s = sniff(b"\xef\xbb\xbfBody,Date\r\n", true);
        assert!(s.bom && s.encoding == UTF_8);
        let s = sniff(b"Supplier Name,Total\rA,1\rB,2\r", true);
        assert!(s.cr_only);
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter("a\tb\tc\n1\t2\t3\n"), b'\t');
        assert_eq!(
            sniff_delimiter("a,b,c\n\"x, y\",2,3\n\"p, q, r\",5,6\n"),
            b','
        );
        assert_eq!(sniff_delimiter("a;b;c\n1,5;2;3\n"), b';');
    }

    #[test]
    fn decoding_streams_windows_1252_as_utf8() {
        let raw = b"Amount \xa3\r\n".repeat(50_000);
        let mut r = Decoding::new(Cursor::new(raw), WINDOWS_1252);
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert!(s.starts_with("Amount £\r\n"));
        assert_eq!(s.len(), "Amount £\r\n".len() * 50_000);
    }
}

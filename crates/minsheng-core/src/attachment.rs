//! Files people attach to an appeal: photos of the broken road, a scanned letter.
//! A file's type is told by its content (magic bytes and a walk over its structure),
//! never by its name; only JPEG, PNG and WebP images and PDF documents are taken. An
//! image shown on the public side loses its metadata first (EXIF with the phone's GPS
//! position, XMP, comments), keeping only the orientation so it is not shown sideways.
//! Nothing is ever decompressed or decoded here, so a compression bomb stays inert.

use thiserror::Error;

use crate::i18n::{Explain, Lang};

/// The kinds of file taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A JPEG photo.
    Jpeg,
    /// A PNG image (screenshots).
    Png,
    /// A WebP image.
    Webp,
    /// A PDF document (scanned letters), stored but never shown inline.
    Pdf,
}

/// How many files an appeal may carry and how large each may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest file, in bytes.
    pub max_bytes: u64,
    /// The most files on one appeal.
    pub max_files: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 10 * 1024 * 1024,
            max_files: 5,
        }
    }
}

/// The most pixels an image may have (a 100-megapixel photo is already rare); larger
/// is refused, since it would only serve to exhaust a viewer's memory.
pub const MAX_PIXELS: u64 = 100_000_000;

/// Why a file was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FileError {
    /// The file is empty.
    #[error("the file is empty")]
    Empty,
    /// Larger than the limit (bytes).
    #[error("each file may be at most {} MB", .0 / (1024 * 1024))]
    TooBig(u64),
    /// More files than an appeal may carry.
    #[error("an appeal may carry at most {0} files")]
    TooMany(usize),
    /// Not a JPEG, PNG, WebP or PDF by its content (whatever its name says).
    #[error(
        "only JPEG, PNG or WebP images and PDF documents are accepted (the content decides, not the name)"
    )]
    Type,
    /// It starts like an image but its structure is broken.
    #[error("the image is damaged and cannot be read")]
    Damaged,
    /// An image with too many pixels.
    #[error("the image is too large (more than 100 megapixels)")]
    Pixels,
}

impl Explain for FileError {
    fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (e, Lang::En) => e.to_string(),
            (FileError::Empty, Lang::Zh) => "文件是空的".into(),
            (FileError::TooBig(n), Lang::Zh) => {
                format!("每个文件不能超过 {} MB", n / (1024 * 1024))
            }
            (FileError::TooMany(n), Lang::Zh) => format!("每件诉求最多附 {n} 个文件"),
            (FileError::Type, Lang::Zh) => {
                "只接受 JPEG、PNG、WebP 图片和 PDF 文件（按内容判断，不看文件名）".into()
            }
            (FileError::Damaged, Lang::Zh) => "图片已损坏，无法读取".into(),
            (FileError::Pixels, Lang::Zh) => "图片尺寸过大（超过一亿像素）".into(),
        }
    }
}

impl FileKind {
    /// The kind a file's first bytes announce, if it is one taken.
    pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileKind::Jpeg)
        } else if bytes.starts_with(PNG_SIGNATURE) {
            Some(FileKind::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(FileKind::Webp)
        } else if bytes.starts_with(b"%PDF-") {
            Some(FileKind::Pdf)
        } else {
            None
        }
    }

    /// The kind stored under a content type (as [`FileKind::content_type`] wrote it).
    pub fn of_content_type(content_type: &str) -> Option<FileKind> {
        [FileKind::Jpeg, FileKind::Png, FileKind::Webp, FileKind::Pdf]
            .into_iter()
            .find(|k| k.content_type() == content_type)
    }

    /// The MIME type.
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Webp => "image/webp",
            FileKind::Pdf => "application/pdf",
        }
    }

    /// The usual file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Jpeg => "jpg",
            FileKind::Png => "png",
            FileKind::Webp => "webp",
            FileKind::Pdf => "pdf",
        }
    }

    /// Whether it is a picture a browser may show inline.
    pub fn is_image(self) -> bool {
        !matches!(self, FileKind::Pdf)
    }
}

/// Checks a file: not empty, within the size limit, one of the kinds taken by its
/// content, and, for an image, a structure that reads to the image data with a sane
/// size in pixels.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<FileKind, FileError> {
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    if bytes.len() as u64 > limits.max_bytes {
        return Err(FileError::TooBig(limits.max_bytes));
    }
    let kind = FileKind::sniff(bytes).ok_or(FileError::Type)?;
    let pixels = match kind {
        FileKind::Jpeg => jpeg_segments(bytes).ok_or(FileError::Damaged)?.pixels,
        FileKind::Png => png_chunks(bytes).ok_or(FileError::Damaged)?.pixels,
        FileKind::Webp => webp_chunks(bytes).ok_or(FileError::Damaged)?.pixels,
        FileKind::Pdf => 0,
    };
    if kind.is_image() && pixels == 0 {
        return Err(FileError::Damaged);
    }
    if pixels > MAX_PIXELS {
        return Err(FileError::Pixels);
    }
    Ok(kind)
}

/// A file name safe to store and to offer for download: the last part of whatever
/// path was sent, without control characters, at most 80 characters, ending in the
/// extension of what the file really is (so `invoice.html` holding a PDF is offered
/// as `invoice.html.pdf`).
pub fn file_name(sent: &str, kind: FileKind) -> String {
    let last = sent.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last
        .chars()
        .filter(|c| {
            // Control characters, quotes and the invisible marks that can make
            // `invoice<RLO>fdp.exe` read as a PDF.
            !c.is_control()
                && !matches!(c, '"' | '\u{feff}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    let mut stem: String = clean.trim().trim_matches('.').chars().take(70).collect();
    let extension = kind.extension();
    let has_extension = stem.rsplit_once('.').is_some_and(|(_, ext)| {
        let ext = ext.to_ascii_lowercase();
        ext == extension || (kind == FileKind::Jpeg && ext == "jpeg")
    });
    if stem.is_empty() {
        stem = "附件".into();
    }
    if has_extension {
        stem
    } else {
        format!("{stem}.{extension}")
    }
}

/// The image without its metadata, for the public side: only what draws the picture
/// is kept, everything else goes (EXIF with GPS, XMP, IPTC, comments, maker and
/// private segments or chunks, and whatever follows the image, such as the second
/// picture or video a phone appends). A JPEG keeps its JFIF, colour profile and Adobe
/// segments, its frames, tables and scans up to the end of the image, and its
/// orientation in a minimal EXIF of its own; a PNG its critical chunks and the colour
/// and transparency ones; a WebP its image, alpha, animation and colour profile.
/// `None` for a PDF or a file that does not read.
pub fn without_metadata(kind: FileKind, bytes: &[u8]) -> Option<Vec<u8>> {
    match kind {
        FileKind::Jpeg => {
            let walk = jpeg_segments(bytes)?;
            let mut out = Vec::with_capacity(bytes.len());
            out.extend_from_slice(&bytes[..2]);
            let mut orientation_written = false;
            for segment in &walk.segments {
                let marker = bytes[segment.start + 1];
                let payload = &bytes[(segment.start + 4).min(segment.end)..segment.end];
                // The orientation goes right after JFIF (APP0), or first.
                if !orientation_written && marker != 0xE0 {
                    if let Some(o) = walk.orientation.filter(|&o| o != 1) {
                        out.extend_from_slice(&orientation_exif(o));
                    }
                    orientation_written = true;
                }
                match marker {
                    // JFIF's fixed fields only: its thumbnail, and any JFXX
                    // extension (a whole second picture, metadata and all), go.
                    0xE0 if payload.starts_with(b"JFIF\0") && payload.len() >= 14 => {
                        out.extend_from_slice(&[0xFF, 0xE0, 0, 16]);
                        out.extend_from_slice(&payload[..12]);
                        out.extend_from_slice(&[0, 0]);
                    }
                    // Adobe's colour transform: its twelve standard bytes.
                    0xEE if payload.starts_with(b"Adobe") && payload.len() >= 12 => {
                        out.extend_from_slice(&[0xFF, 0xEE, 0, 14]);
                        out.extend_from_slice(&payload[..12]);
                    }
                    0xE2 if payload.starts_with(b"ICC_PROFILE\0") => {
                        out.extend_from_slice(&bytes[segment.start..segment.end]);
                    }
                    0xE0..=0xEF | 0xFE => {}
                    _ => out.extend_from_slice(&bytes[segment.start..segment.end]),
                }
            }
            let (scans, ended) = jpeg_scans(bytes, walk.data_start)?;
            for (start, end) in scans {
                out.extend_from_slice(&bytes[start..end]);
            }
            if !ended {
                // A photo cut short still shows what arrived.
                out.extend_from_slice(&[0xFF, 0xD9]);
            }
            Some(out)
        }
        FileKind::Png => {
            let walk = png_chunks(bytes)?;
            let mut out = Vec::with_capacity(bytes.len());
            out.extend_from_slice(PNG_SIGNATURE);
            for chunk in &walk.chunks {
                let kind = &bytes[chunk.start + 4..chunk.start + 8];
                let keep = matches!(
                    kind,
                    b"IHDR"
                        | b"PLTE"
                        | b"IDAT"
                        | b"IEND"
                        | b"tRNS"
                        | b"gAMA"
                        | b"cHRM"
                        | b"sRGB"
                        | b"iCCP"
                        | b"sBIT"
                        | b"pHYs"
                        | b"bKGD"
                        | b"cICP"
                        | b"acTL"
                        | b"fcTL"
                        | b"fdAT"
                );
                if keep {
                    out.extend_from_slice(&bytes[chunk.start..chunk.end]);
                }
            }
            Some(out)
        }
        FileKind::Webp => {
            let walk = webp_chunks(bytes)?;
            let mut out = Vec::with_capacity(bytes.len());
            out.extend_from_slice(b"RIFF\0\0\0\0WEBP");
            for chunk in &walk.chunks {
                let fourcc = &bytes[chunk.start..chunk.start + 4];
                if !matches!(
                    fourcc,
                    b"VP8 " | b"VP8L" | b"VP8X" | b"ALPH" | b"ANIM" | b"ANMF" | b"ICCP"
                ) {
                    continue;
                }
                let at = out.len();
                out.extend_from_slice(&bytes[chunk.start..chunk.end]);
                if fourcc == b"VP8X" && out.len() > at + 8 {
                    // The flags no longer promise EXIF (bit 3) or XMP (bit 2).
                    out[at + 8] &= !0b0000_1100;
                }
            }
            let size = u32::try_from(out.len() - 8).ok()?;
            out[4..8].copy_from_slice(&size.to_le_bytes());
            Some(out)
        }
        FileKind::Pdf => None,
    }
}

/// From a JPEG's first start of scan to its end of image: the scans and the table
/// segments between them (a progressive JPEG has several), leaving out any
/// application or comment segment among them and whatever follows the end of image.
/// The spans to copy, and whether the end-of-image marker was found (a file cut short
/// ends inside a scan).
fn jpeg_scans(b: &[u8], from: usize) -> Option<(Vec<(usize, usize)>, bool)> {
    let mut kept = Vec::new();
    let mut at = from;
    loop {
        if at >= b.len() {
            return Some((kept, false));
        }
        if b[at] != 0xFF {
            return None;
        }
        let mut m = at + 1;
        while *b.get(m)? == 0xFF {
            m += 1;
        }
        let marker = b[m];
        match marker {
            0xD9 => {
                kept.push((m - 1, m + 1));
                return Some((kept, true));
            }
            0x01 | 0xD0..=0xD7 => {
                kept.push((m - 1, m + 1));
                at = m + 1;
                continue;
            }
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*b.get(m + 1)?, *b.get(m + 2)?]));
        if len < 2 {
            return None;
        }
        let end = m + 1 + len;
        b.get(..end)?;
        if !matches!(marker, 0xE0..=0xEF | 0xFE) {
            kept.push((m - 1, end));
        }
        at = end;
        if marker == 0xDA {
            // The entropy-coded data runs to the next marker that is neither a stuffed
            // 0xFF (followed by 0x00) nor a restart marker.
            let mut i = end;
            loop {
                match (b.get(i), b.get(i + 1)) {
                    (None, _) | (Some(0xFF), None) => {
                        kept.push((end, b.len()));
                        return Some((kept, false));
                    }
                    (Some(0xFF), Some(0x00 | 0xD0..=0xD7)) => i += 2,
                    (Some(0xFF), Some(_)) => break,
                    _ => i += 1,
                }
            }
            kept.push((end, i));
            at = i;
        }
    }
}

const PNG_SIGNATURE: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// A span of bytes: a segment or chunk, header included.
#[derive(Debug)]
struct Span {
    start: usize,
    end: usize,
}

#[derive(Debug)]
struct JpegWalk {
    /// The segments before the image data.
    segments: Vec<Span>,
    /// Where the start-of-scan segment begins (copied as is from here on).
    data_start: usize,
    pixels: u64,
    orientation: Option<u16>,
}

/// Walks a JPEG's marker segments up to the start of scan.
fn jpeg_segments(b: &[u8]) -> Option<JpegWalk> {
    let mut at = 2;
    let mut segments = Vec::new();
    let mut pixels = None;
    let mut orientation = None;
    loop {
        if *b.get(at)? != 0xFF {
            return None;
        }
        // Fill bytes (0xFF repeated) may precede a marker.
        let mut m = at + 1;
        while *b.get(m)? == 0xFF {
            m += 1;
        }
        let marker = b[m];
        let start = m - 1;
        if marker == 0xDA {
            return Some(JpegWalk {
                segments,
                data_start: start,
                pixels: pixels?,
                orientation,
            });
        }
        if matches!(marker, 0x00 | 0x01 | 0xD0..=0xD9) {
            // No length: not expected before the scan (EOI before any scan is broken).
            return None;
        }
        let len = usize::from(u16::from_be_bytes([*b.get(m + 1)?, *b.get(m + 2)?]));
        if len < 2 {
            return None;
        }
        let end = m + 1 + len;
        let payload = b.get(m + 3..end)?;
        match marker {
            // Start of frame (not DHT 0xC4, JPG 0xC8, DAC 0xCC): height and width.
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let h = u64::from(u16::from_be_bytes([*payload.get(1)?, *payload.get(2)?]));
                let w = u64::from(u16::from_be_bytes([*payload.get(3)?, *payload.get(4)?]));
                pixels = Some(h * w);
            }
            0xE1 if payload.starts_with(b"Exif\0\0") => {
                orientation = exif_orientation(&payload[6..]);
            }
            _ => {}
        }
        segments.push(Span { start, end });
        at = end;
    }
}

/// The orientation tag (0x0112) of an EXIF block's first directory, if well formed.
fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let big = match tiff.get(..4)? {
        b"MM\0*" => true,
        b"II*\0" => false,
        _ => return None,
    };
    let u16_at = |i: usize| -> Option<u16> {
        let b = [*tiff.get(i)?, *tiff.get(i + 1)?];
        Some(if big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |i: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(i..i + 4)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    (0..count.min(500))
        .map(|i| ifd + 2 + 12 * i)
        .find(|&entry| u16_at(entry) == Some(0x0112))
        .and_then(|entry| u16_at(entry + 8))
        .filter(|o| (1..=8).contains(o))
}

/// A minimal APP1 EXIF segment holding only an orientation.
fn orientation_exif(orientation: u16) -> Vec<u8> {
    let mut s = vec![0xFF, 0xE1, 0, 34];
    s.extend_from_slice(b"Exif\0\0MM\0*\0\0\0\x08");
    s.extend_from_slice(&[0, 1]); // one entry
    s.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]); // orientation, SHORT, 1
    s.extend_from_slice(&orientation.to_be_bytes());
    s.extend_from_slice(&[0, 0]);
    s.extend_from_slice(&[0, 0, 0, 0]); // no next directory
    s
}

#[derive(Debug)]
struct ChunkWalk {
    chunks: Vec<Span>,
    pixels: u64,
}

/// Walks a PNG's chunks from IHDR to IEND.
fn png_chunks(b: &[u8]) -> Option<ChunkWalk> {
    let mut at = PNG_SIGNATURE.len();
    let mut chunks = Vec::new();
    let mut pixels = None;
    loop {
        let len = usize::try_from(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?)).ok()?;
        let kind = b.get(at + 4..at + 8)?;
        let end = at.checked_add(12)?.checked_add(len)?;
        let data = b.get(at + 8..at + 8 + len)?;
        b.get(at..end)?;
        if chunks.is_empty() {
            if kind != b"IHDR" || len < 8 {
                return None;
            }
            let w = u64::from(u32::from_be_bytes(data[..4].try_into().ok()?));
            let h = u64::from(u32::from_be_bytes(data[4..8].try_into().ok()?));
            pixels = Some(w * h);
        }
        chunks.push(Span { start: at, end });
        if kind == b"IEND" {
            return Some(ChunkWalk {
                chunks,
                pixels: pixels?,
            });
        }
        at = end;
    }
}

/// Walks a WebP's RIFF chunks.
fn webp_chunks(b: &[u8]) -> Option<ChunkWalk> {
    let riff = usize::try_from(u32::from_le_bytes(b.get(4..8)?.try_into().ok()?)).ok()?;
    let total = riff.checked_add(8)?.min(b.len());
    let mut at = 12;
    let mut chunks = Vec::new();
    let mut pixels = None;
    while at < total {
        let fourcc = b.get(at..at + 4)?;
        let len =
            usize::try_from(u32::from_le_bytes(b.get(at + 4..at + 8)?.try_into().ok()?)).ok()?;
        let end = at.checked_add(8)?.checked_add(len)?;
        let data = b.get(at + 8..end)?;
        match fourcc {
            b"VP8X" if data.len() >= 10 => {
                let w = u64::from(u32::from_le_bytes([data[4], data[5], data[6], 0])) + 1;
                let h = u64::from(u32::from_le_bytes([data[7], data[8], data[9], 0])) + 1;
                pixels = Some(w * h);
            }
            b"VP8 " if data.len() >= 10 && pixels.is_none() => {
                let w = u64::from(u16::from_le_bytes([data[6], data[7]]) & 0x3FFF);
                let h = u64::from(u16::from_le_bytes([data[8], data[9]]) & 0x3FFF);
                pixels = Some(w * h);
            }
            b"VP8L" if data.len() >= 5 && pixels.is_none() => {
                let bits = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
                let w = u64::from(bits & 0x3FFF) + 1;
                let h = u64::from((bits >> 14) & 0x3FFF) + 1;
                pixels = Some(w * h);
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        let padded = (end + (len & 1)).min(b.len());
        chunks.push(Span {
            start: at,
            end: padded,
        });
        at = padded;
    }
    Some(ChunkWalk {
        chunks,
        pixels: pixels?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A small JPEG-shaped file: SOI, JFIF, an EXIF block with a GPS-like payload and
    /// the given orientation, a comment, a frame header, a scan and EOI.
    pub(crate) fn jpeg_with_exif(orientation: u16, secret: &[u8]) -> Vec<u8> {
        let mut f = vec![0xFF, 0xD8];
        f.extend_from_slice(&[0xFF, 0xE0, 0, 16]);
        f.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        let mut tiff = b"II*\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&[2, 0]);
        tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0]);
        tiff.extend_from_slice(&orientation.to_le_bytes());
        tiff.extend_from_slice(&[0, 0]);
        tiff.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 26, 0, 0, 0]); // GPS IFD
        tiff.extend_from_slice(&[0, 0, 0, 0]);
        tiff.extend_from_slice(secret);
        let len = u16::try_from(2 + 6 + tiff.len()).expect("small");
        f.extend_from_slice(&[0xFF, 0xE1]);
        f.extend_from_slice(&len.to_be_bytes());
        f.extend_from_slice(b"Exif\0\0");
        f.extend_from_slice(&tiff);
        f.extend_from_slice(&[0xFF, 0xFE, 0, 7]);
        f.extend_from_slice(b"hello");
        f.extend_from_slice(&[0xFF, 0xC0, 0, 11, 8, 0, 16, 0, 32, 1, 1, 0x11, 0]);
        f.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 0x3F, 0]);
        f.extend_from_slice(&[0x12, 0x34, 0xFF, 0x00, 0x56]);
        f.extend_from_slice(&[0xFF, 0xD9]);
        f
    }

    fn png_with_text(secret: &[u8]) -> Vec<u8> {
        let mut f = PNG_SIGNATURE.to_vec();
        let mut chunk = |kind: &[u8], data: &[u8]| {
            f.extend_from_slice(&u32::try_from(data.len()).expect("small").to_be_bytes());
            f.extend_from_slice(kind);
            f.extend_from_slice(data);
            f.extend_from_slice(&[0, 0, 0, 0]);
        };
        chunk(b"IHDR", &[0, 0, 0, 4, 0, 0, 0, 3, 8, 2, 0, 0, 0]);
        chunk(b"tEXt", secret);
        chunk(b"eXIf", secret);
        chunk(b"IDAT", &[1, 2, 3]);
        chunk(b"IEND", &[]);
        f
    }

    fn webp_with_exif(secret: &[u8]) -> Vec<u8> {
        let mut body = b"WEBP".to_vec();
        let mut chunk = |fourcc: &[u8], data: &[u8]| {
            body.extend_from_slice(fourcc);
            body.extend_from_slice(&u32::try_from(data.len()).expect("small").to_le_bytes());
            body.extend_from_slice(data);
            if data.len() % 2 == 1 {
                body.push(0);
            }
        };
        chunk(b"VP8X", &[0b0000_1100, 0, 0, 0, 99, 0, 0, 49, 0, 0]);
        chunk(b"VP8L", &[0x2F, 99, 0xC0, 0x18, 0]);
        chunk(b"EXIF", secret);
        chunk(b"XMP ", secret);
        let mut f = b"RIFF".to_vec();
        f.extend_from_slice(&u32::try_from(body.len()).expect("small").to_le_bytes());
        f.extend_from_slice(&body);
        f
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn the_content_decides_the_type_not_the_name() {
        let limits = Limits::default();
        assert_eq!(check(&jpeg_with_exif(1, b"x"), &limits), Ok(FileKind::Jpeg));
        assert_eq!(check(&png_with_text(b"x"), &limits), Ok(FileKind::Png));
        assert_eq!(check(&webp_with_exif(b"x"), &limits), Ok(FileKind::Webp));
        assert_eq!(check(b"%PDF-1.7\n...", &limits), Ok(FileKind::Pdf));
        // A script, an HTML page, an SVG, a zip (a bomb or not), a GIF: refused.
        for bad in [
            &b"#!/bin/sh\nrm -rf /"[..],
            b"<html><script>alert(1)</script>",
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            b"PK\x03\x04\x14\0\0\0\x08\0",
            b"GIF89a\x01\0\x01\0",
        ] {
            assert_eq!(check(bad, &limits), Err(FileError::Type));
        }
        assert_eq!(check(b"", &limits), Err(FileError::Empty));
        // Magic bytes with nothing sound behind them.
        assert_eq!(
            check(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 200], &limits),
            Err(FileError::Damaged)
        );
        assert_eq!(check(PNG_SIGNATURE, &limits), Err(FileError::Damaged));
    }

    #[test]
    fn size_and_pixel_limits() {
        let small = Limits {
            max_bytes: 10,
            max_files: 5,
        };
        assert_eq!(
            check(&jpeg_with_exif(1, b"x"), &small),
            Err(FileError::TooBig(10))
        );
        // A PNG header claiming 100,000 × 100,000 pixels.
        let mut huge = png_with_text(b"x");
        huge[16..24].copy_from_slice(&[0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0]);
        assert_eq!(check(&huge, &Limits::default()), Err(FileError::Pixels));
    }

    #[test]
    fn the_public_copy_has_no_location_but_keeps_the_orientation() {
        let secret = b"GPS 36.6512N 117.1201E";
        let jpeg = jpeg_with_exif(6, secret);
        let clean = without_metadata(FileKind::Jpeg, &jpeg).expect("reads");
        assert!(!contains(&clean, secret));
        assert!(!contains(&clean, b"hello"), "comments go too");
        let walk = jpeg_segments(&clean).expect("still a JPEG");
        assert_eq!(walk.orientation, Some(6));
        assert_eq!(walk.pixels, 16 * 32);
        assert!(clean.ends_with(&[0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD9]));
        // Upright photos need no EXIF at all.
        let upright = without_metadata(FileKind::Jpeg, &jpeg_with_exif(1, secret)).expect("reads");
        assert!(!contains(&upright, b"Exif"));

        let png = without_metadata(FileKind::Png, &png_with_text(secret)).expect("reads");
        assert!(!contains(&png, secret));
        assert_eq!(check(&png, &Limits::default()), Ok(FileKind::Png));

        let webp = without_metadata(FileKind::Webp, &webp_with_exif(secret)).expect("reads");
        assert!(!contains(&webp, secret));
        assert_eq!(
            webp[20] & 0b1100,
            0,
            "the VP8X flags no longer promise EXIF or XMP"
        );
        let riff = u32::from_le_bytes(webp[4..8].try_into().expect("4")) as usize;
        assert_eq!(riff + 8, webp.len());
        assert_eq!(check(&webp, &Limits::default()), Ok(FileKind::Webp));

        assert!(without_metadata(FileKind::Pdf, b"%PDF-1.4").is_none());
    }

    #[test]
    fn what_follows_the_picture_and_private_segments_never_reach_the_public() {
        let secret = b"GPS 35.0701N 117.2292E";
        // A clean photo with a second, located one appended (as phones do), an APP3
        // and an APP15 segment, and a comment between two scans.
        let mut jpeg = jpeg_with_exif(1, b"x");
        let app = |marker: u8, data: &[u8]| {
            let mut seg = vec![0xFF, marker];
            seg.extend_from_slice(&u16::try_from(data.len() + 2).expect("small").to_be_bytes());
            seg.extend_from_slice(data);
            seg
        };
        let at = 2 + 18; // after SOI and JFIF
        let extra: Vec<u8> = [app(0xE3, secret), app(0xEF, secret)].concat();
        jpeg.splice(at..at, extra);
        let eoi = jpeg.len() - 2;
        let mut between = app(0xFE, secret);
        between.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 0x3F, 0, 0x77]);
        jpeg.splice(eoi..eoi, between);
        jpeg.extend_from_slice(&jpeg_with_exif(6, secret));
        assert_eq!(check(&jpeg, &Limits::default()), Ok(FileKind::Jpeg));
        let clean = without_metadata(FileKind::Jpeg, &jpeg).expect("reads");
        assert!(!contains(&clean, secret));
        assert!(
            clean.ends_with(&[0x77, 0xFF, 0xD9]),
            "ends with the first picture"
        );
        assert_eq!(check(&clean, &Limits::default()), Ok(FileKind::Jpeg));
        // A JFIF thumbnail and a JFXX extension (a whole small JPEG with its own EXIF)
        // go; Adobe keeps only its standard bytes.
        let mut with_thumbs = jpeg_with_exif(1, b"x");
        let mut jfif = b"JFIF\0\x01\x01\0\0\x01\0\x01\x02\x01".to_vec();
        jfif.extend_from_slice(secret);
        let mut jfxx = b"JFXX\0\x10".to_vec();
        jfxx.extend_from_slice(&jpeg_with_exif(6, secret));
        let mut adobe = b"Adobe\0\x64\0\0\0\0\x01".to_vec();
        adobe.extend_from_slice(secret);
        let extra: Vec<u8> = [app(0xE0, &jfif), app(0xE0, &jfxx), app(0xEE, &adobe)].concat();
        with_thumbs.splice(2..20, extra);
        let clean = without_metadata(FileKind::Jpeg, &with_thumbs).expect("reads");
        assert!(
            !contains(&clean, secret) && !contains(&clean, b"JFXX"),
            "no thumbnail survives"
        );
        assert!(contains(&clean, b"Adobe") && contains(&clean, b"JFIF"));
        assert_eq!(check(&clean, &Limits::default()), Ok(FileKind::Jpeg));
        // Cut short inside a scan: what arrived, closed.
        let cut = &jpeg_with_exif(1, b"x")[..jpeg_with_exif(1, b"x").len() - 4];
        let clean = without_metadata(FileKind::Jpeg, cut).expect("reads");
        assert!(clean.ends_with(&[0xFF, 0xD9]));

        // PNG: private and time chunks go, trailing bytes go.
        let mut png = png_with_text(b"x");
        let iend = png.len() - 12;
        let private: Vec<u8> = [&[0, 0, 0, 22][..], b"prVt", secret, &[0, 0, 0, 0]].concat();
        png.splice(iend..iend, private);
        png.extend_from_slice(secret);
        let clean = without_metadata(FileKind::Png, &png).expect("reads");
        assert!(!contains(&clean, secret) && !contains(&clean, b"prVt"));
        // A zero-sized image is no image.
        let mut empty = png_with_text(b"x");
        empty[16..24].copy_from_slice(&[0; 8]);
        assert_eq!(check(&empty, &Limits::default()), Err(FileError::Damaged));
    }

    #[test]
    fn file_names_lose_paths_and_end_in_what_the_file_is() {
        assert_eq!(
            file_name("C:\\Users\\张三\\路面.JPG", FileKind::Jpeg),
            "路面.JPG"
        );
        assert_eq!(file_name("../../etc/passwd", FileKind::Pdf), "passwd.pdf");
        assert_eq!(file_name("invoice.html", FileKind::Pdf), "invoice.html.pdf");
        assert_eq!(file_name("photo.jpeg", FileKind::Jpeg), "photo.jpeg");
        assert_eq!(file_name("", FileKind::Png), "附件.png");
        assert_eq!(file_name("a\"b\r\n.png", FileKind::Png), "ab.png");
        assert_eq!(file_name("...", FileKind::Webp), "附件.webp");
        assert_eq!(
            file_name("invoice\u{202e}fdp.exe", FileKind::Pdf),
            "invoicefdp.exe.pdf"
        );
    }

    proptest! {
        #[test]
        fn no_input_makes_a_walk_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), kind in 0usize..4) {
            let mut file = match kind {
                0 => vec![0xFF, 0xD8, 0xFF],
                1 => PNG_SIGNATURE.to_vec(),
                2 => b"RIFF\x10\0\0\0WEBP".to_vec(),
                _ => Vec::new(),
            };
            file.extend_from_slice(&bytes);
            let limits = Limits::default();
            if let Ok(kind) = check(&file, &limits)
                && kind.is_image() {
                    let clean = without_metadata(kind, &file).expect("a checked image strips");
                    prop_assert_eq!(check(&clean, &limits), Ok(kind));
                }
        }

        #[test]
        fn stripping_keeps_every_other_byte_of_a_jpeg(secret in proptest::collection::vec(any::<u8>(), 0..200), orientation in 1u16..=8) {
            let jpeg = jpeg_with_exif(orientation, &secret);
            let clean = without_metadata(FileKind::Jpeg, &jpeg).expect("reads");
            let walk = jpeg_segments(&clean).expect("reads");
            prop_assert_eq!(walk.orientation, (orientation != 1).then_some(orientation));
            prop_assert!(!contains(&clean, b"hello"));
            let scan = jpeg.len() - 17;
            prop_assert_eq!(&clean[clean.len() - 17..], &jpeg[scan..]);
        }

        #[test]
        fn names_are_short_and_plain(name in "\\PC{0,200}", kind in 0usize..4) {
            let kind = [FileKind::Jpeg, FileKind::Png, FileKind::Webp, FileKind::Pdf][kind];
            let n = file_name(&name, kind);
            prop_assert!(n.chars().count() <= 76);
            prop_assert!(!n.contains(['/', '\\', '"']) && !n.chars().any(char::is_control));
            prop_assert!(n.to_ascii_lowercase().ends_with(kind.extension()) || n.to_ascii_lowercase().ends_with(".jpeg"));
        }
    }
}

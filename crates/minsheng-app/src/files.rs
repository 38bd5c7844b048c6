//! Reading tables from the files people have: CSV in UTF-8 (with or without a BOM) or
//! in GBK as Excel in China saves it, and XLSX workbooks (first sheet). The type is
//! told by the file's first bytes, not its name.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use minsheng_core::i18n::{Explain, Lang};
use minsheng_core::table::{LineError, Row, Table};
use thiserror::Error;

/// The most problems listed for one file; the rest are counted.
const MAX_LISTED: usize = 200;

/// Why a file was not imported; nothing was written (a history import may have stored
/// whole batches before a use case failed; running it again resumes).
#[derive(Debug, Error)]
pub enum FileImportError<P> {
    /// The file cannot be read as a table.
    #[error(transparent)]
    File(#[from] FileError),
    /// Rows (or the header) are wrong, each named by its line.
    #[error("{} problems in the file", .0.len())]
    Rows(Vec<LineError<P>>),
    /// `minsheng init` has not been run.
    #[error("the county is not set up yet: run `minsheng init` first")]
    NotSetUp,
    /// A use case failed.
    #[error(transparent)]
    App(#[from] crate::Error),
}

impl<P: Explain + std::fmt::Display> FileImportError<P> {
    /// Every line of the explanation, in the person's language.
    pub fn explain_all(&self, lang: Lang) -> Vec<String> {
        match (self, lang) {
            (FileImportError::File(e), _) => vec![e.explain(lang)],
            (FileImportError::Rows(rows), _) => {
                let mut lines: Vec<String> = rows
                    .iter()
                    .take(MAX_LISTED)
                    .map(|e| e.explain(lang))
                    .collect();
                if rows.len() > MAX_LISTED {
                    let more = rows.len() - MAX_LISTED;
                    lines.push(match lang {
                        Lang::Zh => format!("……另有 {more} 处问题未列出"),
                        Lang::En => format!("… and {more} more problems not listed"),
                    });
                }
                lines
            }
            (FileImportError::NotSetUp, Lang::Zh) => {
                vec!["尚未初始化本县：请先运行 minsheng init".into()]
            }
            (e, _) => vec![e.to_string()],
        }
    }
}

/// Why a file could not be read as a table.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FileError {
    /// No rows at all.
    #[error("the file is empty")]
    Empty,
    /// A header and nothing under it.
    #[error("the file has a header but no rows")]
    NoRows,
    /// Text that is neither UTF-8 nor GBK.
    #[error(
        "the file is neither UTF-8 nor GBK text; save it as UTF-8 (a table as CSV UTF-8 or XLSX)"
    )]
    Encoding,
    /// A CSV syntax problem.
    #[error("line {line}: {message}")]
    Csv {
        /// Line number.
        line: usize,
        /// What the CSV reader said.
        message: String,
    },
    /// An XLSX file that cannot be read.
    #[error("the spreadsheet cannot be read: {0}")]
    Xlsx(String),
    /// A workbook that unpacks to far more than any real table.
    #[error("the spreadsheet unpacks to more than 512 MB; split it or save it as CSV")]
    TooLarge,
    /// A cell far to the right of any real table.
    #[error("line {line}: a cell lies beyond column {max}; the table must be narrower")]
    TooWide {
        /// Spreadsheet row.
        line: usize,
        /// The widest allowed.
        max: usize,
    },
    /// A JSON Lines line that is not a flat JSON object.
    #[error("line {line}: not a JSON object of plain values ({message})")]
    Json {
        /// Line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl Explain for FileError {
    fn explain(&self, lang: Lang) -> String {
        match (self, lang) {
            (e, Lang::En) => e.to_string(),
            (FileError::Empty, Lang::Zh) => "文件是空的".into(),
            (FileError::NoRows, Lang::Zh) => "文件只有表头，没有数据行".into(),
            (FileError::Encoding, Lang::Zh) => {
                "文件既不是 UTF-8 也不是 GBK 编码；请另存为 UTF-8（表格可另存为 CSV UTF-8 或 XLSX）".into()
            }
            (FileError::Csv { line, message }, Lang::Zh) => {
                format!("第 {line} 行：CSV 格式有误（{message}）")
            }
            (FileError::Xlsx(_), Lang::Zh) => {
                "无法读取 Excel 文件：请确认是 .xlsx 格式（不是 .xls 或改了扩展名的文件），或另存为 CSV".into()
            }
            (FileError::TooLarge, Lang::Zh) => {
                "表格解压后超过 512 MB，请拆分后导入或另存为 CSV".into()
            }
            (FileError::TooWide { line, max }, Lang::Zh) => {
                format!("第 {line} 行：第 {max} 列之后还有内容，表格不能这么宽")
            }
            (FileError::Json { line, message }, Lang::Zh) => {
                format!("第 {line} 行：不是由简单值组成的 JSON 对象（{message}）")
            }
        }
    }
}

/// Reads a table from a file's bytes: XLSX (a zip) or CSV text. Blank rows are skipped;
/// the first non-blank row is the header.
pub fn read_table(bytes: &[u8]) -> Result<Table, FileError> {
    let rows = if bytes.starts_with(b"PK\x03\x04") {
        xlsx_rows(bytes, LIMITS)?
    } else {
        csv_rows(&text(bytes)?)?
    };
    let mut rows = rows
        .into_iter()
        .filter(|r| r.cells.iter().any(|c| !c.is_empty()));
    let header = rows.next().ok_or(FileError::Empty)?;
    let table = Table {
        header: header.cells,
        rows: rows.collect(),
    };
    if table.rows.is_empty() {
        return Err(FileError::NoRows);
    }
    Ok(table)
}

/// Reads records: JSON Lines (one flat object a line, told by a first `{`), whose
/// columns are `fields`, or a table as [`read_table`] reads it.
pub fn read_records(bytes: &[u8], fields: &[&str]) -> Result<Table, FileError> {
    let text_start = bytes
        .strip_prefix(b"\xef\xbb\xbf")
        .unwrap_or(bytes)
        .iter()
        .find(|b| !b.is_ascii_whitespace());
    if text_start != Some(&b'{') {
        return read_table(bytes);
    }
    let text = text(bytes)?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| FileError::Json {
            line: i + 1,
            message,
        };
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        let mut cells = Vec::with_capacity(fields.len());
        for f in fields {
            cells.push(match object.get(*f) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                    v.to_string()
                }
                Some(_) => return Err(bad(format!("{f} is not a plain value"))),
            });
        }
        rows.push(Row { line: i + 1, cells });
    }
    if rows.is_empty() {
        return Err(FileError::Empty);
    }
    Ok(Table {
        header: fields.iter().map(|f| (*f).to_owned()).collect(),
        rows,
    })
}

/// The file as text: UTF-8 (a BOM is dropped), else GBK (read as GB18030, its superset).
pub fn text(bytes: &[u8]) -> Result<String, FileError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_owned());
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|s| s.into_owned())
        .ok_or(FileError::Encoding)
}

fn csv_rows(text: &str) -> Result<Vec<Row>, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    // The reader's own line count skips blank lines; count newlines before the
    // record's first byte instead, so the number is the one an editor shows. Records
    // come in order, so only the bytes since the previous record are counted.
    let bytes = text.as_bytes();
    let seen = std::cell::Cell::new((0usize, 1usize));
    let line_at = |byte: u64| {
        let mut end = usize::try_from(byte)
            .unwrap_or(bytes.len())
            .min(bytes.len());
        // A record after blank lines is reported where the blank lines begin.
        while end < bytes.len() && matches!(bytes[end], b'\n' | b'\r') {
            end += 1;
        }
        let (from, line) = match seen.get() {
            (from, line) if from <= end => (from, line),
            _ => (0, 1),
        };
        let line = line + bytes[from..end].iter().filter(|b| **b == b'\n').count();
        seen.set((end, line));
        line
    };
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| FileError::Csv {
            line: e.position().map_or(0, |p| line_at(p.byte())),
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        rows.push(Row {
            line,
            cells: record.iter().map(str::to_owned).collect(),
        });
    }
    Ok(rows)
}

/// The widest sheet read: no import has more than a few dozen columns.
const MAX_COLUMNS: u32 = 200;

/// The most a workbook may unpack to, and the most text its first sheet may hold: a
/// small zip can unpack to gigabytes (a zip bomb), and a million rows of a real export
/// stay well below.
#[derive(Debug, Clone, Copy)]
struct Limits {
    unpacked: u64,
    text: usize,
}

const LIMITS: Limits = Limits {
    unpacked: 512 * 1024 * 1024,
    text: 256 * 1024 * 1024,
};

/// Refuses a workbook whose parts, as its zip directory declares them, unpack to more
/// than the limit.
fn check_unpacked_size(bytes: &[u8], limit: u64) -> Result<(), FileError> {
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| FileError::Xlsx(e.to_string()))?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let part = zip
            .by_index_raw(i)
            .map_err(|e| FileError::Xlsx(e.to_string()))?;
        total = total.saturating_add(part.size());
    }
    if total > limit {
        return Err(FileError::TooLarge);
    }
    Ok(())
}

/// Reads the first sheet cell by cell, keeping only cells with a value: a sheet with
/// one stray cell in its far corner costs nothing (a dense range would allocate every
/// cell up to it).
fn xlsx_rows(bytes: &[u8], limits: Limits) -> Result<Vec<Row>, FileError> {
    check_unpacked_size(bytes, limits.unpacked)?;
    let xlsx = |e: calamine::XlsxError| FileError::Xlsx(e.to_string());
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(xlsx)?;
    let mut text_bytes = 0usize;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(FileError::Empty)?;
    let mut reader = book.worksheet_cells_reader(&name).map_err(xlsx)?;
    let mut rows: std::collections::BTreeMap<u32, Vec<String>> = Default::default();
    while let Some(cell) = reader.next_cell().map_err(xlsx)? {
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        text_bytes += text.len();
        if text_bytes > limits.text {
            return Err(FileError::TooLarge);
        }
        let (row, column) = cell.get_position();
        if column >= MAX_COLUMNS {
            return Err(FileError::TooWide {
                line: row as usize + 1,
                max: MAX_COLUMNS as usize,
            });
        }
        let cells = rows.entry(row).or_default();
        let column = column as usize;
        if cells.len() <= column {
            cells.resize(column + 1, String::new());
        }
        cells[column] = text;
    }
    Ok(rows
        .into_iter()
        .map(|(row, cells)| Row {
            line: row as usize + 1,
            cells,
        })
        .collect())
}

/// A cell as text; whole numbers (codes typed as numbers) without a decimal point.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        other => other.to_string().trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_a_bom_and_gbk_csv_read_alike() {
        let utf8 = "\u{feff}代码,名称\n370999001000,城关街道\n\n370999001001,幸福社区\n";
        let (gbk, _, bad) = encoding_rs::GBK.encode(utf8.trim_start_matches('\u{feff}'));
        assert!(!bad);
        let a = read_table(utf8.as_bytes()).expect("utf8");
        let b = read_table(&gbk).expect("gbk");
        assert_eq!(a, b);
        assert_eq!(a.header, ["代码", "名称"]);
        assert_eq!(a.rows.len(), 2);
        assert_eq!(a.rows[1].line, 4, "line numbers as in the file");
        assert_eq!(a.rows[1].cells, ["370999001001", "幸福社区"]);
    }

    #[test]
    fn garbage_and_empty_files_say_so() {
        assert_eq!(read_table(b""), Err(FileError::Empty));
        assert_eq!(read_table(b"\n\n ,\n"), Err(FileError::Empty));
        assert_eq!(
            read_table(&[0xff, 0xfe, 0x00, 0x81]),
            Err(FileError::Encoding)
        );
        assert!(matches!(
            read_table(b"PK\x03\x04junk"),
            Err(FileError::Xlsx(_))
        ));
    }

    #[test]
    fn an_xlsx_sheet_reads_with_codes_as_digits() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "代码").expect("w");
        sheet.write_string(0, 1, "名称").expect("w");
        sheet.write_number(1, 0, 370_999_001_000.0).expect("w");
        sheet.write_string(1, 1, "城关街道").expect("w");
        sheet.write_string(3, 0, "370999001001").expect("w");
        sheet.write_string(3, 1, "幸福社区").expect("w");
        let bytes = book.save_to_buffer().expect("xlsx");
        let t = read_table(&bytes).expect("xlsx");
        assert_eq!(t.header, ["代码", "名称"]);
        assert_eq!(t.rows[0].cells, ["370999001000", "城关街道"]);
        assert_eq!(t.rows[1].line, 4);
    }

    #[test]
    fn a_stray_cell_in_the_far_corner_costs_nothing() {
        // A dense read of this sheet would allocate 16,384 × 1,048,576 cells.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "key").expect("w");
        sheet.write_string(1_048_575, 0, "far").expect("w");
        let bytes = book.save_to_buffer().expect("xlsx");
        let t = read_table(&bytes).expect("sparse rows read");
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].line, 1_048_576);
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "key").expect("w");
        sheet.write_string(1_048_575, 16_383, "corner").expect("w");
        let bytes = book.save_to_buffer().expect("xlsx");
        assert_eq!(
            read_table(&bytes),
            Err(FileError::TooWide {
                line: 1_048_576,
                max: 200
            })
        );
    }

    #[test]
    fn a_workbook_unpacking_past_the_limits_is_refused() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "key").expect("w");
        sheet.write_string(1, 0, "x".repeat(100)).expect("w");
        let bytes = book.save_to_buffer().expect("xlsx");
        assert!(xlsx_rows(&bytes, LIMITS).is_ok());
        let declared = Limits {
            unpacked: 1_000,
            ..LIMITS
        };
        assert_eq!(xlsx_rows(&bytes, declared), Err(FileError::TooLarge));
        let text = Limits { text: 50, ..LIMITS };
        assert_eq!(xlsx_rows(&bytes, text), Err(FileError::TooLarge));
    }
}

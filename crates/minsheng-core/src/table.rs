//! A table read from a spreadsheet or CSV file, as plain text cells with the line
//! number people see in the file. Decoding the file (CSV or XLSX, UTF-8 or GBK) is the
//! application's; what the rows mean is decided here, purely.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::i18n::{Explain, Lang};
use crate::intake::{FieldError, FieldErrors};

/// A problem with one line of a file (line 1 is the header); `P` says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {problem}")]
pub struct LineError<P> {
    /// Line number.
    pub line: usize,
    /// What is wrong.
    pub problem: P,
}

impl<P: Explain + std::fmt::Display> Explain for LineError<P> {
    fn explain(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => format!("第 {} 行：{}", self.line, self.problem.explain(lang)),
        }
    }
}

/// One row with the line number it had in the file (the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// Line (spreadsheet row) number, from 1.
    pub line: usize,
    /// The cells, trimmed.
    pub cells: Vec<String>,
}

/// A header row and the rows under it; blank rows are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// The header cells, trimmed.
    pub header: Vec<String>,
    /// The rows under it.
    pub rows: Vec<Row>,
}

impl Table {
    /// The index of the first column whose header is one of `names` (compared without
    /// case, spaces or a BOM), e.g. `["code", "代码", "区划代码"]`.
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        let norm = |s: &str| {
            s.trim_start_matches('\u{feff}')
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_lowercase()
        };
        self.header
            .iter()
            .position(|h| names.iter().any(|n| norm(h) == norm(n)))
    }
}

/// What is wrong with one cell of a row: its column and the same error a form field
/// would show.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{column}: {error}")]
pub struct CellError {
    /// The column, by its English header.
    pub column: &'static str,
    /// What is wrong.
    pub error: FieldError,
}

impl Explain for CellError {
    fn explain(&self, lang: Lang) -> String {
        format!("{}：{}", self.column, self.error.explain(lang))
    }
}

impl CellError {
    /// The errors of a row checked as a form, each named by its line.
    pub fn of_row(line: usize, errors: FieldErrors) -> impl Iterator<Item = LineError<CellError>> {
        errors.0.into_iter().map(move |(column, error)| LineError {
            line,
            problem: CellError { column, error },
        })
    }
}

impl Row {
    /// The cell in column `i`, or "" when the row is shorter.
    pub fn cell(&self, i: Option<usize>) -> &str {
        i.and_then(|i| self.cells.get(i)).map_or("", |s| s.as_str())
    }
}

#[cfg(test)]
impl Table {
    /// A table written inline for a test: the first line is the header, cells are
    /// separated by `sep`, rows numbered from line 2.
    pub(crate) fn from_lines(lines: &[&str], sep: char) -> Table {
        let split = |l: &str| l.split(sep).map(|c| c.trim().to_owned()).collect();
        Table {
            header: split(lines[0]),
            rows: lines[1..]
                .iter()
                .enumerate()
                .map(|(i, l)| Row {
                    line: i + 2,
                    cells: split(l),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_found_by_any_of_their_names() {
        let t = Table {
            header: vec!["\u{feff}代码".into(), " Name ".into(), "纬度".into()],
            rows: vec![Row {
                line: 2,
                cells: vec!["1".into()],
            }],
        };
        assert_eq!(t.column(&["code", "代码"]), Some(0));
        assert_eq!(t.column(&["name", "名称"]), Some(1));
        assert_eq!(t.column(&["long", "经度"]), None);
        assert_eq!(t.rows[0].cell(Some(0)), "1");
        assert_eq!(t.rows[0].cell(Some(5)), "");
        assert_eq!(t.rows[0].cell(None), "");
    }
}

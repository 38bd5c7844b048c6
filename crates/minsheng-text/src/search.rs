//! Search: a person's query becomes terms the databases' own full-text indexes answer
//! (FTS5 on SQLite, tsvector on PostgreSQL), and the matches are marked in snippets.
//!
//! Nothing typed reaches the index's query language as syntax: operators, quotes and
//! punctuation are words or nothing, so no query can fail to parse.

use crate::normalize::normalize_char;
use crate::segment::Segmenter;

/// The most terms a query keeps (the rest of a pasted paragraph is dropped).
pub const MAX_TERMS: usize = 16;

/// One thing every match must contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A word.
    Word(String),
    /// Single characters in a row, as the index holds an unknown name (刘 家 庄).
    Phrase(Vec<String>),
    /// A lone character: any word starting with it (水 → 水管, 水质).
    Prefix(String),
}

/// A parsed query: every term must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// The terms.
    pub terms: Vec<Term>,
}

impl Segmenter {
    /// Parses what a person typed into a search box.
    pub fn query(&self, typed: &str) -> Query {
        let mut terms = Vec::new();
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, terms: &mut Vec<Term>| match run.len() {
            0 => {}
            1 => terms.push(Term::Prefix(run.remove(0))),
            _ => terms.push(Term::Phrase(std::mem::take(run))),
        };
        for w in self.content_words(typed) {
            let single = w.chars().count() == 1 && !w.is_ascii();
            if single {
                run.push(w);
            } else {
                flush(&mut run, &mut terms);
                terms.push(Term::Word(w));
            }
        }
        flush(&mut run, &mut terms);
        terms.dedup();
        terms.truncate(MAX_TERMS);
        Query { terms }
    }
}

fn fts5_string(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn ts_lexeme(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

impl Query {
    /// Does it ask for nothing (only punctuation or stop words were typed)?
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The query as an FTS5 MATCH expression.
    pub fn fts5(&self) -> String {
        self.terms
            .iter()
            .map(|t| match t {
                Term::Word(w) => fts5_string(w),
                Term::Phrase(p) => fts5_string(&p.join(" ")),
                Term::Prefix(c) => format!("{}*", fts5_string(c)),
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// The query as a PostgreSQL tsquery (to be cast with `::tsquery`, no parser).
    pub fn tsquery(&self) -> String {
        self.terms
            .iter()
            .map(|t| match t {
                Term::Word(w) => ts_lexeme(w),
                Term::Phrase(p) => {
                    let p: Vec<String> = p.iter().map(|w| ts_lexeme(w)).collect();
                    format!("({})", p.join(" <-> "))
                }
                Term::Prefix(c) => format!("{}:*", ts_lexeme(c)),
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }

    /// What to mark in a snippet.
    pub fn marks(&self) -> Vec<String> {
        self.terms
            .iter()
            .map(|t| match t {
                Term::Word(w) | Term::Prefix(w) => w.clone(),
                Term::Phrase(p) => p.concat(),
            })
            .collect()
    }
}

/// Index terms as a PostgreSQL tsvector (to be cast with `::tsvector`), with positions
/// so that phrases match.
pub fn tsvector(terms: &[String]) -> String {
    terms
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{}:{}", ts_lexeme(t), (i + 1).min(16383)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A piece of a snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The words as written.
    pub text: String,
    /// Is it a match?
    pub hit: bool,
}

/// The part of a text around its first match, about `width` characters, with every
/// match in it marked; the start of the text when nothing matches.
pub fn snippet(text: &str, marks: &[String], width: usize) -> Vec<Piece> {
    let original: Vec<char> = text.chars().collect();
    let folded: Vec<char> = original.iter().map(|c| normalize_char(*c)).collect();
    let mut marks: Vec<Vec<char>> = marks
        .iter()
        .map(|m| m.chars().map(normalize_char).collect::<Vec<char>>())
        .filter(|m| !m.is_empty())
        .collect();
    // Longest first, so 暖气片 wins over 暖气.
    marks.sort_by_key(|m| std::cmp::Reverse(m.len()));
    let mut hits = vec![false; original.len()];
    let mut first = None;
    let mut i = 0;
    while i < folded.len() {
        match marks.iter().find(|m| folded[i..].starts_with(m)) {
            Some(m) => {
                hits[i..i + m.len()].fill(true);
                first.get_or_insert(i);
                i += m.len();
            }
            None => i += 1,
        }
    }
    let width = width.max(1);
    let start = first.map_or(0, |f| f.saturating_sub(width / 3));
    let end = (start + width).min(original.len());
    let start = end.saturating_sub(width).min(start);
    let mut pieces: Vec<Piece> = Vec::new();
    if start > 0 {
        pieces.push(Piece {
            text: "…".into(),
            hit: false,
        });
    }
    for k in start..end {
        match pieces.last_mut() {
            Some(p) if p.hit == hits[k] && p.text != "…" => p.text.push(original[k]),
            _ => pieces.push(Piece {
                text: original[k].to_string(),
                hit: hits[k],
            }),
        }
    }
    if end < original.len() {
        pieces.push(Piece {
            text: "…".into(),
            hit: false,
        });
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::tests::segmenter;
    use proptest::prelude::*;

    #[test]
    fn words_phrases_and_lone_characters_become_terms() {
        let q = segmenter().query("暖气 不热");
        assert_eq!(
            q.terms,
            [Term::Word("暖气".into()), Term::Word("不热".into())]
        );
        assert_eq!(q.fts5(), "\"暖气\" AND \"不热\"");
        assert_eq!(q.tsquery(), "'暖气' & '不热'");
        let q = segmenter().query("水");
        assert_eq!(q.fts5(), "\"水\"*");
        assert_eq!(q.tsquery(), "'水':*");
    }

    #[test]
    fn operators_quotes_and_punctuation_are_not_syntax() {
        for typed in [
            "\"",
            "暖气\" OR 1=1 --",
            "NEAR(a b)",
            "'; DROP TABLE appeals; --",
            "*",
            "！？。",
        ] {
            let q = segmenter().query(typed);
            for t in &q.terms {
                if let Term::Word(w) | Term::Prefix(w) = t {
                    assert!(w.chars().all(char::is_alphanumeric), "{typed} → {w}");
                }
            }
        }
        assert!(segmenter().query("！？。，").is_empty());
        assert!(
            segmenter().query("你好，谢谢").is_empty(),
            "only courtesies"
        );
    }

    #[test]
    fn a_snippet_marks_matches_in_the_text_as_written() {
        let text = "我家住在幸福家园小区3号楼，今年冬天暖氣一直不熱，屋里只有十二度。";
        let pieces = snippet(text, &["暖气".into(), "不热".into()], 12);
        let marked: Vec<&str> = pieces
            .iter()
            .filter(|p| p.hit)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(marked, ["暖氣", "不熱"]);
        assert_eq!(pieces.first().map(|p| p.text.as_str()), Some("…"));
        let whole: String = snippet("路灯不亮", &[], 40)
            .into_iter()
            .map(|p| p.text)
            .collect();
        assert_eq!(whole, "路灯不亮");
    }

    #[test]
    fn tsvector_quotes_every_lexeme() {
        assert_eq!(
            tsvector(&["暖气".into(), "it's".into()]),
            "'暖气':1 'it''s':2"
        );
    }

    proptest! {
        #[test]
        fn any_query_renders(s in "\\PC{0,60}") {
            let q = segmenter().query(&s);
            prop_assert!(q.terms.len() <= MAX_TERMS);
            let f = q.fts5();
            prop_assert_eq!(f.matches('"').count() % 2, 0);
            let _ = q.tsquery();
            let pieces = snippet(&s, &q.marks(), 30);
            prop_assert!(pieces.iter().map(|p| p.text.chars().count()).sum::<usize>() <= 32);
        }
    }
}

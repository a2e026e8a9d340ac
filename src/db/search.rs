//! Full-text search behind one trait: SQLite's FTS5 and PostgreSQL's tsvector differ in their
//! SQL, their query syntax and their ranking functions; callers see only [`search`] and
//! [`replace_all`].

use super::{Backend, Db, DbResult, Tx};
use crate::args;

/// Marks the start and end of a matched term in snippets. Private-use characters cannot occur
/// in the content, so the snippet can be HTML-escaped first and the marks turned into `<mark>`
/// afterwards, without letting content inject markup.
pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

#[derive(Debug, Clone)]
pub struct SearchDoc {
    pub kind: &'static str,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SearchHit {
    pub kind: String,
    pub slug: String,
    pub title: String,
    /// Plain text with [`MARK_START`]/[`MARK_END`] around matched terms.
    pub snippet: String,
    pub rank: f64,
}

/// What differs between the two full-text engines.
pub trait FullTextEngine {
    /// SQL taking `$1` = the engine's query (from [`FullTextEngine::to_query`]) and `$2` = limit,
    /// returning `kind, slug, title, snippet, rank` best first.
    fn search_sql(&self) -> &'static str;
    /// Turns what a person typed into the engine's query language, or `None` when nothing
    /// searchable is left. Must never fail on any input.
    fn to_query(&self, input: &str) -> Option<String>;
    /// Statements to run after the documents table has been rewritten.
    fn reindex_sql(&self) -> Option<&'static str>;
}

pub struct Fts5;
pub struct PgTsvector;

/// The last word as a prefix to match while someone is still typing it. Both engines stem
/// indexed words ("interoperability" is stored as "interoper"), so a prefix of what was typed
/// ("interoperab") would miss its own stem; dropping up to three trailing letters (keeping at
/// least four) lets the prefix reach the stem.
fn typing_prefix(word: &str) -> String {
    let n = word.chars().count();
    let keep = n.saturating_sub(3).max(4).min(n);
    word.chars().take(keep).collect()
}

/// Words a person typed: letters and digits only, so no input can be read as FTS syntax.
fn words(input: &str) -> Vec<String> {
    input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(12)
        .map(str::to_lowercase)
        .collect()
}

impl FullTextEngine for Fts5 {
    fn search_sql(&self) -> &'static str {
        // bm25 weights: a match in the title counts ten times one in the body.
        "SELECT d.kind, d.slug, d.title,
                snippet(search_fts, -1, char(57344), char(57345), '…', 28) AS snippet,
                bm25(search_fts, 10.0, 4.0, 1.0) AS rank
         FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid
         WHERE search_fts MATCH $1
         ORDER BY rank
         LIMIT $2"
    }

    fn to_query(&self, input: &str) -> Option<String> {
        let words = words(input);
        if words.is_empty() {
            return None;
        }
        // Every word must match (FTS5 needs an explicit AND next to a bracketed group); the last
        // one may be a prefix, so results appear while typing.
        let last = words.len() - 1;
        Some(
            words
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    if i == last {
                        format!("(\"{w}\" OR \"{}\"*)", typing_prefix(w))
                    } else {
                        format!("\"{w}\"")
                    }
                })
                .collect::<Vec<_>>()
                .join(" AND "),
        )
    }

    fn reindex_sql(&self) -> Option<&'static str> {
        Some("INSERT INTO search_fts (search_fts) VALUES ('rebuild')")
    }
}

impl FullTextEngine for PgTsvector {
    fn search_sql(&self) -> &'static str {
        "SELECT d.kind, d.slug, d.title,
                ts_headline('english', d.summary || ' ' || d.body, q,
                    'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) ||
                    ', MaxWords=40, MinWords=20, MaxFragments=1, FragmentDelimiter=…') AS snippet,
                ts_rank_cd(d.tsv, q)::float8 AS rank
         FROM search_docs d, to_tsquery('english', $1) q
         WHERE d.tsv @@ q
         ORDER BY rank DESC, d.title
         LIMIT $2"
    }

    fn to_query(&self, input: &str) -> Option<String> {
        let words = words(input);
        if words.is_empty() {
            return None;
        }
        let last = words.len() - 1;
        Some(
            words
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    if i == last {
                        format!("({w} | {}:*)", typing_prefix(w))
                    } else {
                        w.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" & "),
        )
    }

    fn reindex_sql(&self) -> Option<&'static str> {
        None
    }
}

fn engine(backend: Backend) -> &'static dyn FullTextEngine {
    match backend {
        Backend::Sqlite => &Fts5,
        Backend::Postgres => &PgTsvector,
    }
}

/// Searches the index; an empty or punctuation-only query returns nothing rather than an error.
pub async fn search(db: &Db, input: &str, limit: i64) -> DbResult<Vec<SearchHit>> {
    let engine = engine(db.backend());
    let Some(q) = engine.to_query(input) else {
        return Ok(Vec::new());
    };
    db.fetch_all(engine.search_sql(), args![q, limit]).await
}

/// Replaces every document of the index in one transaction.
pub async fn replace_all(db: &Db, docs: &[SearchDoc]) -> DbResult<()> {
    let mut tx: Tx = db.begin().await?;
    tx.execute("DELETE FROM search_docs", vec![]).await?;
    for d in docs {
        tx.execute(
            "INSERT INTO search_docs (kind, slug, title, summary, body) VALUES ($1, $2, $3, $4, $5)",
            args![d.kind, &d.slug, &d.title, &d.summary, &d.body],
        )
        .await?;
    }
    if let Some(sql) = engine(tx.backend()).reindex_sql() {
        tx.execute(sql, vec![]).await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts5_queries_are_built_from_words_only() {
        assert_eq!(
            Fts5.to_query("data AND api\" OR NEAR(x"),
            Some(
                "\"data\" AND \"and\" AND \"api\" AND \"or\" AND \"near\" AND (\"x\" OR \"x\"*)"
                    .into()
            )
        );
        assert_eq!(Fts5.to_query("  -- ** "), None);
    }

    #[test]
    fn tsquery_is_built_from_words_only() {
        assert_eq!(
            PgTsvector.to_query("joint procure"),
            Some("joint & (procure | proc:*)".into())
        );
        assert_eq!(PgTsvector.to_query("!&|:*"), None);
    }

    #[test]
    fn typing_prefixes_reach_the_stem() {
        assert_eq!(typing_prefix("interoperab"), "interope");
        assert_eq!(typing_prefix("data"), "data");
        assert_eq!(typing_prefix("api"), "api");
        assert_eq!(typing_prefix("joint"), "join");
    }
}

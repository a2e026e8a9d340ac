//! The toolkit guide: lifecycle stages and guide books, templates that fill in as documents,
//! the problem statements and what answers them, full-text search, and comments.

pub mod api;
pub mod comments;
pub mod content;
pub mod documents;
pub mod docx;
pub mod fill;
pub mod markdown;
pub mod web;

pub use content::Content;

use crate::db::search::SearchDoc;
use crate::db::{Db, DbResult};

/// Rebuilds the search index from the compiled-in content. Run at start-up, so the index always
/// matches the binary that serves it.
pub async fn index_for_search(db: &Db, content: &Content) -> DbResult<()> {
    let mut docs = Vec::new();
    for p in &content.pages {
        docs.push(SearchDoc {
            kind: "guide",
            slug: p.slug.clone(),
            title: p.title.clone(),
            summary: p.summary.clone(),
            body: p.plain_text.clone(),
        });
    }
    for t in &content.templates {
        let labels: Vec<&str> = t.fields.iter().map(|f| f.label.as_str()).collect();
        docs.push(SearchDoc {
            kind: "template",
            slug: t.slug.clone(),
            title: t.title.clone(),
            summary: t.summary.clone(),
            body: format!("{}\n{}", labels.join("\n"), template_words(&t.body)),
        });
    }
    for p in &content.problems {
        docs.push(SearchDoc {
            kind: "problem",
            slug: p.id.clone(),
            title: p.title.clone(),
            summary: p.group.title().into(),
            body: p.plain_text.clone(),
        });
    }
    crate::db::search::replace_all(db, &docs).await
}

/// The readable words of a template body, without its `{{ }}` and `{% %}` syntax.
fn template_words(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find(['{']) {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let close = if after.starts_with("{{") {
            "}}"
        } else if after.starts_with("{%") {
            "%}"
        } else if after.starts_with("{#") {
            "#}"
        } else {
            out.push('{');
            rest = &after[1..];
            continue;
        };
        match after.find(close) {
            Some(end) => rest = &after[end + 2..],
            None => break,
        }
    }
    out.push_str(rest);
    markdown::to_plain_text(&out)
}

/// How well the product answers a problem statement today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// Guidance, templates and every product capability it needs are live.
    Full,
    /// Some of what answers it exists; some capability it needs is not built yet.
    Partial,
    /// Nothing that answers it exists yet.
    None,
}

impl Coverage {
    pub fn label(self) -> &'static str {
        match self {
            Coverage::Full => "Answered",
            Coverage::Partial => "Partly answered",
            Coverage::None => "Not yet answered",
        }
    }

    pub fn tag_class(self) -> &'static str {
        match self {
            Coverage::Full => "govuk-tag--green",
            Coverage::Partial => "govuk-tag--yellow",
            Coverage::None => "govuk-tag--grey",
        }
    }
}

/// Computes coverage from what exists: the problem's guide pages and templates (content
/// loading guarantees they exist) and whether each capability it names is served by this
/// build ([`crate::capabilities::live`]).
pub fn coverage(problem: &content::Problem, live: &[&str]) -> (Coverage, Vec<String>) {
    let missing: Vec<String> = problem
        .capabilities
        .iter()
        .filter(|c| !live.contains(&c.as_str()))
        .cloned()
        .collect();
    let answered_items = problem.guide.len()
        + problem.templates.len()
        + (problem.capabilities.len() - missing.len());
    let status = if answered_items == 0 {
        Coverage::None
    } else if missing.is_empty() {
        Coverage::Full
    } else {
        Coverage::Partial
    };
    (status, missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_words_drop_syntax() {
        assert_eq!(
            template_words(
                "# Plan for {{ service }}\n{% if x %}Only if x{% endif %} {# note #}end"
            ),
            "Plan for\nOnly if x end\n"
        );
    }

    #[test]
    fn coverage_is_computed_from_live_capabilities() {
        let mut p = content::Problem {
            id: "p01".into(),
            title: "t".into(),
            group: content::ProblemGroup::Procurement,
            guide: vec!["a".into()],
            templates: vec![],
            capabilities: vec!["guide".into(), "spend".into()],
            sources: vec![],
            html: String::new(),
            plain_text: String::new(),
        };
        assert_eq!(coverage(&p, &["guide"]).0, Coverage::Partial);
        assert_eq!(coverage(&p, &["guide"]).1, vec!["spend".to_string()]);
        assert_eq!(coverage(&p, &["guide", "spend"]).0, Coverage::Full);
        p.guide.clear();
        p.capabilities = vec!["spend".into()];
        assert_eq!(coverage(&p, &["guide"]).0, Coverage::None);
    }
}

//! The shared category taxonomy (data/spend/categories.toml) and the classifier that places a
//! payment in it from the words its council used.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::args;
use crate::db::{Db, DbResult};

const TAXONOMY: &str = include_str!("../../data/spend/categories.toml");

pub const UNCATEGORISED: &str = "uncategorised";

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Category {
    pub code: String,
    pub name: String,
    /// CPV divisions (two digits) that correspond.
    #[serde(default)]
    pub cpv: Vec<String>,
    /// False for money not bought from a market (salaries, grants, transfers, refunds).
    #[serde(default = "yes")]
    pub market: bool,
    #[serde(default, skip_serializing)]
    pub keywords: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct File {
    category: Vec<Category>,
}

/// A keyword: one or more phrases that must all appear ("children + residential").
struct Keyword {
    category: usize,
    parts: Vec<Vec<String>>,
    weight: usize,
    text: String,
}

pub struct Taxonomy {
    pub categories: Vec<Category>,
    keywords: Vec<Keyword>,
    /// First word of any phrase → keywords that use it, so a text is checked only against
    /// keywords that can match.
    by_word: HashMap<String, Vec<usize>>,
    pub uncategorised: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    #[error("data/spend/categories.toml: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("data/spend/categories.toml has no {UNCATEGORISED:?} category")]
    NoUncategorised,
}

/// Words as the classifier compares them.
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace('&', " and ")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn contains_phrase(haystack: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty()
        && haystack.len() >= phrase.len()
        && haystack.windows(phrase.len()).any(|w| w == phrase)
}

impl Taxonomy {
    pub fn parse(text: &str) -> Result<Taxonomy, TaxonomyError> {
        let file: File = toml::from_str(text)?;
        let uncategorised = file
            .category
            .iter()
            .position(|c| c.code == UNCATEGORISED)
            .ok_or(TaxonomyError::NoUncategorised)?;
        let mut keywords = Vec::new();
        let mut by_word: HashMap<String, Vec<usize>> = HashMap::new();
        for (ci, c) in file.category.iter().enumerate() {
            for k in &c.keywords {
                let parts: Vec<Vec<String>> = k
                    .split(" + ")
                    .map(words)
                    .filter(|p| !p.is_empty())
                    .collect();
                if parts.is_empty() {
                    continue;
                }
                let weight = parts.iter().map(Vec::len).sum();
                let ki = keywords.len();
                for p in &parts {
                    by_word.entry(p[0].clone()).or_default().push(ki);
                }
                keywords.push(Keyword {
                    category: ci,
                    parts,
                    weight,
                    text: k.clone(),
                });
            }
        }
        Ok(Taxonomy {
            categories: file.category,
            keywords,
            by_word,
            uncategorised,
        })
    }

    /// The category a text names, with the keyword that decided it; `None` when no keyword
    /// matches. The keyword with the most words wins; ties go to the earlier category.
    pub fn classify_text(&self, text: &str) -> Option<(usize, &str)> {
        let w = words(text);
        let mut best: Option<(usize, usize, usize)> = None; // (weight, category, keyword)
        let mut tried = std::collections::HashSet::new();
        for word in &w {
            for &ki in self.by_word.get(word).into_iter().flatten() {
                if !tried.insert(ki) {
                    continue;
                }
                let k = &self.keywords[ki];
                if k.parts.iter().all(|p| contains_phrase(&w, p)) {
                    let better = match best {
                        None => true,
                        Some((bw, bc, _)) => k.weight > bw || (k.weight == bw && k.category < bc),
                    };
                    if better {
                        best = Some((k.weight, k.category, ki));
                    }
                }
            }
        }
        best.map(|(_, c, ki)| (c, self.keywords[ki].text.as_str()))
    }

    pub fn code(&self, i: usize) -> &str {
        &self.categories[i].code
    }
}

pub fn taxonomy() -> &'static Taxonomy {
    static T: OnceLock<Taxonomy> = OnceLock::new();
    T.get_or_init(|| match Taxonomy::parse(TAXONOMY) {
        Ok(t) => t,
        // The file is compiled in and parsed by a unit test: a broken one never ships.
        Err(e) => panic!("{e}"),
    })
}

/// Classifies rows of one import, remembering each distinct text's answer.
#[derive(Default)]
pub struct Classifier {
    classification: HashMap<String, Option<usize>>,
    expense: HashMap<String, Option<usize>>,
}

impl Classifier {
    /// The taxonomy index for a row: its procurement classification decides when it names a
    /// category (ProClass and merchant categories are made for this), else its expense type.
    pub fn classify(&mut self, classification: Option<&str>, expense: Option<&str>) -> usize {
        let t = taxonomy();
        let look = |cache: &mut HashMap<String, Option<usize>>, text: Option<&str>| {
            let text = text?;
            if let Some(c) = cache.get(text) {
                return *c;
            }
            let c = t.classify_text(text).map(|(c, _)| c);
            cache.insert(text.to_owned(), c);
            c
        };
        look(&mut self.classification, classification)
            .or_else(|| look(&mut self.expense, expense))
            .unwrap_or(t.uncategorised)
    }
}

/// Database ids of the taxonomy's categories, by taxonomy index.
#[derive(Debug, Clone)]
pub struct CategoryIds(pub Vec<i64>);

/// Writes the taxonomy into `spend_categories`. A category keeps its id for ever (payments
/// refer to it); new ones get the next free id; names and CPV links follow the file.
pub async fn seed(db: &Db) -> DbResult<CategoryIds> {
    let t = taxonomy();
    let existing: Vec<(i64, String)> = db
        .fetch_all::<(i64, String)>("SELECT id, code FROM spend_categories", vec![])
        .await?;
    let mut next = existing.iter().map(|(id, _)| *id).max().unwrap_or(0) + 1;
    let mut ids = Vec::with_capacity(t.categories.len());
    for c in &t.categories {
        let id = match existing.iter().find(|(_, code)| *code == c.code) {
            Some((id, _)) => *id,
            None => {
                let id = next;
                next += 1;
                id
            }
        };
        db.execute(
            "INSERT INTO spend_categories (id, code, name, cpv_divisions, is_market)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name,
                 cpv_divisions = excluded.cpv_divisions, is_market = excluded.is_market",
            args![
                id,
                c.code.as_str(),
                c.name.as_str(),
                c.cpv.join(","),
                c.market
            ],
        )
        .await?;
        ids.push(id);
    }
    Ok(CategoryIds(ids))
}

pub async fn ids_in(tx: &mut crate::db::Tx) -> DbResult<CategoryIds> {
    let rows: Vec<(i64, String)> = tx
        .fetch_all("SELECT id, code FROM spend_categories", vec![])
        .await?;
    let map: HashMap<String, i64> = rows.into_iter().map(|(id, c)| (c, id)).collect();
    Ok(CategoryIds(
        taxonomy()
            .categories
            .iter()
            .map(|c| map.get(&c.code).copied().unwrap_or(0))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_taxonomy_parses_and_classifies() {
        let t = Taxonomy::parse(TAXONOMY).unwrap();
        assert_eq!(t.code(t.uncategorised), UNCATEGORISED);
        let code = |s: &str| t.classify_text(s).map(|(c, _)| t.code(c).to_owned());
        assert_eq!(
            code("ICT Sup & Maintnance").as_deref(),
            Some("ict-services")
        );
        assert_eq!(
            code("Software Maintenance").as_deref(),
            Some("ict-software")
        );
        assert_eq!(code("Repairs & Maintenance").as_deref(), Some("repairs"));
        assert_eq!(
            code("SOCIAL CARE : Domiciliary Care").as_deref(),
            Some("adult-care")
        );
        assert_eq!(
            code("SC : Children Residential Care").as_deref(),
            Some("children-care")
        );
        assert_eq!(code("Agency Staff").as_deref(), Some("agency-staff"));
        assert_eq!(code("Fast Food Restaurants").as_deref(), Some("catering"));
        assert_eq!(code("Salaries - Basic Pay").as_deref(), Some("staff"));
        assert_eq!(
            code("Conference & Seminar Fees").as_deref(),
            Some("training")
        );
        assert_eq!(code("Zzz unknown words"), None);
        for c in &t.categories {
            for d in &c.cpv {
                assert!(d.len() == 2 && d.bytes().all(|b| b.is_ascii_digit()), "{d}");
            }
        }
    }

    #[test]
    fn classification_beats_expense_type() {
        let mut c = Classifier::default();
        let t = taxonomy();
        let i = c.classify(
            Some("PRINTING SERVICES.PRINTING"),
            Some("Miscellaneous Expenses"),
        );
        assert_eq!(t.code(i), "office");
        let i = c.classify(Some("Not Classified"), Some("Legal Fees"));
        assert_eq!(t.code(i), "legal");
        let i = c.classify(None, None);
        assert_eq!(t.code(i), UNCATEGORISED);
    }
}

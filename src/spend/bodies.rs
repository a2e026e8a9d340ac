//! Which public body a file's spend belongs to. Files name their body in many ways ("The
//! Borough of Calderdale", `http://statistics.data.gov.uk/doc/local-authority-district/00CY`,
//! "18", "Trafford Council"); the command line takes a GSS code, an official name or a
//! variant such as "Bradford". mySociety's register of UK local authorities and its list of
//! name variants (data/reference/) turn all of them into one organisation.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::accounts::{OrgKind, Organisation};
use crate::args;
use crate::db::{DbResult, Tx, now};

const REGISTER: &str = include_str!("../../data/reference/uk_local_authorities_current.csv");
const NAME_VARIANTS: &str = include_str!("../../data/reference/uk_la_lookup_name_to_registry.csv");
const FORMER_GSS: &str = include_str!("../../data/reference/uk_la_lookup_gss_to_registry.csv");

/// One body in the register.
#[derive(Debug, Clone)]
pub struct ReferenceBody {
    pub code: String,
    pub official_name: String,
    pub nice_name: String,
    pub gss_code: Option<String>,
    pub current: bool,
}

pub struct Register {
    bodies: Vec<ReferenceBody>,
    /// Normalised names and variants → bodies.
    names: HashMap<String, Vec<usize>>,
    /// GSS codes (current and former), SNAC and E-codes, register codes → body.
    codes: HashMap<String, usize>,
}

/// Words that say what kind of council a body is, not which one: "The Borough of
/// Calderdale" and "Calderdale Metropolitan Borough Council" are both "calderdale".
const GENERIC: &[&str] = &[
    "the",
    "of",
    "council",
    "borough",
    "metropolitan",
    "city",
    "county",
    "district",
    "london",
    "royal",
    "mbc",
    "bc",
    "cc",
    "dc",
    "ua",
    "lbo",
    "corporation",
    "boro",
    "and",
];

/// The comparable form of a body's name (see [`GENERIC`]). A name made only of generic words
/// ("City of London") keeps them.
pub fn body_key(name: &str) -> String {
    let lower = name.to_lowercase().replace('&', " and ");
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let specific: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !GENERIC.contains(w))
        .collect();
    if specific.is_empty() {
        words.join(" ")
    } else {
        specific.join(" ")
    }
}

fn parse_csv(text: &str) -> Vec<csv::StringRecord> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .filter_map(Result::ok)
        .collect()
}

pub fn register() -> &'static Register {
    static REG: OnceLock<Register> = OnceLock::new();
    REG.get_or_init(|| {
        let mut reg = Register {
            bodies: Vec::new(),
            names: HashMap::new(),
            codes: HashMap::new(),
        };
        let headers = csv::ReaderBuilder::new()
            .from_reader(REGISTER.as_bytes())
            .headers()
            .cloned()
            .unwrap_or_default();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (c_code, c_off, c_nice, c_gss, c_end, c_alt, c_snac, c_ecode) = (
            col("local-authority-code"),
            col("official-name"),
            col("nice-name"),
            col("gss-code"),
            col("end-date"),
            col("alt-names"),
            col("snac"),
            col("ecode"),
        );
        let get = |r: &csv::StringRecord, c: Option<usize>| -> String {
            c.and_then(|i| r.get(i)).unwrap_or("").trim().to_owned()
        };
        let mut by_code: HashMap<String, usize> = HashMap::new();
        for r in parse_csv(REGISTER) {
            let code = get(&r, c_code);
            if code.is_empty() {
                continue;
            }
            let i = reg.bodies.len();
            let gss = get(&r, c_gss);
            let body = ReferenceBody {
                code: code.clone(),
                official_name: get(&r, c_off),
                nice_name: get(&r, c_nice),
                gss_code: (!gss.is_empty()).then_some(gss.clone()),
                current: get(&r, c_end).is_empty(),
            };
            let mut names = vec![body.official_name.clone(), body.nice_name.clone()];
            names.extend(get(&r, c_alt).split(',').map(str::to_owned));
            for n in names {
                reg.add_name(&n, i);
            }
            for c in [gss, get(&r, c_snac), get(&r, c_ecode), code.clone()] {
                if !c.is_empty() {
                    reg.codes.entry(c.to_uppercase()).or_insert(i);
                }
            }
            by_code.insert(code, i);
            reg.bodies.push(body);
        }
        for r in parse_csv(NAME_VARIANTS) {
            if let (Some(name), Some(code)) = (r.get(0), r.get(1))
                && let Some(&i) = by_code.get(code.trim())
            {
                reg.add_name(name, i);
            }
        }
        for r in parse_csv(FORMER_GSS) {
            if let (Some(gss), Some(code)) = (r.get(0), r.get(1))
                && let Some(&i) = by_code.get(code.trim())
            {
                reg.codes.entry(gss.trim().to_uppercase()).or_insert(i);
            }
        }
        reg
    })
}

impl Register {
    fn add_name(&mut self, name: &str, i: usize) {
        let k = body_key(name);
        if k.is_empty() {
            return;
        }
        let v = self.names.entry(k).or_default();
        if !v.contains(&i) {
            v.push(i);
        }
    }

    pub fn len(&self) -> usize {
        self.bodies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bodies.is_empty()
    }

    /// The body a name or code stands for. A name shared by several bodies (an abolished
    /// council and its successor) goes to the current one; still ambiguous, to none.
    pub fn find(&self, text: &str) -> Option<&ReferenceBody> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        // URIs name the body in their last segment: …/local-authority-district/00CY,
        // …/metropolitan-district-council/trafford.
        let t = if t.contains('/') {
            t.trim_end_matches('/').rsplit('/').next().unwrap_or(t)
        } else {
            t
        };
        if let Some(&i) = self.codes.get(&t.to_uppercase()) {
            return Some(&self.bodies[i]);
        }
        let k = body_key(&t.replace('-', " "));
        let candidates = self.names.get(&k)?;
        let current: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|i| self.bodies[*i].current)
            .collect();
        match (candidates.len(), current.len()) {
            (1, _) => Some(&self.bodies[candidates[0]]),
            (_, 1) => Some(&self.bodies[current[0]]),
            _ => None,
        }
    }

    /// Names close to `text`, for "did you mean…?".
    pub fn suggest(&self, text: &str, extra: &[String]) -> Vec<String> {
        let k = body_key(text);
        let mut scored: Vec<(f64, String)> = self
            .bodies
            .iter()
            .filter(|b| b.current)
            .map(|b| {
                (
                    similarity(&k, &body_key(&b.official_name)),
                    b.official_name.clone(),
                )
            })
            .chain(
                extra
                    .iter()
                    .map(|n| (similarity(&k, &body_key(n)), n.clone())),
            )
            .filter(|(s, _)| *s > 0.3)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.dedup_by(|a, b| a.1 == b.1);
        scored.into_iter().take(3).map(|(_, n)| n).collect()
    }
}

/// Trigram similarity (Jaccard), enough to rank "did you mean" suggestions.
pub fn similarity(a: &str, b: &str) -> f64 {
    let grams = |s: &str| -> std::collections::HashSet<String> {
        let padded: Vec<char> = format!("  {s} ").chars().collect();
        padded
            .windows(3)
            .map(|w| w.iter().collect::<String>())
            .collect()
    };
    let (ga, gb) = (grams(a), grams(b));
    let inter = ga.intersection(&gb).count() as f64;
    let union = ga.union(&gb).count() as f64;
    if union == 0.0 { 0.0 } else { inter / union }
}

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error(
        "no public body matches {given:?}{}. Use a GSS code (E09000022), an official name or a short name (\"Lambeth\"); for a body that is not a council (TfL, an NHS trust…) add --create-body.",
        did_you_mean(.suggestions)
    )]
    Unknown {
        given: String,
        suggestions: Vec<String>,
    },
    #[error(
        "the file does not say which body it belongs to (it has no body column): give it with --body, for example --body {example:?}"
    )]
    NotGiven { example: String },
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

fn did_you_mean(s: &[String]) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!(
            " (did you mean {}?)",
            s.iter()
                .map(|x| format!("{x:?}"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    }
}

const ORG_COLUMNS: &str = "id, kind, name, short_name, slug, gss_code, company_number";

/// Finds the organisation for a body named in a file or on the command line, adding it from
/// the register (or, with `create`, as a new "other public body") when it is not there yet.
/// Runs inside the import's transaction, so a failed import adds no body either.
pub async fn resolve(tx: &mut Tx, given: &str, create: bool) -> Result<Organisation, BodyError> {
    let given = given.trim();
    // An organisation procurekit already has: slug, GSS code or name.
    if let Some(o) = tx
        .fetch_optional::<Organisation>(
            format!(
                "SELECT {ORG_COLUMNS} FROM organisations
                 WHERE kind IN ('borough', 'other_public_body', 'convenor')
                   AND (slug = $1 OR gss_code = upper($1) OR lower(name) = lower($1) OR lower(short_name) = lower($1))
                 ORDER BY id LIMIT 1"
            ),
            args![given],
        )
        .await?
    {
        return Ok(o);
    }
    if let Some(b) = register().find(given) {
        if let Some(gss) = &b.gss_code
            && let Some(o) = tx
                .fetch_optional::<Organisation>(
                    format!("SELECT {ORG_COLUMNS} FROM organisations WHERE gss_code = $1"),
                    args![gss.as_str()],
                )
                .await?
        {
            return Ok(o);
        }
        let b = b.clone();
        return insert(tx, &b.official_name, &b.nice_name, b.gss_code.as_deref()).await;
    }
    // A body added earlier with --create-body, named a little differently.
    let known: Vec<Organisation> = tx
        .fetch_all(
            format!(
                "SELECT {ORG_COLUMNS} FROM organisations WHERE kind IN ('borough', 'other_public_body')"
            ),
            vec![],
        )
        .await?;
    let key = body_key(given);
    if let Some(o) = known
        .iter()
        .find(|o| body_key(&o.name) == key || body_key(&o.short_name) == key)
    {
        return Ok(o.clone());
    }
    if create && given.chars().any(char::is_alphabetic) {
        return insert(tx, given, given, None).await;
    }
    let names: Vec<String> = known.into_iter().map(|o| o.name).collect();
    Err(BodyError::Unknown {
        given: given.to_owned(),
        suggestions: register().suggest(given, &names),
    })
}

async fn insert(
    tx: &mut Tx,
    name: &str,
    short_name: &str,
    gss: Option<&str>,
) -> Result<Organisation, BodyError> {
    let base = crate::seed::slug(short_name);
    let base = if base.is_empty() {
        "public-body".to_owned()
    } else {
        base
    };
    let mut slug = base.clone();
    let mut n = 1;
    while tx
        .scalar::<i64>("SELECT id FROM organisations WHERE slug = $1", args![&slug])
        .await?
        .is_some()
    {
        n += 1;
        slug = format!("{base}-{n}");
    }
    let kind = if gss.is_some_and(|g| g.starts_with("E09")) {
        OrgKind::Borough
    } else {
        OrgKind::OtherPublicBody
    };
    let id = tx
        .scalar::<i64>(
            "INSERT INTO organisations (kind, name, short_name, slug, gss_code, company_number, created_at)
             VALUES ($1, $2, $3, $4, $5, NULL, $6) RETURNING id",
            args![kind, name, short_name, &slug, gss, now()],
        )
        .await?
        .unwrap_or_default();
    Ok(Organisation {
        id,
        kind,
        name: name.to_owned(),
        short_name: short_name.to_owned(),
        slug,
        gss_code: gss.map(str::to_owned),
        company_number: None,
    })
}

/// Whether an organisation is one of the 33 London authorities.
pub fn is_london(o: &Organisation) -> bool {
    o.kind == OrgKind::Borough
}

pub async fn by_id(tx: &mut Tx, id: i64) -> DbResult<Option<Organisation>> {
    tx.fetch_optional(
        format!("SELECT {ORG_COLUMNS} FROM organisations WHERE id = $1"),
        args![id],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_register_knows_bodies_however_files_name_them() {
        let r = register();
        assert!(r.len() > 400);
        let name = |t: &str| r.find(t).map(|b| b.official_name.as_str());
        assert_eq!(
            name("The Borough of Calderdale"),
            Some("Calderdale Metropolitan Borough Council")
        );
        assert_eq!(
            name("http://statistics.data.gov.uk/doc/local-authority-district/00CY"),
            Some("Calderdale Metropolitan Borough Council")
        );
        assert_eq!(
            name("https://opendatacommunities.org/id/metropolitan-district-council/trafford"),
            Some("Trafford Metropolitan Borough Council")
        );
        assert_eq!(
            name("Trafford Council"),
            Some("Trafford Metropolitan Borough Council")
        );
        assert_eq!(name("18"), Some("Devon County Council"));
        assert_eq!(name("Devon County Council"), Some("Devon County Council"));
        assert_eq!(name("Leeds City Council"), Some("Leeds City Council"));
        assert_eq!(name("E09000022"), Some("London Borough of Lambeth"));
        assert_eq!(name("lambeth"), Some("London Borough of Lambeth"));
        assert_eq!(
            name("Greater London Authority"),
            Some("Greater London Authority")
        );
        assert_eq!(name("GLA"), Some("Greater London Authority"));
        assert_eq!(name("City of London"), Some("City of London Corporation"));
        assert_eq!(
            name("Harrogate Borough Council"),
            Some("Harrogate Borough Council")
        );
        assert_eq!(
            name("Windsor and Maidenhead"),
            Some("Royal Borough of Windsor and Maidenhead")
        );
        assert_eq!(
            name("Bradford"),
            Some("City of Bradford Metropolitan District Council")
        );
        assert_eq!(name("Cabinet Office"), None);
        assert!(
            r.suggest("Lambth", &[])
                .iter()
                .any(|s| s.contains("Lambeth")),
            "{:?}",
            r.suggest("Lambth", &[])
        );
    }
}

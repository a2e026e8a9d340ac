//! Notice text as publishers send it. Contracts Finder HTML-escapes its text
//! ("UK&#039;s", "caf&eacute;", "L&amp;Q"), and pads paragraphs with spaces and `\r\n`.
//! procurekit keeps the published JSON as it came, and shows people the decoded text
//! (which the templates escape again, once).

/// Named entities seen in UK notices; anything else is left as written.
const NAMED: &[(&str, &str)] = &[
    ("amp", "&"),
    ("lt", "<"),
    ("gt", ">"),
    ("quot", "\""),
    ("apos", "'"),
    ("nbsp", "\u{a0}"),
    ("pound", "£"),
    ("euro", "€"),
    ("copy", "©"),
    ("reg", "®"),
    ("trade", "™"),
    ("ndash", "–"),
    ("mdash", "—"),
    ("lsquo", "‘"),
    ("rsquo", "’"),
    ("ldquo", "“"),
    ("rdquo", "”"),
    ("hellip", "…"),
    ("bull", "•"),
    ("middot", "·"),
    ("deg", "°"),
    ("frac12", "½"),
    ("eacute", "é"),
    ("egrave", "è"),
    ("ecirc", "ê"),
    ("aacute", "á"),
    ("agrave", "à"),
    ("acirc", "â"),
    ("iacute", "í"),
    ("oacute", "ó"),
    ("uacute", "ú"),
    ("ccedil", "ç"),
    ("ouml", "ö"),
    ("uuml", "ü"),
    ("auml", "ä"),
];

/// Decodes HTML character references (`&amp;`, `&#039;`, `&#x2019;`, `&eacute;`).
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        let decoded = tail.find(';').filter(|&end| end <= 10).and_then(|end| {
            let name = &tail[..end];
            let ch = if let Some(num) = name.strip_prefix('#') {
                let n = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => num.parse::<u32>().ok(),
                };
                n.and_then(char::from_u32).map(String::from)
            } else {
                NAMED
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            };
            ch.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push_str(&c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// One line of text: decoded, with runs of whitespace as one space.
pub fn clean_line(s: &str) -> String {
    decode_entities(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Decoded paragraphs: blank lines separate them, other line breaks and runs of spaces do
/// not matter.
pub fn paragraphs(s: &str) -> Vec<String> {
    let decoded = decode_entities(s).replace("\r\n", "\n").replace('\r', "\n");
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in decoded.lines() {
        let line = line.trim();
        if line.is_empty() {
            if !current.is_empty() {
                out.push(current.join(" "));
                current.clear();
            }
        } else {
            current.extend(line.split_whitespace());
        }
    }
    if !current.is_empty() {
        out.push(current.join(" "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_are_decoded_once() {
        assert_eq!(decode_entities("UK&#039;s caf&eacute;"), "UK's café");
        assert_eq!(decode_entities("L&amp;Q"), "L&Q");
        assert_eq!(decode_entities("&amp;amp;"), "&amp;");
        assert_eq!(decode_entities("&#x2019;"), "’");
        assert_eq!(
            decode_entities("Fish & Chips; & more"),
            "Fish & Chips; & more"
        );
        assert_eq!(decode_entities("&unknown;"), "&unknown;");
        assert_eq!(decode_entities("trailing &"), "trailing &");
    }

    #[test]
    fn paragraphs_from_padded_text() {
        let s = "First line\r\n      continues.\r\n      \r\n      Second &amp; last.";
        assert_eq!(
            paragraphs(s),
            vec!["First line continues.", "Second & last."]
        );
        assert_eq!(clean_line("  A \r\n B "), "A B");
    }
}

//! Markdown to HTML with GOV.UK Frontend's classes, and to plain text for search. Raw HTML in
//! Markdown is shown as text, never passed through: content and filled-in templates cannot
//! inject markup.

use pulldown_cmark::{Alignment, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

pub fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// "Who should do it?" → "who-should-do-it"
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

fn heading_class(level: HeadingLevel) -> (&'static str, &'static str) {
    match level {
        HeadingLevel::H1 => ("h2", "govuk-heading-l"),
        HeadingLevel::H2 => ("h2", "govuk-heading-m"),
        HeadingLevel::H3 => ("h3", "govuk-heading-s"),
        _ => ("h4", "govuk-heading-s"),
    }
}

/// Renders Markdown as HTML for a guide page. `#` headings become `h2`: the page's own title is
/// its only `h1`.
pub fn to_html(md: &str) -> String {
    let mut html = String::new();
    let mut list_stack: Vec<bool> = Vec::new();
    let mut heading: Option<(&str, String)> = None;
    let mut in_table_head = false;
    let mut alignments: Vec<Alignment> = Vec::new();
    let mut cell = 0usize;
    for event in Parser::new_ext(md, options()) {
        if let Some((_, text)) = heading.as_mut() {
            match &event {
                Event::Text(t) | Event::Code(t) => {
                    text.push_str(t);
                    continue;
                }
                Event::End(TagEnd::Heading(_)) => {}
                _ => continue,
            }
        }
        match event {
            Event::Start(tag) => match tag {
                Tag::Paragraph => html.push_str("<p class=\"govuk-body\">"),
                Tag::Heading { level, .. } => {
                    let (tag, _) = heading_class(level);
                    heading = Some((tag, String::new()));
                    let (_, class) = heading_class(level);
                    html.push_str(&format!("<{tag} class=\"{class}\""));
                }
                Tag::BlockQuote(_) => html.push_str("<div class=\"govuk-inset-text\">"),
                Tag::CodeBlock(_) => html.push_str("<pre class=\"govuk-body\"><code>"),
                Tag::List(Some(start)) => {
                    list_stack.push(true);
                    if start == 1 {
                        html.push_str("<ol class=\"govuk-list govuk-list--number\">");
                    } else {
                        html.push_str(&format!(
                            "<ol class=\"govuk-list govuk-list--number\" start=\"{start}\">"
                        ));
                    }
                }
                Tag::List(None) => {
                    list_stack.push(false);
                    html.push_str("<ul class=\"govuk-list govuk-list--bullet\">");
                }
                Tag::Item => html.push_str("<li>"),
                Tag::Table(a) => {
                    alignments = a;
                    html.push_str("<table class=\"govuk-table\">");
                }
                Tag::TableHead => {
                    in_table_head = true;
                    cell = 0;
                    html.push_str("<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
                }
                Tag::TableRow => {
                    cell = 0;
                    html.push_str("<tr class=\"govuk-table__row\">");
                }
                Tag::TableCell => {
                    let numeric = matches!(alignments.get(cell), Some(Alignment::Right));
                    let extra = if numeric { " govuk-table__header--numeric" } else { "" };
                    if in_table_head {
                        html.push_str(&format!("<th scope=\"col\" class=\"govuk-table__header{extra}\">"));
                    } else {
                        let extra = if numeric { " govuk-table__cell--numeric" } else { "" };
                        html.push_str(&format!("<td class=\"govuk-table__cell{extra}\">"));
                    }
                }
                Tag::Emphasis => html.push_str("<em>"),
                Tag::Strong => html.push_str("<strong>"),
                Tag::Strikethrough => html.push_str("<del>"),
                Tag::Link { dest_url, .. } => {
                    let external = dest_url.starts_with("http");
                    html.push_str(&format!(
                        "<a class=\"govuk-link\" href=\"{}\"{}>",
                        escape(&dest_url),
                        if external { " rel=\"noreferrer noopener\"" } else { "" }
                    ));
                }
                _ => {}
            },
            Event::End(end) => match end {
                TagEnd::Paragraph => html.push_str("</p>"),
                TagEnd::Heading(_) => {
                    if let Some((tag, text)) = heading.take() {
                        html.push_str(&format!(" id=\"{}\">{}</{tag}>", slugify(&text), escape(&text)));
                    }
                }
                TagEnd::BlockQuote(_) => html.push_str("</div>"),
                TagEnd::CodeBlock => html.push_str("</code></pre>"),
                TagEnd::List(_) => {
                    let ordered = list_stack.pop().unwrap_or(false);
                    html.push_str(if ordered { "</ol>" } else { "</ul>" });
                }
                TagEnd::Item => html.push_str("</li>"),
                TagEnd::Table => html.push_str("</tbody></table>"),
                TagEnd::TableHead => {
                    in_table_head = false;
                    html.push_str("</tr></thead><tbody class=\"govuk-table__body\">");
                }
                TagEnd::TableRow => html.push_str("</tr>"),
                TagEnd::TableCell => {
                    html.push_str(if in_table_head { "</th>" } else { "</td>" });
                    cell += 1;
                }
                TagEnd::Emphasis => html.push_str("</em>"),
                TagEnd::Strong => html.push_str("</strong>"),
                TagEnd::Strikethrough => html.push_str("</del>"),
                TagEnd::Link => html.push_str("</a>"),
                _ => {}
            },
            Event::Text(t) => html.push_str(&escape(&t)),
            Event::Code(t) => html.push_str(&format!("<code>{}</code>", escape(&t))),
            Event::Html(t) | Event::InlineHtml(t) => html.push_str(&escape(&t)),
            Event::SoftBreak => html.push('\n'),
            Event::HardBreak => html.push_str("<br>"),
            Event::Rule => html.push_str("<hr class=\"govuk-section-break govuk-section-break--m govuk-section-break--visible\">"),
            _ => {}
        }
    }
    // A table with no body rows still needs its tbody closed correctly: pulldown emits
    // TableHead then Table end, which the replacements above already balance.
    html
}

/// The words of a Markdown text, for the search index and for counting.
pub fn to_plain_text(md: &str) -> String {
    let mut out = String::new();
    for event in Parser::new_ext(md, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::TableCell,
            ) => out.push('\n'),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_govuk_markup() {
        let html =
            to_html("## Why?\n\nSome *text* and [a link](/guide/x).\n\n1. one\n2. two\n\n- a\n");
        assert!(
            html.contains("<h2 class=\"govuk-heading-m\" id=\"why\">Why?</h2>"),
            "{html}"
        );
        assert!(html.contains("<p class=\"govuk-body\">Some <em>text</em>"));
        assert!(html.contains("<a class=\"govuk-link\" href=\"/guide/x\">a link</a>"));
        assert!(html.contains("<ol class=\"govuk-list govuk-list--number\"><li>one</li>"));
        assert!(html.contains("<ul class=\"govuk-list govuk-list--bullet\"><li>a</li></ul>"));
    }

    #[test]
    fn raw_html_is_escaped() {
        let html = to_html("Hello <script>alert(1)</script> **x**\n\n<img src=x onerror=alert(1)>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn tables_get_govuk_classes() {
        let html = to_html("| a | b |\n|---|--:|\n| 1 | 2 |\n");
        assert!(html.contains("<table class=\"govuk-table\">"));
        assert!(html.contains("govuk-table__header--numeric"));
        assert!(html.contains("<td class=\"govuk-table__cell govuk-table__cell--numeric\">2</td>"));
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Who should do it?"), "who-should-do-it");
        assert_eq!(
            slugify("Do it with other boroughs"),
            "do-it-with-other-boroughs"
        );
    }
}

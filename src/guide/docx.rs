//! Markdown to a Word document (.docx, Office Open XML), written directly: a zip of a few XML
//! parts. It covers what templates produce — headings, paragraphs, bullet and numbered lists,
//! bold, italic, links, simple tables, quotes — with real Word styles, so the officer's house
//! style can be applied in Word with one click.

use std::io::{Cursor, Write};

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use zip::write::SimpleFileOptions;

use super::markdown::options;

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Characters XML 1.0 forbids would make Word refuse the whole file.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            _ => out.push(c),
        }
    }
    out
}

#[derive(Default, Clone, Copy)]
struct RunStyle {
    bold: bool,
    italic: bool,
    code: bool,
}

#[derive(Default)]
struct Writer {
    body: String,
    /// The paragraph being built: its properties and its runs.
    para_props: Option<String>,
    runs: String,
    style: RunStyle,
    /// Open lists: numbering instance id for each level.
    lists: Vec<u32>,
    next_num_id: u32,
    /// Numbered lists need their own numbering instance so each restarts at 1.
    ordered_instances: Vec<u32>,
    table: Option<Table>,
    in_quote: bool,
    link: Option<String>,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    header_rows: usize,
    cell: Option<String>,
    in_head: bool,
}

impl Writer {
    fn start_para(&mut self, props: String) {
        self.flush_para();
        self.para_props = Some(props);
    }

    fn flush_para(&mut self) {
        if let Some(props) = self.para_props.take() {
            let runs = std::mem::take(&mut self.runs);
            self.body
                .push_str(&format!("<w:p><w:pPr>{props}</w:pPr>{runs}</w:p>"));
        }
    }

    fn text(&mut self, t: &str) {
        if let Some(table) = self.table.as_mut()
            && let Some(cell) = table.cell.as_mut()
        {
            cell.push_str(&run(t, self.style));
            return;
        }
        if self.para_props.is_none() {
            let style = if self.in_quote { "Quote" } else { "Normal" };
            self.para_props = Some(format!("<w:pStyle w:val=\"{style}\"/>"));
        }
        self.runs.push_str(&run(t, self.style));
    }
}

fn run(t: &str, s: RunStyle) -> String {
    let mut props = String::new();
    if s.bold {
        props.push_str("<w:b/>");
    }
    if s.italic {
        props.push_str("<w:i/>");
    }
    if s.code {
        props.push_str("<w:rFonts w:ascii=\"Consolas\" w:hAnsi=\"Consolas\"/>");
    }
    let rpr = if props.is_empty() {
        String::new()
    } else {
        format!("<w:rPr>{props}</w:rPr>")
    };
    format!(
        "<w:r>{rpr}<w:t xml:space=\"preserve\">{}</w:t></w:r>",
        xml_escape(t)
    )
}

/// The `document.xml` body for a Markdown text, and the numbering instances it needs.
fn body_xml(md: &str) -> (String, Vec<u32>) {
    let mut w = Writer {
        next_num_id: 3,
        ..Writer::default()
    };
    for event in Parser::new_ext(md, options()) {
        match event {
            Event::Start(tag) => match tag {
                Tag::Heading { level, .. } => {
                    let n = match level {
                        HeadingLevel::H1 => 1,
                        HeadingLevel::H2 => 2,
                        _ => 3,
                    };
                    w.start_para(format!("<w:pStyle w:val=\"Heading{n}\"/>"));
                }
                // Inside a list item the item already opened its paragraph.
                Tag::Paragraph if w.para_props.is_none() && w.table.is_none() => {
                    let style = if w.in_quote { "Quote" } else { "Normal" };
                    w.start_para(format!("<w:pStyle w:val=\"{style}\"/>"));
                }
                Tag::List(start) => {
                    w.flush_para();
                    let id = if start.is_some() {
                        let id = w.next_num_id;
                        w.next_num_id += 1;
                        w.ordered_instances.push(id);
                        id
                    } else {
                        1
                    };
                    w.lists.push(id);
                }
                Tag::Item => {
                    let level = w.lists.len().saturating_sub(1).min(2);
                    let num = w.lists.last().copied().unwrap_or(1);
                    let style = if num == 1 { "ListBullet" } else { "ListNumber" };
                    w.start_para(format!(
                        "<w:pStyle w:val=\"{style}\"/><w:numPr><w:ilvl w:val=\"{level}\"/><w:numId w:val=\"{num}\"/></w:numPr>"
                    ));
                }
                Tag::BlockQuote(_) => {
                    w.flush_para();
                    w.in_quote = true;
                }
                Tag::Emphasis => w.style.italic = true,
                Tag::Strong => w.style.bold = true,
                Tag::Link { dest_url, .. } => w.link = Some(dest_url.to_string()),
                Tag::Table(_) => {
                    w.flush_para();
                    w.table = Some(Table::default());
                }
                Tag::TableHead => {
                    if let Some(t) = w.table.as_mut() {
                        t.in_head = true;
                        t.rows.push(Vec::new());
                    }
                }
                Tag::TableRow => {
                    if let Some(t) = w.table.as_mut() {
                        t.rows.push(Vec::new());
                    }
                }
                Tag::TableCell => {
                    if let Some(t) = w.table.as_mut() {
                        t.cell = Some(String::new());
                        w.style.bold = t.in_head;
                    }
                }
                Tag::CodeBlock(_) => w.start_para("<w:pStyle w:val=\"Normal\"/>".into()),
                _ => {}
            },
            Event::End(end) => match end {
                TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock => w.flush_para(),
                TagEnd::Paragraph if w.table.is_none() => w.flush_para(),
                TagEnd::List(_) => {
                    w.flush_para();
                    w.lists.pop();
                }
                TagEnd::BlockQuote(_) => {
                    w.flush_para();
                    w.in_quote = false;
                }
                TagEnd::Emphasis => w.style.italic = false,
                TagEnd::Strong => w.style.bold = false,
                TagEnd::Link => {
                    if let Some(url) = w.link.take()
                        && url.starts_with("http")
                    {
                        w.text(&format!(" ({url})"));
                    }
                }
                TagEnd::TableCell => {
                    w.style.bold = false;
                    if let Some(t) = w.table.as_mut()
                        && let Some(cell) = t.cell.take()
                        && let Some(row) = t.rows.last_mut()
                    {
                        row.push(cell);
                    }
                }
                TagEnd::TableHead => {
                    if let Some(t) = w.table.as_mut() {
                        t.in_head = false;
                        t.header_rows = 1;
                    }
                }
                TagEnd::Table => {
                    if let Some(t) = w.table.take() {
                        w.body.push_str(&table_xml(&t));
                    }
                }
                _ => {}
            },
            Event::Text(t) => w.text(&t),
            Event::Code(t) => {
                let saved = w.style;
                w.style.code = true;
                w.text(&t);
                w.style = saved;
            }
            Event::Html(t) | Event::InlineHtml(t) => w.text(&t),
            Event::SoftBreak => w.text(" "),
            Event::HardBreak => w.runs.push_str("<w:r><w:br/></w:r>"),
            Event::Rule => {
                w.flush_para();
                w.body.push_str("<w:p><w:pPr><w:pBdr><w:bottom w:val=\"single\" w:sz=\"6\" w:space=\"1\" w:color=\"B1B4B6\"/></w:pBdr></w:pPr></w:p>");
            }
            _ => {}
        }
    }
    w.flush_para();
    (w.body, w.ordered_instances)
}

fn table_xml(t: &Table) -> String {
    let cols = t.rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
    // A4 portrait text width at 2.54 cm margins is about 9,026 twentieths of a point.
    let width = 9026 / cols;
    let mut x = String::from(
        "<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/><w:tblW w:w=\"5000\" w:type=\"pct\"/>\
         <w:tblBorders><w:top w:val=\"single\" w:sz=\"4\" w:color=\"B1B4B6\"/><w:left w:val=\"single\" w:sz=\"4\" w:color=\"B1B4B6\"/>\
         <w:bottom w:val=\"single\" w:sz=\"4\" w:color=\"B1B4B6\"/><w:right w:val=\"single\" w:sz=\"4\" w:color=\"B1B4B6\"/>\
         <w:insideH w:val=\"single\" w:sz=\"4\" w:color=\"B1B4B6\"/><w:insideV w:val=\"single\" w:sz=\"4\" w:color=\"B1B4B6\"/></w:tblBorders>\
         </w:tblPr><w:tblGrid>",
    );
    for _ in 0..cols {
        x.push_str(&format!("<w:gridCol w:w=\"{width}\"/>"));
    }
    x.push_str("</w:tblGrid>");
    for (i, row) in t.rows.iter().enumerate() {
        x.push_str("<w:tr>");
        if i < t.header_rows {
            x.push_str("<w:trPr><w:tblHeader/></w:trPr>");
        }
        for c in 0..cols {
            let runs = row.get(c).map(String::as_str).unwrap_or("");
            x.push_str(&format!(
                "<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/></w:tcPr><w:p><w:pPr><w:pStyle w:val=\"Normal\"/></w:pPr>{runs}</w:p></w:tc>"
            ));
        }
        x.push_str("</w:tr>");
    }
    x.push_str("</w:tbl><w:p/>");
    x
}

const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

fn styles_xml() -> String {
    let heading = |n: u32, size: u32| {
        format!(
            "<w:style w:type=\"paragraph\" w:styleId=\"Heading{n}\"><w:name w:val=\"heading {n}\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>\
             <w:pPr><w:keepNext/><w:spacing w:before=\"360\" w:after=\"120\"/><w:outlineLvl w:val=\"{}\"/></w:pPr><w:rPr><w:b/><w:sz w:val=\"{size}\"/></w:rPr></w:style>",
            n - 1
        )
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<w:styles xmlns:w=\"{W_NS}\">\
<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"Arial\" w:hAnsi=\"Arial\" w:cs=\"Arial\"/><w:sz w:val=\"24\"/><w:lang w:val=\"en-GB\"/></w:rPr></w:rPrDefault>\
<w:pPrDefault><w:pPr><w:spacing w:after=\"160\" w:line=\"276\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>\
<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/></w:style>\
{}{}{}\
<w:style w:type=\"paragraph\" w:styleId=\"ListBullet\"><w:name w:val=\"List Bullet\"/><w:basedOn w:val=\"Normal\"/><w:pPr><w:spacing w:after=\"80\"/></w:pPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"ListNumber\"><w:name w:val=\"List Number\"/><w:basedOn w:val=\"Normal\"/><w:pPr><w:spacing w:after=\"80\"/></w:pPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Quote\"><w:name w:val=\"Quote\"/><w:basedOn w:val=\"Normal\"/><w:pPr><w:ind w:left=\"567\"/><w:pBdr><w:left w:val=\"single\" w:sz=\"24\" w:space=\"8\" w:color=\"1D70B8\"/></w:pBdr></w:pPr></w:style>\
<w:style w:type=\"table\" w:styleId=\"TableGrid\"><w:name w:val=\"Table Grid\"/><w:tblPr><w:tblCellMar><w:left w:w=\"108\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>\
</w:styles>",
        heading(1, 36),
        heading(2, 30),
        heading(3, 26)
    )
}

fn numbering_xml(ordered: &[u32]) -> String {
    let level = |ilvl: u32, fmt: &str, text: &str| {
        let indent = 720 * (ilvl + 1);
        format!(
            "<w:lvl w:ilvl=\"{ilvl}\"><w:start w:val=\"1\"/><w:numFmt w:val=\"{fmt}\"/><w:lvlText w:val=\"{text}\"/><w:lvlJc w:val=\"left\"/>\
             <w:pPr><w:ind w:left=\"{indent}\" w:hanging=\"360\"/></w:pPr></w:lvl>"
        )
    };
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:numbering xmlns:w=\"{W_NS}\">"
    );
    x.push_str(
        "<w:abstractNum w:abstractNumId=\"0\"><w:multiLevelType w:val=\"hybridMultilevel\"/>",
    );
    for (i, sym) in ["•", "◦", "▪"].iter().enumerate() {
        x.push_str(&level(i as u32, "bullet", sym));
    }
    x.push_str("</w:abstractNum><w:abstractNum w:abstractNumId=\"1\"><w:multiLevelType w:val=\"hybridMultilevel\"/>");
    for (i, (fmt, text)) in [
        ("decimal", "%1."),
        ("lowerLetter", "%2."),
        ("lowerRoman", "%3."),
    ]
    .iter()
    .enumerate()
    {
        x.push_str(&level(i as u32, fmt, text));
    }
    x.push_str("</w:abstractNum>");
    x.push_str("<w:num w:numId=\"1\"><w:abstractNumId w:val=\"0\"/></w:num>");
    x.push_str("<w:num w:numId=\"2\"><w:abstractNumId w:val=\"1\"/></w:num>");
    for id in ordered {
        x.push_str(&format!(
            "<w:num w:numId=\"{id}\"><w:abstractNumId w:val=\"1\"/><w:lvlOverride w:ilvl=\"0\"><w:startOverride w:val=\"1\"/></w:lvlOverride></w:num>"
        ));
    }
    x.push_str("</w:numbering>");
    x
}

/// Builds a .docx from Markdown. `title` goes into the document properties.
pub fn from_markdown(title: &str, md: &str) -> Vec<u8> {
    let (body, ordered) = body_xml(md);
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<w:document xmlns:w=\"{W_NS}\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><w:body>{body}\
<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1440\" w:right=\"1440\" w:bottom=\"1440\" w:left=\"1440\" w:header=\"708\" w:footer=\"708\" w:gutter=\"0\"/></w:sectPr>\
</w:body></w:document>"
    );
    let content_types = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
<Override PartName=\"/word/numbering.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
<Override PartName=\"/docProps/app.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>\
</Types>";
    let rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/>\
</Relationships>";
    let doc_rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering\" Target=\"numbering.xml\"/>\
</Relationships>";
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    let core = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
<dc:title>{}</dc:title><dc:creator>procurekit</dc:creator><dc:language>en-GB</dc:language>\
<dcterms:created xsi:type=\"dcterms:W3CDTF\">{now}</dcterms:created><dcterms:modified xsi:type=\"dcterms:W3CDTF\">{now}</dcterms:modified>\
</cp:coreProperties>",
        xml_escape(title)
    );
    let app = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\"><Application>procurekit</Application></Properties>";

    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let parts: [(&str, &str); 7] = [
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", rels),
        ("word/_rels/document.xml.rels", doc_rels),
        ("word/document.xml", &document),
        ("word/styles.xml", &styles_xml()),
        ("word/numbering.xml", &numbering_xml(&ordered)),
        ("docProps/core.xml", &core),
    ];
    // Writing to memory cannot fail for lack of space; an error here is a bug.
    for (name, xml) in parts.iter().chain([("docProps/app.xml", app)].iter()) {
        zip.start_file(*name, opts).expect("zip entry in memory");
        zip.write_all(xml.as_bytes()).expect("zip write in memory");
    }
    zip.finish().expect("zip finish in memory").into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_styles_lists_and_tables() {
        let (xml, ordered) = body_xml(
            "# Title\n\nA **bold** & <odd> word.\n\n1. one\n2. two\n\n- a\n- b\n\n| h1 | h2 |\n|---|---|\n| c1 | c2 |\n",
        );
        assert!(xml.contains("<w:pStyle w:val=\"Heading1\"/>"), "{xml}");
        assert!(xml.contains("<w:b/></w:rPr><w:t xml:space=\"preserve\">bold</w:t>"));
        assert!(
            xml.contains("&amp; ") && xml.contains("&lt;odd&gt;"),
            "{xml}"
        );
        assert_eq!(ordered, vec![3]);
        assert!(xml.contains("<w:numId w:val=\"3\"/>"));
        assert!(xml.contains("<w:numId w:val=\"1\"/>"));
        assert!(xml.contains("<w:tbl>") && xml.contains("c2"));
    }
}

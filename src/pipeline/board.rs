//! The opportunities board and the London pipeline: published procurements, searched and
//! filtered the way suppliers ask ("IT, London, under £200k, starting next year, SME-friendly"),
//! and the same search as Atom, CSV and JSON.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::store::{Procurement, SELECT, push_cond};
use super::{Stage, Status, VALUE_BANDS};
use crate::args;
use crate::db::{Arg, Db, DbResult, like_pattern};
use crate::visibility::Viewer;

pub const PAGE_SIZE: i64 = 20;

/// A board search, parsed from a query string. Unknown or malformed values are dropped and
/// reported in `ignored`, never turned into SQL.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoardQuery {
    pub q: String,
    pub borough: String,
    pub cpv: String,
    pub band: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub stage: Option<Stage>,
    pub status: Option<Status>,
    pub sme: bool,
    pub sort: Sort,
    pub page: i64,
    pub ignored: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Soonest expected tender first (what suppliers plan around).
    #[default]
    TenderDate,
    Newest,
    ValueHigh,
}

impl Sort {
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::TenderDate => "tender_date",
            Sort::Newest => "newest",
            Sort::ValueHigh => "value",
        }
    }
}

impl BoardQuery {
    pub fn parse(pairs: &[(String, String)]) -> BoardQuery {
        let mut b = BoardQuery {
            page: 1,
            ..BoardQuery::default()
        };
        for (k, v) in pairs {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            match k.as_str() {
                "q" => b.q = v.chars().take(200).collect(),
                "borough" => {
                    if v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                        b.borough = v.to_owned()
                    } else {
                        b.ignored.push(format!("borough {v:?}"))
                    }
                }
                "cpv" => {
                    let digits: String = v.chars().take_while(|c| c.is_ascii_digit()).collect();
                    if (2..=8).contains(&digits.len()) {
                        b.cpv = digits.trim_end_matches('0').to_owned();
                        if b.cpv.len() < 2 {
                            b.cpv = digits[..2].to_owned();
                        }
                    } else {
                        b.ignored.push(format!("CPV {v:?}"));
                    }
                }
                "band" => {
                    if VALUE_BANDS.iter().any(|(k, ..)| *k == v) {
                        b.band = v.to_owned()
                    } else {
                        b.ignored.push(format!("value band {v:?}"))
                    }
                }
                "from" => match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                    Ok(d) => b.from = Some(d),
                    Err(_) => b.ignored.push(format!("date {v:?} (use YYYY-MM-DD)")),
                },
                "to" => match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                    Ok(d) => b.to = Some(d),
                    Err(_) => b.ignored.push(format!("date {v:?} (use YYYY-MM-DD)")),
                },
                "stage" => match v.parse() {
                    Ok(s) => b.stage = Some(s),
                    Err(_) => b.ignored.push(format!("stage {v:?}")),
                },
                "status" => match v.parse() {
                    Ok(s) => b.status = Some(s),
                    Err(_) => b.ignored.push(format!("status {v:?}")),
                },
                "sme" => b.sme = matches!(v, "1" | "yes" | "true" | "on"),
                "sort" => {
                    b.sort = match v {
                        "newest" => Sort::Newest,
                        "value" => Sort::ValueHigh,
                        _ => Sort::TenderDate,
                    }
                }
                "page" => {
                    b.page = v
                        .parse::<i64>()
                        .ok()
                        .filter(|p| *p >= 1 && *p <= 10_000)
                        .unwrap_or(1)
                }
                _ => {}
            }
        }
        b
    }

    /// The query string for this search (page excluded), for links, feeds and saved searches.
    pub fn to_query_string(&self) -> String {
        let mut parts: Vec<(String, String)> = Vec::new();
        let mut push = |k: &str, v: String| {
            if !v.is_empty() {
                parts.push((k.to_owned(), v));
            }
        };
        push("q", self.q.clone());
        push("borough", self.borough.clone());
        push("cpv", self.cpv.clone());
        push("band", self.band.clone());
        push("from", self.from.map(|d| d.to_string()).unwrap_or_default());
        push("to", self.to.map(|d| d.to_string()).unwrap_or_default());
        push(
            "stage",
            self.stage
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
        );
        push(
            "status",
            self.status
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
        );
        if self.sme {
            push("sme", "1".into());
        }
        if self.sort != Sort::TenderDate {
            push("sort", self.sort.as_str().into());
        }
        serde_urlencoded::to_string(&parts).unwrap_or_default()
    }

    pub fn has_status(&self, s: &Status) -> bool {
        self.status == Some(*s)
    }

    pub fn has_stage(&self, s: &Stage) -> bool {
        self.stage == Some(*s)
    }

    pub fn is_empty(&self) -> bool {
        self.to_query_string().is_empty()
    }

    /// A sentence describing the search, for a saved search's default name and feed titles.
    pub fn describe(&self) -> String {
        let mut bits = Vec::new();
        if !self.q.is_empty() {
            bits.push(format!("“{}”", self.q));
        }
        if !self.cpv.is_empty() {
            bits.push(format!("CPV {}…", self.cpv));
        }
        if !self.borough.is_empty() {
            bits.push(self.borough.replace('-', " "));
        }
        if let Some((_, label, ..)) = VALUE_BANDS.iter().find(|(k, ..)| *k == self.band) {
            bits.push(label.to_string());
        }
        if self.sme {
            bits.push("suitable for SMEs".into());
        }
        if bits.is_empty() {
            "All opportunities".into()
        } else {
            bits.join(", ")
        }
    }
}

pub struct BoardResult {
    pub items: Vec<Procurement>,
    pub total: i64,
}

/// Published procurements the viewer may see, matching the query. Private records never
/// appear, even to their own organisation: the board is what others see.
pub async fn search(
    db: &Db,
    viewer: &Viewer,
    q: &BoardQuery,
    limit: Option<i64>,
) -> DbResult<BoardResult> {
    let scope = viewer.scope("p", 1);
    let mut args: Vec<Arg> = scope.args;
    let mut filter = format!(" WHERE p.visibility <> 'private' AND {}", scope.sql);
    if !q.q.is_empty() {
        let pattern = like_pattern(&q.q.to_lowercase());
        args.push(Arg::from(pattern));
        let n = args.len();
        filter.push_str(&format!(
            " AND (lower(p.title) LIKE ${n} ESCAPE '\\' OR lower(p.need) LIKE ${n} ESCAPE '\\')"
        ));
    }
    if !q.borough.is_empty() {
        push_cond(
            &mut filter,
            &mut args,
            "o.slug = $?",
            Arg::from(q.borough.as_str()),
        );
    }
    if !q.cpv.is_empty() {
        push_cond(
            &mut filter,
            &mut args,
            "p.cpv_code LIKE $?",
            Arg::from(format!("{}%", q.cpv)),
        );
    }
    if let Some((_, _, lo, hi)) = VALUE_BANDS.iter().find(|(k, ..)| *k == q.band) {
        push_cond(
            &mut filter,
            &mut args,
            "p.estimated_value_pence >= $?",
            Arg::from(*lo),
        );
        if *hi < i64::MAX {
            push_cond(
                &mut filter,
                &mut args,
                "p.estimated_value_pence < $?",
                Arg::from(*hi),
            );
        }
    }
    if let Some(d) = q.from {
        push_cond(
            &mut filter,
            &mut args,
            "p.expected_tender_date >= $?",
            Arg::from(d),
        );
    }
    if let Some(d) = q.to {
        push_cond(
            &mut filter,
            &mut args,
            "p.expected_tender_date <= $?",
            Arg::from(d),
        );
    }
    if let Some(s) = q.stage {
        push_cond(&mut filter, &mut args, "p.stage = $?", Arg::from(s));
    }
    if let Some(s) = q.status {
        push_cond(&mut filter, &mut args, "p.status = $?", Arg::from(s));
    }
    if q.sme {
        filter.push_str(" AND p.sme_suitable");
    }
    let total = db
        .scalar::<i64>(
            format!("SELECT COUNT(*) FROM procurements p JOIN organisations o ON o.id = p.org_id{filter}"),
            args.clone(),
        )
        .await?
        .unwrap_or(0);
    // Items without an expected date sort last, not first: "no date" is not "soonest".
    let order = match q.sort {
        Sort::TenderDate => {
            " ORDER BY CASE WHEN p.expected_tender_date IS NULL THEN 1 ELSE 0 END, p.expected_tender_date, p.id"
        }
        Sort::Newest => " ORDER BY p.published_at DESC, p.id DESC",
        Sort::ValueHigh => {
            " ORDER BY CASE WHEN p.estimated_value_pence IS NULL THEN 1 ELSE 0 END, p.estimated_value_pence DESC, p.id"
        }
    };
    let limit = limit.unwrap_or(PAGE_SIZE);
    args.push(Arg::from(limit));
    args.push(Arg::from((q.page - 1) * limit));
    let n = args.len();
    let items = db
        .fetch_all(
            format!("{SELECT}{filter}{order} LIMIT ${} OFFSET ${n}", n - 1),
            args,
        )
        .await?;
    Ok(BoardResult { items, total })
}

/// Boroughs with published procurements, for the borough filter.
pub async fn boroughs_with_items(db: &Db, viewer: &Viewer) -> DbResult<Vec<(String, String)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        slug: String,
        short_name: String,
    }
    let scope = viewer.scope("p", 1);
    let rows: Vec<Row> = db
        .fetch_all(
            format!(
                "SELECT DISTINCT o.slug, o.short_name FROM procurements p JOIN organisations o ON o.id = p.org_id
                 WHERE p.visibility <> 'private' AND {} ORDER BY o.short_name",
                scope.sql
            ),
            scope.args,
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.slug, r.short_name)).collect())
}

/// One opportunity as published in feeds and the JSON download.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Opportunity {
    pub id: i64,
    pub url: String,
    pub title: String,
    pub description: String,
    pub buyer: String,
    pub cpv: String,
    pub cpv_label: String,
    pub estimated_value_pence: Option<i64>,
    pub procedure: String,
    pub stage: String,
    pub status: String,
    pub expected_tender_date: Option<NaiveDate>,
    pub expected_start_date: Option<NaiveDate>,
    pub contract_months: Option<i64>,
    pub sme_suitable: bool,
    pub visibility: String,
}

impl Opportunity {
    pub fn from(p: &Procurement, base: &str) -> Opportunity {
        Opportunity {
            id: p.id,
            url: format!("{}/procurements/{}", base.trim_end_matches('/'), p.id),
            title: p.title.clone(),
            description: p.need.clone(),
            buyer: p.org_name.clone(),
            cpv: p.cpv_full(),
            cpv_label: p.cpv_label().to_owned(),
            estimated_value_pence: p.estimated_value_pence,
            procedure: p.procedure_kind.label().to_owned(),
            stage: p.stage.as_str().to_owned(),
            status: p.status.as_str().to_owned(),
            expected_tender_date: p.expected_tender_date,
            expected_start_date: p.expected_start_date,
            contract_months: p.contract_months,
            sme_suitable: p.sme_suitable,
            visibility: p.visibility.as_str().to_owned(),
        }
    }
}

fn xml_escape(s: &str) -> String {
    crate::guide::markdown::escape(s)
}

/// An Atom 1.0 feed of a search (RFC 4287).
pub fn atom(items: &[Procurement], q: &BoardQuery, base: &str) -> String {
    let base = base.trim_end_matches('/');
    let qs = q.to_query_string();
    let self_url = format!(
        "{base}/opportunities.atom{}{}",
        if qs.is_empty() { "" } else { "?" },
        qs
    );
    let updated = items.iter().map(|p| p.updated_at).max().unwrap_or(0);
    let ts = |t: i64| {
        chrono::DateTime::<chrono::Utc>::from_timestamp(t, 0)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n",
    );
    x.push_str(&format!(
        "  <title>{}</title>\n",
        xml_escape(&format!("London opportunities: {}", q.describe()))
    ));
    x.push_str(&format!("  <id>{}</id>\n", xml_escape(&self_url)));
    x.push_str(&format!(
        "  <link rel=\"self\" href=\"{}\"/>\n",
        xml_escape(&self_url)
    ));
    x.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        xml_escape(&format!("{base}/opportunities?{qs}"))
    ));
    x.push_str(&format!(
        "  <updated>{}</updated>\n  <author><name>procurekit</name></author>\n",
        ts(updated)
    ));
    for p in items {
        let url = format!("{base}/procurements/{}", p.id);
        let summary = format!(
            "{} — {}. Estimated value: {}. Expected tender: {}. CPV {}.",
            p.org_name,
            p.need,
            p.value_text(),
            Procurement::date_text(&p.expected_tender_date),
            p.cpv_full()
        );
        x.push_str("  <entry>\n");
        x.push_str(&format!("    <title>{}</title>\n", xml_escape(&p.title)));
        x.push_str(&format!("    <id>{}</id>\n", xml_escape(&url)));
        x.push_str(&format!("    <link href=\"{}\"/>\n", xml_escape(&url)));
        x.push_str(&format!("    <updated>{}</updated>\n", ts(p.updated_at)));
        if let Some(pb) = p.published_at {
            x.push_str(&format!("    <published>{}</published>\n", ts(pb)));
        }
        x.push_str(&format!(
            "    <author><name>{}</name></author>\n",
            xml_escape(&p.org_name)
        ));
        x.push_str(&format!(
            "    <category term=\"{}\" label=\"{}\"/>\n",
            p.cpv_full(),
            xml_escape(p.cpv_label())
        ));
        x.push_str(&format!(
            "    <summary>{}</summary>\n",
            xml_escape(&summary)
        ));
        x.push_str("  </entry>\n");
    }
    x.push_str("</feed>\n");
    x
}

/// CSV with a header row; fields quoted as RFC 4180 requires, and cells that a spreadsheet
/// would run as a formula prefixed with an apostrophe.
pub fn csv(items: &[Procurement], base: &str) -> String {
    let header = [
        "id",
        "title",
        "buyer",
        "description",
        "cpv",
        "cpv_label",
        "estimated_value_gbp",
        "procedure",
        "stage",
        "status",
        "expected_tender_date",
        "expected_start_date",
        "contract_months",
        "sme_suitable",
        "url",
    ];
    let mut out = csv_row(header.iter().map(|s| s.to_string()));
    for p in items {
        let o = Opportunity::from(p, base);
        out.push_str(&csv_row([
            o.id.to_string(),
            o.title,
            o.buyer,
            o.description,
            o.cpv,
            o.cpv_label,
            o.estimated_value_pence
                .map(|v| format!("{}.{:02}", v / 100, v % 100))
                .unwrap_or_default(),
            o.procedure,
            o.stage,
            o.status,
            o.expected_tender_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
            o.expected_start_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
            o.contract_months.map(|m| m.to_string()).unwrap_or_default(),
            if o.sme_suitable {
                "yes".into()
            } else {
                "no".into()
            },
            o.url,
        ]));
    }
    out
}

pub fn csv_row(cells: impl IntoIterator<Item = String>) -> String {
    let cells: Vec<String> = cells
        .into_iter()
        .map(|c| {
            let c = if c.starts_with(['=', '+', '-', '@']) && c.parse::<f64>().is_err() {
                format!("'{c}")
            } else {
                c
            };
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c
            }
        })
        .collect();
    format!("{}\r\n", cells.join(","))
}

/// Counts by CPV division for the board's "browse by category" list.
pub async fn division_counts(db: &Db, viewer: &Viewer) -> DbResult<BTreeMap<String, i64>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        cpv_division: String,
        n: i64,
    }
    let scope = viewer.scope("p", 1);
    let rows: Vec<Row> = db
        .fetch_all(
            format!(
                "SELECT p.cpv_division, COUNT(*) AS n FROM procurements p
                 WHERE p.visibility <> 'private' AND p.status <> 'cancelled' AND {} GROUP BY p.cpv_division",
                scope.sql
            ),
            scope.args,
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.cpv_division, r.n)).collect())
}

pub async fn saved_searches(db: &Db, user_id: i64) -> DbResult<Vec<SavedSearch>> {
    db.fetch_all(
        "SELECT id, name, query, alerts FROM saved_searches WHERE user_id = $1 ORDER BY id",
        args![user_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SavedSearch {
    pub id: i64,
    pub name: String,
    pub query: String,
    pub alerts: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(s).unwrap()
    }

    #[test]
    fn queries_parse_and_round_trip() {
        let q = BoardQuery::parse(&pairs(
            "q=housing&cpv=72000000-5&band=over-2m&from=2027-01-01&sme=1&sort=value&page=2",
        ));
        assert_eq!(q.cpv, "72");
        assert_eq!(q.page, 2);
        assert!(q.sme);
        assert!(q.ignored.is_empty());
        let again = BoardQuery::parse(&pairs(&q.to_query_string()));
        assert_eq!(again.to_query_string(), q.to_query_string());
    }

    #[test]
    fn bad_values_are_ignored_and_reported() {
        let q = BoardQuery::parse(&pairs(
            "borough=x';drop&cpv=abc&band=huge&from=31/12/2026&stage=later&page=-3",
        ));
        assert_eq!(
            q,
            BoardQuery {
                page: 1,
                ignored: q.ignored.clone(),
                ..BoardQuery::default()
            }
        );
        assert_eq!(q.ignored.len(), 5);
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(
            csv_row([
                "a,b".into(),
                "=SUM(A1)".into(),
                "-5".into(),
                "say \"hi\"".into()
            ]),
            "\"a,b\",'=SUM(A1),-5,\"say \"\"hi\"\"\"\r\n"
        );
    }
}

//! Pages: the public list of imported notices with filters, a notice's page, and the platform
//! admins' upload of OCDS packages.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::Outcome;
use super::cpv::CpvPrefix;
use super::import::{self, FileProblem, ImportError, ImportReport, Input, Options};
use super::similar::{self, PastProcurement, SimilarQuery};
use super::store::{
    self, BuyerFilter, Notice, NoticeCpv, NoticeDetail, NoticeFilter, NoticeSupplier, Sort,
};
use crate::accounts::{OrgKind, Organisation, Role, store as accounts};
use crate::money::Pence;
use crate::web::auth::Auth;
use crate::web::form::Errors;
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

/// Uploads are OCDS JSON: a Contracts Finder notice is about 15 KB, a day's bulk package a
/// few megabytes.
pub const UPLOAD_LIMIT: usize = 20 * 1024 * 1024;

pub const PER_PAGE: i64 = 25;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notices", get(list))
        .route("/notices/{ocid}", get(notice))
        .route(
            "/admin/ocds",
            get(upload_form)
                .post(upload)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
}

fn render(status: StatusCode, t: impl Template) -> Result<Response, PageError> {
    Ok((status, Html(t.render()?)).into_response())
}

// ---- The list ----

#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct ListQuery {
    /// Words that must all appear in the title, description, buyer or a supplier's name.
    #[serde(default)]
    pub q: String,
    /// A CPV code or its first digits: `72`, `72212000-4`.
    #[serde(default)]
    pub cpv: String,
    /// Empty for any buyer, `london` for any London authority, or a London authority's slug
    /// (`camden`).
    #[serde(default)]
    pub buyer: String,
    /// planned, open, closed, awarded, contracted, cancelled, unsuccessful or unknown.
    #[serde(default)]
    pub outcome: String,
    /// Empty for newest first, `oldest`, or `value` (highest first).
    #[serde(default)]
    pub sort: String,
    /// Page number, from 1; 25 notices a page.
    #[serde(default)]
    pub page: String,
}

pub struct NoticeCard {
    pub notice: Notice,
    pub cpv: Vec<NoticeCpv>,
    pub suppliers: Vec<NoticeSupplier>,
}

#[derive(Template)]
#[template(path = "ocds/templates/notices.html")]
struct ListPage {
    layout: Layout,
    query: ListQuery,
    errors: Errors,
    boroughs: Vec<Organisation>,
    outcomes: Vec<Outcome>,
    cards: Vec<NoticeCard>,
    total: i64,
    page: i64,
    pages: i64,
    stored: i64,
    stored_london: i64,
}

impl ListPage {
    /// The address of another page of the same search.
    fn page_href(&self, page: &i64) -> String {
        let q = &self.query;
        let mut parts = Vec::new();
        for (k, v) in [
            ("q", &q.q),
            ("cpv", &q.cpv),
            ("buyer", &q.buyer),
            ("outcome", &q.outcome),
            ("sort", &q.sort),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", crate::web::filters::urlencode(v)));
            }
        }
        parts.push(format!("page={page}"));
        format!("/notices?{}", parts.join("&"))
    }
}

/// The filters of a notice search as typed, checked. Shared by the page and the API; the
/// errors name the field and say what to do.
pub fn parse_filter(query: &ListQuery, boroughs: &[Organisation]) -> (NoticeFilter, Errors) {
    let mut errors = Errors::default();
    let mut filter = NoticeFilter {
        words: query
            .q
            .split_whitespace()
            .take(10)
            .map(|w| w.chars().take(60).collect())
            .collect(),
        ..NoticeFilter::default()
    };
    if !query.cpv.trim().is_empty() {
        match CpvPrefix::parse(&query.cpv) {
            Ok(p) => filter.cpv = Some(p),
            Err(_) => errors.add(
                "cpv",
                "Enter a CPV code or its first digits, like 72 or 72212000-4",
            ),
        }
    }
    filter.buyer = match query.buyer.as_str() {
        "" => BuyerFilter::Anyone,
        "london" => BuyerFilter::London,
        slug => match boroughs.iter().find(|b| b.slug == slug) {
            Some(b) => BuyerFilter::Organisation(b.id),
            None => {
                errors.add("buyer", "Choose a London authority from the list");
                BuyerFilter::Anyone
            }
        },
    };
    if !query.outcome.is_empty() {
        match query.outcome.parse::<Outcome>() {
            Ok(o) => filter.outcome = Some(o),
            Err(_) => errors.add("outcome", "Choose an outcome from the list"),
        }
    }
    filter.sort = match query.sort.as_str() {
        "oldest" => Sort::Oldest,
        "value" => Sort::HighestValue,
        _ => Sort::Newest,
    };
    (filter, errors)
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let boroughs = accounts::organisations(&state.db, Some(OrgKind::Borough)).await?;
    let (filter, errors) = parse_filter(&query, &boroughs);
    let mut page = query.page.parse::<i64>().unwrap_or(1).max(1);
    let (mut notices, total) =
        store::search(&state.db, &filter, (page - 1) * PER_PAGE, PER_PAGE).await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    if page > pages {
        // A page number from an old link, past the end of today's results: show the last.
        page = pages;
        notices = store::search(&state.db, &filter, (page - 1) * PER_PAGE, PER_PAGE)
            .await?
            .0;
    }
    let cards = cards(&state, notices).await?;
    let (stored, stored_london) = store::counts(&state.db).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if errors.is_empty() {
        "Past procurement notices"
    } else {
        "Error: Past procurement notices"
    };
    render(
        status,
        ListPage {
            layout: Layout::new(&auth, title).crumb("Home", "/"),
            query,
            errors,
            boroughs,
            outcomes: Outcome::ALL.to_vec(),
            cards,
            total,
            page,
            pages,
            stored,
            stored_london,
        },
    )
}

async fn cards(state: &AppState, notices: Vec<Notice>) -> Result<Vec<NoticeCard>, PageError> {
    let ids: Vec<i64> = notices.iter().map(|n| n.id).collect();
    let mut cpv = store::cpv_of(&state.db, &ids).await?;
    let mut suppliers = store::suppliers_of(&state.db, &ids).await?;
    Ok(notices
        .into_iter()
        .map(|n| {
            let id = n.id;
            NoticeCard {
                notice: n,
                cpv: drain_where(&mut cpv, |c| c.record_id == id),
                suppliers: drain_where(&mut suppliers, |s| s.record_id == id),
            }
        })
        .collect())
}

fn drain_where<T>(v: &mut Vec<T>, keep: impl Fn(&T) -> bool) -> Vec<T> {
    let (mine, rest): (Vec<T>, Vec<T>) = std::mem::take(v).into_iter().partition(keep);
    *v = rest;
    mine
}

// ---- One notice ----

#[derive(Template)]
#[template(path = "ocds/templates/notice.html")]
struct NoticePage {
    layout: Layout,
    d: NoticeDetail,
    description: Vec<String>,
    cpv: Vec<NoticeCpv>,
    suppliers: Vec<NoticeSupplier>,
    releases: Vec<store::ReleaseRow>,
    similar: Vec<PastProcurement>,
}

impl NoticePage {
    fn money(&self, p: &Option<i64>) -> String {
        p.map(|p| Pence(p).to_string()).unwrap_or_default()
    }
    fn date(&self, d: &Option<chrono::NaiveDate>) -> String {
        d.map(crate::web::filters::long_date).unwrap_or_default()
    }
    fn when(&self, ts: &i64) -> String {
        store::day(*ts)
    }
    fn source_is_link(&self) -> bool {
        self.d
            .source_uri
            .as_deref()
            .is_some_and(|u| u.starts_with("https://") || u.starts_with("http://"))
    }
    fn cpv_prefix(&self, code: &str) -> String {
        CpvPrefix::parse(code)
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default()
    }
}

async fn notice(
    State(state): State<AppState>,
    auth: Auth,
    Path(ocid): Path<String>,
) -> Result<Response, PageError> {
    let d = store::by_ocid(&state.db, &ocid)
        .await?
        .ok_or(PageError::NotFound)?;
    let id = d.notice.id;
    let cpv = store::cpv_of(&state.db, &[id]).await?;
    let suppliers = store::suppliers_of(&state.db, &[id]).await?;
    let releases = store::releases_of_ocid(&state.db, &ocid).await?;
    let mut prefixes: Vec<CpvPrefix> = cpv
        .iter()
        .filter_map(|c| CpvPrefix::parse(&c.code).ok())
        .collect();
    prefixes.dedup();
    let similar = similar::find_similar(
        &state.db,
        &SimilarQuery {
            cpv_prefixes: prefixes,
            keywords: similar::keywords(&[&d.notice.title]),
            london_only: true,
            exclude_ocid: Some(ocid.clone()),
            limit: 5,
        },
    )
    .await?;
    render(
        StatusCode::OK,
        NoticePage {
            layout: Layout::new(&auth, d.notice.title.clone())
                .crumb("Home", "/")
                .crumb("Past procurement notices", "/notices"),
            // Stored decoded, one blank line between paragraphs: split, not decoded again.
            description: d
                .description
                .split("\n\n")
                .filter(|p| !p.trim().is_empty())
                .map(str::to_owned)
                .collect(),
            d,
            cpv,
            suppliers,
            releases,
            similar,
        },
    )
}

// ---- Upload (platform admins) ----

#[derive(Template)]
#[template(path = "ocds/templates/upload.html")]
struct UploadPage {
    layout: Layout,
    errors: Errors,
    problems: Vec<FileProblem>,
    report: Option<ImportReport>,
    skip_invalid: bool,
    limit: String,
    stored: i64,
    stored_london: i64,
}

const ADMIN_ONLY: &str = "Only platform admins can import notices.";

async fn upload_page(
    state: &AppState,
    auth: &Auth,
    status: StatusCode,
    errors: Errors,
    problems: Vec<FileProblem>,
    report: Option<ImportReport>,
    skip_invalid: bool,
) -> Result<Response, PageError> {
    let (stored, stored_london) = store::counts(&state.db).await?;
    let title = if errors.is_empty() {
        "Import OCDS notices"
    } else {
        "Error: Import OCDS notices"
    };
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let notice = report.as_ref().map(|r| {
        format!(
            "Read {} ({} new) of {} ({} new, {} updated)",
            plural(r.releases.read, "release", "releases"),
            r.releases.new,
            plural(r.records.compiled, "notice", "notices"),
            r.records.new,
            r.records.updated,
        )
    });
    render(
        status,
        UploadPage {
            layout: Layout::new(auth, title)
                .crumb("Home", "/")
                .crumb("Platform admin", "/admin")
                .notice(notice),
            errors,
            problems,
            report,
            skip_invalid,
            limit: crate::web::error::human_bytes(UPLOAD_LIMIT),
            stored,
            stored_london,
        },
    )
}

async fn upload_form(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    auth.require_role("/admin/ocds", &[Role::PlatformAdmin], ADMIN_ONLY)?;
    upload_page(
        &state,
        &auth,
        StatusCode::OK,
        Errors::default(),
        vec![],
        None,
        false,
    )
    .await
}

async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let user = auth
        .require_role("/admin/ocds", &[Role::PlatformAdmin], ADMIN_ONLY)?
        .clone();
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            PageError::TooLarge {
                limit_bytes: UPLOAD_LIMIT,
            }
        } else {
            PageError::BadRequest(format!("The upload could not be read: {}", e.body_text()))
        }
    };
    let mut token = None;
    let mut skip_invalid = false;
    let mut inputs = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(too_large)? {
        match field.name().unwrap_or("") {
            "csrf_token" => token = Some(field.text().await.map_err(too_large)?),
            "skip_invalid" => skip_invalid = field.text().await.map_err(too_large)? == "yes",
            "files" => {
                let name = field.file_name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(too_large)?;
                // A file input left empty still sends one part, without a name or bytes.
                if !name.is_empty() || !bytes.is_empty() {
                    inputs.push(Input {
                        name: if name.is_empty() {
                            "upload".into()
                        } else {
                            name
                        },
                        bytes: bytes.to_vec(),
                    });
                }
            }
            _ => {}
        }
    }
    auth.check_csrf(token.as_deref())?;
    let mut errors = Errors::default();
    if inputs.is_empty() {
        errors.add("files", "Choose one or more OCDS JSON files to import");
        return upload_page(
            &state,
            &auth,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            vec![],
            None,
            skip_invalid,
        )
        .await;
    }
    let files = inputs.len();
    match import::import(&state.db, inputs, Options { skip_invalid }).await {
        Ok(report) => {
            accounts::audit(
                &state.db,
                Some(&user),
                "ocds_import",
                &format!(
                    "Imported {files} OCDS file(s): {} releases ({} new), {} notices ({} new, {} updated)",
                    report.releases.read,
                    report.releases.new,
                    report.records.compiled,
                    report.records.new,
                    report.records.updated
                ),
                Some(&auth.ip),
            )
            .await?;
            upload_page(
                &state,
                &auth,
                StatusCode::OK,
                Errors::default(),
                vec![],
                Some(report),
                skip_invalid,
            )
            .await
        }
        Err(ImportError::Invalid(problems)) => {
            errors.add(
                "files",
                format!(
                    "{} of the {files} files {} not a valid OCDS 1.1 package. Nothing was imported: correct {} or tick “skip files that are not valid”",
                    problems.len(),
                    if problems.len() == 1 { "is" } else { "are" },
                    if problems.len() == 1 { "it" } else { "them" },
                ),
            );
            upload_page(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                problems,
                None,
                skip_invalid,
            )
            .await
        }
        Err(ImportError::Empty) => Err(PageError::BadRequest("No files were sent.".into())),
        Err(ImportError::Db(e)) => Err(e.into()),
    }
}

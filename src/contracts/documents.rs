//! A contract's documents: small files kept in the database, or links.
//!
//! Why both, and why in the database: procurekit's instances are stateless (several may run
//! behind a load balancer), so a file on one instance's disk would be missing on the next;
//! in the database it is in every instance's reach and in every backup. That is only sensible
//! for documents of modest size (the signed contract as a PDF, a schedule, a set of minutes),
//! so uploads are capped at [`MAX_BYTES`] and limited to office formats whose contents are
//! checked, not just their names. Anything bigger, or that already lives in a borough's
//! document store, is added as a link.

use serde::Serialize;

use super::store::{Contract, log};
use crate::accounts::User;
use crate::args;
use crate::db::{Db, DbResult, now};

/// The largest file kept: 5 MB is enough for a signed contract or a schedule as a PDF.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// The file types accepted, by extension, with the content type they are served as.
pub const ALLOWED: &[(&str, &str, &str)] = &[
    ("pdf", "application/pdf", "PDF"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word (.docx)",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel (.xlsx)",
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "PowerPoint (.pptx)",
    ),
    (
        "odt",
        "application/vnd.oasis.opendocument.text",
        "OpenDocument text (.odt)",
    ),
    (
        "ods",
        "application/vnd.oasis.opendocument.spreadsheet",
        "OpenDocument spreadsheet (.ods)",
    ),
    ("csv", "text/csv; charset=utf-8", "CSV"),
    ("txt", "text/plain; charset=utf-8", "plain text (.txt)"),
    ("png", "image/png", "PNG image"),
    ("jpg", "image/jpeg", "JPEG image"),
    ("jpeg", "image/jpeg", "JPEG image"),
];

/// The types as a sentence for hints and messages: "PDF, Word (.docx), …".
pub fn allowed_text() -> String {
    let mut seen: Vec<&str> = Vec::new();
    for (_, _, label) in ALLOWED {
        if !seen.contains(label) {
            seen.push(label);
        }
    }
    seen.join(", ")
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum UploadError {
    #[error("Choose a file to upload")]
    Empty,
    #[error(
        "The file must be smaller than 5 MB. For a bigger document, add a link to where it is kept"
    )]
    TooLarge,
    #[error("The file must be one of these types: {0}")]
    WrongType(String),
    #[error("The file’s contents do not match its name: it does not look like a {0} file")]
    ContentMismatch(&'static str),
}

/// A file that passed the checks: its safe name and the content type it will be served as.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedFile {
    pub file_name: String,
    pub content_type: &'static str,
}

/// Checks an upload by its extension and its first bytes. The browser's claimed type is not
/// trusted: the content type served later comes from this check.
pub fn check_upload(file_name: &str, bytes: &[u8]) -> Result<CheckedFile, UploadError> {
    if bytes.is_empty() {
        return Err(UploadError::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(UploadError::TooLarge);
    }
    let name = safe_file_name(file_name);
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let Some((_, content_type, label)) = ALLOWED.iter().find(|(e, _, _)| *e == ext) else {
        return Err(UploadError::WrongType(allowed_text()));
    };
    let zip = bytes.starts_with(b"PK\x03\x04");
    let ok = match ext.as_str() {
        "pdf" => bytes.starts_with(b"%PDF-"),
        "docx" | "xlsx" | "pptx" | "odt" | "ods" => zip,
        "png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "jpg" | "jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        // Text must be text: UTF-8 without NUL bytes (which marks a binary file renamed).
        "csv" | "txt" => std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0),
        _ => false,
    };
    if !ok {
        return Err(UploadError::ContentMismatch(label));
    }
    Ok(CheckedFile {
        file_name: name,
        content_type,
    })
}

/// The last path part of what the browser sent, without characters that could break a
/// Content-Disposition header or a file system.
pub fn safe_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';' | '\\' | '/'))
        .take(120)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "document".into()
    } else {
        cleaned
    }
}

/// A link must be a web address: http(s) only, so a stored link cannot run script.
pub fn check_link(url: &str) -> Result<String, &'static str> {
    let u = url.trim();
    if u.is_empty() {
        return Err("Enter the web address of the document");
    }
    let lower = u.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') && u.len() <= 2000 => {
            if u.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Err("The web address must not contain spaces")
            } else {
                Ok(u.to_owned())
            }
        }
        _ => {
            Err("Enter a web address starting with https://, like https://council.sharepoint.com/…")
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Document {
    pub id: i64,
    pub title: String,
    /// "file" or "link".
    pub kind: String,
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub size_bytes: Option<i64>,
    pub uploaded_by: Option<String>,
    pub created_at: i64,
}

impl Document {
    pub fn is_file(&self) -> bool {
        self.kind == "file"
    }

    pub fn size_text(&self) -> String {
        let n = self.size_bytes.unwrap_or(0);
        if n >= 1024 * 1024 {
            format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
        } else {
            format!("{} KB", (n + 1023) / 1024)
        }
    }

    pub fn added_on(&self) -> String {
        chrono::DateTime::from_timestamp(self.created_at, 0)
            .map(|t| crate::web::filters::long_date(t.date_naive()))
            .unwrap_or_default()
    }
}

pub async fn list(db: &Db, contract_id: i64) -> DbResult<Vec<Document>> {
    db.fetch_all(
        "SELECT d.id, d.title, d.kind, d.url, d.file_name, d.content_type, d.size_bytes,
                u.name AS uploaded_by, d.created_at
         FROM contract_documents d LEFT JOIN users u ON u.id = d.uploaded_by
         WHERE d.contract_id = $1 ORDER BY d.id DESC",
        args![contract_id],
    )
    .await
}

pub async fn add_file(
    db: &Db,
    user: &User,
    c: &Contract,
    title: &str,
    file: &CheckedFile,
    bytes: Vec<u8>,
) -> DbResult<i64> {
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let mut tx = db.begin().await?;
    let id = tx
        .scalar::<i64>(
            "INSERT INTO contract_documents (contract_id, title, kind, file_name, content_type, size_bytes, content, uploaded_by, created_at)
             VALUES ($1, $2, 'file', $3, $4, $5, $6, $7, $8) RETURNING id",
            args![c.id, title, &file.file_name, file.content_type, size, bytes, user.id, now()],
        )
        .await?
        .unwrap_or_default();
    log(
        &mut tx,
        c.id,
        Some(user.id),
        &format!("Added the document “{title}”"),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn add_link(db: &Db, user: &User, c: &Contract, title: &str, url: &str) -> DbResult<i64> {
    let mut tx = db.begin().await?;
    let id = tx
        .scalar::<i64>(
            "INSERT INTO contract_documents (contract_id, title, kind, url, uploaded_by, created_at)
             VALUES ($1, $2, 'link', $3, $4, $5) RETURNING id",
            args![c.id, title, url, user.id, now()],
        )
        .await?
        .unwrap_or_default();
    log(
        &mut tx,
        c.id,
        Some(user.id),
        &format!("Linked the document “{title}”"),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, sqlx::FromRow)]
pub struct FileContent {
    pub file_name: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// A file's bytes, for a contract the caller has already found for the viewer.
pub async fn content(db: &Db, contract_id: i64, document_id: i64) -> DbResult<Option<FileContent>> {
    db.fetch_optional(
        "SELECT file_name, content_type, content FROM contract_documents
         WHERE id = $1 AND contract_id = $2 AND kind = 'file'",
        args![document_id, contract_id],
    )
    .await
}

pub async fn delete(db: &Db, user: &User, c: &Contract, document_id: i64) -> DbResult<bool> {
    let mut tx = db.begin().await?;
    let title = tx
        .scalar::<String>(
            "SELECT title FROM contract_documents WHERE id = $1 AND contract_id = $2",
            args![document_id, c.id],
        )
        .await?;
    let Some(title) = title else {
        return Ok(false);
    };
    tx.execute(
        "DELETE FROM contract_documents WHERE id = $1 AND contract_id = $2",
        args![document_id, c.id],
    )
    .await?;
    log(
        &mut tx,
        c.id,
        Some(user.id),
        &format!("Removed the document “{title}”"),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_checked_by_name_and_content() {
        let pdf = b"%PDF-1.7\n...".to_vec();
        assert_eq!(
            check_upload("C:\\Users\\me\\Signed contract.PDF", &pdf),
            Ok(CheckedFile {
                file_name: "Signed contract.PDF".into(),
                content_type: "application/pdf"
            })
        );
        assert_eq!(check_upload("x.pdf", b""), Err(UploadError::Empty));
        assert!(matches!(
            check_upload("run.exe", b"MZ\x90\x00"),
            Err(UploadError::WrongType(_))
        ));
        assert_eq!(
            check_upload("fake.pdf", b"MZ\x90\x00"),
            Err(UploadError::ContentMismatch("PDF"))
        );
        assert_eq!(
            check_upload("notes.txt", b"a\0b"),
            Err(UploadError::ContentMismatch("plain text (.txt)"))
        );
        assert!(check_upload("schedule.xlsx", b"PK\x03\x04rest").is_ok());
        let big = vec![b'a'; MAX_BYTES + 1];
        assert_eq!(check_upload("big.txt", &big), Err(UploadError::TooLarge));
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("a\"b;c.pdf"), "abc.pdf");
        assert_eq!(safe_file_name(".hidden"), "hidden");
        assert_eq!(safe_file_name(""), "document");
    }

    #[test]
    fn links_are_web_addresses() {
        assert!(check_link("https://council.sharepoint.com/sites/x").is_ok());
        assert!(check_link("http://intranet.example/doc").is_ok());
        for bad in [
            "",
            "javascript:alert(1)",
            "ftp://x",
            "https://",
            "https:///x",
            "www.x.com",
            "https://a b",
        ] {
            assert!(check_link(bad).is_err(), "{bad}");
        }
    }
}

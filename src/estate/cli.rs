//! `procurekit import estate FILE --body CODE_OR_NAME [--dry-run] [--json]`

use std::path::PathBuf;

use clap::Args;

use super::import::{self, ImportOptions};
use crate::accounts::OrgKind;
use crate::accounts::store::{self as accounts, NewOrganisation};
use crate::db::Db;
use crate::visibility::Visibility;

#[derive(Args, Debug, Clone)]
pub struct EstateImportArgs {
    /// A CSV file in the procurekit estate layout or a council's contracts register.
    pub file: PathBuf,
    /// Whose estate: a GSS code (E09000007), a slug (camden) or the organisation's name.
    #[arg(long)]
    pub body: String,
    /// Create the body as an "other public body" when nothing matches (for registers of
    /// bodies outside London, such as another council).
    #[arg(long)]
    pub create_body: bool,
    /// Who may see rows that do not say: private, london or public.
    #[arg(long, default_value = "london")]
    pub visibility: Visibility,
    /// Check and count everything, then save nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(db: &Db, args: EstateImportArgs) -> Result<(), Box<dyn std::error::Error>> {
    let org = match accounts::find_organisation(db, &args.body).await? {
        Some(o) => o,
        None if args.create_body => {
            let name = args.body.trim();
            accounts::ensure_organisation(
                db,
                &NewOrganisation {
                    kind: OrgKind::OtherPublicBody,
                    name,
                    short_name: name,
                    slug: &crate::seed::slug(name),
                    gss_code: None,
                    company_number: None,
                },
            )
            .await?
        }
        None => {
            return Err(format!(
                "no organisation matches {:?}: use a GSS code (E09000007), a slug (camden) or an official name; add --create-body to create it as an other public body",
                args.body
            )
            .into());
        }
    };
    let bytes = std::fs::read(&args.file)
        .map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.file.display().to_string());
    let report = import::import(
        db,
        &org,
        &bytes,
        &ImportOptions {
            file_name,
            dry_run: args.dry_run,
            default_visibility: args.visibility,
            user_id: None,
        },
    )
    .await?;
    if report.imported {
        accounts::audit(
            db,
            None,
            "estate_import",
            &format!("{} (command line)", report.summary()),
            None,
        )
        .await?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{}", report.summary());
        println!("Layout: {}", report.layout_label());
        for c in &report.mapping {
            println!("  {:<20} <- {}", c.field, c.column);
        }
        if report.errors.is_empty() {
            println!(
                "Rows read: {}; distinct suppliers: {}; total annual value: {}",
                report.rows_read,
                report.distinct_suppliers,
                report.total_annual_value()
            );
            for (reason, n) in &report.rows_skipped {
                println!("  skipped {n}: {reason}");
            }
        }
        for w in &report.warnings {
            println!("warning: {}", w.text());
        }
        if report.more_warnings > 0 {
            println!("…and {} more warnings", report.more_warnings);
        }
        for e in &report.errors {
            eprintln!("error: {}", e.text());
        }
        if report.more_errors > 0 {
            eprintln!("…and {} more errors", report.more_errors);
        }
    }
    if report.errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} was not imported ({} problems); nothing was saved",
            report.file,
            report.errors.len() + report.more_errors
        )
        .into())
    }
}

//! The London spend database: councils' published "spend over £500" files, imported whatever
//! their layout, encoding, date style or preamble; suppliers resolved across bodies; a shared
//! category taxonomy; analysis by body, supplier and category, market concentration, and
//! spend-based red flags. Spend is published open data, so its analysis is public; imports
//! are made by a body's own officers (or platform admins, or the command line).

pub mod api;
pub mod bodies;
pub mod categories;
pub mod charts;
pub mod cli;
pub mod compare;
pub mod dates;
pub mod demo;
pub mod flags;
pub mod flags_web;
pub mod import;
pub mod layout;
pub mod matcher;
pub mod period;
pub mod rollups;
pub mod rows;
pub mod source;
pub mod store;
pub mod upload;
pub mod web;

use crate::args;
use crate::db::{Db, DbResult};

/// Thresholds for the "just under a threshold" red flag, in pence: the £500 publication
/// threshold, common quotation thresholds, and the current Procurement Act 2023 thresholds
/// for sub-central authorities (from 1 January 2026, VAT inclusive: supplies and services
/// £207,720; works £5,193,000; light-touch services £663,540). Migration 0017 moves
/// databases seeded with the 2024–25 amounts (£214,904 and £5,372,609) to these.
pub const DEFAULT_THRESHOLDS: &[(i64, &str)] = &[
    (500 * 100, "£500 publication threshold"),
    (5_000 * 100, "£5,000 quotation threshold"),
    (30_000 * 100, "£30,000 Contracts Finder threshold"),
    (207_720 * 100, "Procurement Act 2023: goods and services"),
    (663_540 * 100, "Procurement Act 2023: light-touch services"),
    (5_193_000 * 100, "Procurement Act 2023: works"),
];

/// Reference data the spend database needs: the category taxonomy and, the first time, the
/// red-flag thresholds (platform admins may change them afterwards).
pub async fn seed(db: &Db) -> DbResult<()> {
    categories::seed(db).await?;
    let have = db
        .scalar::<i64>("SELECT COUNT(*) FROM spend_thresholds", vec![])
        .await?
        .unwrap_or(0);
    if have == 0 {
        for (pence, label) in DEFAULT_THRESHOLDS {
            db.execute(
                "INSERT INTO spend_thresholds (amount_pence, label) VALUES ($1, $2)
                 ON CONFLICT (amount_pence) DO NOTHING",
                args![*pence, *label],
            )
            .await?;
        }
    }
    Ok(())
}

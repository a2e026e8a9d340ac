//! procurekit's integration tests: the real application on a loopback port, against real
//! databases (SQLite always; PostgreSQL when PROCUREKIT_TEST_POSTGRES_URL is set) and, for the
//! pages that matter, in headless Chromium (when PROCUREKIT_TEST_BROWSER is set).

mod helpers;

mod accounts;
mod api;
mod browser;
mod cli;
mod guide;
mod schema;
mod spend;
mod suppliers;
mod visibility;

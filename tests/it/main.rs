//! procurekit's integration tests: the real application on a loopback port, against real
//! databases (SQLite always; PostgreSQL when PROCUREKIT_TEST_POSTGRES_URL is set) and, for the
//! pages that matter, in headless Chromium (when PROCUREKIT_TEST_BROWSER is set).

mod helpers;

mod accounts;
mod api;
mod browser;
mod cli;
mod contracts;
mod engagement;
mod estate;
mod guide;
mod joint;
mod joint_workspace;
mod notify;
mod ocds;
mod pipeline;
mod schema;
mod spend;
mod spend_flags;
mod spend_upload;
mod standards;
mod suppliers;
mod visibility;

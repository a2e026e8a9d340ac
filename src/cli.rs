//! The `procurekit` command: serve, demo, migrate, user management and backup.

use std::io::Read;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::accounts::store::{self, NewUser};
use crate::accounts::{Email, Role, password};
use crate::config::Config;
use crate::db::{Db, redact};
use crate::web::AppState;

#[derive(Parser)]
#[command(
    name = "procurekit",
    version,
    about = "London's technology procurement toolkit",
    long_about = "London's technology procurement toolkit: the guide, templates and shared tools for London's 33 local authorities, their convenor and their suppliers."
)]
struct Cli {
    /// Database: a SQLite file path (created if missing) or postgres://user:pass@host/db
    #[arg(long, global = true, env = "PROCUREKIT_DATABASE_URL")]
    database: Option<String>,
    /// Log as JSON lines (for log collectors) instead of text.
    #[arg(long, global = true, env = "PROCUREKIT_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "PROCUREKIT_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// The address people reach the service at, e.g. https://procurekit.example.gov.uk
    /// (links in invitations; HTTPS here turns on Secure cookies).
    #[arg(long, env = "PROCUREKIT_PUBLIC_URL")]
    public_url: Option<String>,
    /// Trust X-Forwarded-For from a load balancer in front of the service.
    #[arg(long, env = "PROCUREKIT_TRUST_PROXY")]
    trust_proxy: bool,
    /// Mail relay: smtp://[user:password@]host[:port]?from=address. Without it, mail waits in
    /// the outbox (platform admins can read it).
    #[arg(long, env = "PROCUREKIT_SMTP_URL")]
    smtp_url: Option<String>,
    /// This service's OCDS ocid prefix (ocds-xxxxxx, registered with the Open Contracting
    /// Partnership): with it, public procurements are published in /api/v1/ocds/releases.
    #[arg(long, env = "PROCUREKIT_OCID_PREFIX")]
    ocid_prefix: Option<crate::ocds::OcidPrefix>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application and API.
    Serve(ServeArgs),
    /// Serve with demo accounts and data (on procurekit-demo.db unless --database is given).
    Demo(ServeArgs),
    /// Create or upgrade the database schema and reference data, then exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Import data from files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Copy the database to FILE while it is in use (SQLite); prints the pg_dump command for PostgreSQL.
    Backup {
        /// Where to write the copy (must not exist).
        file: String,
    },
    /// Export data as files.
    #[command(subcommand)]
    Export(ExportCommand),
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Councils' published spend files ("spend over £500"): CSV, TSV or ZIP of them.
    Spend(crate::spend::cli::SpendArgs),
    /// A technology estate CSV (procurekit layout) or a council's contracts register.
    Estate(crate::estate::cli::EstateImportArgs),
    /// OCDS 1.1 release or record packages (Contracts Finder, Find a Tender). Nothing is
    /// imported if any file is not a valid package, unless --skip-invalid is given.
    Ocds(crate::ocds::cli::OcdsImportArgs),
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Every public release as one OCDS 1.1 release package.
    Ocds(crate::ocds::cli::OcdsExportArgs),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. Reads the password from standard input, or makes one up and prints it.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Organisation: GSS code (E09000007), slug (camden) or name.
        #[arg(long)]
        org: String,
        /// officer, commercial_lead, org_admin, platform_admin or supplier_user
        #[arg(long)]
        role: Role,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users, optionally of one organisation.
    List {
        #[arg(long)]
        org: Option<String>,
    },
    /// Change a user's role.
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: Role,
    },
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PROCUREKIT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // Logs go to standard error, so that command output (`--json`) stays parseable.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

async fn run(cli: Cli) -> CliResult {
    let demo = matches!(cli.command, Command::Demo(_));
    let url = cli.database.clone().unwrap_or_else(|| {
        if demo {
            "procurekit-demo.db".into()
        } else {
            "procurekit.db".into()
        }
    });
    match cli.command {
        Command::Serve(args) => serve(&url, args, false).await,
        Command::Demo(args) => serve(&url, args, true).await,
        Command::Migrate => {
            let (db, _) = crate::prepare(&url).await?;
            println!("Database {} is up to date.", redact(&url));
            db.close().await;
            Ok(())
        }
        Command::User(cmd) => {
            let (db, _) = crate::prepare(&url).await?;
            let result = user(&db, cmd).await;
            db.close().await;
            result
        }
        Command::Import(cmd) => {
            let (db, _) = crate::prepare(&url).await?;
            let result = match cmd {
                ImportCommand::Spend(args) => crate::spend::cli::run(&db, args).await,
                ImportCommand::Estate(args) => crate::estate::cli::run(&db, args).await,
                ImportCommand::Ocds(args) => crate::ocds::cli::import(&db, args).await,
            };
            db.close().await;
            result
        }
        Command::Backup { file } => backup(&url, &file).await,
        Command::Export(ExportCommand::Ocds(args)) => {
            let (db, _) = crate::prepare(&url).await?;
            let result = crate::ocds::cli::export(&db, args).await;
            db.close().await;
            result
        }
    }
}

async fn serve(url: &str, args: ServeArgs, demo: bool) -> CliResult {
    let (db, content) = crate::prepare(url).await?;
    let mut config = Config::new(args.bind, args.public_url, args.trust_proxy);
    if demo {
        crate::seed::demo(&db).await?;
        // Real published spend, imported in the background so start-up stays fast. Not part
        // of `seed::demo`: a caller that only wants the seed (tests) should not have a
        // long-running writer started behind its back.
        crate::spend::demo::start(db.clone(), config.flags_cache.clone());
    }
    config.ocid_prefix = args.ocid_prefix;
    if let Some(url) = &args.smtp_url {
        config.smtp = Some(crate::notify::smtp::SmtpConfig::from_url(url)?);
    }
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = %redact(url), "procurekit is serving");
    println!("procurekit is running at http://{addr}");
    if demo {
        println!(
            "\nDemo accounts (password for all: {}):",
            crate::seed::DEMO_PASSWORD
        );
        for a in crate::seed::DEMO_ACCOUNTS {
            println!("  {:<28} {:<18} {}", a.email, a.role.label(), a.name);
        }
        println!("\nPress Ctrl+C to stop.");
    }
    let state = AppState {
        db: db.clone(),
        config: Arc::new(config),
        content,
    };
    crate::web::serve(state, listener, shutdown_signal()).await?;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl+C or SIGTERM (what orchestrators send), so requests in flight finish.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

async fn user(db: &Db, cmd: UserCommand) -> CliResult {
    match cmd {
        UserCommand::Add {
            email,
            name,
            org,
            role,
            password_stdin,
        } => {
            let email = Email::parse(&email)?;
            let org = store::find_organisation(db, &org).await?.ok_or_else(|| {
                format!("no organisation matches {org:?} (use a GSS code, slug or name)")
            })?;
            let (password, generated) = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                (s.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (
                    crate::accounts::session::random_token()[..20].to_owned(),
                    true,
                )
            };
            password::check_new(&password)?;
            let hash = password::hash(password.clone()).await;
            let id = store::insert_user(
                db,
                &NewUser {
                    org_id: org.id,
                    email: &email,
                    name: &name,
                    role,
                    password_hash: Some(&hash),
                },
            )
            .await?;
            store::audit(
                db,
                None,
                "user_added",
                &format!(
                    "Added {email} as {} of {} (command line)",
                    role.label(),
                    org.name
                ),
                None,
            )
            .await?;
            println!("Added user {id}: {email}, {} of {}", role.label(), org.name);
            if generated {
                println!("Password: {password}");
            }
            Ok(())
        }
        UserCommand::List { org } => {
            let org_id = match org {
                Some(o) => Some(
                    store::find_organisation(db, &o)
                        .await?
                        .ok_or_else(|| format!("no organisation matches {o:?}"))?
                        .id,
                ),
                None => None,
            };
            for u in store::users(db, org_id).await? {
                println!(
                    "{:<6} {:<36} {:<18} {}{}",
                    u.id,
                    u.email,
                    u.role.as_str(),
                    u.org_name,
                    if u.active { "" } else { " (deactivated)" }
                );
            }
            Ok(())
        }
        UserCommand::SetRole { email, role } => {
            let u = store::user_by_email(db, &email)
                .await?
                .ok_or_else(|| format!("no user with email {email}"))?;
            store::set_role(db, &u, role).await?;
            store::audit(
                db,
                None,
                "role_changed",
                &format!(
                    "Changed {} from {} to {} (command line)",
                    u.email,
                    u.role.label(),
                    role.label()
                ),
                None,
            )
            .await?;
            println!("{} is now {}", u.email, role.label());
            Ok(())
        }
    }
}

async fn backup(url: &str, file: &str) -> CliResult {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        println!("PostgreSQL is backed up with its own tools. Run:");
        println!("  pg_dump --format=custom --file={file} '{}'", redact(url));
        println!("(enter the password when asked, or set PGPASSWORD)");
        return Ok(());
    }
    if std::path::Path::new(file).exists() {
        return Err(format!("{file} already exists; choose a new file name").into());
    }
    let db = Db::connect(url).await?;
    // VACUUM INTO writes a consistent, compacted copy from one read transaction while the
    // service keeps running: SQLite's online backup in one statement.
    db.execute("VACUUM INTO $1", crate::args![file]).await?;
    println!("Backed up {} to {file}", redact(url));
    db.close().await;
    Ok(())
}

//! Suppliers' own accounts: self-registration with email verification, the profile a supplier
//! keeps (company number, SME / VCSE, London-based, categories, products, certifications, case
//! studies), platform admins' verification, and the directory boroughs search.

use serde::Serialize;

use super::{Category, Certification};
use crate::accounts::session::{random_token, token_hash};
use crate::accounts::{Email, OrgKind, Role};
use crate::args;
use crate::db::{Arg, Db, DbError, DbResult, Tx, now};
use crate::notify::{self, Message, Recipient};
use crate::suppliers::CompanyNumber;
use crate::visibility::Viewer;

/// A verification link lasts two days; registering again with the same address sends a new one.
pub const VERIFICATION_SECONDS: i64 = 48 * 60 * 60;
/// Registrations from one address in an hour beyond which it must wait: enough for an office
/// behind one address, too few for a script.
pub const MAX_REGISTRATIONS_PER_IP: i64 = 5;
pub const REGISTRATION_WINDOW_SECONDS: i64 = 60 * 60;
pub const MAX_PRODUCTS: i64 = 20;
pub const MAX_CASE_STUDIES: i64 = 20;
pub const MAX_CATEGORIES: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error(
        "An account with that email address already exists. Sign in, or ask your organisation's admin to invite you."
    )]
    EmailTaken,
    #[error(
        "A supplier with Companies House number {0} is already registered. Ask its admin to invite you."
    )]
    CompanyTaken(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A registration, parsed and checked at the edge.
pub struct NewSupplier {
    pub name: String,
    pub company_number: Option<CompanyNumber>,
    pub sme: bool,
    pub vcse: bool,
    pub london_based: bool,
    pub categories: Vec<Category>,
    pub contact_name: String,
    pub email: Email,
    pub password_hash: String,
}

/// What registering did: a new organisation, or (for an address that registered before and
/// never confirmed it) a fresh link.
#[derive(Debug, PartialEq, Eq)]
pub enum Registered {
    New { org_id: i64, user_id: i64 },
    LinkResent { user_id: i64 },
}

pub async fn registrations_from(db: &Db, ip: &str) -> DbResult<i64> {
    Ok(db
        .scalar::<i64>(
            "SELECT COUNT(*) FROM registration_attempts WHERE ip = $1 AND at > $2",
            args![ip, now() - REGISTRATION_WINDOW_SECONDS],
        )
        .await?
        .unwrap_or(0))
}

pub async fn record_attempt(db: &Db, ip: &str, outcome: &str) -> DbResult<()> {
    db.execute(
        "INSERT INTO registration_attempts (ip, at, outcome) VALUES ($1, $2, $3)",
        args![ip, now(), outcome],
    )
    .await?;
    Ok(())
}

fn verification_message(email: &str, link: &str, org_name: &str) -> Message {
    Message {
        to: Recipient::Address(email.to_owned()),
        kind: "supplier_email_verification",
        subject: "Confirm your email address for procurekit".into(),
        body: format!(
            "You (or someone using this address) registered {org_name} as a supplier on procurekit, London's technology procurement toolkit.\n\n\
             To confirm this address and start using your account, open this link within 48 hours:\n\n{link}\n\n\
             If you did not register, ignore this email: the account stays unusable and nothing else happens."
        ),
        essential: true,
    }
}

async fn new_verification(tx: &mut Tx, user_id: i64) -> DbResult<String> {
    let token = random_token();
    let t = now();
    tx.execute(
        "INSERT INTO email_verifications (user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        args![user_id, token_hash(&token), t, t + VERIFICATION_SECONDS],
    )
    .await?;
    Ok(token)
}

async fn unique_slug(tx: &mut Tx, name: &str) -> DbResult<String> {
    let base = match crate::seed::slug(name) {
        s if s.is_empty() => "supplier".to_owned(),
        s => s.chars().take(60).collect(),
    };
    let mut candidate = base.clone();
    for n in 2.. {
        let taken = tx
            .scalar::<i64>(
                "SELECT id FROM organisations WHERE slug = $1",
                args![&candidate],
            )
            .await?
            .is_some();
        if !taken {
            break;
        }
        candidate = format!("{base}-{n}");
    }
    Ok(candidate)
}

#[derive(sqlx::FromRow)]
struct Existing {
    id: i64,
    active: bool,
    org_name: String,
    pending: bool,
}

/// Registers a supplier organisation and its first user, who cannot sign in until they follow
/// the link emailed to them (queued in the same transaction). With a company number, the
/// organisation is linked to its entry in the shared supplier register (created if new), so
/// what London already knows about the company — awards, spend, estate — is found through it.
pub async fn register(
    db: &Db,
    s: &NewSupplier,
    public_url: &str,
) -> Result<Registered, RegistrationError> {
    let mut tx = db.begin().await?;
    let link = |token: &str| {
        format!(
            "{}/suppliers/verify/{token}",
            public_url.trim_end_matches('/')
        )
    };
    if let Some(existing) = tx
        .fetch_optional::<Existing>(
            "SELECT u.id, u.active, o.name AS org_name,
                    (sp.email_verified_at IS NULL AND sp.org_id IS NOT NULL) AS pending
             FROM users u JOIN organisations o ON o.id = u.org_id
             LEFT JOIN supplier_profiles sp ON sp.org_id = o.id
             WHERE u.email = $1",
            args![&s.email],
        )
        .await?
    {
        // The same address registering again before confirming: the first link may be lost or
        // expired, so send a new one rather than refusing.
        if !existing.active && existing.pending {
            let token = new_verification(&mut tx, existing.id).await?;
            notify::queue(
                &mut tx,
                &verification_message(s.email.as_str(), &link(&token), &existing.org_name),
            )
            .await?;
            tx.commit().await?;
            return Ok(Registered::LinkResent {
                user_id: existing.id,
            });
        }
        return Err(RegistrationError::EmailTaken);
    }
    if let Some(cn) = &s.company_number
        && tx
            .scalar::<i64>(
                "SELECT org_id FROM supplier_profiles WHERE company_number = $1",
                args![cn.as_str()],
            )
            .await?
            .is_some()
    {
        return Err(RegistrationError::CompanyTaken(cn.to_string()));
    }
    let t = now();
    let slug = unique_slug(&mut tx, &s.name).await?;
    let short: String = s.name.chars().take(60).collect();
    let org_id = tx
        .scalar::<i64>(
            "INSERT INTO organisations (kind, name, short_name, slug, gss_code, company_number, created_at)
             VALUES ($1, $2, $3, $4, NULL, $5, $6) RETURNING id",
            args![
                OrgKind::Supplier,
                &s.name,
                &short,
                &slug,
                s.company_number.as_ref().map(CompanyNumber::as_str),
                t
            ],
        )
        .await?
        .unwrap_or_default();
    let user_id = tx
        .scalar::<i64>(
            "INSERT INTO users (org_id, email, name, role, password_hash, active, created_at)
             VALUES ($1, $2, $3, $4, $5, FALSE, $6) RETURNING id",
            args![
                org_id,
                &s.email,
                &s.contact_name,
                Role::SupplierUser,
                &s.password_hash,
                t
            ],
        )
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                RegistrationError::EmailTaken
            } else {
                e.into()
            }
        })?
        .unwrap_or_default();
    let supplier_id = match &s.company_number {
        Some(cn) => link_register(&mut tx, org_id, &s.name, cn).await?,
        None => None,
    };
    tx.execute(
        "INSERT INTO supplier_profiles (org_id, supplier_id, company_number, sme, vcse, london_based, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        args![
            org_id,
            supplier_id,
            s.company_number.as_ref().map(CompanyNumber::as_str),
            s.sme,
            s.vcse,
            s.london_based,
            t
        ],
    )
    .await
    .map_err(|e| match (&s.company_number, e.is_unique_violation()) {
        (Some(cn), true) => RegistrationError::CompanyTaken(cn.to_string()),
        _ => e.into(),
    })?;
    set_categories_tx(&mut tx, org_id, &s.categories).await?;
    let token = new_verification(&mut tx, user_id).await?;
    notify::queue(
        &mut tx,
        &verification_message(s.email.as_str(), &link(&token), &s.name),
    )
    .await?;
    tx.commit().await?;
    Ok(Registered::New { org_id, user_id })
}

/// Links a supplier organisation to the shared register through its company number: the
/// register entry that has the number (or, failing that, the name) — created when London has
/// never met the company — records the organisation as its own account, unless another
/// organisation already claimed it.
async fn link_register(
    tx: &mut Tx,
    org_id: i64,
    name: &str,
    cn: &CompanyNumber,
) -> DbResult<Option<i64>> {
    let Some((supplier_id, _)) = crate::suppliers::store::resolve(tx, name, Some(cn), None).await?
    else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE suppliers SET org_id = $1 WHERE id = $2 AND org_id IS NULL",
        args![org_id, supplier_id],
    )
    .await?;
    Ok(Some(supplier_id))
}

#[derive(Debug, sqlx::FromRow)]
struct OpenLink {
    id: i64,
    user_id: i64,
}

/// Follows a verification link: the user becomes active and the organisation's address is
/// confirmed. Returns the user, or `None` for an unknown, used or expired link.
pub async fn verify_email(db: &Db, token: &str) -> DbResult<Option<i64>> {
    let mut tx = db.begin().await?;
    let t = now();
    let Some(link) = tx
        .fetch_optional::<OpenLink>(
            "SELECT id, user_id FROM email_verifications
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
            args![token_hash(token), t],
        )
        .await?
    else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE email_verifications SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
        args![t, link.user_id],
    )
    .await?;
    tx.execute(
        "UPDATE users SET active = TRUE WHERE id = $1",
        args![link.user_id],
    )
    .await?;
    tx.execute(
        "UPDATE supplier_profiles SET email_verified_at = $1, updated_at = $1
         WHERE org_id = (SELECT org_id FROM users WHERE id = $2) AND email_verified_at IS NULL",
        args![t, link.user_id],
    )
    .await?;
    tx.commit().await?;
    let _ = link.id;
    Ok(Some(link.user_id))
}

/// Whether a verification link is still good (to show the confirm button or an explanation).
pub async fn link_is_open(db: &Db, token: &str) -> DbResult<bool> {
    Ok(db
        .scalar::<i64>(
            "SELECT id FROM email_verifications WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
            args![token_hash(token), now()],
        )
        .await?
        .is_some())
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Profile {
    pub org_id: i64,
    pub name: String,
    pub supplier_id: Option<i64>,
    pub company_number: Option<String>,
    pub description: String,
    pub website: String,
    pub sme: bool,
    pub vcse: bool,
    pub london_based: bool,
    pub accessibility: String,
    pub security: String,
    pub email_verified_at: Option<i64>,
    pub verified_at: Option<i64>,
    pub created_at: i64,
}

impl Profile {
    pub fn is_verified(&self) -> bool {
        self.verified_at.is_some()
    }

    pub fn flags(&self) -> Vec<&'static str> {
        let mut f = Vec::new();
        if self.sme {
            f.push("SME");
        }
        if self.vcse {
            f.push("VCSE");
        }
        if self.london_based {
            f.push("London-based");
        }
        f
    }
}

/// A supplier profile read through the visibility rule: a profile is its organisation's
/// record, shared with London authorities and the convenor once its address is confirmed
/// (before that, only its own people see it). Suppliers do not see each other's profiles.
const PROFILE_FROM: &str = "FROM (SELECT sp.*, o.name,
        CASE WHEN sp.email_verified_at IS NULL THEN 'private' ELSE 'london' END AS visibility
        FROM supplier_profiles sp JOIN organisations o ON o.id = sp.org_id) v";

const PROFILE_COLUMNS: &str = "v.org_id, v.name, v.supplier_id, v.company_number, v.description, v.website, v.sme,
    v.vcse, v.london_based, v.accessibility, v.security, v.email_verified_at, v.verified_at, v.created_at";

pub async fn profile(db: &Db, viewer: &Viewer, org_id: i64) -> DbResult<Option<Profile>> {
    let scope = viewer.scope("v", 2);
    let mut a = args![org_id];
    a.extend(scope.args);
    db.fetch_optional(
        format!(
            "SELECT {PROFILE_COLUMNS} {PROFILE_FROM} WHERE v.org_id = $1 AND {}",
            scope.sql
        ),
        a,
    )
    .await
}

pub async fn categories(db: &Db, org_id: i64) -> DbResult<Vec<Category>> {
    let rows: Vec<(String,)> = db
        .fetch_all(
            "SELECT category FROM supplier_categories WHERE org_id = $1 ORDER BY category",
            args![org_id],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(c,)| Category::parse(&c).ok())
        .collect())
}

pub async fn certifications(db: &Db, org_id: i64) -> DbResult<Vec<Certification>> {
    db.fetch_all::<(Certification,)>(
        "SELECT certification FROM supplier_certifications WHERE org_id = $1 ORDER BY certification",
        args![org_id],
    )
    .await
    .map(|v| v.into_iter().map(|(c,)| c).collect())
}

async fn set_categories_tx(tx: &mut Tx, org_id: i64, cats: &[Category]) -> DbResult<()> {
    tx.execute(
        "DELETE FROM supplier_categories WHERE org_id = $1",
        args![org_id],
    )
    .await?;
    for c in cats {
        tx.execute(
            "INSERT INTO supplier_categories (org_id, category) VALUES ($1, $2)",
            args![org_id, c],
        )
        .await?;
    }
    Ok(())
}

/// The profile fields a supplier edits, parsed and checked.
pub struct ProfileInput {
    pub description: String,
    pub website: String,
    pub sme: bool,
    pub vcse: bool,
    pub london_based: bool,
    pub accessibility: String,
    pub security: String,
    pub categories: Vec<Category>,
    pub certifications: Vec<Certification>,
    /// Only when the profile has none yet: a number, once given, is changed by an admin.
    pub company_number: Option<CompanyNumber>,
}

pub async fn update_profile(
    db: &Db,
    org_id: i64,
    org_name: &str,
    p: &ProfileInput,
) -> Result<(), RegistrationError> {
    let mut tx = db.begin().await?;
    let t = now();
    tx.execute(
        "UPDATE supplier_profiles SET description = $1, website = $2, sme = $3, vcse = $4, london_based = $5,
            accessibility = $6, security = $7, updated_at = $8 WHERE org_id = $9",
        args![
            &p.description,
            &p.website,
            p.sme,
            p.vcse,
            p.london_based,
            &p.accessibility,
            &p.security,
            t,
            org_id
        ],
    )
    .await?;
    if let Some(cn) = &p.company_number {
        let has = tx
            .scalar::<Option<String>>(
                "SELECT company_number FROM supplier_profiles WHERE org_id = $1",
                args![org_id],
            )
            .await?
            .flatten();
        if has.is_none() {
            let taken = tx
                .scalar::<i64>(
                    "SELECT org_id FROM supplier_profiles WHERE company_number = $1",
                    args![cn.as_str()],
                )
                .await?
                .is_some();
            if taken {
                return Err(RegistrationError::CompanyTaken(cn.to_string()));
            }
            let supplier_id = link_register(&mut tx, org_id, org_name, cn).await?;
            tx.execute(
                "UPDATE supplier_profiles SET company_number = $1, supplier_id = $2 WHERE org_id = $3",
                args![cn.as_str(), supplier_id, org_id],
            )
            .await?;
            tx.execute(
                "UPDATE organisations SET company_number = $1 WHERE id = $2",
                args![cn.as_str(), org_id],
            )
            .await?;
        }
    }
    set_categories_tx(&mut tx, org_id, &p.categories).await?;
    tx.execute(
        "DELETE FROM supplier_certifications WHERE org_id = $1",
        args![org_id],
    )
    .await?;
    for c in &p.certifications {
        tx.execute(
            "INSERT INTO supplier_certifications (org_id, certification) VALUES ($1, $2)",
            args![org_id, *c],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub url: String,
}

pub async fn products(db: &Db, org_id: i64) -> DbResult<Vec<Product>> {
    db.fetch_all(
        "SELECT id, name, description, url FROM supplier_products WHERE org_id = $1 ORDER BY name, id",
        args![org_id],
    )
    .await
}

/// Adds a product; `false` when the supplier already lists [`MAX_PRODUCTS`].
pub async fn add_product(
    db: &Db,
    org_id: i64,
    name: &str,
    description: &str,
    url: &str,
) -> DbResult<bool> {
    let n = db
        .scalar::<i64>(
            "SELECT COUNT(*) FROM supplier_products WHERE org_id = $1",
            args![org_id],
        )
        .await?
        .unwrap_or(0);
    if n >= MAX_PRODUCTS {
        return Ok(false);
    }
    db.execute(
        "INSERT INTO supplier_products (org_id, name, description, url, created_at) VALUES ($1, $2, $3, $4, $5)",
        args![org_id, name, description, url, now()],
    )
    .await?;
    Ok(true)
}

pub async fn delete_product(db: &Db, org_id: i64, id: i64) -> DbResult<bool> {
    Ok(db
        .execute(
            "DELETE FROM supplier_products WHERE id = $1 AND org_id = $2",
            args![id, org_id],
        )
        .await?
        > 0)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct CaseStudy {
    pub id: i64,
    pub title: String,
    pub client: String,
    pub summary: String,
}

pub async fn case_studies(db: &Db, org_id: i64) -> DbResult<Vec<CaseStudy>> {
    db.fetch_all(
        "SELECT id, title, client, summary FROM supplier_case_studies WHERE org_id = $1 ORDER BY id",
        args![org_id],
    )
    .await
}

pub async fn add_case_study(
    db: &Db,
    org_id: i64,
    title: &str,
    client: &str,
    summary: &str,
) -> DbResult<bool> {
    let n = db
        .scalar::<i64>(
            "SELECT COUNT(*) FROM supplier_case_studies WHERE org_id = $1",
            args![org_id],
        )
        .await?
        .unwrap_or(0);
    if n >= MAX_CASE_STUDIES {
        return Ok(false);
    }
    db.execute(
        "INSERT INTO supplier_case_studies (org_id, title, client, summary, created_at) VALUES ($1, $2, $3, $4, $5)",
        args![org_id, title, client, summary, now()],
    )
    .await?;
    Ok(true)
}

pub async fn delete_case_study(db: &Db, org_id: i64, id: i64) -> DbResult<bool> {
    Ok(db
        .execute(
            "DELETE FROM supplier_case_studies WHERE id = $1 AND org_id = $2",
            args![id, org_id],
        )
        .await?
        > 0)
}

/// A supplier organisation keeps at most this many people (users and open invitations).
pub const MAX_PEOPLE: i64 = 25;

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("Someone already has an account with that email address")]
    EmailTaken,
    #[error("That person has already been invited; the invitation lasts a week")]
    AlreadyInvited,
    #[error("Your organisation has {0} people and invitations, the most it can have")]
    Full(i64),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Invites a colleague into the supplier's own organisation (suppliers have no organisation
/// admin: any of its people may invite). The link is emailed through the outbox in the same
/// transaction, and is the only way to set the first password.
pub async fn invite_colleague(
    db: &Db,
    inviter: &crate::accounts::User,
    email: &Email,
    name: &str,
    public_url: &str,
) -> Result<(), InviteError> {
    let mut tx = db.begin().await?;
    let t = now();
    if tx
        .scalar::<i64>("SELECT id FROM users WHERE email = $1", args![email])
        .await?
        .is_some()
    {
        return Err(InviteError::EmailTaken);
    }
    if tx
        .scalar::<i64>(
            "SELECT id FROM invitations WHERE email = $1 AND accepted_at IS NULL AND expires_at > $2",
            args![email, t],
        )
        .await?
        .is_some()
    {
        return Err(InviteError::AlreadyInvited);
    }
    let people = tx
        .scalar::<i64>(
            "SELECT (SELECT COUNT(*) FROM users WHERE org_id = $1)
                  + (SELECT COUNT(*) FROM invitations WHERE org_id = $1 AND accepted_at IS NULL AND expires_at > $2)",
            args![inviter.org_id, t],
        )
        .await?
        .unwrap_or(0);
    if people >= MAX_PEOPLE {
        return Err(InviteError::Full(people));
    }
    let token = random_token();
    tx.execute(
        "INSERT INTO invitations (org_id, email, name, role, token_hash, invited_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![
            inviter.org_id,
            email,
            name,
            Role::SupplierUser,
            token_hash(&token),
            inviter.id,
            t,
            t + crate::accounts::store::INVITATION_SECONDS
        ],
    )
    .await?;
    notify::queue(
        &mut tx,
        &Message {
            to: Recipient::Address(email.to_string()),
            kind: "supplier_invitation",
            subject: format!("{} invited you to procurekit", inviter.name),
            body: format!(
                "{} invited you to join {} on procurekit, London's technology procurement toolkit, to pitch to boroughs and take part in market engagement.\n\nSet your password within a week:\n{}/invitations/{token}",
                inviter.name,
                inviter.org_name,
                public_url.trim_end_matches('/')
            ),
            essential: true,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Colleague {
    pub name: String,
    pub email: String,
    pub active: bool,
}

/// The people of a supplier organisation, and those invited who have not yet accepted.
pub async fn colleagues(db: &Db, org_id: i64) -> DbResult<Vec<Colleague>> {
    db.fetch_all(
        "SELECT name, email, active FROM users WHERE org_id = $1
         UNION ALL
         SELECT name, email, FALSE AS active FROM invitations
         WHERE org_id = $1 AND accepted_at IS NULL AND expires_at > $2
         ORDER BY name",
        args![org_id, now()],
    )
    .await
}

/// A platform admin's check that the supplier is who it says it is. Tells its people.
pub async fn mark_verified(db: &Db, admin_user_id: i64, org_id: i64) -> DbResult<bool> {
    let mut tx = db.begin().await?;
    let t = now();
    let n = tx
        .execute(
            "UPDATE supplier_profiles SET verified_at = $1, verified_by = $2, updated_at = $1
             WHERE org_id = $3 AND verified_at IS NULL AND email_verified_at IS NOT NULL",
            args![t, admin_user_id, org_id],
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    let people: Vec<(i64,)> = tx
        .fetch_all(
            "SELECT id FROM users WHERE org_id = $1 AND active",
            args![org_id],
        )
        .await?;
    for (id,) in people {
        notify::queue(
            &mut tx,
            &Message {
                to: Recipient::User(id),
                kind: "supplier_verified",
                subject: "Your organisation is verified on procurekit".into(),
                body: "A platform admin has checked your organisation's details. Boroughs now see it as verified in the supplier directory and on your pitches.".into(),
                essential: false,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// The supplier directory's filters, parsed from a query string.
#[derive(Debug, Clone, Default)]
pub struct DirectoryQuery {
    pub q: String,
    pub category: Option<Category>,
    pub category_text: String,
    pub sme: bool,
    pub vcse: bool,
    pub london: bool,
    pub verified: VerifiedFilter,
    pub certification: Option<Certification>,
    pub page: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VerifiedFilter {
    #[default]
    Any,
    Verified,
    Awaiting,
}

impl DirectoryQuery {
    pub fn parse(pairs: &[(String, String)]) -> DirectoryQuery {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.trim())
                .unwrap_or("")
        };
        let category_text = get("category").to_owned();
        DirectoryQuery {
            q: get("q").chars().take(100).collect(),
            category: Category::parse(&category_text).ok(),
            category_text,
            sme: !get("sme").is_empty(),
            vcse: !get("vcse").is_empty(),
            london: !get("london").is_empty(),
            verified: match get("verified") {
                "yes" => VerifiedFilter::Verified,
                "awaiting" => VerifiedFilter::Awaiting,
                _ => VerifiedFilter::Any,
            },
            certification: get("certification").parse().ok(),
            page: get("page").parse::<i64>().unwrap_or(1).clamp(1, 10_000),
        }
    }

    pub fn verified_str(&self) -> &'static str {
        match self.verified {
            VerifiedFilter::Any => "",
            VerifiedFilter::Verified => "yes",
            VerifiedFilter::Awaiting => "awaiting",
        }
    }

    pub fn certification_str(&self) -> &'static str {
        self.certification.map(Certification::as_str).unwrap_or("")
    }
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct DirectoryEntry {
    pub org_id: i64,
    pub name: String,
    pub company_number: Option<String>,
    pub sme: bool,
    pub vcse: bool,
    pub london_based: bool,
    pub verified_at: Option<i64>,
    pub categories: String,
    pub products: i64,
}

pub const DIRECTORY_PAGE: i64 = 50;

/// The directory: suppliers whose address is confirmed, as the viewer may see them (London
/// authorities and the convenor see all of them; a supplier only itself).
pub async fn directory(
    db: &Db,
    viewer: &Viewer,
    q: &DirectoryQuery,
) -> DbResult<(Vec<DirectoryEntry>, i64)> {
    let mut args: Vec<Arg> = Vec::new();
    let scope = viewer.scope("v", 1);
    args.extend(scope.args);
    let mut filter = format!("v.email_verified_at IS NOT NULL AND {}", scope.sql);
    if !q.q.is_empty() {
        let name = bind(&mut args, crate::db::like_pattern(&q.q));
        let number = bind(
            &mut args,
            CompanyNumber::parse(&q.q)
                .map(|c| c.to_string())
                .unwrap_or_default(),
        );
        filter.push_str(&format!(
            " AND (lower(v.name) LIKE lower({name}) ESCAPE '\\' OR v.company_number = {number})"
        ));
    }
    if let Some(c) = &q.category {
        let cat = bind(&mut args, c);
        filter.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM supplier_categories sc WHERE sc.org_id = v.org_id
               AND (sc.category LIKE {cat} || '%' OR {cat} LIKE sc.category || '%'))"
        ));
    }
    if q.sme {
        filter.push_str(" AND v.sme = TRUE");
    }
    if q.vcse {
        filter.push_str(" AND v.vcse = TRUE");
    }
    if q.london {
        filter.push_str(" AND v.london_based = TRUE");
    }
    match q.verified {
        VerifiedFilter::Any => {}
        VerifiedFilter::Verified => filter.push_str(" AND v.verified_at IS NOT NULL"),
        VerifiedFilter::Awaiting => filter.push_str(" AND v.verified_at IS NULL"),
    }
    if let Some(c) = q.certification {
        let cert = bind(&mut args, c);
        filter.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM supplier_certifications scn WHERE scn.org_id = v.org_id AND scn.certification = {cert})"
        ));
    }
    let total = db
        .scalar::<i64>(
            format!("SELECT COUNT(*) {PROFILE_FROM} WHERE {filter}"),
            args.clone(),
        )
        .await?
        .unwrap_or(0);
    let n = args.len();
    args.push(Arg::from(DIRECTORY_PAGE));
    args.push(Arg::from((q.page - 1) * DIRECTORY_PAGE));
    let rows = db
        .fetch_all(
            format!(
                "SELECT v.org_id, v.name, v.company_number, v.sme, v.vcse, v.london_based, v.verified_at,
                    COALESCE((SELECT {agg} FROM supplier_categories sc2 WHERE sc2.org_id = v.org_id), '') AS categories,
                    (SELECT COUNT(*) FROM supplier_products spp WHERE spp.org_id = v.org_id) AS products
                 {PROFILE_FROM} WHERE {filter} ORDER BY lower(v.name), v.org_id LIMIT ${} OFFSET ${}",
                n + 1,
                n + 2,
                agg = string_agg(db, "sc2.category")
            ),
            args,
        )
        .await?;
    Ok((rows, total))
}

/// Adds an argument and returns its placeholder (`$n`), for queries assembled from optional
/// filters.
pub fn bind(args: &mut Vec<Arg>, value: impl Into<Arg>) -> String {
    args.push(value.into());
    format!("${}", args.len())
}

/// `string_agg` / `group_concat` of a text column, comma-separated: the one aggregate whose
/// name differs between the backends.
pub fn string_agg(db: &Db, column: &str) -> String {
    match db.backend() {
        crate::db::Backend::Sqlite => format!("group_concat({column}, ', ')"),
        crate::db::Backend::Postgres => format!("string_agg({column}, ', ' ORDER BY {column})"),
    }
}

/// People of a supplier organisation to notify (its active users).
pub async fn people_of(tx: &mut Tx, org_id: i64) -> DbResult<Vec<i64>> {
    Ok(tx
        .fetch_all::<(i64,)>(
            "SELECT id FROM users WHERE org_id = $1 AND active ORDER BY id",
            args![org_id],
        )
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect())
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct AwardSeen {
    pub procurement_id: i64,
    pub procurement_title: String,
    pub buyer: String,
    pub kind: String,
    pub published_on: chrono::NaiveDate,
    pub value_pence: Option<i64>,
}

impl AwardSeen {
    pub fn value_text(&self) -> String {
        self.value_pence
            .map(|p| crate::money::Pence(p).display())
            .unwrap_or_default()
    }
}

/// What London knows about a supplier, through its entry in the shared supplier register.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct LondonRecord {
    /// Award and contract notices naming the supplier, on procurements the viewer may see.
    pub awards: Vec<AwardSeen>,
    /// The register entry the spend and estate figures are for (a merged entry resolves to
    /// the one it was merged into).
    pub register_id: Option<i64>,
    /// Published spend with the supplier, by body, largest first.
    pub spend: Vec<crate::spend::store::SupplierBody>,
    /// Systems the supplier provides in estate registers the viewer may see.
    pub systems: Vec<crate::estate::store::EstateSystem>,
    /// How many such systems there are in all (`systems` holds the first few).
    pub systems_total: i64,
    /// Capabilities that will add to this record when they are served by this build (spend
    /// paid to the supplier, systems it supplies in boroughs' estates).
    pub not_yet_available: Vec<&'static str>,
}

/// The hook through which the directory links a supplier to the rest of London's data: every
/// capability that knows suppliers by their register id (`suppliers.id`) adds its part here.
/// Today that is the pipeline's award and contract notices, the spend database (payments to
/// the supplier across bodies) and the estate register (systems it supplies, as far as the
/// viewer may see them). A build without one of those capabilities lists it as not available.
pub async fn what_london_knows(
    db: &Db,
    viewer: &Viewer,
    supplier_id: Option<i64>,
) -> DbResult<LondonRecord> {
    let not_yet_available = ["spend", "estate"]
        .into_iter()
        .filter(|c| !crate::capabilities::is_live(c))
        .collect();
    let Some(supplier_id) = supplier_id else {
        return Ok(LondonRecord {
            not_yet_available,
            ..LondonRecord::default()
        });
    };
    let register_id = db
        .scalar::<i64>(
            "SELECT COALESCE(merged_into, id) FROM suppliers WHERE id = $1",
            args![supplier_id],
        )
        .await?
        .unwrap_or(supplier_id);
    let spend = crate::spend::store::supplier_bodies(db, register_id).await?;
    let (systems, systems_total) = crate::estate::store::list(
        db,
        viewer,
        &crate::estate::store::Filter {
            supplier_id: Some(register_id),
            ..Default::default()
        },
        10,
        0,
    )
    .await?;
    let scope = viewer.scope("p", 2);
    let mut a = args![supplier_id];
    a.extend(scope.args);
    let awards = db
        .fetch_all(
            format!(
                "SELECT p.id AS procurement_id, p.title AS procurement_title, o.short_name AS buyer, n.kind,
                        n.published_on, n.value_pence
                 FROM procurement_notices n
                 JOIN procurements p ON p.id = n.procurement_id
                 JOIN organisations o ON o.id = p.org_id
                 WHERE n.kind IN ('award', 'contract')
                   AND n.supplier_id IN (SELECT id FROM suppliers WHERE id = $1 OR merged_into = $1)
                   AND {}
                 ORDER BY n.published_on DESC, n.id DESC LIMIT 100",
                scope.sql
            ),
            a,
        )
        .await?;
    Ok(LondonRecord {
        awards,
        register_id: Some(register_id),
        spend,
        systems,
        systems_total,
        not_yet_available,
    })
}

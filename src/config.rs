//! Runtime configuration, from command-line flags and `PROCUREKIT_*` environment variables.

use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    /// The address people use to reach the service, for links in invitations.
    pub public_url: String,
    /// Cookies are marked Secure when the service is reached over HTTPS.
    pub secure_cookies: bool,
    /// Trust `X-Forwarded-For` for the client address (only behind a load balancer).
    pub trust_proxy: bool,
    /// Where mail goes; without it, messages wait in the outbox.
    pub smtp: Option<crate::notify::smtp::SmtpConfig>,
    /// This instance's name in job and outbox claims.
    pub instance: String,
    /// How often background jobs run; `None` turns them off (tests drive them by hand).
    pub jobs_every: Option<std::time::Duration>,
    /// This service's registered OCDS ocid prefix; without one, procurements are not
    /// published as OCDS (imported notices still are).
    pub ocid_prefix: Option<crate::ocds::OcidPrefix>,
    /// Spend red flags already worked out, by filter, with the data they were worked out from.
    /// Shared by clones of this config (one per running instance).
    pub flags_cache: crate::spend::flags::Cache,
}

impl Config {
    pub fn new(bind: SocketAddr, public_url: Option<String>, trust_proxy: bool) -> Config {
        let public_url = public_url.unwrap_or_else(|| format!("http://{bind}"));
        let mut id = [0u8; 4];
        rand::fill(&mut id);
        Config {
            secure_cookies: public_url.starts_with("https://"),
            bind,
            public_url,
            trust_proxy,
            smtp: None,
            flags_cache: Default::default(),
            instance: format!("instance-{}", crate::accounts::session::hex(&id)),
            jobs_every: Some(std::time::Duration::from_secs(5)),
            ocid_prefix: None,
        }
    }
}

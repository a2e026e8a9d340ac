//! The product's capabilities, and which of them this build serves. The web router mounts
//! exactly the routers listed in [`live`], and the guide's coverage page reads the same list,
//! so "what the toolkit covers" cannot claim a capability that is not there.

use axum::Router;

use crate::web::AppState;

pub struct Capability {
    pub id: &'static str,
    pub name: &'static str,
    pub href: &'static str,
}

const ALL: [Capability; 8] = [
    Capability {
        id: "guide",
        name: "Guide, templates and search",
        href: "/guide",
    },
    Capability {
        id: "spend",
        name: "London spend database",
        href: "/spend",
    },
    Capability {
        id: "estate",
        name: "Technology estate and contracts register",
        href: "/estate",
    },
    Capability {
        id: "pipeline",
        name: "Pipeline, opportunities and who else is buying",
        href: "/pipeline",
    },
    Capability {
        id: "engagement",
        name: "Market engagement and the pitch inbox",
        href: "/market",
    },
    Capability {
        id: "joint",
        name: "Joint procurement and governance timelines",
        href: "/joint",
    },
    Capability {
        id: "contracts",
        name: "Contract and supplier management",
        href: "/contracts",
    },
    Capability {
        id: "standards",
        name: "Data and API standard",
        href: "/standards",
    },
];

/// A capability this build serves: its pages and API routes, and its part of the OpenAPI
/// document.
pub struct Live {
    pub id: &'static str,
    pub routes: fn() -> Router<AppState>,
    pub openapi: fn() -> utoipa::openapi::OpenApi,
}

/// The capabilities this build serves.
pub fn live() -> Vec<Live> {
    use utoipa::OpenApi;
    vec![
        Live {
            id: "guide",
            routes: || crate::guide::web::routes().merge(crate::guide::api::routes()),
            openapi: crate::guide::api::GuideApi::openapi,
        },
        Live {
            id: "pipeline",
            // OCDS in and out is part of the pipeline: notices imported from Contracts Finder
            // and Find a Tender, and the pipeline published as OCDS.
            routes: || {
                crate::pipeline::web::routes()
                    .merge(crate::pipeline::api::routes())
                    .merge(crate::ocds::web::routes())
                    .merge(crate::ocds::api::routes())
            },
            openapi: || {
                let mut doc = crate::pipeline::api::PipelineApi::openapi();
                doc.merge(crate::ocds::api::OcdsApi::openapi());
                doc
            },
        },
        Live {
            id: "standards",
            routes: || crate::standards::web::routes().merge(crate::standards::api::routes()),
            openapi: crate::standards::api::StandardsApi::openapi,
        },
        Live {
            id: "estate",
            routes: || crate::estate::web::routes().merge(crate::estate::api::routes()),
            openapi: crate::estate::api::EstateApi::openapi,
        },
        Live {
            id: "joint",
            routes: || {
                crate::joint::web::routes()
                    .merge(crate::joint::workspace::routes())
                    .merge(crate::joint::api::routes())
            },
            openapi: crate::joint::api::JointApi::openapi,
        },
        Live {
            id: "contracts",
            routes: || crate::contracts::web::routes().merge(crate::contracts::api::routes()),
            openapi: crate::contracts::api::ContractsApi::openapi,
        },
        Live {
            id: "engagement",
            routes: || crate::engagement::web::routes().merge(crate::engagement::api::routes()),
            openapi: crate::engagement::api::EngagementApi::openapi,
        },
        Live {
            id: "spend",
            routes: || {
                crate::spend::web::routes()
                    .merge(crate::spend::upload::routes())
                    .merge(crate::spend::api::routes())
            },
            openapi: crate::spend::api::SpendApi::openapi,
        },
    ]
}

pub fn live_ids() -> Vec<&'static str> {
    live().into_iter().map(|c| c.id).collect()
}

pub fn is_live(id: &str) -> bool {
    live().iter().any(|c| c.id == id)
}

/// A capability's name and address; unknown ids (which content checks rule out) get a
/// neutral description rather than a panic.
pub fn describe(id: &str) -> &'static Capability {
    static UNKNOWN: Capability = Capability {
        id: "",
        name: "Unknown capability",
        href: "/",
    };
    ALL.iter().find(|c| c.id == id).unwrap_or(&UNKNOWN)
}

//! Joint procurement: each borough's governance profile (who approves what, when they meet,
//! paper deadlines, call-in, blackouts) and the timeline planner that finds when every
//! partner's approvals line up.
//!
//! The pure parts — [`calendar`] (bank holidays, working days), [`governance`] (the profile as
//! a value), [`planner`], [`export`] (iCalendar, CSV) and [`svg`] — know nothing of the
//! database or the web; [`store`], [`web`] and [`api`] are the doors. Joint procurements
//! themselves (partners, the shared workspace) are [`procurement`] and [`workspace`].

pub mod api;
pub mod calendar;
pub mod examples;
pub mod export;
pub mod governance;
pub mod planner;
pub mod procurement;
pub mod store;
pub mod svg;
pub mod web;
pub mod workspace;

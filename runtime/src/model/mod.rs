//! The domain: the resources Herald stores and their input rules, shared
//! by the API, the ingest stream, the store and the workers.
//!
//! - [`duration`]: `"5s"`-style durations.
//! - [`webhook`]: webhooks, triggers and filters, auth, signing, plugins.
//! - [`rules`]: the input rules of a webhook (what the API checks on save).
//! - [`delivery`]: deliveries, attempts, statuses and error classes.
//! - [`auto_disable`]: when a failing webhook is deactivated.
//! - [`event_type`]: the event-type catalogue and event versions.
//! - [`audit`]: the audit log's entries (who changed what, when, from where).
//!
//! Events and their input rules are in [`crate::event`].

pub mod audit;
pub mod auto_disable;
pub mod delivery;
pub mod duration;
pub mod event_type;
pub mod rules;
pub mod webhook;

pub use auto_disable::{AutoDisable, Health};
pub use delivery::*;
pub use duration as duration_str;
pub use event_type::{EventType, EventVersion};
pub use webhook::*;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An organization (tenant).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Org {
    /// `org_…`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// When its webhooks are deactivated for failing, unless a webhook
    /// sets its own (absent: the defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_disable: Option<AutoDisable>,
    /// RFC 3339.
    pub created_at: String,
}

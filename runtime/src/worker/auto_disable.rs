//! Auto-disable, after an attempt failed: the failure is counted in Redis
//! (across every process) and the webhook deactivated, with its
//! `disabled_reason`, when its rule says so ([`crate::model::AutoDisable`]:
//! the webhook's own, else its org's, else the defaults). Its queued
//! deliveries then wait, as for any inactive webhook.

use crate::app::App;
use crate::model::Webhook;
use crate::store::{now_ms, StoreError};

/// Counts a failed attempt of `webhook` (`dead`: its delivery is now dead)
/// and deactivates the webhook if its rule says so. A Redis failure here is
/// logged: the next failure counts again.
pub(super) async fn after_failure(app: &App, webhook: &Webhook, dead: bool) {
    if let Err(e) = check(app, webhook, dead).await {
        tracing::warn!(webhook = %webhook.id, "counting a failure for auto-disable failed: {e}");
    }
}

async fn check(app: &App, webhook: &Webhook, dead: bool) -> Result<(), StoreError> {
    let health = app
        .store
        .note_failure(&webhook.org, &webhook.id, dead)
        .await?;
    let rule = match webhook.auto_disable {
        Some(rule) => rule,
        None => app
            .store
            .org(&webhook.org)
            .await?
            .and_then(|org| org.auto_disable)
            .unwrap_or_default(),
    };
    eprintln!(
        "DEBUG health {health:?} dead={dead} rule={rule:?} wh={}",
        webhook.id
    );
    let Some(reason) = rule.reason(&health, now_ms()) else {
        return Ok(());
    };
    app.store
        .deactivate_webhook(&webhook.org, &webhook.id, &reason)
        .await?;
    app.webhooks.invalidate(&webhook.id);
    app.metrics.webhooks_auto_disabled.inc();
    tracing::warn!(webhook = %webhook.id, "{reason}");
    Ok(())
}

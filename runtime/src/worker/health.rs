//! What the end of an attempt tells about its webhook, after the outcome is
//! handed on: failures are counted in Redis across every process
//! ([`crate::store::health`]) for auto-disable ([`crate::model::AutoDisable`]:
//! the webhook's rule, else its org's, else the defaults) and for the
//! operational events ([`crate::operational`]): a delivery dead, a webhook
//! failing, recovered or deactivated. Nothing is counted or emitted for the
//! delivery of an operational event itself, so they never set off more of
//! themselves. A Redis failure here is logged: it must not fail the
//! delivery.

use crate::app::App;
use crate::model::Webhook;
use crate::operational::{self, DELIVERY_DEAD, WEBHOOK_FAILING, WEBHOOK_RECOVERED};
use crate::store::deliveries::DeliveryRecord;
use crate::store::{now_ms, StoreError};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Mutex;

/// Webhooks this process saw failing: a success on one of them asks Redis
/// whether it recovered (others cost nothing on success).
#[derive(Default)]
pub(super) struct Failing(Mutex<HashSet<String>>);

impl Failing {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// How the attempt ended, as far as the webhook's health goes.
pub(super) enum End<'a> {
    /// It succeeded.
    Succeeded,
    /// It failed (`dead`: the delivery is now dead; `gone`: a 410 that has
    /// deactivated the webhook already; `error`: what went wrong).
    Failed {
        dead: bool,
        gone: bool,
        error: &'a str,
    },
}

/// Notes the end of an attempt of `delivery`.
pub(super) async fn after(
    app: &App,
    failing: &Failing,
    webhook: &Webhook,
    delivery: &DeliveryRecord,
    end: End<'_>,
) {
    if operational::is_own(&delivery.event_type) {
        return;
    }
    let result = match end {
        End::Succeeded => recovered(app, failing, webhook).await,
        End::Failed { dead, gone, error } => {
            failed(app, failing, webhook, delivery, dead, gone, error).await
        }
    };
    if let Err(e) = result {
        tracing::warn!(webhook = %webhook.id, "noting the webhook's health failed: {e}");
    }
}

async fn recovered(app: &App, failing: &Failing, webhook: &Webhook) -> Result<(), StoreError> {
    if !failing.lock().remove(&webhook.id) {
        return Ok(());
    }
    if app.store.note_recovery(&webhook.org, &webhook.id).await? {
        emit_recovered(app, webhook).await;
    }
    Ok(())
}

async fn failed(
    app: &App,
    failing: &Failing,
    webhook: &Webhook,
    delivery: &DeliveryRecord,
    dead: bool,
    gone: bool,
    error: &str,
) -> Result<(), StoreError> {
    let (org, id) = (&webhook.org, &webhook.id);
    if dead {
        let data = json!({"webhook_id": id, "name": webhook.name, "url": webhook.url,
            "delivery_id": delivery.id, "event_id": delivery.event_id, "event_type": delivery.event_type,
            "attempts": delivery.attempts + 1, "last_error": error});
        let event_id = format!("{DELIVERY_DEAD}:{}", delivery.id);
        operational::emit(app, org, DELIVERY_DEAD, event_id, data).await;
    }
    if gone {
        // Deactivated already, and reported by the caller.
        return Ok(());
    }
    let health = app.store.note_failure(org, id, dead).await?;
    if health.recovered_unnoticed {
        emit_recovered(app, webhook).await;
    }
    if health.now_failing || health.failed_attempts >= operational::FAILING_AFTER {
        failing.lock().insert(id.clone());
    }
    if health.now_failing {
        let data = json!({"webhook_id": id, "name": webhook.name, "url": webhook.url,
            "failed_attempts": health.failed_attempts,
            "failing_since": crate::clock::rfc3339_ms(health.failing_since_ms), "last_error": error});
        let event_id = format!("{WEBHOOK_FAILING}:{id}:{}", health.failing_since_ms);
        operational::emit(app, org, WEBHOOK_FAILING, event_id, data).await;
    }
    let rule = match webhook.auto_disable {
        Some(rule) => rule,
        None => app
            .store
            .org(org)
            .await?
            .and_then(|org| org.auto_disable)
            .unwrap_or_default(),
    };
    let Some(reason) = rule.reason(&health, now_ms()) else {
        return Ok(());
    };
    app.store.deactivate_webhook(org, id, &reason).await?;
    app.webhooks.invalidate(id);
    app.metrics.webhooks_auto_disabled.inc();
    tracing::warn!(webhook = %id, "{reason}");
    emit_disabled(app, webhook, &reason).await;
    Ok(())
}

async fn emit_recovered(app: &App, webhook: &Webhook) {
    let data = json!({"webhook_id": webhook.id, "name": webhook.name, "url": webhook.url});
    let event_id = format!("{WEBHOOK_RECOVERED}:{}:{}", webhook.id, now_ms());
    operational::emit(app, &webhook.org, WEBHOOK_RECOVERED, event_id, data).await;
}

/// Reports that Herald deactivated `webhook`, saying why.
pub(super) async fn emit_disabled(app: &App, webhook: &Webhook, reason: &str) {
    let data = json!({"webhook_id": webhook.id, "name": webhook.name, "url": webhook.url,
        "reason": reason});
    let event_id = format!(
        "{}:{}:{}",
        operational::WEBHOOK_DISABLED,
        webhook.id,
        now_ms()
    );
    operational::emit(
        app,
        &webhook.org,
        operational::WEBHOOK_DISABLED,
        event_id,
        data,
    )
    .await;
}

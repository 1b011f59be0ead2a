//! What a delivery waits for before its attempt: its webhook's rate limit
//! ([`crate::rate`]) and a slot of its destination ([`crate::destination`]).
//! While it waits, its main place (if it holds one) is given back, and
//! taken again after if one is free.

use super::ctx::{Ctx, Place};
use crate::destination::{self, Entry};
use crate::rate::Admission;
use crate::store::StoreError;

/// Waits for `webhook`'s rate limit to admit this delivery, its main place
/// (if it holds one) given back meanwhile and taken again after if one is
/// free; `Some` when it must go back on the queue until then instead.
pub(super) async fn rate_limited(
    ctx: &Ctx,
    webhook: &crate::model::Webhook,
    limit: crate::model::RateLimit,
    place: &mut Place,
) -> Result<Option<i64>, StoreError> {
    let main = matches!(place, Place::Main(_));
    if main {
        *place = Place::Held;
    }
    // Well inside the time after which another process takes the entry over.
    let max_wait = ctx.app.settings.visibility_timeout / 4;
    let admission = ctx
        .limiter
        .admit(&ctx.app.store, webhook, limit, max_wait, &ctx.stop)
        .await?;
    match admission {
        Admission::Later(until_ms) => Ok(Some(until_ms)),
        Admission::Go => {
            // Sent at once, its place taken back if one is free: waiting
            // for one would bunch admitted requests together (what the
            // receiver sees must keep the spacing). Without one, what the
            // limit admits bounds what is in flight.
            if main {
                if let Ok(permit) = ctx.permits.clone().try_acquire_owned() {
                    *place = Place::Main(permit);
                }
            }
            Ok(None)
        }
    }
}

/// A slot of the webhook's destination (see [`crate::destination`]); while
/// it waits for one, its main place (if it holds one) is given back, and
/// taken again after if one is free.
pub(super) async fn destination_slot(
    ctx: &Ctx,
    webhook: &crate::model::Webhook,
    place: &mut Place,
) -> Entry {
    let key = destination::key_of(&webhook.url);
    match ctx.destinations.try_enter(&key) {
        Ok(entry) => entry,
        Err(waiting) => {
            let main = matches!(place, Place::Main(_));
            if main {
                *place = Place::Held;
            }
            let max_wait = ctx.app.settings.visibility_timeout / 4;
            let entry = waiting.wait(max_wait, &ctx.stop).await;
            if main && matches!(entry, Entry::Go(_)) {
                if let Ok(permit) = ctx.permits.clone().try_acquire_owned() {
                    *place = Place::Main(permit);
                }
            }
            entry
        }
    }
}

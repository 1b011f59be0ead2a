//! The webhook change feed: every change to a webhook is published on
//! [`keys::CHANGES`] (by [`Store::put_webhook`] and [`Store::delete_webhook`],
//! in the transaction that makes it); every process follows it.

use super::{keys, Store, StoreError};
use futures_util::{Stream, StreamExt};

impl Store {
    /// Subscribes to the change feed: a stream of changed webhook ids that
    /// ends when the connection is lost.
    pub async fn webhook_changes(&self) -> Result<impl Stream<Item = String>, StoreError> {
        let mut pubsub = self.client.get_async_pubsub().await?;
        pubsub.subscribe(keys::CHANGES).await?;
        Ok(pubsub
            .into_on_message()
            .filter_map(|m| async move { m.get_payload::<String>().ok() }))
    }
}

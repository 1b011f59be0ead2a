//! The webhook change feed: every change to a webhook is published on
//! [`keys::CHANGES`] (by [`Store::put_webhook`] and [`Store::delete_webhook`],
//! in the transaction that makes it); every process follows it.

use super::{keys, Store, StoreError};
use futures_util::Stream;

impl Store {
    /// Subscribes to the change feed: a stream of changed webhook ids that
    /// ends when the connection is lost. On a cluster, a `PUBLISH` reaches
    /// every node, so one subscription (kept by the cluster client across
    /// node failures) hears every change.
    pub async fn webhook_changes(&self) -> Result<impl Stream<Item = String>, StoreError> {
        Ok(self.connector.subscribe(keys::CHANGES).await?)
    }
}

//! Shutdown helpers: every sleep in a long-running task is cancellable.

use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Sleeps for `d`; returns true if `shutdown` fired first.
pub async fn sleep_or_stop(d: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        _ = shutdown.cancelled() => true,
        _ = tokio::time::sleep(d) => false,
    }
}

//! The engine's epoch ticker: the clock plugin deadlines are counted in.
//!
//! wasmtime interrupts a call once the engine's epoch passes the store's
//! deadline; a thread increments the epoch every tick. It ticks only while
//! plugin code runs (a [`Running`] guard is alive): between calls it sleeps
//! in `park`, so an idle Herald, or one whose webhooks have no plugins,
//! makes no wake-ups for it (it used to wake 1,000 times a second, the
//! whole of Herald's idle CPU; BENCHMARKS.md, issue 16).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{JoinHandle, Thread};
use std::time::Duration;

/// Runs its action (incrementing an engine's epoch) every tick while
/// plugin code runs; stops its thread when dropped.
pub(super) struct Ticker {
    shared: Arc<Shared>,
    thread: Thread,
    handle: Option<JoinHandle<()>>,
}

struct Shared {
    stop: AtomicBool,
    /// Calls and instantiations in progress.
    running: AtomicUsize,
}

/// Plugin code is running while this lives: the epoch ticks.
pub struct Running<'a>(&'a Ticker);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.shared.running.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Ticker {
    /// Starts the (parked) ticker thread; `action` runs every tick while
    /// plugin code runs, and the thread ends when it returns false.
    pub(super) fn spawn(
        tick: Duration,
        action: impl Fn() -> bool + Send + 'static,
    ) -> std::io::Result<Ticker> {
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            running: AtomicUsize::new(0),
        });
        let state = shared.clone();
        let handle = std::thread::Builder::new()
            .name("herald-epoch".into())
            .spawn(move || {
                while !state.stop.load(Ordering::SeqCst) {
                    // A call starting after this load unparks the thread,
                    // and an unpark before `park` makes it return at once.
                    if state.running.load(Ordering::SeqCst) == 0 {
                        std::thread::park();
                        continue;
                    }
                    std::thread::sleep(tick);
                    if !action() {
                        break;
                    }
                }
            })?;
        Ok(Ticker {
            shared,
            thread: handle.thread().clone(),
            handle: Some(handle),
        })
    }

    /// Marks plugin code as running until the guard is dropped, waking the
    /// ticker if it slept.
    pub(super) fn enter(&self) -> Running<'_> {
        if self.shared.running.fetch_add(1, Ordering::SeqCst) == 0 {
            self.thread.unpark();
        }
        Running(self)
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.thread.unpark();
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Ticker;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    /// Ticks come while a guard lives and stop otherwise. Only the order of
    /// events is checked (a loaded machine may tick late, never early): no
    /// timing bound.
    #[test]
    fn ticks_come_only_while_plugin_code_runs() {
        let ticks = Arc::new(AtomicU64::new(0));
        let counter = ticks.clone();
        let ticker = Ticker::spawn(Duration::from_millis(1), move || {
            counter.fetch_add(1, Ordering::SeqCst);
            true
        })
        .expect("thread");
        let count = || ticks.load(Ordering::SeqCst);

        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(count(), 0, "no call: no tick");

        let running = ticker.enter();
        let nested = ticker.enter();
        drop(nested);
        while count() < 3 {
            std::thread::sleep(Duration::from_millis(1));
        }
        drop(running);
        // A tick already under way when the guard went may still land.
        std::thread::sleep(Duration::from_millis(20));
        let settled = count();
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(count(), settled, "no call: the ticker sleeps again");

        let again = ticker.enter();
        while count() < settled + 2 {
            std::thread::sleep(Duration::from_millis(1));
        }
        drop(again);
        drop(ticker);
    }
}

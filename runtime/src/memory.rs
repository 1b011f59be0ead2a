//! Handing memory back to the operating system once a load has passed.
//!
//! Herald's binary allocates with mimalloc (`main.rs`). mimalloc frees
//! pages back to the OS lazily, from inside later allocator calls on the
//! thread that owns them; a worker thread that goes idle after a load makes
//! no such calls, so what the load used stayed resident. When a runtime
//! thread parks (has nothing to run) and has not collected for a while, it
//! collects its heap, returning its free pages. Collecting is rate-limited
//! per thread, so a busy thread that parks thousands of times a second
//! collects at most once per [`COLLECT_EVERY`]. Threads of the blocking pool
//! (plugin chains) collect the same way after a chain, and plugin loading
//! (compiling: tens of MiB for a moment) collects when it is done.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// The least time between two collections on one thread.
pub const COLLECT_EVERY: Duration = Duration::from_secs(1);

thread_local! {
    static LAST_COLLECT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Returns this thread's free pages unless it did so less than
/// [`COLLECT_EVERY`] ago. The Tokio runtime calls it when one of its
/// threads parks; threads of the blocking pool, which do not park through
/// that hook, call it after a plugin chain.
pub fn collect_if_due() {
    let due = LAST_COLLECT.with(|last| last.get().is_none_or(|at| at.elapsed() >= COLLECT_EVERY));
    if due {
        collect_now();
    }
}

/// Returns this thread's free pages now (after a rare, allocation-heavy
/// step such as compiling a plugin).
pub fn collect_now() {
    LAST_COLLECT.with(|last| last.set(Some(Instant::now())));
    // SAFETY: mi_collect only walks and releases this thread's own free
    // pages; it touches no live allocation. Without mimalloc as the global
    // allocator it finds an empty heap and does nothing.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

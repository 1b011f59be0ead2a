//! Logging into Herald's own log, tagged with the plugin and the webhook.
//!
//! Inside Herald these lines go to the runtime's tracing output and
//! `herald plugin run` prints them; in native unit tests they go to stderr.
//! Each line is capped by the host (a few KiB) and so is the number of lines
//! per call.

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Level {
    /// Very detailed tracing.
    Trace = 0,
    /// Debugging detail.
    Debug = 1,
    /// Normal operation.
    Info = 2,
    /// Something unexpected, handled.
    Warn = 3,
    /// Something failed.
    Error = 4,
}

/// Writes one line at `level`.
///
/// ```
/// herald_sdk::log::log(herald_sdk::log::Level::Info, "hello");
/// ```
pub fn log(level: Level, message: &str) {
    imp::log(level, message)
}

/// Logs at trace level.
///
/// ```
/// herald_sdk::log::trace("entering");
/// ```
pub fn trace(message: &str) {
    log(Level::Trace, message)
}

/// Logs at debug level.
///
/// ```
/// herald_sdk::log::debug("parsed config");
/// ```
pub fn debug(message: &str) {
    log(Level::Debug, message)
}

/// Logs at info level.
///
/// ```
/// herald_sdk::log::info("kept order 42");
/// ```
pub fn info(message: &str) {
    log(Level::Info, message)
}

/// Logs at warn level.
///
/// ```
/// herald_sdk::log::warn("field missing, using default");
/// ```
pub fn warn(message: &str) {
    log(Level::Warn, message)
}

/// Logs at error level.
///
/// ```
/// herald_sdk::log::error("cannot map field");
/// ```
pub fn error(message: &str) {
    log(Level::Error, message)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    //! The `herald:plugin/log` import, declared by hand: its canonical-ABI
    //! signature (enum as i32, string as pointer and length) is fixed by the
    //! WIT, and declaring it here keeps the generated bindings (and their
    //! world type section) out of the SDK.
    #[link(wasm_import_module = "herald:plugin/log@0.2.0")]
    unsafe extern "C" {
        #[link_name = "log"]
        fn host_log(level: i32, ptr: *const u8, len: usize);
    }

    pub(super) fn log(level: super::Level, message: &str) {
        // SAFETY: the pointer and length describe a live, valid UTF-8 string
        // for the duration of the call; the host copies it out.
        unsafe { host_log(level as i32, message.as_ptr(), message.len()) }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub(super) fn log(level: super::Level, message: &str) {
        eprintln!("[plugin {level:?}] {message}");
    }
}

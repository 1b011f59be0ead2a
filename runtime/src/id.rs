//! Resource ids: a type prefix and a lowercase ULID (`evt_01j…`), sortable
//! by creation time.

/// A new id with a type prefix, e.g. `evt_01j…`.
///
/// Monotonic within this process: ids made in the same millisecond still
/// sort in creation order (lists page by time, then id).
pub fn new_id(prefix: &str) -> String {
    static GENERATOR: std::sync::Mutex<ulid::Generator> =
        std::sync::Mutex::new(ulid::Generator::new());
    let id = GENERATOR
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .generate()
        // Overflow needs 2^80 ids in one millisecond; fall back to a random one.
        .unwrap_or_else(|_| ulid::Ulid::new());
    format!("{prefix}_{}", id.to_string().to_lowercase())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_sort_in_creation_order() {
        let ids: Vec<String> = (0..100).map(|_| super::new_id("x")).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert!(ids[0].starts_with("x_"));
    }
}

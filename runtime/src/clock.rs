//! Wall-clock time as Herald stores and shows it: Unix milliseconds and
//! RFC 3339 text (UTC, millisecond precision).

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Unix milliseconds as RFC 3339 (empty if out of range).
pub fn rfc3339_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The current time as RFC 3339.
pub fn now_rfc3339() -> String {
    rfc3339_ms(now_ms())
}

/// Parses RFC 3339 text into Unix milliseconds.
pub fn parse_rfc3339_ms(text: &str) -> Result<i64, String> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|e| format!("{text:?} is not an RFC 3339 time like 2026-01-31T12:00:00Z ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_at_millisecond_precision() {
        let now = now_ms();
        assert_eq!(parse_rfc3339_ms(&rfc3339_ms(now)), Ok(now));
        assert!(parse_rfc3339_ms("yesterday").is_err());
        assert!(parse_rfc3339_ms(&now_rfc3339()).is_ok());
    }
}

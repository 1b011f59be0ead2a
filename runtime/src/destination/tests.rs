//! The limit's growth and cuts, the circuit's states, and slots handed to
//! waiters in order.

use super::*;

fn dests() -> Arc<Destinations> {
    Destinations::new(&Metrics::new())
}

async fn go(d: &Arc<Destinations>, key: &str) -> Slot {
    let stop = tokio_util::sync::CancellationToken::new();
    match enter(d, key, Duration::from_secs(5), &stop).await {
        Entry::Go(slot) => slot,
        Entry::Later(_) => panic!("{key} refused a delivery"),
    }
}

/// `try_enter`, waiting when it must, as the worker does.
async fn enter(
    d: &Arc<Destinations>,
    key: &str,
    max_wait: Duration,
    stop: &tokio_util::sync::CancellationToken,
) -> Entry {
    match d.try_enter(key) {
        Ok(entry) => entry,
        Err(waiting) => waiting.wait(max_wait, stop).await,
    }
}

/// Whether a delivery to `key` would be put back now (circuit open, or
/// the destination paused).
fn is_blocked(d: &Destinations, key: &str) -> bool {
    let now = Instant::now();
    d.lock().get(key).is_some_and(|d| {
        matches!(d.circuit, Circuit::Open { until, .. } if until > now)
            || d.paused_until.is_some_and(|u| u > now)
    })
}

fn limit(d: &Destinations, key: &str) -> f64 {
    d.lock().get(key).map_or(0.0, |d| d.limit)
}

#[test]
fn destinations_are_host_and_port() {
    assert_eq!(key_of("https://Example.com/hook"), "example.com:443");
    assert_eq!(key_of("http://example.com/x"), "example.com:80");
    assert_eq!(key_of("https://127.0.0.1:8443/a?b"), "127.0.0.1:8443");
}

#[tokio::test]
async fn the_limit_grows_while_used_and_halves_once_per_burst_of_overload() {
    let d = dests();
    let slots: Vec<Slot> = futures_util::future::join_all((0..16).map(|_| go(&d, "a:1"))).await;
    for slot in slots {
        slot.finish(Signal::Success);
    }
    // Slow start: one more per success while at least half is used (the
    // first 6 of the 16, as the others finish with fewer in flight).
    assert_eq!(limit(&d, "a:1"), INITIAL_LIMIT + 6.0);
    let before = limit(&d, "a:1");
    let slots: Vec<Slot> = futures_util::future::join_all((0..4).map(|_| go(&d, "a:1"))).await;
    for slot in slots {
        slot.finish(Signal::Overload(None));
    }
    assert_eq!(limit(&d, "a:1"), before / 2.0, "one cut for one burst");
    // Other destinations are not affected.
    let other = go(&d, "b:1").await;
    other.finish(Signal::Success);
    assert_eq!(limit(&d, "b:1"), INITIAL_LIMIT);
}

#[tokio::test]
async fn a_full_destination_hands_freed_slots_to_waiters_in_order() {
    let d = dests();
    d.lock()
        .insert("a:1".into(), Destination::new(Instant::now()));
    d.lock().get_mut("a:1").expect("there").limit = 1.0;
    let first = go(&d, "a:1").await;
    let (d2, d3) = (d.clone(), d.clone());
    let second = tokio::spawn(async move { go(&d2, "a:1").await });
    tokio::task::yield_now().await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let third = tokio::spawn(async move { go(&d3, "a:1").await });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(d.lock().get("a:1").map(|d| d.waiters.len()), Some(2));
    first.finish(Signal::Answered);
    let second = second.await.expect("second");
    assert_eq!(d.lock().get("a:1").map(|d| d.in_flight), Some(1));
    second.finish(Signal::Answered);
    third.await.expect("third").finish(Signal::Answered);
    assert_eq!(d.lock().get("a:1").map(|d| d.in_flight), Some(0));
}

#[tokio::test]
async fn the_circuit_opens_after_failures_in_a_row_and_one_probe_closes_it() {
    let d = dests();
    for _ in 0..OPEN_AFTER {
        go(&d, "down:1").await.finish(Signal::Failure);
    }
    assert!(is_blocked(&d, "down:1"));
    let stop = tokio_util::sync::CancellationToken::new();
    assert!(matches!(
        enter(&d, "down:1", Duration::from_secs(1), &stop).await,
        Entry::Later(_)
    ));
    // Its time is up: one probe goes, the others wait for its answer.
    if let Some(dest) = d.lock().get_mut("down:1") {
        if let Circuit::Open { next, .. } = dest.circuit {
            dest.circuit = Circuit::Open {
                until: Instant::now(),
                next,
            };
        }
    }
    let probe = go(&d, "down:1").await;
    assert!(matches!(
        enter(&d, "down:1", Duration::from_secs(1), &stop).await,
        Entry::Later(_)
    ));
    // A failed probe opens it for twice as long.
    probe.finish(Signal::Overload(None));
    match d.lock().get("down:1").map(|d| d.circuit) {
        Some(Circuit::Open { until, next }) => {
            assert!(until > Instant::now() + Duration::from_secs(3));
            assert_eq!(next, Duration::from_secs(8));
        }
        other => panic!("{other:?}"),
    }
    if let Some(dest) = d.lock().get_mut("down:1") {
        dest.circuit = Circuit::Open {
            until: Instant::now(),
            next: Duration::from_secs(8),
        };
    }
    go(&d, "down:1").await.finish(Signal::Success);
    assert!(!is_blocked(&d, "down:1"));
    go(&d, "down:1").await.finish(Signal::Success);
}

#[tokio::test]
async fn retry_after_pauses_the_whole_destination() {
    let d = dests();
    go(&d, "busy:1")
        .await
        .finish(Signal::Overload(Some(Duration::from_secs(30))));
    assert!(is_blocked(&d, "busy:1"));
    let stop = tokio_util::sync::CancellationToken::new();
    match enter(&d, "busy:1", Duration::from_secs(1), &stop).await {
        Entry::Later(ms) => assert!(ms >= crate::store::now_ms() + 25_000, "{ms}"),
        Entry::Go(_) => panic!("sent while paused"),
    }
}

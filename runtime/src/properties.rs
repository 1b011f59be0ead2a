//! Property tests over every parser of outside input (issue 17, section 7:
//! the fuzzing targets): filter paths and operators, webhook input JSON,
//! durations and retry schedules, `Retry-After`, event input and the URL
//! policy. Each property runs `HERALD_PROPTEST_CASES` cases (default
//! 200,000: a few seconds each in release); proptest keeps any failing input
//! in `runtime/proptest-regressions/` (committed), so a crash found once is
//! replayed by every later run before the random cases, and gets a plain
//! regression test beside the code it broke.

use crate::api::webhooks::input::WebhookInput;
use crate::deliver::policy::NetPolicy;
use crate::event::NewEvent;
use crate::model::duration_str;
use crate::model::{FilterRule, Trigger};
use crate::{filter, retry};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::net::Ipv4Addr;
use std::time::{Duration, SystemTime};

fn config() -> ProptestConfig {
    let cases = std::env::var("HERALD_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    }
}

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z._]{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Text shaped like the inputs: mostly path and duration characters, some
/// arbitrary Unicode.
fn texty() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9._\\[\\]\\-]{0,24}",
        "[0-9]{0,6}(ms|s|m|h|d|µs|)",
        ".{0,32}",
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn filter_paths_and_operators_never_panic(path in texty(), op in "(eq|ne|gt|gte|lt|lte|in|not_in|exists|contains|starts_with|[a-z]{0,8})", operand in json_value(), envelope in json_value()) {
        let _ = filter::check_path(&path);
        let _ = filter::lookup(&envelope, &path);
        let rule: Result<FilterRule, _> = serde_json::from_value(json!({"path": path, "op": op, "value": operand}));
        if let Ok(rule) = rule {
            let _ = filter::matches(&rule, &envelope);
            let _ = filter::describe(&rule, &envelope);
            let trigger: Result<Trigger, _> = serde_json::from_value(json!({"event": "x", "filters": [rule]}));
            if let Ok(trigger) = trigger {
                let _ = crate::model::rules::triggers(std::slice::from_ref(&trigger));
                let _ = filter::first_mismatch(&trigger, &envelope);
            }
        }
    }

    #[test]
    fn webhook_input_never_panics(body in json_value(), text in ".{0,64}") {
        let object = match body {
            Value::Object(mut m) => {
                m.insert("name".into(), json!(text));
                Value::Object(m)
            }
            other => json!({"name": text, "url": "https://example.com/", "triggers": [{"event": "x", "filters": other}]}),
        };
        if let Ok(input) = serde_json::from_value::<WebhookInput>(object) {
            let _ = input.check(Duration::from_secs(60));
        }
        if let Ok(input) = serde_json::from_str::<WebhookInput>(&text) {
            let _ = input.check(Duration::from_secs(60));
        }
    }

    #[test]
    fn durations_parse_without_panic_and_round_trip(text in texty(), ms in 0u64..10_000_000_000) {
        let _ = duration_str::parse(&text);
        let _ = crate::model::rules::timeout(&text, Duration::from_secs(60));
        let _ = crate::model::rules::retry_schedule(&[text.clone(), text]);
        let d = Duration::from_millis(ms);
        prop_assert_eq!(duration_str::parse(&duration_str::format(&d)), Ok(d));
    }

    #[test]
    fn retry_after_never_panics_and_reads_seconds(text in ".{0,40}", secs in 0u64..100_000_000) {
        let now = SystemTime::now();
        let _ = retry::parse_retry_after(&text, now);
        prop_assert_eq!(retry::parse_retry_after(&secs.to_string(), now), Some(Duration::from_secs(secs)));
        let capped = retry::next_delay(Duration::from_secs(1), Some(Duration::from_secs(secs)), Duration::from_secs(3600));
        prop_assert!(capped <= Duration::from_secs(3600));
    }

    #[test]
    fn event_input_never_panics(id in proptest::option::of(".{0,210}"), kind in ".{0,210}", data in ".{0,64}", env in proptest::option::of(".{0,210}")) {
        if let Ok(event) = NewEvent::parse_text(id, kind, data, env) {
            prop_assert!(serde_json::from_str::<Value>(event.data.get()).is_ok_and(|v| v.is_object()));
        }
    }

    #[test]
    fn url_policy_never_panics_and_refuses_every_private_ipv4_notation(url in ".{0,64}", host in texty(), a in any::<u32>()) {
        let strict = NetPolicy::default();
        let _ = strict.check_url(&url);
        let _ = strict.check_url(&format!("https://{host}/"));
        let ip = Ipv4Addr::from(a);
        let notations = [
            ip.to_string(),
            a.to_string(),
            format!("0x{a:x}"),
            format!("0{a:o}"),
            format!("{}.{}", ip.octets()[0], a & 0x00ff_ffff),
        ];
        let refused = strict.refusal(ip.into()).is_some();
        for host in notations {
            let verdict = strict.check_url(&format!("https://{host}/hook"));
            if refused {
                prop_assert!(verdict.is_err(), "{host} ({ip}) was accepted");
            }
        }
    }
}

//! Plugin host benchmarks (criterion). Run with:
//!
//! ```text
//! bash tests/run.sh --build-only   # or: cargo build --profile plugin --target wasm32-wasip2 --workspace
//! cargo bench -p herald --bench plugin_host
//! ```
//!
//! Measures, on a 2 KB JSON event: a no-op call; instantiation from
//! `InstancePre` (pooling and on-demand); a filter and a transform with a
//! reused instance against the same logic compiled natively; the same in
//! fresh-instance mode; loading a compiled component from the disk cache.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use herald::plugin::{
    CallTags, CallTarget, EngineOptions, PluginEngine, PluginHost, PluginInstance, PluginLimits,
    PluginLoader, WitEvent, WitRequest,
};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

fn wasm(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target
        .join("wasm32-wasip2/plugin")
        .join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "{} missing: run `bash tests/run.sh --build-only` first",
        path.display()
    );
    path
}

/// A 2 KB order event.
fn event_data() -> String {
    let items: Vec<String> = (0..28)
        .map(|i| {
            format!(
                r#"{{"sku":"SKU-{i:04}","name":"Item number {i}","qty":{},"price":{}.99}}"#,
                i % 3 + 1,
                10 + i
            )
        })
        .collect();
    let data = format!(
        r#"{{"order":{{"id":"ord_123456","total":1234.56,"currency":"EUR","status":"paid","items":[{}]}},"customer":{{"id":"cus_42","email":"ada@example.com","name":"Ada Lovelace","tier":"gold"}},"payments":[{{"card":"4111111111111111","amount":1234.56}}]}}"#,
        items.join(",")
    );
    assert!(
        (1900..2300).contains(&data.len()),
        "event is {} bytes",
        data.len()
    );
    data
}

fn wit_event(data: &str) -> WitEvent {
    WitEvent {
        id: "evt_1".into(),
        event_type: "order.created".into(),
        timestamp: "2026-01-01T00:00:00Z".into(),
        org: "org_1".into(),
        environment: Some("production".into()),
        webhook_id: "wh_1".into(),
        data: data.into(),
    }
}

fn sdk_event(data: &str) -> herald_sdk::Event {
    herald_sdk::Event {
        id: "evt_1".into(),
        event_type: "order.created".into(),
        timestamp: "2026-01-01T00:00:00Z".into(),
        org: "org_1".into(),
        environment: Some("production".into()),
        webhook_id: "wh_1".into(),
        data: data.into(),
    }
}

const FILTER_CONFIG: &str = r#"{"path":"data.order.total","above":100}"#;
const TRANSFORM_CONFIG: &str =
    r#"{"paths":["data.customer.email","data.payments.*.card"],"keep_last":4}"#;

fn payload(data: &str) -> Vec<u8> {
    format!(r#"{{"id":"evt_1","type":"order.created","timestamp":"2026-01-01T00:00:00Z","environment":"production","data":{data}}}"#)
        .into_bytes()
}

/// Engine options for the benchmarks: the defaults but a deadline no busy
/// machine can reach, since `cargo test --benches` runs each benchmark once
/// as a test and a `deadline_exceeded` there would be a false failure.
fn options() -> EngineOptions {
    EngineOptions {
        limits: PluginLimits {
            deadline: std::time::Duration::from_secs(120),
            ..PluginLimits::default()
        },
        ..EngineOptions::default()
    }
}

fn benches(c: &mut Criterion) {
    let engine = PluginEngine::new(options()).expect("engine");
    let loader = PluginLoader::new(engine.clone(), None);
    let noop = loader.load_file(&wasm("noop")).expect("noop");
    let filter = loader.load_file(&wasm("threshold_filter")).expect("filter");
    let transform = loader
        .load_file(&wasm("redact_transform"))
        .expect("transform");
    let data = event_data();
    let event = wit_event(&data);
    let request = WitRequest {
        headers: vec![("content-type".into(), "application/json".into())],
        body: payload(&data),
    };
    let tags = || CallTags {
        plugin: "bench".into(),
        webhook: "wh_1".into(),
    };

    c.bench_function("noop_call_2kb_event", |b| {
        let mut instance = PluginInstance::new(&engine, &noop, tags()).expect("instance");
        b.iter(|| black_box(instance.filter(&event, "{}").0.expect("keeps")))
    });

    c.bench_function("instantiate_pooling", |b| {
        b.iter(|| black_box(PluginInstance::new(&engine, &filter, tags()).expect("instance")))
    });
    {
        let on_demand = PluginEngine::new(EngineOptions {
            pooling: false,
            ..options()
        })
        .expect("engine");
        let plugin = PluginLoader::new(on_demand.clone(), None)
            .load_file(&wasm("threshold_filter"))
            .expect("filter");
        c.bench_function("instantiate_on_demand", |b| {
            b.iter(|| {
                black_box(PluginInstance::new(&on_demand, &plugin, tags()).expect("instance"))
            })
        });
    }

    let mut group = c.benchmark_group("filter_transform_2kb");
    {
        let mut f = PluginInstance::new(&engine, &filter, tags()).expect("instance");
        let mut t = PluginInstance::new(&engine, &transform, tags()).expect("instance");
        group.bench_function("wasm_reused_instance", |b| {
            b.iter(|| {
                let verdict = f.filter(&event, FILTER_CONFIG).0.expect("filter");
                let out = t
                    .transform(&event, &request, TRANSFORM_CONFIG)
                    .0
                    .expect("transform");
                black_box((verdict, out))
            })
        });
    }
    {
        let native_event = sdk_event(&data);
        let native_request = herald_sdk::Request {
            headers: request.headers.clone(),
            body: request.body.clone(),
        };
        group.bench_function("native_same_logic", |b| {
            b.iter(|| {
                let verdict = herald_sdk::__private::run_filter::<threshold_filter::Threshold>(
                    &native_event,
                    FILTER_CONFIG,
                )
                .expect("filter");
                let out = herald_sdk::__private::run_transform::<redact_transform::Redact>(
                    &native_event,
                    native_request.clone(),
                    TRANSFORM_CONFIG,
                )
                .expect("transform");
                black_box((verdict, out))
            })
        });
    }
    {
        let host = PluginHost::new(engine.clone(), 1000);
        let target = |config: &str| CallTarget {
            webhook_id: "wh_1".into(),
            plugin_ref: Arc::from("bench@1"),
            config: config.into(),
            fresh: true,
        };
        let (ft, tt) = (target(FILTER_CONFIG), target(TRANSFORM_CONFIG));
        group.bench_function("wasm_fresh_instances", |b| {
            b.iter(|| {
                let verdict = host.filter(&filter, &ft, &event).0.expect("filter");
                let out = host
                    .transform(&transform, &tt, &event, &request)
                    .0
                    .expect("transform");
                black_box((verdict, out))
            })
        });
    }
    group.finish();

    {
        let dir = tempfile::tempdir().expect("tempdir");
        let bytes = std::fs::read(wasm("redact_transform")).expect("read");
        let cached = PluginLoader::new(engine.clone(), Some(dir.path().into()));
        cached.load(&bytes).expect("compile once");
        c.bench_function("load_cached_component", |b| {
            b.iter_batched(
                || (),
                |()| {
                    let plugin = cached.load(&bytes).expect("cached load");
                    assert!(plugin.load_info().from_cache);
                    black_box(plugin)
                },
                BatchSize::SmallInput,
            )
        });
    }
}

criterion_group!(plugin_host, benches);
criterion_main!(plugin_host);

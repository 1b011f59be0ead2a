//! OpenTelemetry traces, exported over OTLP (gRPC or HTTP/protobuf) when an
//! endpoint is configured: `HERALD_OTLP_ENDPOINT`, or the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`.
//! Unset, nothing is set up: no exporter, no runtime, and the delivery path
//! creates no span at all ([`on`] is false).
//!
//! The standard `OTEL_*` variables are honoured: the protocol
//! (`OTEL_EXPORTER_OTLP_PROTOCOL`, `grpc` or `http/protobuf`, the default),
//! headers (`OTEL_EXPORTER_OTLP_HEADERS`), timeout, the service name and
//! resource attributes (`OTEL_SERVICE_NAME`, default `herald`;
//! `OTEL_RESOURCE_ATTRIBUTES`), the sampler (`OTEL_TRACES_SAMPLER`,
//! `OTEL_TRACES_SAMPLER_ARG`), the batch processor (`OTEL_BSP_*`) and
//! `OTEL_SDK_DISABLED`. Export runs on a runtime of its own (one thread),
//! so it never competes with deliveries for the main runtime's workers.
//!
//! What becomes a span is [`spans`]'s business.

pub mod spans;

use crate::deliver::connector::{Connector, Resolver};
use crate::deliver::policy::NetPolicy;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::{SdkTracerProvider, Tracer};
use opentelemetry_sdk::Resource;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tracing_subscriber::filter::{filter_fn, Filtered};

static ON: AtomicBool = AtomicBool::new(false);

/// Whether traces are being exported: when false, Herald creates no span.
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Why tracing could not be set up; the message names the setting to fix.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// A setting has a value Herald cannot use.
    #[error("{variable}={value:?}: {message}")]
    Setting {
        /// The environment variable.
        variable: &'static str,
        /// Its value.
        value: String,
        /// What to do.
        message: String,
    },
    /// The OTLP exporter could not be built.
    #[error("the OTLP trace exporter: {0}")]
    Exporter(String),
    /// The exporter's runtime could not start.
    #[error("the OTLP exporter's runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// The wire protocol of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/gRPC (tonic).
    Grpc,
    /// OTLP/HTTP with protobuf bodies.
    HttpProtobuf,
}

/// Where and how traces go, read from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL the exporter sends to (for HTTP, the full `…/v1/traces`).
    pub endpoint: String,
    /// The protocol.
    pub protocol: Protocol,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Target {
    /// The export target `var` (an environment lookup) describes; `None`
    /// when no endpoint is set or the SDK is disabled.
    pub fn from(var: impl Fn(&str) -> Option<String>) -> Result<Option<Target>, TelemetryError> {
        if var("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
            return Ok(None);
        }
        let (herald, traces, base) = (
            var("HERALD_OTLP_ENDPOINT"),
            var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
            var("OTEL_EXPORTER_OTLP_ENDPOINT"),
        );
        let protocol_var = if var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL").is_some() {
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
        } else {
            "OTEL_EXPORTER_OTLP_PROTOCOL"
        };
        let protocol = match var(protocol_var).as_deref().map(str::trim) {
            None | Some("http/protobuf") => Protocol::HttpProtobuf,
            Some("grpc") => Protocol::Grpc,
            Some(other) => {
                return Err(TelemetryError::Setting {
                    variable: protocol_var,
                    value: other.to_string(),
                    message: "use `grpc` or `http/protobuf` (http/json is not supported)".into(),
                })
            }
        };
        // HERALD_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_ENDPOINT are base
        // URLs (HTTP appends /v1/traces); the per-signal variable is used
        // as given.
        let (variable, value, base_url) = match (herald, traces, base) {
            (Some(v), _, _) => ("HERALD_OTLP_ENDPOINT", v, true),
            (None, Some(v), _) => ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", v, false),
            (None, None, Some(v)) => ("OTEL_EXPORTER_OTLP_ENDPOINT", v, true),
            (None, None, None) => return Ok(None),
        };
        let value = value.trim().to_string();
        let uri: http::Uri = value.parse().map_err(|e| TelemetryError::Setting {
            variable,
            value: value.clone(),
            message: format!("not a URL ({e}); e.g. http://otel-collector:4318"),
        })?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(TelemetryError::Setting {
                variable,
                value,
                message: "an http:// or https:// URL with a host, e.g. http://otel-collector:4318"
                    .into(),
            });
        }
        let endpoint = match protocol {
            Protocol::HttpProtobuf if base_url => {
                format!("{}/v1/traces", value.trim_end_matches('/'))
            }
            _ => value,
        };
        Ok(Some(Target { endpoint, protocol }))
    }
}

/// Tracing set up: the provider (flushed and shut down when dropped) and
/// the runtime its exporter runs on.
pub struct Telemetry {
    provider: SdkTracerProvider,
    tracer: Tracer,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry").finish_non_exhaustive()
    }
}

/// The layer that turns Herald's trace spans into OpenTelemetry spans.
pub type OtelLayer<S> = Filtered<
    tracing_opentelemetry::OpenTelemetryLayer<S, Tracer>,
    tracing_subscriber::filter::FilterFn,
    S,
>;

impl Telemetry {
    /// Tracing as the environment configures it; `None` when no endpoint
    /// is set.
    pub fn from_env() -> Result<Option<Telemetry>, TelemetryError> {
        let Some(target) = Target::from(env)? else {
            return Ok(None);
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("herald-otlp")
            .enable_all()
            .build()?;
        let provider = {
            let _inside = runtime.enter();
            let exporter = exporter(&target)?;
            let processor =
                opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor::builder(
                    exporter,
                    opentelemetry_sdk::runtime::Tokio,
                )
                .build();
            SdkTracerProvider::builder()
                .with_span_processor(processor)
                .with_resource(resource())
                .build()
        };
        let tracer = provider.tracer("herald");
        let _ = spans::TRACER.set(tracer.clone());
        opentelemetry::global::set_tracer_provider(provider.clone());
        ON.store(true, Ordering::Relaxed);
        Ok(Some(Telemetry {
            provider,
            tracer,
            runtime: Some(runtime),
        }))
    }

    /// The layer to add to the subscriber: it sees Herald's trace spans
    /// (target [`spans::TARGET`]) and the warnings and errors logged inside
    /// them (as span events), nothing else.
    pub fn layer<S>(&self) -> OtelLayer<S>
    where
        S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        use tracing_subscriber::Layer as _;
        // No per-span code location, thread, level, target or busy/idle
        // timing attributes: each costs on every span, and none says more
        // than the span's name and Herald's own attributes.
        tracing_opentelemetry::layer()
            .with_tracer(self.tracer.clone())
            .with_location(false)
            .with_threads(false)
            .with_level(false)
            .with_target(false)
            .with_tracked_inactivity(false)
            .with_filter(filter_fn(|meta| {
                if meta.is_span() {
                    meta.target() == spans::TARGET
                } else {
                    *meta.level() <= tracing::Level::WARN
                }
            }))
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        ON.store(false, Ordering::Relaxed);
        // Exports what is still buffered (bounded by the exporter's timeout).
        if let Err(e) = self.provider.shutdown_with_timeout(Duration::from_secs(5)) {
            eprintln!("warning: flushing the last traces failed: {e}");
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

/// The resource: the environment's (`OTEL_SERVICE_NAME`,
/// `OTEL_RESOURCE_ATTRIBUTES`), the service named `herald` unless it says
/// otherwise, and Herald's version.
fn resource() -> Resource {
    let named = env("OTEL_SERVICE_NAME").is_some()
        || env("OTEL_RESOURCE_ATTRIBUTES").is_some_and(|a| a.contains("service.name="));
    let mut builder = Resource::builder().with_attribute(opentelemetry::KeyValue::new(
        "service.version",
        env!("CARGO_PKG_VERSION"),
    ));
    if !named {
        builder = builder.with_service_name("herald");
    }
    builder.build()
}

/// The OTLP exporter for `target` (inside the telemetry runtime).
fn exporter(target: &Target) -> Result<opentelemetry_otlp::SpanExporter, TelemetryError> {
    let built = match target.protocol {
        Protocol::Grpc => opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(&target.endpoint)
            .build(),
        Protocol::HttpProtobuf => {
            // Herald's own connector (rustls, the public roots plus
            // OTEL_EXPORTER_OTLP_CERTIFICATE), with no address policy: the
            // collector is the operator's own, usually on a private network.
            let policy = Arc::new(NetPolicy {
                allow_http: true,
                allowed_nets: vec![
                    "0.0.0.0/0".parse().map_err(|_| exporter_error("policy"))?,
                    "::/0".parse().map_err(|_| exporter_error("policy"))?,
                ],
            });
            let ca = env("OTEL_EXPORTER_OTLP_CERTIFICATE").map(std::path::PathBuf::from);
            let tls =
                crate::deliver::tls_config(ca.as_deref()).map_err(|e| TelemetryError::Setting {
                    variable: "OTEL_EXPORTER_OTLP_CERTIFICATE",
                    value: e.path.clone(),
                    message: e.message,
                })?;
            let connector = Connector::new(policy, tls, Resolver::new(&[]));
            let client = opentelemetry_http::hyper::HyperClient::new(
                connector,
                Duration::from_secs(10),
                None,
            );
            opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                .with_endpoint(&target.endpoint)
                .with_http_client(client)
                .build()
        }
    };
    built.map_err(|e| TelemetryError::Exporter(e.to_string()))
}

fn exporter_error(what: &str) -> TelemetryError {
    TelemetryError::Exporter(format!("building the {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn target(vars: &[(&str, &str)]) -> Result<Option<Target>, TelemetryError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Target::from(|name| vars.get(name).cloned().filter(|v| !v.trim().is_empty()))
    }

    #[test]
    fn no_endpoint_no_tracing() {
        assert_eq!(target(&[]).ok().flatten(), None);
        let disabled = target(&[
            ("HERALD_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_SDK_DISABLED", "true"),
        ]);
        assert_eq!(disabled.ok().flatten(), None);
    }

    #[test]
    fn endpoints_and_protocols() {
        let t = |vars: &[(&str, &str)]| target(vars).ok().flatten().expect("a target");
        assert_eq!(
            t(&[("HERALD_OTLP_ENDPOINT", "http://c:4318/")]),
            Target {
                endpoint: "http://c:4318/v1/traces".into(),
                protocol: Protocol::HttpProtobuf
            }
        );
        assert_eq!(
            t(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4317"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
            ]),
            Target {
                endpoint: "https://c:4317".into(),
                protocol: Protocol::Grpc
            }
        );
        assert_eq!(
            t(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c/custom")]).endpoint,
            "http://c/custom"
        );
    }

    #[test]
    fn bad_settings_say_what_to_fix() {
        let e = target(&[
            ("HERALD_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ])
        .expect_err("refused");
        assert!(e.to_string().contains("grpc"), "{e}");
        let e = target(&[("HERALD_OTLP_ENDPOINT", "c:4318")]).expect_err("refused");
        assert!(e.to_string().contains("HERALD_OTLP_ENDPOINT"), "{e}");
    }
}

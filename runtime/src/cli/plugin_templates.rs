//! The Python and JavaScript projects `herald plugin new --lang python|js`
//! writes: a manifest (`herald-plugin.json`), a filter or transform that
//! works as written (on the SDK `herald plugin build` embeds), a cases file
//! for `herald plugin test`, a README and a .gitignore. `{{name}}` is the
//! plugin's name.

/// What the new plugin is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Decides whether an event is delivered.
    Filter,
    /// Rewrites the request's body and headers.
    Transform,
}

/// The language of the new plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Rust, with the `herald-sdk` crate.
    Rust,
    /// Python, with `herald_sdk` (componentize-py).
    Python,
    /// JavaScript, with `herald-sdk` (jco, QuickJS).
    Js,
}

/// The files of a new project, as (path in the project, text).
pub fn files(lang: Lang, kind: Kind, name: &str) -> Vec<(&'static str, String)> {
    let (main, code) = match (lang, kind) {
        (Lang::Python, Kind::Filter) => ("app.py", PY_FILTER),
        (Lang::Python, Kind::Transform) => ("app.py", PY_TRANSFORM),
        (_, Kind::Filter) => ("plugin.js", JS_FILTER),
        (_, Kind::Transform) => ("plugin.js", JS_TRANSFORM),
    };
    let (world, cases) = match kind {
        Kind::Filter => ("filter", FILTER_CASES),
        Kind::Transform => ("transform", TRANSFORM_CASES),
    };
    let lang_name = if lang == Lang::Python { "python" } else { "js" };
    let manifest = format!(
        "{{\"name\": \"{name}\", \"lang\": \"{lang_name}\", \"world\": \"{world}\", \"main\": \"{main}\"}}\n"
    );
    let fill = |text: &str| {
        text.replace("{{name}}", name)
            .replace("{{main}}", main)
            .replace("{{kind}}", world)
    };
    vec![
        ("herald-plugin.json", manifest),
        (main, fill(code)),
        ("example/cases.json", fill(cases)),
        ("README.md", fill(README)),
        (".gitignore", "/build\n".to_string()),
    ]
}

const PY_FILTER: &str = r#""""{{name}}: keeps events whose customer tier is one of the configured tiers."""

from dataclasses import dataclass

from herald_sdk import Event, PluginError, Verdict, drop, export_filter, keep, log


@dataclass
class Config:
    """The webhook's config for this plugin, e.g. {"tiers": ["gold", "platinum"]}."""

    tiers: list

    @staticmethod
    def parse(raw):
        if not isinstance(raw, dict):
            raise PluginError.invalid_config('expected {"tiers": ["gold", ...]}')
        config = Config(**raw)  # an unknown or missing key is refused too
        if not all(isinstance(t, str) for t in config.tiers):
            raise PluginError.invalid_config("`tiers` must be a list of strings")
        return config


def vip_filter(event: Event, config: Config) -> Verdict:
    tier = event.get("data.customer.tier")
    if tier is None:
        raise PluginError.invalid_event("the event has no data.customer.tier")
    if tier in config.tiers:
        log.info(f"keeping {event.id} for tier {tier}")
        return keep()
    return drop(f"tier {tier} is not a VIP tier")


Filter = export_filter(vip_filter, config=Config.parse)
"#;

const PY_TRANSFORM: &str = r#""""{{name}}: sends the event's data wrapped for a partner, with a header naming the type."""

from herald_sdk import Event, PluginError, Request, export_transform


def parse(raw):
    if raw is None:
        raw = {}
    if not isinstance(raw, dict) or not isinstance(raw.get("header", "x-event-type"), str):
        raise PluginError.invalid_config('expected {"header"?: "x-event-type"}')
    return raw.get("header", "x-event-type")


def wrap(event: Event, request: Request, header: str) -> Request:
    request.set_json_body({"event": event.event_type, "payload": event.data_json()})
    request.set_header(header, event.event_type)
    return request


Transform = export_transform(wrap, config=parse)
"#;

const JS_FILTER: &str = r#"// {{name}}: keeps events whose customer tier is one of the configured tiers.
import { exportFilter, keep, drop, log, PluginError } from 'herald-sdk';

/** The webhook's config, e.g. {"tiers": ["gold", "platinum"]}. */
function parseConfig(raw) {
  if (raw === null || typeof raw !== 'object' || !Array.isArray(raw.tiers)
      || !raw.tiers.every((t) => typeof t === 'string')) {
    throw PluginError.invalidConfig('expected {"tiers": ["gold", ...]}');
  }
  return { tiers: raw.tiers };
}

function vipFilter(event, config) {
  const tier = event.get('data.customer.tier');
  if (tier == null) throw PluginError.invalidEvent('the event has no data.customer.tier');
  if (config.tiers.includes(tier)) {
    log.info(`keeping ${event.id} for tier ${tier}`);
    return keep();
  }
  return drop(`tier ${tier} is not a VIP tier`);
}

export const filter = exportFilter(vipFilter, { config: parseConfig });
"#;

const JS_TRANSFORM: &str = r#"// {{name}}: sends the event's data wrapped for a partner, with a header naming the type.
import { exportTransform, PluginError } from 'herald-sdk';

function parseConfig(raw) {
  const header = raw == null || raw.header === undefined ? 'x-event-type' : raw.header;
  if (typeof header !== 'string') throw PluginError.invalidConfig('expected {"header"?: "x-event-type"}');
  return { header };
}

function wrap(event, request, config) {
  request.setJsonBody({ event: event.eventType, payload: event.dataJson() });
  request.setHeader(config.header, event.eventType);
  return request;
}

export const transform = exportTransform(wrap, { config: parseConfig });
"#;

const FILTER_CASES: &str = r#"{
  "config": {"tiers": ["gold", "platinum"]},
  "cases": [
    {"name": "a gold customer is kept",
     "event": {"type": "order.created", "data": {"customer": {"tier": "gold"}}},
     "expect": {"verdict": "keep"}},
    {"name": "a silver customer is dropped, saying why",
     "event": {"type": "order.created", "data": {"customer": {"tier": "silver"}}},
     "expect": {"verdict": "drop", "reason": "tier silver is not a VIP tier"}},
    {"name": "an event without a tier is refused",
     "event": {"type": "order.created", "data": {"order": {"total": 12}}},
     "expect": {"error": "guest_error", "message": "no data.customer.tier"}}
  ]
}
"#;

const TRANSFORM_CASES: &str = r#"{
  "config": {"header": "x-event-type"},
  "cases": [
    {"name": "the payload is wrapped and the type named in a header",
     "event": {"type": "order.created", "data": {"n": 1}},
     "expect": {"body_text": "{\"event\":\"order.created\",\"payload\":{\"n\":1}}",
                "headers": {"x-event-type": "order.created", "content-type": "application/json"}}}
  ]
}
"#;

const README: &str = r#"# {{name}}

A Herald {{kind}} plugin. Build it and run its cases through Herald's real host:

```console
$ herald plugin build .
$ herald plugin test . --cases example/cases.json
```

`herald plugin build` needs the Python and JavaScript tools: run `bash plugins/tools.sh` once in
Herald's checkout. Edit `{{main}}`, add cases to `example/cases.json`, and register the `.wasm` that
`build` prints with `PUT /v1/plugins/{{name}}/1.0.0`.
"#;

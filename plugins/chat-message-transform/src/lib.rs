//! Chat-message transform: replaces the whole body with a chat message
//! rendered from a template, either as Slack-compatible incoming-webhook
//! JSON or as a form-encoded body (for chat tools and legacy endpoints that
//! take `application/x-www-form-urlencoded`).
//!
//! Config:
//! ```json
//! {"template": "New order {{data.order.id}}: {{data.order.total}} {{data.order.currency}}",
//!  "format": "slack", "channel": "#orders", "username": "shop"}
//! ```
//! - `template`: text with `{{path}}` placeholders (dotted paths into the
//!   event envelope); an absent field renders as `fallback` (default empty).
//! - `format`: `slack` (default: `{"text", "channel"?, "username"?}` as JSON,
//!   with `&`, `<`, `>` escaped in inserted values as Slack requires) or
//!   `form` (`text=…&channel=…&username=…`).

use herald_sdk::{json, Event, PluginError, Request, Transform};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The plugin.
pub struct ChatMessage;

/// The output body format.
#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Slack-compatible JSON.
    #[default]
    Slack,
    /// `application/x-www-form-urlencoded`.
    Form,
}

/// The webhook's config for this plugin.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Message template with `{{path}}` placeholders.
    pub template: String,
    /// Output format.
    #[serde(default)]
    pub format: Format,
    /// Channel to post to, if the receiver takes one.
    pub channel: Option<String>,
    /// Display name, if the receiver takes one.
    pub username: Option<String>,
    /// Text for an absent field.
    #[serde(default)]
    pub fallback: String,
}

enum Piece<'a> {
    Text(&'a str),
    Field(&'a str),
}

fn parse(template: &str) -> Result<Vec<Piece<'_>>, PluginError> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        pieces.push(Piece::Text(&rest[..start]));
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| {
            PluginError::invalid_config(format!(
                "unclosed `{{{{` at byte {}",
                template.len() - rest.len() + start
            ))
        })?;
        let path = after[..end].trim();
        if path.is_empty() {
            return Err(PluginError::invalid_config("empty placeholder `{{}}`"));
        }
        pieces.push(Piece::Field(path));
        rest = &after[end + 2..];
    }
    pieces.push(Piece::Text(rest));
    Ok(pieces)
}

fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Renders the template against the envelope.
pub fn render(envelope: &Value, config: &Config) -> Result<String, PluginError> {
    let mut out = String::with_capacity(config.template.len() + 64);
    for piece in parse(&config.template)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Field(path) => {
                let text = json::lookup(envelope, path)
                    .map_or_else(|| config.fallback.clone(), json::to_text);
                match config.format {
                    Format::Slack => out.push_str(&slack_escape(&text)),
                    Format::Form => out.push_str(&text),
                }
            }
        }
    }
    Ok(out)
}

impl Transform for ChatMessage {
    type Config = Config;

    fn transform(
        event: &Event,
        mut request: Request,
        config: &Config,
    ) -> Result<Request, PluginError> {
        let text = render(&event.envelope()?, config)?;
        let extras = [("channel", &config.channel), ("username", &config.username)];
        match config.format {
            Format::Slack => {
                let mut body = Map::new();
                body.insert("text".into(), Value::String(text));
                for (key, value) in extras {
                    if let Some(v) = value {
                        body.insert(key.into(), Value::String(v.clone()));
                    }
                }
                request.set_json_body(&Value::Object(body));
            }
            Format::Form => {
                let mut form = form_urlencoded::Serializer::new(String::new());
                form.append_pair("text", &text);
                for (key, value) in extras {
                    if let Some(v) = value {
                        form.append_pair(key, v);
                    }
                }
                request.set_body(form.finish(), "application/x-www-form-urlencoded");
            }
        }
        Ok(request)
    }

    fn check_config(config: &Config) -> Result<(), PluginError> {
        if config.template.trim().is_empty() {
            return Err(PluginError::invalid_config("`template` must not be empty"));
        }
        parse(&config.template).map(|_| ())
    }
}

herald_sdk::export_transform!(ChatMessage);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(text: &str) -> Config {
        serde_json::from_str(text).expect("test config parses")
    }

    fn event() -> Event {
        Event::example("order.created", r#"{"order":{"id":"o<1>","total":12.5}}"#)
    }

    #[test]
    fn slack_json_with_escaping_and_fallback() {
        let c = config(
            r##"{"template":"Order {{data.order.id}} {{ data.order.total }} {{data.nope}}!","channel":"#o","fallback":"?"}"##,
        );
        let out = ChatMessage::transform(&event(), Request::default(), &c).expect("renders");
        assert_eq!(
            out.json_body().expect("json"),
            json!({"text": "Order o&lt;1&gt; 12.5 ?!", "channel": "#o"})
        );
    }

    #[test]
    fn form_encoded_body() {
        let c = config(r#"{"template":"{{type}} & more","format":"form","username":"shop bot"}"#);
        let out = ChatMessage::transform(&event(), Request::default(), &c).expect("renders");
        assert_eq!(out.body, b"text=order.created+%26+more&username=shop+bot");
        assert_eq!(
            out.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
    }

    #[test]
    fn template_errors_are_config_errors() {
        assert!(ChatMessage::check_config(&config(r#"{"template":"hi {{data.x"}"#)).is_err());
        assert!(ChatMessage::check_config(&config(r#"{"template":"hi {{}}"}"#)).is_err());
        assert!(ChatMessage::check_config(&config(r#"{"template":"  "}"#)).is_err());
    }
}

//! The strict reader against serde_json's own: arrays refused where a
//! struct is wanted, everything else read as before.

use super::{from_slice, BodyError};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
struct Rule {
    dead: u32,
    window: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Outer {
    name: Option<String>,
    rule: Option<Rule>,
    #[serde(default)]
    rules: Vec<Rule>,
    data: Option<Box<RawValue>>,
}

fn data_error(json: &str) -> String {
    match from_slice::<Outer>(json.as_bytes()) {
        Err(BodyError::Data(m)) => m,
        other => panic!("{json}: expected a data error, got {other:?}"),
    }
}

#[test]
fn a_struct_is_read_from_an_object_at_any_depth_never_from_an_array() {
    // serde_json alone takes both arrays: the reason this module exists.
    let lax: serde_json::Value = serde_json::json!({"rule": [], "rules": [[7, "1d"]]});
    assert!(serde_json::from_value::<Outer>(lax).is_ok());

    let m = data_error(r#"{"rule": []}"#);
    assert!(
        m.starts_with("rule: invalid type: sequence, expected a JSON object"),
        "{m}"
    );
    let m = data_error(r#"{"rules": [{"dead": 1}, [7, "1d"]]}"#);
    assert!(m.starts_with("rules[1]: invalid type: sequence"), "{m}");
    let m = data_error(r#"{"rule": 5}"#);
    assert!(m.contains("expected a JSON object"), "{m}");
    let m = data_error(r#"{"rule": {"after": 3}}"#);
    assert!(m.starts_with("rule.after: unknown field `after`"), "{m}");
    let m = data_error(r#"{"name": 5}"#);
    assert!(m.contains("expected a string"), "{m}");
}

#[test]
fn objects_lists_nulls_and_raw_values_read_as_before() {
    let read: Outer = from_slice(
        br#"{"name":"n","rule":{"dead":3},"rules":[{},{"window":"1d"}],"data":{"a":[1,{"b":2}]}}"#,
    )
    .expect("valid");
    assert_eq!(read.name.as_deref(), Some("n"));
    assert_eq!(
        read.rule,
        Some(Rule {
            dead: 3,
            window: None
        })
    );
    assert_eq!(read.rules.len(), 2);
    assert_eq!(read.rules[1].window.as_deref(), Some("1d"));
    assert_eq!(
        read.data.map(|d| d.get().to_string()).as_deref(),
        Some(r#"{"a":[1,{"b":2}]}"#)
    );

    let null: Outer = from_slice(br#"{"rule":null,"data":null}"#).expect("null");
    assert_eq!(null.rule, None);
    assert!(matches!(
        from_slice::<Outer>(b"{} x"),
        Err(BodyError::Syntax(_))
    ));
    assert!(matches!(
        from_slice::<Outer>(b"{\"name\":"),
        Err(BodyError::Syntax(_))
    ));
}

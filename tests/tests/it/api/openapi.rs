//! The OpenAPI document against the routes served.

use super::{message, setup};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_matches_the_routes_served() {
    let (_redis, _ca, h) = setup(|_| ()).await;
    let (status, doc) = h.call_as("", "GET", "/openapi.json", None).await;
    assert_eq!(status, 200, "served to anyone");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 20, "{}", paths.len());
    let mut operation_ids = std::collections::HashSet::new();
    for (path, item) in paths {
        assert!(path.starts_with('/'));
        for (method, op) in item.as_object().expect("path item") {
            assert!(
                ["get", "post", "put", "patch", "delete"].contains(&method.as_str()),
                "{method}"
            );
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path}: responses"
            );
            assert!(
                operation_ids.insert(op["operationId"].as_str().expect("operationId").to_string()),
                "unique operationId"
            );
            // Every template parameter is declared as a required path parameter.
            let declared: Vec<&str> = op["parameters"].as_array().map_or(vec![], |ps| {
                ps.iter()
                    .filter(|p| p["in"] == "path" && p["required"] == true)
                    .filter_map(|p| p["name"].as_str())
                    .collect()
            });
            for seg in path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            {
                assert!(declared.contains(&seg), "{method} {path}: {seg} undeclared");
            }
            // Every $ref resolves.
            for r in op
                .to_string()
                .split("\"$ref\":\"#/components/schemas/")
                .skip(1)
            {
                let name = r.split('"').next().unwrap_or_default();
                assert!(
                    schemas.contains_key(name),
                    "{method} {path}: unknown schema {name}"
                );
            }
            // The route is served: never the router's 404 or a 405.
            let concrete: String = path
                .split('/')
                .map(|s| if s.starts_with('{') { "x" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let (status, body) = h.call(&method.to_uppercase(), &concrete, None).await;
            assert_ne!(status, 405, "{method} {path} is documented but not served");
            assert_ne!(
                message(&body),
                "route not found",
                "{method} {path} is documented but not served"
            );
        }
    }
}

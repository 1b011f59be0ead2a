use super::*;
use std::io::Write;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn toml_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(text.as_bytes()).expect("write");
    file
}

#[test]
fn defaults_are_the_documented_ones() {
    let s = Settings::from_sources(None, &[]).expect("defaults are valid");
    assert_eq!(s, Settings::default());
    assert_eq!(s.plugin_deadline, Duration::from_millis(50));
    assert_eq!(s.plugin_memory_bytes, 32 << 20);
    assert_eq!(s.plugin_max_calls_per_instance, 10_000);
    assert_eq!(s.plugin_max_input_bytes, 4 << 20);
    assert_eq!(s.plugin_max_output_bytes, 4 << 20);
    assert_eq!(s.queue_shards, None);
    assert_eq!(s.max_body_bytes, 1 << 20);
}

#[test]
fn the_file_overrides_defaults_and_the_environment_the_file() {
    let file = toml_file(
        "worker_concurrency = 8\nmax_timeout = \"40s\"\nallow_private_nets = [\"10.0.0.0/8\"]\n\
         plugin_memory_bytes = \"64MiB\"\nlog_bound_per_webhook = 500\nqueue_shards = 4\n",
    );
    let s = Settings::from_sources(Some(file.path()), &[]).expect("valid");
    assert_eq!(s.worker_concurrency, 8);
    assert_eq!(s.max_timeout, Duration::from_secs(40));
    assert_eq!(s.allow_private_nets.len(), 1);
    assert_eq!(s.plugin_memory_bytes, 64 << 20);
    assert_eq!(s.log_bound_per_webhook, 500);
    assert_eq!(s.queue_shards, Some(4));
    assert_eq!(
        s.default_timeout,
        Duration::from_secs(30),
        "untouched default"
    );

    let vars = env(&[
        ("HERALD_WORKER_CONCURRENCY", "16"),
        ("HERALD_ALLOW_PRIVATE_NETS", "127.0.0.0/8, 10.0.0.0/8"),
        ("HERALD_DNS_SERVERS", "127.0.0.1:5353, 10.0.0.2"),
        ("HERALD_MAX_BODY_BYTES", "2MiB"),
        ("HERALD_LOG_BOUND_PER_WEBHOOK", "100"),
        ("HERALD_PLUGIN_DEADLINE", "200ms"),
        ("HERALD_ALLOW_HTTP", "yes"),
        ("HERALD_HTTP2", "true"),
        ("HERALD_RECEIVER_IDLE_TIMEOUT", "90s"),
        ("HERALD_ADMIN_TOKEN", "1234567890123456"),
        ("HERALD_EXTRA_CA_FILE", ""),
        ("OTHER", "x"),
    ]);
    let s = Settings::from_sources(Some(file.path()), &vars).expect("valid");
    assert_eq!(s.worker_concurrency, 16);
    assert_eq!(s.allow_private_nets.len(), 2);
    assert_eq!(
        s.dns_servers,
        vec![
            "127.0.0.1:5353".parse().expect("addr"),
            "10.0.0.2:53".parse().expect("addr")
        ]
    );
    assert_eq!(s.max_body_bytes, 2 << 20);
    assert_eq!(s.log_bound_per_webhook, 100);
    assert_eq!(s.plugin_deadline, Duration::from_millis(200));
    assert!(s.allow_http);
    assert!(s.http2);
    assert_eq!(s.receiver_idle_timeout, Duration::from_secs(90));
    assert_eq!(
        s.admin_token.as_deref(),
        Some("1234567890123456"),
        "digits stay text"
    );
    assert_eq!(s.extra_ca_file, None, "an empty variable is unset");
    assert_eq!(
        s.max_timeout,
        Duration::from_secs(40),
        "the file's value stays"
    );
}

#[test]
fn durations_parse_in_every_unit() {
    for (text, want) in [
        ("30s", Duration::from_secs(30)),
        ("5m", Duration::from_secs(300)),
        ("2h", Duration::from_secs(7200)),
        ("30d", Duration::from_secs(30 * 86400)),
        ("1m 30s", Duration::from_secs(90)),
    ] {
        let s = Settings::from_sources(None, &env(&[("HERALD_RETENTION", text)]))
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(s.retention, want, "{text}");
    }
}

#[test]
fn an_unknown_file_key_is_named() {
    let file = toml_file("workers = 8\n");
    let err = Settings::from_sources(Some(file.path()), &[]).expect_err("unknown key");
    let text = err.to_string();
    assert!(text.contains("unknown key `workers`"), "{text}");
    assert!(text.contains(&file.path().display().to_string()), "{text}");
}

#[test]
fn a_bad_file_value_names_the_key_and_the_form() {
    let file = toml_file("max_timeout = \"soon\"\n");
    let text = Settings::from_sources(Some(file.path()), &[])
        .expect_err("bad duration")
        .to_string();
    assert!(text.contains("max_timeout"), "{text}");
    assert!(text.contains("\"30s\""), "{text}");
    let file = toml_file("worker_concurrency = \"many\"\n");
    let text = Settings::from_sources(Some(file.path()), &[])
        .expect_err("bad number")
        .to_string();
    assert!(
        text.contains("key `worker_concurrency`: expected a positive integer"),
        "{text}"
    );
    let file = toml_file("this is not toml");
    assert!(Settings::from_sources(Some(file.path()), &[]).is_err());
    let missing = Path::new("/nonexistent/herald.toml");
    assert!(matches!(
        Settings::from_sources(Some(missing), &[]),
        Err(ConfigError::Read { .. })
    ));
}

#[test]
fn a_bad_variable_is_named_with_its_value_and_the_form() {
    for (var, value, want) in [
        (
            "HERALD_WORKER_CONCURRENCY",
            "abc",
            "expected a positive integer",
        ),
        (
            "HERALD_WORKER_CONCURRENCY",
            "-3",
            "expected a positive integer",
        ),
        (
            "HERALD_EMBEDDED_REDIS_PORT",
            "70000",
            "expected a port number",
        ),
        ("HERALD_ALLOW_HTTP", "maybe", "expected true or false"),
        ("HERALD_HTTP2", "h2", "expected true or false"),
        (
            "HERALD_RECEIVER_IDLE_TIMEOUT",
            "soon",
            "not a duration like",
        ),
        ("HERALD_VISIBILITY_TIMEOUT", "later", "not a duration like"),
        (
            "HERALD_PLUGIN_MEMORY_BYTES",
            "32MB",
            "use B, KiB, MiB or GiB",
        ),
        ("HERALD_ALLOW_PRIVATE_NETS", "10.0.0.0/8,nope", "not a CIDR"),
        (
            "HERALD_DNS_SERVERS",
            "10.0.0.2:53,dns.example",
            "not a name server address like 10.0.0.2:53",
        ),
        ("HERALD_LISTEN", "localhost", "\"localhost\""),
    ] {
        let err = Settings::from_sources(None, &env(&[(var, value)])).expect_err(value);
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("{var}={value:?}: ")),
            "{var}: {text}"
        );
        assert!(text.contains(want), "{var}: {text}");
    }
}

#[test]
fn values_out_of_range_are_refused_with_their_variable() {
    for (var, value, want) in [
        ("HERALD_QUEUE_SHARDS", "0", "HERALD_QUEUE_SHARDS"),
        ("HERALD_QUEUE_SHARDS", "257", "from 1 to 256"),
        (
            "HERALD_RECEIVER_IDLE_TIMEOUT",
            "500ms",
            "(HERALD_RECEIVER_IDLE_TIMEOUT) must be from 1s to 1h",
        ),
        (
            "HERALD_THREADS",
            "0",
            "threads (HERALD_THREADS) must be from 1 to 1024",
        ),
        (
            "HERALD_WORKER_CONCURRENCY",
            "0",
            "HERALD_WORKER_CONCURRENCY",
        ),
        ("HERALD_PLUGIN_MAX_CALLS_PER_INSTANCE", "0", "at least 1"),
        ("HERALD_PLUGIN_MEMORY_BYTES", "4KiB", "from 1MiB to 4GiB"),
        ("HERALD_PLUGIN_DEADLINE", "0s", "at least 1ms"),
        ("HERALD_ADMIN_TOKEN", "short", "at least 16 characters"),
        ("HERALD_DEFAULT_TIMEOUT", "2m", "more than max_timeout"),
    ] {
        let err = Settings::from_sources(None, &env(&[(var, value)])).expect_err(value);
        assert!(
            matches!(&err, ConfigError::Invalid(m) if m.contains(want)),
            "{var}={value}: {err}"
        );
    }
}

#[test]
fn the_runtime_threads_are_as_set_else_one_fewer_than_the_cpus() {
    let set = Settings::from_sources(None, &env(&[("HERALD_THREADS", "3")])).expect("valid");
    assert_eq!(set.runtime_threads(), 3);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let auto = Settings::from_sources(None, &env(&[])).expect("valid");
    assert_eq!(auto.runtime_threads(), cpus.saturating_sub(1).max(1));
}

#[test]
fn visibility_must_exceed_the_longest_attempt() {
    let s = Settings {
        visibility_timeout: Duration::from_secs(60),
        ..Settings::default()
    };
    assert!(
        matches!(s.validate(), Err(ConfigError::Invalid(m)) if m.contains("visibility_timeout"))
    );
    let err = Settings::from_sources(
        None,
        &env(&[
            ("HERALD_MAX_TIMEOUT", "150s"),
            ("HERALD_DEFAULT_TIMEOUT", "30s"),
        ]),
    )
    .expect_err("visibility 150s is not above 155s");
    assert!(
        err.to_string().contains("HERALD_VISIBILITY_TIMEOUT"),
        "{err}"
    );
}

/// README's configuration table lists every setting, by variable, and
/// nothing that is not one.
#[test]
fn the_readme_table_lists_every_setting() {
    let readme = include_str!("../../../README.md");
    let keys = Settings::keys();
    assert!(keys.len() >= 24, "{keys:?}");
    let rows: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("| `HERALD_"))
        .collect();
    for key in &keys {
        let var = format!("`{}`", variable(key));
        assert!(
            rows.iter().any(|row| row.contains(&var)),
            "README's configuration table has no row for {var}"
        );
    }
    for row in rows {
        for var in row
            .split('`')
            .filter(|s| s.starts_with("HERALD_") && !s.contains(' '))
        {
            assert!(
                keys.iter().any(|k| variable(k) == var) || OTHER_VARIABLES.contains(&var),
                "README lists {var}, which is no setting"
            );
        }
    }
}

#[test]
fn redis_settings_choose_one_server_or_a_cluster_and_guard_tls() {
    use crate::store::Nodes;
    let s = Settings::from_sources(
        None,
        &env(&[(
            "HERALD_REDIS_CLUSTER_NODES",
            "redis://a:7000, rediss://u:p@b:7001",
        )]),
    )
    .expect("cluster nodes");
    let target = s.redis_target().expect("a target");
    assert_eq!(
        target.nodes,
        Nodes::Cluster(vec!["redis://a:7000".into(), "rediss://u:p@b:7001".into()])
    );
    assert!(
        Settings::default().redis_target().is_none(),
        "the local default"
    );

    for (pairs, want) in [
        (
            vec![
                ("HERALD_REDIS_URL", "redis://a:1/"),
                ("HERALD_REDIS_CLUSTER_NODES", "redis://b:2"),
            ],
            "not both",
        ),
        (
            vec![("HERALD_REDIS_URL", "rediss://u:secret@a:1/#insecure")],
            "HERALD_REDIS_TLS_INSECURE=true",
        ),
        (
            vec![("HERALD_REDIS_CLUSTER_NODES", "http://a:1")],
            "starts with redis://",
        ),
        (
            vec![("HERALD_REDIS_CA_FILE", "/nonexistent/ca.pem")],
            "not a readable file",
        ),
    ] {
        let err = Settings::from_sources(None, &env(&pairs)).expect_err(want);
        let text = err.to_string();
        assert!(text.contains(want), "{pairs:?}: {text}");
        assert!(
            !text.contains("secret"),
            "the password is not repeated: {text}"
        );
    }

    let s = Settings::from_sources(
        None,
        &env(&[
            ("HERALD_REDIS_URL", "rediss://a:1/"),
            ("HERALD_REDIS_TLS_INSECURE", "true"),
        ]),
    )
    .expect("insecure when asked for");
    assert_eq!(
        s.redis_target().expect("target").nodes,
        Nodes::Single("rediss://a:1/#insecure".into())
    );
}

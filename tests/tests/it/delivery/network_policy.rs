//! The network policy: plain http and private addresses refused by default,
//! at save time (numeric hosts in every notation included) and at connect
//! time (every resolved address, through a DNS server the test controls).

use super::{herald, WAIT};
use herald::config::Settings;
use herald::serve::Role;
use herald_e2e::dns::TestDns;
use herald_e2e::herald::{trusting_settings, HeraldInProcess};
use herald_e2e::receiver::{Answer, Receiver};
use herald_e2e::redis::TestRedis;
use herald_e2e::tls::TestCa;
use serde_json::{json, Value};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_and_private_addresses_are_refused_by_default() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let receiver = Receiver::ok(Some(ca.server.clone())).await;
    // Trusting the CA, but no private network allowed.
    let strict = HeraldInProcess::start(
        Settings {
            allow_private_nets: vec![],
            ..trusting_settings(&redis.url(), &ca)
        },
        Role::All,
    )
    .await;
    let org = strict.org().await;
    for (url, expect) in [
        ("http://example.com/hook", "HERALD_ALLOW_HTTP"),
        ("https://127.0.0.1:9/hook", "loopback"),
        ("https://10.0.0.8/hook", "private"),
        ("https://169.254.169.254/latest", "link-local"),
        (receiver.url().as_str(), "loopback"),
    ] {
        let (status, err) = strict
            .call(
                "POST",
                &format!("/v1/orgs/{org}/webhooks"),
                Some(json!({"name": "x", "url": url, "triggers": [{"event": "x"}]})),
            )
            .await;
        assert_eq!(status, 400, "{url}");
        assert!(
            err["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(expect)),
            "{url}: {err}"
        );
    }
    // Saved while allowed, delivered by a process that does not allow it: blocked at connect time.
    let permissive = herald(&redis, &ca).await;
    let hook = permissive.webhook(&org, json!({"name": "w", "url": receiver.url(), "active": true, "triggers": [{"event": "x"}], "retry": {"schedule": []}})).await;
    permissive.stop().await.expect("stops");
    strict.publish(&org, json!({"type": "x", "data": {}})).await;
    let items = strict
        .wait_deliveries(&org, hook["id"].as_str().expect("id"), WAIT, |i| {
            i.first().is_some_and(|d| d["status"] == "dead")
        })
        .await;
    let (_, detail) = strict
        .call(
            "GET",
            &format!(
                "/v1/orgs/{org}/deliveries/{}",
                items[0]["id"].as_str().expect("id")
            ),
            None,
        )
        .await;
    assert_eq!(
        detail["attempts"][0]["error"]["class"], "blocked",
        "{detail}"
    );
    assert!(receiver.received().is_empty());

    // Plain http is delivered only with HERALD_ALLOW_HTTP. The strict process
    // stops first: it shares the queue and would otherwise claim (and block)
    // some of the attempts.
    strict.stop().await.expect("stops");
    let plain = Receiver::ok(None).await;
    let dev = HeraldInProcess::start(
        Settings {
            allow_http: true,
            ..trusting_settings(&redis.url(), &ca)
        },
        Role::All,
    )
    .await;
    dev.webhook(
        &org,
        json!({"name": "p", "url": plain.url(), "active": true, "triggers": [{"event": "y"}]}),
    )
    .await;
    dev.publish(&org, json!({"type": "y", "data": {}})).await;
    plain.wait_for(1, WAIT).await;
}

/// Every numeric host form, and the IPv6 forms that carry an IPv4 address,
/// is refused when a webhook is created and when its URL is changed
/// (PATCH), with a message naming the address and the rule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numeric_and_embedded_hosts_are_refused_on_create_and_patch() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let strict = HeraldInProcess::start(
        Settings {
            allow_private_nets: vec![],
            ..trusting_settings(&redis.url(), &ca)
        },
        Role::All,
    )
    .await;
    let org = strict.org().await;
    let hook = strict
        .webhook(
            &org,
            json!({"name": "ok", "url": "https://example.com/hook", "triggers": [{"event": "x"}]}),
        )
        .await;
    let hook_path = format!(
        "/v1/orgs/{org}/webhooks/{}",
        hook["id"].as_str().expect("id")
    );
    let rows = [
        // decimal
        (
            "https://2130706433/hook",
            "127.0.0.1, which is a loopback address",
        ),
        // hexadecimal, whole and by part
        (
            "https://0x7f000001/hook",
            "127.0.0.1, which is a loopback address",
        ),
        (
            "https://0x7f.1/hook",
            "127.0.0.1, which is a loopback address",
        ),
        // octal
        (
            "https://0177.0.0.1/hook",
            "127.0.0.1, which is a loopback address",
        ),
        // short IPv4
        (
            "https://127.1/hook",
            "127.0.0.1, which is a loopback address",
        ),
        ("https://10.1/hook", "10.0.0.1, which is a private address"),
        // IPv4-mapped and IPv4-compatible IPv6
        (
            "https://[::ffff:127.0.0.1]/hook",
            "IPv4-mapped IPv6 address carrying 127.0.0.1, which is a loopback address",
        ),
        (
            "https://[::127.0.0.1]/hook",
            "IPv4-compatible IPv6 address carrying 127.0.0.1, which is a loopback address",
        ),
        // NAT64 and 6to4
        (
            "https://[64:ff9b::7f00:1]/hook",
            "NAT64 (64:ff9b::/96) address carrying 127.0.0.1",
        ),
        (
            "https://[2002:a00:1::1]/hook",
            "6to4 (2002::/16) address carrying 10.0.0.1, which is a private address",
        ),
        // link-local, metadata, CGNAT, multicast, broadcast
        ("https://169.254.1.1/hook", "a link-local address"),
        ("https://[fe80::1]/hook", "a link-local address"),
        (
            "https://169.254.169.254/latest/meta-data",
            "the cloud metadata address",
        ),
        (
            "https://0xa9fea9fe/latest/meta-data",
            "169.254.169.254, which is the cloud metadata address",
        ),
        (
            "https://100.64.0.1/hook",
            "a shared (carrier-grade NAT) address",
        ),
        ("https://224.0.0.1/hook", "a multicast address"),
        ("https://[ff02::1]/hook", "a multicast address"),
        ("https://255.255.255.255/hook", "the broadcast address"),
        (
            "https://4294967295/hook",
            "255.255.255.255, which is the broadcast address",
        ),
        // a public address in an unusual notation: written plainly instead
        ("https://134744072/hook", "write it as 8.8.8.8"),
    ];
    let message = |body: &Value| {
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    for (url, expect) in rows {
        let (status, err) = strict
            .call(
                "POST",
                &format!("/v1/orgs/{org}/webhooks"),
                Some(json!({"name": "x", "url": url, "triggers": [{"event": "x"}]})),
            )
            .await;
        assert_eq!(status, 400, "create {url}: {err}");
        let m = message(&err);
        assert!(
            m.contains(expect) && m.starts_with("`url`: "),
            "create {url}: {m}"
        );
        let (status, err) = strict
            .call("PATCH", &hook_path, Some(json!({"url": url})))
            .await;
        assert_eq!(status, 400, "patch {url}: {err}");
        assert!(message(&err).contains(expect), "patch {url}: {err}");
    }
    let (status, body) = strict.call("GET", &hook_path, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["url"], "https://example.com/hook",
        "no refused PATCH changed it"
    );
    strict.stop().await.expect("stops");
}

/// A receiver that closes every connection after answering, so that each
/// delivery connects (and resolves) anew.
fn closing() -> Answer {
    Arc::new(|_, _| {
        (
            200,
            vec![("connection".to_string(), "close".to_string())],
            Duration::ZERO,
        )
    })
}

/// Two plain-http receivers on the same port: one on 127.0.0.2 (the
/// stand-in for a public address, opened by HERALD_ALLOW_PRIVATE_NETS) and
/// one on 127.0.0.1 (an internal service that must never be reached).
async fn public_and_internal() -> (Receiver, Receiver) {
    for _ in 0..50 {
        let public = Receiver::start_on(SocketAddr::from(([127, 0, 0, 2], 0)), None, closing())
            .await
            .expect("bind 127.0.0.2");
        let port = public.addr().port();
        if let Ok(internal) =
            Receiver::start_on(SocketAddr::from(([127, 0, 0, 1], port)), None, closing()).await
        {
            return (public, internal);
        }
    }
    panic!("no port free on both 127.0.0.1 and 127.0.0.2");
}

/// The blocked attempt of the webhook's newest delivery, once it is dead.
async fn blocked_error(herald: &HeraldInProcess, org: &str, hook: &Value, dead: usize) -> Value {
    let id = hook["id"].as_str().expect("id");
    let wait = WAIT * 3;
    let items = herald
        .wait_deliveries(org, id, wait, |i| {
            i.iter().filter(|d| d["status"] == "dead").count() >= dead
        })
        .await;
    let delivery = items
        .iter()
        .find(|d| d["status"] == "dead")
        .expect("a dead delivery");
    let (_, detail) = herald
        .call(
            "GET",
            &format!(
                "/v1/orgs/{org}/deliveries/{}",
                delivery["id"].as_str().expect("id")
            ),
            None,
        )
        .await;
    let attempts = detail["attempts"].as_array().cloned().unwrap_or_default();
    assert_eq!(attempts.len(), 1, "{detail}");
    attempts[0]["error"].clone()
}

/// With a resolver the test controls (HERALD_DNS_SERVERS): a host name that
/// resolves to a refused address is blocked, and DNS rebinding (the first
/// answer allowed, the second loopback, TTL 0) is blocked on the second
/// answer; each blocked attempt names the host, the address and the rule,
/// and the internal receiver is never reached. No public address can be
/// reached from a test, so 127.0.0.2 (allowed by HERALD_ALLOW_PRIVATE_NETS)
/// stands in for the public first answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_resolving_to_refused_addresses_and_dns_rebinding_are_blocked() {
    let (redis, ca) = (TestRedis::start(), TestCa::new());
    let (public, internal) = public_and_internal().await;
    let port = public.addr().port();
    let (stand_in, loopback) = (Ipv4Addr::new(127, 0, 0, 2), Ipv4Addr::LOCALHOST);
    let dns = TestDns::start(&[
        ("internal.test", &[loopback]),
        ("rebind.test", &[stand_in, loopback]),
        ("public.test", &[stand_in]),
    ])
    .await;
    let herald = HeraldInProcess::start(
        Settings {
            allow_http: true,
            allow_private_nets: vec!["127.0.0.2/32".parse().expect("CIDR")],
            dns_servers: vec![dns.addr()],
            ..trusting_settings(&redis.url(), &ca)
        },
        Role::All,
    )
    .await;
    let org = herald.org().await;
    let hook = |name: &str, event: &str| {
        json!({"name": event, "url": format!("http://{name}:{port}/hook"), "active": true,
               "triggers": [{"event": event}], "retry": {"schedule": []}})
    };

    // The resolver works and the stand-in is reachable.
    herald.webhook(&org, hook("public.test", "p")).await;
    herald.publish(&org, json!({"type": "p", "data": {}})).await;
    public.wait_for(1, WAIT * 3).await;

    // A name that resolves to loopback: saved (names are checked when
    // resolved), blocked when delivered.
    let to_internal = herald.webhook(&org, hook("internal.test", "i")).await;
    herald.publish(&org, json!({"type": "i", "data": {}})).await;
    let error = blocked_error(&herald, &org, &to_internal, 1).await;
    assert_eq!(error["class"], "blocked", "{error}");
    let m = error["message"].as_str().unwrap_or_default();
    assert!(
        m.contains("internal.test resolved to 127.0.0.1, which is a loopback address"),
        "{error}"
    );

    // DNS rebinding: the first delivery resolves to the allowed address and
    // arrives; the receiver closes the connection, so the second delivery
    // resolves again, gets loopback and is blocked.
    let rebinding = herald.webhook(&org, hook("rebind.test", "r")).await;
    herald
        .publish(&org, json!({"type": "r", "data": {"n": 1}}))
        .await;
    let got = public.wait_for(2, WAIT * 3).await;
    assert_eq!(got[1].json()["data"]["n"], 1);
    herald
        .publish(&org, json!({"type": "r", "data": {"n": 2}}))
        .await;
    let error = blocked_error(&herald, &org, &rebinding, 1).await;
    assert_eq!(error["class"], "blocked", "{error}");
    let m = error["message"].as_str().unwrap_or_default();
    assert!(
        m.contains("rebind.test resolved to 127.0.0.1, which is a loopback address")
            && m.contains("HERALD_ALLOW_PRIVATE_NETS"),
        "{error}"
    );
    assert_eq!(dns.queries("rebind.test"), 2, "one resolution per delivery");
    assert_eq!(
        public.received().len(),
        2,
        "only the allowed deliveries arrived"
    );
    assert!(
        internal.received().is_empty(),
        "the internal receiver was reached: {:?}",
        internal.received()
    );
    herald.stop().await.expect("stops");
}

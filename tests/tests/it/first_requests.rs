//! The first five minutes, as a new user has them: the commands README's
//! "First requests" shows and the quick start prints (both from
//! `runtime/first-requests.sh`) are run with bash against a real Herald and
//! Redis, and each must succeed; the event they publish must reach the
//! receiver they start.

use herald_e2e::herald::{HeraldProcess, Options, ADMIN_TOKEN};
use herald_e2e::redis::{free_port, TestRedis};
use herald_e2e::workspace_root;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Generous bounds: the machine may be busy; nothing here is a deadline
/// the behaviour depends on, only how long to wait before calling it hung.
const SCRIPT_BOUND: Duration = Duration::from_secs(180);
const DELIVERY_BOUND: Duration = Duration::from_secs(120);

/// The fenced block right after README's `<!-- first-requests` marker.
fn readme_block() -> String {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README");
    let after = readme
        .split_once("<!-- first-requests")
        .map(|(_, rest)| rest)
        .expect("README has a <!-- first-requests --> marker");
    let body = after
        .split_once("```sh\n")
        .map(|(_, rest)| rest)
        .expect("a ```sh block follows the marker");
    body.split_once("\n```")
        .map(|(block, _)| format!("{block}\n"))
        .expect("the block ends")
}

/// What the quick start prints for a Herald with data in `data_dir` on `listen`.
fn quickstart_prints(data_dir: &std::path::Path, listen: &str) -> String {
    let out = Command::new("bash")
        .arg("-c")
        .arg("source runtime/prepare.sh && print_first_requests \"$0\" \"$1\"")
        .arg(data_dir)
        .arg(listen)
        .current_dir(workspace_root())
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("text")
}

/// Kills a process group (the script and the receiver it left running).
struct Group(u32);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.0)])
            .status();
    }
}

#[test]
fn the_readme_block_is_the_file_the_quick_start_prints() {
    let file = std::fs::read_to_string(workspace_root().join("runtime/first-requests.sh"))
        .expect("runtime/first-requests.sh");
    assert_eq!(
        readme_block(),
        file,
        "README's First requests block differs from runtime/first-requests.sh"
    );
    let quickstart = std::fs::read_to_string(workspace_root().join("runtime/quickstart.sh"))
        .expect("quickstart");
    assert!(quickstart.contains("print_first_requests \"$HERALD_DATA_DIR\" \"$HERALD_LISTEN\""));
    let status = Command::new("bash")
        .args(["-n", "runtime/quickstart.sh"])
        .current_dir(workspace_root())
        .status()
        .expect("bash");
    assert!(status.success(), "quickstart.sh does not parse");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_requests() {
    let redis = TestRedis::start();
    // As the quick start runs Herald: delivery to a loopback http receiver allowed.
    let herald = HeraldProcess::start(Options {
        redis_url: Some(redis.url()),
        env: vec![
            ("HERALD_ALLOW_HTTP".into(), "true".into()),
            ("HERALD_ALLOW_PRIVATE_NETS".into(), "127.0.0.0/8".into()),
        ],
        role: None,
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("herald-data");
    std::fs::create_dir_all(&data_dir).expect("data dir");
    std::fs::write(data_dir.join("admin-token"), format!("{ADMIN_TOKEN}\n")).expect("token");

    let listen = herald.base.trim_start_matches("http://").to_string();
    let printed = quickstart_prints(&data_dir, &listen);
    assert_eq!(
        printed,
        readme_block()
            .replace(
                "herald-data/admin-token",
                &format!("{}/admin-token", data_dir.display())
            )
            .replace("127.0.0.1:8080", &listen),
        "the quick start prints the README's commands with its data dir and address"
    );
    // The one substitution the test makes: a free port for the receiver.
    let port = free_port();
    let script = printed
        .replace("127.0.0.1:9000", &format!("127.0.0.1:{port}"))
        .replace("(\"127.0.0.1\", 9000)", &format!("(\"127.0.0.1\", {port})"));
    let script_path = dir.path().join("first-requests.sh");
    std::fs::write(&script_path, &script).expect("script");
    let out_path = dir.path().join("out.txt");
    let out = std::fs::File::create(&out_path).expect("output file");
    let err = out.try_clone().expect("output file");
    // Files, not pipes: the receiver outlives the script and keeps them open.
    let mut child = Command::new("bash")
        .args(["-euo", "pipefail"])
        .arg(&script_path)
        .current_dir(workspace_root())
        .env_remove("HERALD_ADMIN_TOKEN")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .expect("bash starts");
    let _group = Group(child.id());
    let output = || std::fs::read_to_string(&out_path).unwrap_or_default();

    let started = tokio::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < SCRIPT_BOUND,
            "the first requests hung:\n{}",
            output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        status.success(),
        "a first request failed ({status}):\n{script}\n--- output ---\n{}\n--- herald ---\n{}",
        output(),
        herald.log()
    );
    let printed_out = output();
    assert!(printed_out.contains("\"deliveries\""), "{printed_out}");
    assert!(printed_out.contains("\"items\""), "{printed_out}");

    // What they set up works: the event reaches the receiver they started.
    let (_, orgs) = herald.call("GET", "/v1/orgs", None).await;
    let org = orgs["items"][0]["id"].as_str().expect("an org").to_string();
    let (_, hooks) = herald
        .call("GET", &format!("/v1/orgs/{org}/webhooks"), None)
        .await;
    let hook = hooks["items"][0]["id"]
        .as_str()
        .expect("a webhook")
        .to_string();
    let path = format!("/v1/orgs/{org}/webhooks/{hook}/deliveries");
    let started = tokio::time::Instant::now();
    loop {
        let (_, list) = herald.call("GET", &path, None).await;
        let out = output();
        if out.contains("receiver got") && list["items"][0]["status"] == "succeeded" {
            break;
        }
        assert!(
            started.elapsed() < DELIVERY_BOUND,
            "the event did not reach the receiver: {list:#}\n--- output ---\n{out}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(output().contains("order.created"), "{}", output());
}

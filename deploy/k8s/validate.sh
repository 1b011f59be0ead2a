#!/usr/bin/env bash
# Validates deploy/k8s against the Kubernetes OpenAPI schemas
# (kubernetes-validate, strict: unknown fields are errors) for the oldest and
# newest Kubernetes versions Herald supports, checks that kustomization.yaml
# lists every manifest, and checks the policies the README promises
# (non-root, read-only root, no privilege escalation, all capabilities
# dropped, probes, resources, grace period above HERALD_SHUTDOWN_GRACE).
# Its tool is installed once into ~/.cache/herald/k8s-venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${HERALD_TOOLS_DIR:-$HOME/.cache/herald}/k8s-venv"
if ! cmp -s "$here/requirements.txt" "$venv/requirements.txt" 2>/dev/null; then
    echo "==> installing kubernetes-validate into $venv (cached between runs)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$venv/requirements.txt"
fi
cd "$here"
manifests=$(ls *.yaml | grep -v '^kustomization.yaml$')
for version in 1.30.0 1.37.0; do
    # shellcheck disable=SC2086
    "$venv/bin/kubernetes-validate" --strict -k "$version" $manifests >/tmp/k8s-validate.$$ 2>&1 || {
        cat /tmp/k8s-validate.$$ >&2
        rm -f /tmp/k8s-validate.$$
        echo "the Kubernetes manifests do not validate against $version" >&2
        exit 1
    }
    echo "    $(grep -c passed /tmp/k8s-validate.$$) resources valid against Kubernetes $version"
    rm -f /tmp/k8s-validate.$$
done
"$venv/bin/python" - <<'PY'
import glob, re, sys, yaml

def fail(msg):
    sys.exit(f"deploy/k8s: {msg}")

kust = yaml.safe_load(open("kustomization.yaml"))
files = sorted(f for f in glob.glob("*.yaml") if f != "kustomization.yaml")
if sorted(kust["resources"]) != files:
    fail(f"kustomization.yaml lists {sorted(kust['resources'])}, the directory holds {files}")
docs = [d for f in files for d in yaml.safe_load_all(open(f)) if d]
config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
grace = int(re.fullmatch(r"(\d+)s", config["HERALD_SHUTDOWN_GRACE"]).group(1))
deployments = [d for d in docs if d["kind"] == "Deployment"]
roles = set()
for d in deployments:
    name, pod = d["metadata"]["name"], d["spec"]["template"]["spec"]
    if pod["terminationGracePeriodSeconds"] <= grace:
        fail(f"{name}: terminationGracePeriodSeconds must exceed HERALD_SHUTDOWN_GRACE ({grace}s)")
    if not pod["securityContext"].get("runAsNonRoot"):
        fail(f"{name}: runAsNonRoot")
    for c in pod["containers"]:
        sc = c["securityContext"]
        if sc.get("allowPrivilegeEscalation") is not False or not sc.get("readOnlyRootFilesystem"):
            fail(f"{name}: no privilege escalation and a read-only root filesystem")
        if sc["capabilities"]["drop"] != ["ALL"]:
            fail(f"{name}: drop every capability")
        if c["livenessProbe"]["httpGet"]["path"] != "/healthz" or c["readinessProbe"]["httpGet"]["path"] != "/readyz":
            fail(f"{name}: liveness on /healthz, readiness on /readyz")
        if "memory" not in c["resources"]["limits"] or "cpu" not in c["resources"]["requests"]:
            fail(f"{name}: memory limit and CPU request")
        mounts = {m["mountPath"] for m in c["volumeMounts"]}
        if "/var/lib/herald" not in mounts:
            fail(f"{name}: the data directory must be a volume (the root is read-only)")
        roles.add(c["args"][c["args"].index("--role") + 1])
if roles != {"api", "worker"}:
    fail(f"expected an api and a worker Deployment, found roles {roles}")
selectors = [d["spec"]["selector"]["matchLabels"] for d in docs if d["kind"] == "PodDisruptionBudget"]
for d in deployments:
    labels = d["spec"]["template"]["metadata"]["labels"]
    if not any(all(labels.get(k) == v for k, v in s.items()) for s in selectors):
        fail(f"{d['metadata']['name']}: no PodDisruptionBudget selects its pods")
print(f"    policies hold for {len(deployments)} Deployments")
PY

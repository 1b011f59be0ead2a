#!/usr/bin/env bash
# The container test: builds Herald's image from deploy/Dockerfile, checks
# it (size, non-root, read-only root filesystem, start to /readyz), runs
# deploy/compose.yaml end to end (1,000 signed deliveries, workers killed
# mid-way, data kept across down/up) and validates the Kubernetes manifests.
# Called by tests/run.sh after the workspace build; needs root (dockerd).
#
# The image's runtime stage is built unchanged from the Dockerfile, with the
# Herald binary and plugins built on this host (ARTIFACTS build argument)
# instead of its `build` stage: no registry is reachable here, and a second
# release build inside the image would double CI time. Base images come from
# deploy/test/base-images.sh (debootstrap). Uses the Docker daemon that runs,
# else starts its own on a private socket and data root and stops it after.
# Removes every container, network, volume and image it made.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
run_id="t$$"
work=$(mktemp -d)
started_dockerd=""
made_bridge=""
made_images=()
project="heraldtest$$"
SECONDS=0
say() { echo "==> [containers ${SECONDS}s] $*"; }
fail() { echo "container test FAILED: $*" >&2; exit 1; }

# Debian's client: it builds with BuildKit without the buildx plugin.
docker_bin=/usr/bin/docker
[ -x "$docker_bin" ] || docker_bin="$(command -v docker || true)"
docker() { "$docker_bin" "$@"; }
export DOCKER_BUILDKIT=1

install_missing() {
    local missing=()
    command -v dockerd >/dev/null || missing+=(docker.io)
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    if ! "$docker_bin" compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
        missing+=(docker-compose)
    fi
    [ ${#missing[@]} = 0 ] && return 0
    say "installing ${missing[*]} (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    docker_bin=/usr/bin/docker
}

start_dockerd() {
    if [ -n "${DOCKER_HOST:-}" ] && docker info >/dev/null 2>&1; then
        say "using the Docker daemon at $DOCKER_HOST"; return 0
    fi
    if [ -S /var/run/docker.sock ] && DOCKER_HOST=unix:///var/run/docker.sock docker info >/dev/null 2>&1; then
        export DOCKER_HOST=unix:///var/run/docker.sock
        say "using the Docker daemon at $DOCKER_HOST"; return 0
    fi
    [ "$(id -u)" = 0 ] || fail "no Docker daemon runs and starting one needs root"
    ip link show docker0 >/dev/null 2>&1 || made_bridge=1
    mkdir -p "$work/docker"
    export DOCKER_HOST="unix://$work/docker/docker.sock"
    say "starting dockerd (data root $work/docker/root)"
    dockerd --data-root "$work/docker/root" --exec-root "$work/docker/exec" \
        --pidfile "$work/docker/pid" --host "$DOCKER_HOST" >"$work/docker/log" 2>&1 &
    started_dockerd=$!
    for _ in $(seq 1 120); do
        docker info >/dev/null 2>&1 && return 0
        kill -0 "$started_dockerd" 2>/dev/null || break
        sleep 0.5
    done
    tail -20 "$work/docker/log" >&2
    fail "dockerd did not start (its log is above)"
}

compose() {
    if "$docker_bin" compose version >/dev/null 2>&1; then
        "$docker_bin" compose -p "$project" -f "$root/deploy/compose.yaml" "$@"
    else
        docker-compose -p "$project" -f "$root/deploy/compose.yaml" "$@"
    fi
}

cleanup() {
    local status=$?
    set +e
    if [ $status != 0 ] && [ -n "${DOCKER_HOST:-}" ]; then
        echo "--- compose logs (last lines) ---" >&2
        compose --profile demo logs --tail 30 >&2 2>/dev/null
    fi
    compose --profile demo down -v --remove-orphans >/dev/null 2>&1
    docker rm -f "herald-ready-$run_id" "herald-redis-$run_id" >/dev/null 2>&1
    docker network rm "herald-net-$run_id" >/dev/null 2>&1
    for image in "${made_images[@]}"; do docker rmi -f "$image" >/dev/null 2>&1; done
    if [ -n "$started_dockerd" ]; then
        kill "$started_dockerd" 2>/dev/null
        wait "$started_dockerd" 2>/dev/null
        grep " $work/docker" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
        [ -n "$made_bridge" ] && ip link delete docker0 2>/dev/null
    fi
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_ready() { # URL SECONDS
    local deadline=$((SECONDS + $2))
    until curl -sf "$1/readyz" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}

[ -x "$target/release/herald" ] || fail "$target/release/herald is missing: build first (tests/run.sh does)"
install_missing
start_dockerd

say "base images (debootstrap, cached in ~/.cache/herald/images)"
source "$here/base-images.sh"
while read -r tag; do [ -n "$tag" ] && made_images+=("$tag"); done < <(make_base_images)

say "the image: deploy/Dockerfile's runtime stage with the host's release build"
mkdir -p "$work/artifacts/out/plugins" "$work/artifacts/out/data"
objcopy --strip-all "$target/release/herald" "$work/artifacts/out/herald"
for p in "$root"/plugins/*/Cargo.toml; do   # the Rust examples the image ships
    n=$(basename "$(dirname "$p")" | tr - _)
    cp "$target/wasm32-wasip2/plugin/$n.wasm" "$work/artifacts/out/plugins/"
done
tar -C "$work/artifacts" -cf "$work/artifacts.tar" out
docker import "$work/artifacts.tar" "herald-artifacts:$run_id" >/dev/null
made_images+=("herald-artifacts:$run_id")
image="herald:$run_id"
made_images+=("$image")
docker build -q -f "$root/deploy/Dockerfile" --build-arg "ARTIFACTS=herald-artifacts:$run_id" \
    -t "$image" "$root" >/dev/null

size=$(docker image inspect -f '{{.Size}}' "$image")
size_mb=$(python3 -c "print(round($size / 1e6, 1))")
user=$(docker image inspect -f '{{.Config.User}}' "$image")
say "image size ${size_mb} MB (limit 60 MB), user $user"
[ "$size" -le 60000000 ] || fail "the image is ${size_mb} MB, over 60 MB"
[ "$user" = "65532:65532" ] || fail "the image runs as '$user', not 65532:65532"

say "start to /readyz, read-only root filesystem"
docker network create "herald-net-$run_id" >/dev/null
docker run -d --name "herald-redis-$run_id" --network "herald-net-$run_id" --network-alias redis \
    --tmpfs /data redis:7 redis-server --appendonly yes --dir /data --protected-mode no >/dev/null
until docker exec "herald-redis-$run_id" redis-cli ping >/dev/null 2>&1; do sleep 0.2; done
port=$(free_port)
docker create --name "herald-ready-$run_id" --network "herald-net-$run_id" --read-only \
    --tmpfs /var/lib/herald:uid=65532,gid=65532,mode=0700 --cap-drop ALL \
    --security-opt no-new-privileges:true -e HERALD_REDIS_URL=redis://redis:6379/ \
    -e HERALD_MASTER_KEY="$(head -c 32 /dev/urandom | base64)" \
    -p "127.0.0.1:$port:8080" "$image" >/dev/null
ready_ms=$(python3 - "$docker_bin" "herald-ready-$run_id" "$port" <<'PY'
import subprocess, sys, time, urllib.request
docker, name, port = sys.argv[1:]
start = time.monotonic()
subprocess.run([docker, "start", name], check=True, stdout=subprocess.DEVNULL)
while time.monotonic() - start < 60:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
            if r.status == 200:
                print(round((time.monotonic() - start) * 1000))
                sys.exit(0)
    except Exception:
        time.sleep(0.01)
sys.exit("not ready within 60 s")
PY
) || { docker logs "herald-ready-$run_id" >&2; fail "the container did not become ready"; }
pid=$(docker inspect -f '{{.State.Pid}}' "herald-ready-$run_id")
uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
ro=$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "herald-ready-$run_id")
say "docker start to /readyz 200: ${ready_ms} ms (target < 1000 ms); process uid $uid; read-only root $ro"
[ "$uid" = 65532 ] || fail "Herald runs as uid $uid in the container"
# Docker's own HEALTHCHECK (`herald health`) turns healthy too.
for _ in $(seq 1 60); do
    [ "$(docker inspect -f '{{.State.Health.Status}}' "herald-ready-$run_id")" = healthy ] && break
    sleep 1
done
[ "$(docker inspect -f '{{.State.Health.Status}}' "herald-ready-$run_id")" = healthy ] ||
    fail "the image's HEALTHCHECK never reported healthy"
docker rm -f "herald-ready-$run_id" "herald-redis-$run_id" >/dev/null
docker network rm "herald-net-$run_id" >/dev/null

say "compose: redis, api, 2 workers, the demo receiver"
token="compose-test-token-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cat >"$work/herald.env" <<ENV
HERALD_ADMIN_TOKEN=$token
HERALD_MASTER_KEY=$(head -c 32 /dev/urandom | base64)
HERALD_LOG=info
HERALD_MAX_TIMEOUT=10s
HERALD_DEFAULT_TIMEOUT=10s
HERALD_VISIBILITY_TIMEOUT=20s
ENV
export HERALD_IMAGE="$image" HERALD_ENV_FILE="$work/herald.env" HERALD_ALLOW_HTTP=true \
    HERALD_ALLOW_PRIVATE_NETS=172.16.0.0/12,192.168.0.0/16,10.0.0.0/8 \
    HERALD_PORT="$(free_port)" RECEIVER_PORT="$(free_port)"
api="http://127.0.0.1:$HERALD_PORT"
receiver="http://127.0.0.1:$RECEIVER_PORT"
compose --profile demo up -d --no-build --scale worker=2 >"$work/compose-up.log" 2>&1 ||
    { cat "$work/compose-up.log" >&2; fail "compose up"; }
wait_ready "$api" 120 || fail "the api service did not become ready"
until curl -sf "$receiver/received" >/dev/null 2>&1; do sleep 0.2; done
python3 "$here/scenario.py" setup "$api" "$token" "$work/state.json"
python3 "$here/scenario.py" publish "$api" "$work/state.json" 1 500
python3 "$here/scenario.py" wait "$api" "$receiver" "$work/state.json" 1000 120 --at-least 200
say "docker compose kill worker (SIGKILL, mid-way), publish the rest, start it again"
compose kill worker >"$work/compose-kill.log" 2>&1 || { cat "$work/compose-kill.log" >&2; fail "compose kill worker"; }
python3 "$here/scenario.py" publish "$api" "$work/state.json" 501 1000
compose start worker >"$work/compose-start.log" 2>&1 || { cat "$work/compose-start.log" >&2; fail "compose start worker"; }
python3 "$here/scenario.py" wait "$api" "$receiver" "$work/state.json" 1000 180
say "compose down, up: the data is on the volume"
compose --profile demo down >"$work/compose-down.log" 2>&1 ||
    { cat "$work/compose-down.log" >&2; fail "compose down"; }
compose --profile demo up -d --no-build >"$work/compose-up.log" 2>&1 ||
    { cat "$work/compose-up.log" >&2; fail "compose up (again)"; }
wait_ready "$api" 120 || fail "the api service did not become ready after down/up"
python3 "$here/scenario.py" persisted "$api" "$work/state.json" 1000

say "Kubernetes manifests against the schemas"
bash "$here/../k8s/validate.sh"
say "passed"

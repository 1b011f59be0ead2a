#!/usr/bin/env bash
# Makes the base images deploy/Dockerfile and deploy/compose.yaml name, from
# Debian packages, for machines that reach no image registry (the container
# test, deploy/test/run.sh, sources this). debootstrap makes one Debian 12
# root filesystem, cached as a tarball in ~/.cache/herald/images; from it:
#
#   gcr.io/distroless/cc-debian12:nonroot  the same content as Google's image:
#                                          glibc, libgcc, CA roots, tzdata-free,
#                                          /etc/passwd with nonroot (65532)
#   redis:7                                Debian's redis-server 7 (+ redis-cli)
#   python:3-slim                          Debian's python3 (the demo receiver)
#
# Images that already exist are left alone (a real pull wins).
set -euo pipefail

images_cache="${HERALD_IMAGE_CACHE:-$HOME/.cache/herald/images}"
debian_mirror="${HERALD_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

# Prints the rootfs tarball, making it when absent.
debian_rootfs() {
    local tarball="$images_cache/bookworm-minbase.tar"
    if [ ! -s "$tarball" ]; then
        command -v debootstrap >/dev/null || {
            echo "==> installing debootstrap (apt)" >&2
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
        }
        mkdir -p "$images_cache"
        local dir
        dir=$(mktemp -d)
        echo "==> debootstrap bookworm (minbase + redis-server, python3, ca-certificates) into $dir" >&2
        debootstrap --variant=minbase --include=redis-server,redis-tools,python3,ca-certificates \
            bookworm "$dir" "$debian_mirror" >"$images_cache/debootstrap.log" 2>&1 || {
            tail -20 "$images_cache/debootstrap.log" >&2
            rm -rf "$dir"
            return 1
        }
        rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
        tar -C "$dir" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
        rm -rf "$dir"
    fi
    echo "$tarball"
}

# docker import with a tag, unless the tag exists.
import_as() {
    local tag="$1" tarball="$2"
    shift 2
    if docker image inspect "$tag" >/dev/null 2>&1; then
        return 0
    fi
    echo "==> docker import $tag" >&2
    docker import "$@" "$tarball" "$tag" >/dev/null
}

# The distroless cc image's content, taken from the Debian rootfs.
distroless_cc_tarball() {
    local rootfs_tar="$1" out="$images_cache/distroless-cc.tar"
    [ -s "$out" ] && { echo "$out"; return 0; }
    local src dst
    src=$(mktemp -d)
    dst=$(mktemp -d)
    tar -C "$src" -xf "$rootfs_tar"
    mkdir -p "$dst"/{etc/ssl/certs,lib/x86_64-linux-gnu,lib64,tmp,home/nonroot,var/lib}
    chmod 1777 "$dst/tmp"
    for lib in libc.so.6 libm.so.6 libgcc_s.so.1 libdl.so.2 libpthread.so.0 librt.so.1 \
        ld-linux-x86-64.so.2 libssl.so.3 libcrypto.so.3 libstdc++.so.6; do
        cp -aL "$src/usr/lib/x86_64-linux-gnu/$lib" "$dst/lib/x86_64-linux-gnu/" 2>/dev/null ||
            cp -aL "$src/lib/x86_64-linux-gnu/$lib" "$dst/lib/x86_64-linux-gnu/"
    done
    ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$dst/lib64/ld-linux-x86-64.so.2"
    cp -aL "$src/etc/ssl/certs/ca-certificates.crt" "$dst/etc/ssl/certs/"
    cp -a "$src/etc/nsswitch.conf" "$dst/etc/" 2>/dev/null || true
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$dst/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$dst/etc/group"
    chown 65532:65532 "$dst/home/nonroot"
    tar -C "$dst" -cf "$out.part" . && mv "$out.part" "$out"
    rm -rf "$src" "$dst"
    echo "$out"
}

# Makes every base image; prints the tags it created (one per line) so the
# caller can remove exactly those.
make_base_images() {
    local rootfs distroless made=()
    rootfs=$(debian_rootfs)
    distroless=$(distroless_cc_tarball "$rootfs")
    for spec in "gcr.io/distroless/cc-debian12:nonroot" "redis:7" "python:3-slim"; do
        docker image inspect "$spec" >/dev/null 2>&1 && continue
        case "$spec" in
        gcr.io/*) import_as "$spec" "$distroless" --change 'USER 65532:65532' --change 'WORKDIR /home/nonroot' ;;
        redis:*) mkdir -p "$images_cache" && import_as "$spec" "$rootfs" --change 'WORKDIR /data' --change 'CMD ["redis-server"]' ;;
        python:*) import_as "$spec" "$rootfs" --change 'CMD ["python3"]' ;;
        esac
        made+=("$spec")
    done
    printf '%s\n' "${made[@]}"
}

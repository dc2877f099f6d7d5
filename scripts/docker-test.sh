#!/usr/bin/env bash
# make docker-test: prove the deployment in a real Docker engine (README, "Deployment").
#
#  1. A Docker engine: the running one, or Debian's docker.io started here as root (dockerd).
#  2. Base images: the official ones when a registry answers; otherwise local stand-ins
#     (a debootstrapped Debian bookworm root, then Python 3.11 / PostgreSQL / nginx from
#     docker/standin/*.Dockerfile), made once and kept in the engine's image store.
#  3. The three images (docker/*.Dockerfile) for linux/amd64, then the stack in paper mode,
#     checked by scripts/docker_stack_test.py.
#  4. The bot and Base images for linux/arm/v7 (qemu-user-static through binfmt_misc), and in
#     them the import of every module and the Base's `manage.py check`.
# pip in the builds trusts this machine's CA bundle (a build secret, DT_CA_BUNDLE), as pip here
# does (`pip config list`: cert = /etc/ssl/certs/ca-certificates.crt); verification stays on.
#
# `scripts/docker-test.sh --engine-only` only makes sure an engine runs (exit 0, or 3 when none
# can be started): .ci/run asks this first.
# Environment: DT_CA_BUNDLE (default: pip's configured cert, else /etc/ssl/certs/...),
# DT_SKIP_ARM=1 (amd64 only), DT_KEEP=1 (leave the stack running), DEBIAN_MIRROR.
# Exit status: 0 passed, 1 a check failed, 3 no Docker engine could be started.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
PY="${PY:-$REPO/.venv/bin/python}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
STANDIN=trademan-standin
PREFIX="${DT_IMAGE_PREFIX:-trademan-dt}"
FIGURES="$REPO/var/docker-test/figures.json"
T0=$(date +%s)

say() { echo "docker-test: $*"; }
die() { echo "docker-test: FAILED: $*" >&2; exit 1; }
elapsed() { echo "$(( $(date +%s) - T0 )) s"; }
is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {  # apt_install PACKAGE... (as root, quietly)
  is_root && command -v apt-get >/dev/null 2>&1 || return 1
  say "installing $* (Debian packages)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
      >/tmp/trademan-dt-apt.log 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
      >/tmp/trademan-dt-apt.log 2>&1 || { tail -5 /tmp/trademan-dt-apt.log >&2; return 1; }
  fi
}

# -- 1. the engine ---------------------------------------------------------------------------
engine_up() { docker info >/dev/null 2>&1; }

ensure_engine() {
  if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1; then
    engine_up || apt_install docker.io iptables || true
  fi
  if ! engine_up && command -v dockerd >/dev/null 2>&1 && is_root; then
    say "starting dockerd (log: /var/log/trademan-dockerd.log)"
    setsid nohup dockerd >/var/log/trademan-dockerd.log 2>&1 < /dev/null &
    for _ in $(seq 60); do engine_up && break; sleep 1; done
  fi
  if ! engine_up; then
    echo "docker-test: no Docker engine could be started here" \
      "($(docker info 2>&1 | tail -1 || echo 'no docker CLI'))" >&2
    [ -f /var/log/trademan-dockerd.log ] && tail -5 /var/log/trademan-dockerd.log >&2
    exit 3
  fi
  command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 \
    || apt_install docker-compose || die "no docker compose (v2) and no docker-compose (v1)"
}

# Builds need BuildKit (build secrets, TARGETARCH). `docker buildx` when the CLI has it; else a
# CLI older than 23 (Debian's docker.io: 20.10) runs BuildKit itself with DOCKER_BUILDKIT=1.
choose_builder() {
  if docker buildx version >/dev/null 2>&1; then
    BUILD=(docker buildx build --load)
    return
  fi
  local cli major
  for cli in docker /usr/bin/docker; do
    command -v "$cli" >/dev/null 2>&1 || continue
    major=$("$cli" version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1) || continue
    if [ -n "$major" ] && [ "$major" -lt 23 ]; then
      BUILD=(env DOCKER_BUILDKIT=1 "$cli" build)
      return
    fi
  done
  die "no BuildKit: install docker-buildx, or use Debian's docker.io CLI (/usr/bin/docker)"
}

build() {  # build PLATFORM TAG DOCKERFILE CONTEXT [ARGS...]
  local platform=$1 tag=$2 file=$3 context=$4
  shift 4
  local log
  log=$(mktemp /tmp/trademan-dt-build.XXXXXX)
  local start=$(date +%s)
  if ! "${BUILD[@]}" --progress=plain --platform "$platform" -t "$tag" -f "$file" "$@" \
      "$context" >"$log" 2>&1; then
    tail -40 "$log" >&2
    die "building $tag from $file ($platform); full log: $log"
  fi
  local cached
  cached=$(grep -c ' CACHED$' "$log" || true)
  say "built $tag ($platform) in $(( $(date +%s) - start )) s ($cached steps from cache)"
  rm -f "$log"
}

# -- 2. base images ----------------------------------------------------------------------------
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

registry_answers() {  # the official images can be pulled (or are already here)
  have_image python:3.11-slim-bookworm && return 0
  timeout 60 docker pull -q python:3.11-slim-bookworm >/dev/null 2>&1
}

standin_root() {  # standin_root DEBIAN_ARCH PLATFORM: a debootstrapped bookworm as an image
  local arch=$1 platform=$2 tag="$STANDIN/debian:bookworm-$1"
  have_image "$tag" && return 0
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap \
    || die "debootstrap is missing and cannot be installed"
  local dir
  dir=$(mktemp -d /var/tmp/trademan-debootstrap.XXXXXX)
  say "debootstrap bookworm ($arch) from $MIRROR"
  local start=$(date +%s)
  debootstrap --variant=minbase --arch="$arch" bookworm "$dir/root" "$MIRROR" \
    >"$dir/log" 2>&1 || { tail -20 "$dir/log" >&2; die "debootstrap $arch (log: $dir/log)"; }
  # Nothing the images need from the caches and the documentation.
  tar -C "$dir/root" -cf "$dir/rootfs.tar" --exclude='./var/cache/apt/archives/*.deb' \
    --exclude='./var/lib/apt/lists/*' --exclude='./usr/share/doc/*' \
    --exclude='./usr/share/man/*' --exclude='./usr/share/locale/*' --exclude='./usr/share/info/*' .
  # An image from a root file system, as `docker import` does; built FROM scratch so that the
  # image records its platform (docker import of Docker 20.10 ignores --platform).
  printf 'FROM scratch\nADD rootfs.tar /\nCMD ["bash"]\n' >"$dir/Dockerfile"
  build "$platform" "$tag" "$dir/Dockerfile" "$dir"
  rm -rf "$dir"
  say "stand-in root $tag made in $(( $(date +%s) - start )) s"
}

standin() {  # standin NAME DEBIAN_ARCH PLATFORM -> $STANDIN/NAME:ARCH from docker/standin/
  local name=$1 arch=$2 platform=$3
  build "$platform" "$STANDIN/$name:$arch" "docker/standin/$name.Dockerfile" docker/standin \
    --build-arg "DEBIAN_IMAGE=$STANDIN/debian:bookworm-$arch"
}

# -- 4. arm/v7 ---------------------------------------------------------------------------------
ARM_BLOCKED=""
ensure_binfmt() {
  local status=/proc/sys/fs/binfmt_misc/status
  if [ ! -e "$status" ]; then
    is_root && mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
  fi
  [ -e "$status" ] || { ARM_BLOCKED="binfmt_misc cannot be mounted at /proc/sys/fs/binfmt_misc"; return 1; }
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-arm ]; then
    [ -x /usr/bin/qemu-arm-static ] && command -v update-binfmts >/dev/null 2>&1 \
      || apt_install qemu-user-static binfmt-support || true
    is_root && update-binfmts --enable qemu-arm >/dev/null 2>&1 || true
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-arm ]; then
    ARM_BLOCKED="the kernel did not register qemu-arm in binfmt_misc"
    return 1
  fi
  # F (fix binary): the kernel keeps the interpreter open, so it works inside containers too.
  grep -q '^flags:.*F' /proc/sys/fs/binfmt_misc/qemu-arm \
    || { ARM_BLOCKED="qemu-arm is registered without the F flag"; return 1; }
}

arm_checks() {
  local py_arm
  if ! ensure_binfmt; then
    say "SKIPPED arm/v7: $ARM_BLOCKED"
    return 0
  fi
  if [ "$OFFICIAL" = 1 ]; then
    py_arm=python:3.11-slim-bookworm
  else
    standin_root armhf linux/arm/v7
    standin python armhf linux/arm/v7
    py_arm="$STANDIN/python:armhf"
  fi
  local machine
  machine=$(docker run --rm --platform linux/arm/v7 --network none --entrypoint uname "$py_arm" -m)
  [ "$machine" = armv7l ] || die "an arm/v7 container reports $machine"
  for name in bot base; do
    build linux/arm/v7 "$PREFIX-$name:armv7" "docker/$name.Dockerfile" . "${SECRET[@]}" \
      --build-arg "PYTHON_IMAGE=$py_arm"
  done
  local run=(docker run --rm --platform linux/arm/v7 --network none --entrypoint python
    -v "$REPO/scripts/import_all.py:/tmp/import_all.py:ro")
  "${run[@]}" "$PREFIX-bot:armv7" /tmp/import_all.py bot || die "arm/v7 bot: import failed"
  local base_env=(-e "DJANGO_SECRET_KEY=docker-test-$(date +%s)-not-a-secret-0123456789abcdef"
    -e DJANGO_ALLOWED_HOSTS=localhost -e "DATABASE_URL=postgres://trademan:x@db:5432/trademan")
  "${run[@]}" "${base_env[@]}" "$PREFIX-base:armv7" /tmp/import_all.py trademan \
    || die "arm/v7 Base: import failed"
  docker run --rm --platform linux/arm/v7 --network none --entrypoint python "${base_env[@]}" \
    "$PREFIX-base:armv7" trademan/manage.py check || die "arm/v7 Base: manage.py check failed"
  say "arm/v7: every module of the bot and the Base imports; manage.py check passes"
}

image_mb() { docker image inspect --format '{{.Size}}' "$1" | awk '{printf "%.0f", $1/1000000}'; }

# -- run -----------------------------------------------------------------------------------------
ensure_engine
if [ "${1:-}" = --engine-only ]; then
  say "Docker engine $(docker version --format '{{.Server.Version}}') is running"
  exit 0
fi
choose_builder
# pip in the builds trusts what pip on this machine trusts: its configured cert (pip config,
# PIP_CERT), else Debian's bundle. Passed as a build secret: never stored in an image layer.
CA_BUNDLE="${DT_CA_BUNDLE:-${PIP_CERT:-}}"
[ -n "$CA_BUNDLE" ] || CA_BUNDLE=$("$PY" -m pip config get global.cert 2>/dev/null || true)
[ -n "$CA_BUNDLE" ] || CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
[ -s "$CA_BUNDLE" ] || die "CA bundle $CA_BUNDLE not found (set DT_CA_BUNDLE)"
SECRET=(--secret "id=ca_bundle,src=$CA_BUNDLE")
say "engine $(docker version --format '{{.Server.Version}}'); builder: ${BUILD[*]}; CA bundle $CA_BUNDLE"

OFFICIAL=0
if registry_answers; then
  OFFICIAL=1
  say "a registry answers: building from the official images"
  PY_AMD64=python:3.11-slim-bookworm
  PG_IMAGE=postgres:16-alpine
  NGINX_IMAGE=nginx:1.27-alpine
  docker pull -q "$PG_IMAGE" >/dev/null && docker pull -q "$NGINX_IMAGE" >/dev/null
else
  say "no registry answers: local stand-ins for the official images"
  standin_root amd64 linux/amd64
  for name in python postgres nginx; do standin "$name" amd64 linux/amd64; done
  PY_AMD64="$STANDIN/python:amd64"
  PG_IMAGE="$STANDIN/postgres:amd64"
  NGINX_IMAGE="$STANDIN/nginx:amd64"
fi

for name in base bot simulator; do
  build linux/amd64 "$PREFIX-$name:amd64" "docker/$name.Dockerfile" . "${SECRET[@]}" \
    --build-arg "PYTHON_IMAGE=$PY_AMD64"
done
say "amd64 images ready after $(elapsed)"

mkdir -p "$(dirname "$FIGURES")"
rm -f "$FIGURES"
keep=()
[ "${DT_KEEP:-0}" = 1 ] && keep=(--keep)
"$PY" scripts/docker_stack_test.py --image-prefix "$PREFIX" --postgres-image "$PG_IMAGE" \
  --nginx-image "$NGINX_IMAGE" "${keep[@]}" || die "stack checks (above)"
say "amd64 stack passed after $(elapsed)"

if [ "${DT_SKIP_ARM:-0}" = 1 ]; then
  say "DT_SKIP_ARM=1: arm/v7 skipped"
else
  arm_checks
fi

say "image sizes (MB, as docker image inspect reports them):"
for image in "$PREFIX-base:amd64" "$PREFIX-bot:amd64" "$PREFIX-simulator:amd64" \
    "$PREFIX-base:armv7" "$PREFIX-bot:armv7" "$PY_AMD64"; do
  have_image "$image" && printf '  %-36s %5s MB\n' "$image" "$(image_mb "$image")"
done
[ -f "$FIGURES" ] && say "figures: $(tr -d '\n ' < "$FIGURES")"
say "PASSED in $(elapsed)"

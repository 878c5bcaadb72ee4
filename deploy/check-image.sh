#!/usr/bin/env bash
# Builds deploy/Dockerfile and smoke-runs the image on a machine with no container engine
# daemon and no image registry (as root; needs podman and debootstrap):
#   1. a local stand-in for the Dockerfile's base image (Debian bookworm from the mirror apt
#      uses, plus this machine's Node), tagged with the base image's name; cached;
#   2. `podman build` of the real Dockerfile against it (chroot isolation, vfs storage);
#   3. the image's root mounted, and its ENTRYPOINT `start` run there by chroot as the image's
#      user, with the image's environment, on free ports and a scratch Postgres database;
#   4. GET /healthz, the image's HEALTHCHECK command, a token minted by the image's CLI,
#      one MQTT publish (QoS 1) → the row in Postgres; then everything is cleaned up.
# Timings are printed per step. PULSEHUB_IMAGE_CACHE overrides the cache folder.
set -euo pipefail
cd "$(dirname "$0")/.."

PODMAN=(podman --storage-driver vfs)
IMAGE=localhost/pulsehub:check
BASE=$(sed -n 's/^ARG NODE_IMAGE=//p' deploy/Dockerfile)
CACHE=${PULSEHUB_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulsehub-image}
PG_ADMIN=${PULSEHUB_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
T0=$SECONDS
step() { printf '\n== [%3ss] %s\n' "$((SECONDS - T0))" "$*"; }
fail() { echo "check-image: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (podman builds with vfs storage, the smoke run uses chroot)"
for tool in podman debootstrap psql; do command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install podman debootstrap postgresql-client)"; done
[ -n "$BASE" ] || fail "no ARG NODE_IMAGE in deploy/Dockerfile"

# The Debian mirror this machine's apt uses (deb822 or one-line sources), or DEBIAN_MIRROR.
debian_mirror() {
  local m=${DEBIAN_MIRROR:-}
  [ -n "$m" ] || m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1)
  [ -n "$m" ] || m=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | grep -v security | head -1)
  [ -n "$m" ] || fail "no Debian mirror in apt's sources: set DEBIAN_MIRROR"
  echo "$m"
}

# --- 1. the base image stand-in -------------------------------------------------------------
NODE_BIN=$(readlink -f "$(command -v node)")
NODE_VERSION=$("$NODE_BIN" --version)
NODE_LIB=$(dirname "$(dirname "$NODE_BIN")")/lib/node_modules   # npm and corepack beside it
# A machine behind a TLS-inspecting proxy trusts an extra CA (NODE_EXTRA_CA_CERTS): the
# stand-in trusts it too, so npm and pnpm reach the registry during the build. The real base
# image needs nothing of the kind; the Dockerfile stays as it is.
EXTRA_CA=${NODE_EXTRA_CA_CERTS:-}
stamp="$BASE node=$NODE_VERSION ca=${EXTRA_CA:+$(sha256sum "$EXTRA_CA" | cut -c1-16)}"
if ! "${PODMAN[@]}" image exists "$BASE" || [ "$(cat "$CACHE/base.stamp" 2>/dev/null)" != "$stamp" ]; then
  step "base stand-in for $BASE (bookworm + node $NODE_VERSION)"
  mkdir -p "$CACHE"
  if [ ! -f "$CACHE/bookworm.tar" ]; then
    rm -rf "$CACHE/rootfs.tmp"
    debootstrap --variant=minbase bookworm "$CACHE/rootfs.tmp" "$(debian_mirror)" >"$CACHE/debootstrap.log" 2>&1 \
      || fail "debootstrap failed: see $CACHE/debootstrap.log"
    tar -C "$CACHE/rootfs.tmp" -cf "$CACHE/bookworm.tar.part" . && mv "$CACHE/bookworm.tar.part" "$CACHE/bookworm.tar"
    rm -rf "$CACHE/rootfs.tmp"
  fi
  root=$(mktemp -d)
  tar -C "$root" -xf "$CACHE/bookworm.tar"
  # Laid out as the official node image: /usr/local/bin/{node,npm,npx,corepack}.
  install -D -m 0755 "$NODE_BIN" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  for pkg in npm corepack; do
    [ -d "$NODE_LIB/$pkg" ] && cp -a "$NODE_LIB/$pkg" "$root/usr/local/lib/node_modules/"
  done
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  ln -sf ../lib/node_modules/corepack/dist/corepack.js "$root/usr/local/bin/corepack"
  changes=(--change 'CMD ["node"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
  if [ -n "$EXTRA_CA" ]; then
    install -D -m 0644 "$EXTRA_CA" "$root/usr/local/share/pulsehub-build-ca.crt"
    changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/pulsehub-build-ca.crt')
  fi
  tar -C "$root" -c . | "${PODMAN[@]}" import "${changes[@]}" - "$BASE" >/dev/null 2>&1
  rm -rf "$root"
  echo "$stamp" >"$CACHE/base.stamp"
else
  step "base stand-in $BASE: cached"
fi

# --- 2. the real Dockerfile -------------------------------------------------------------------
step "podman build -f deploy/Dockerfile"
PREVIOUS=$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
# --format docker keeps HEALTHCHECK (OCI has none); --layers=false commits each stage once:
# with vfs storage every committed layer is a full copy of the tree, which cost minutes.
"${PODMAN[@]}" build --isolation chroot --network host --pull=never --format docker --layers=false -f deploy/Dockerfile \
  --build-arg "PNPM_VERSION=$PNPM_VERSION" -t "$IMAGE" . >"$CACHE/build.log" 2>&1 \
  || { tail -40 "$CACHE/build.log"; fail "image build failed (log: $CACHE/build.log)"; }
grep -E 'STEP [0-9]+/[0-9]+: (FROM|RUN|COPY)' "$CACHE/build.log" | sed 's/^/  /' || true

# --- 3. run the image's entrypoint from its filesystem ------------------------------------------
step "smoke run: $IMAGE by chroot"
inspect() { "${PODMAN[@]}" image inspect --format "$1" "$IMAGE"; }
USER_SPEC=$(inspect '{{.Config.User}}')
WORKDIR=$(inspect '{{.Config.WorkingDir}}')
mapfile -t IMAGE_ENV < <(inspect '{{range .Config.Env}}{{println .}}{{end}}' | sed '/^$/d')
mapfile -t ENTRYPOINT < <(inspect '{{json .Config.Entrypoint}}' | node -e 'for (const a of JSON.parse(require("fs").readFileSync(0, "utf8"))) console.log(a)')
mapfile -t HEALTHCHECK < <(inspect '{{json .Config.Healthcheck.Test}}' | node -e 'const t = JSON.parse(require("fs").readFileSync(0, "utf8")); for (const a of t.slice(1)) console.log(a)')
[ -n "$USER_SPEC" ] && [ "$USER_SPEC" != root ] || fail "the image runs as root"

MNT=""; HUB_PID=""; TMP=$(mktemp -d); DB="pulsehub_image_check_$$"; MOUNTS=()
cleanup() {
  set +e
  [ -n "$HUB_PID" ] && kill "$HUB_PID" 2>/dev/null && wait "$HUB_PID" 2>/dev/null
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount "${MOUNTS[$i]}"; done
  [ -n "$MNT" ] && "${PODMAN[@]}" image unmount "$IMAGE" >/dev/null
  psql "$PG_ADMIN" -qc "drop database if exists $DB with (force)" >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT
MNT=$("${PODMAN[@]}" image mount "$IMAGE")
# The image itself stays unchanged: /proc, /dev and a scratch /tmp and /data are mounted over it.
bind() { mount "$@" && MOUNTS+=("${*: -1}"); }
bind -t proc proc "$MNT/proc"
bind --bind /dev "$MNT/dev"
mkdir -p "$TMP/tmp" "$TMP/data" && chmod 1777 "$TMP/tmp" && chmod 0700 "$TMP/data"
# Like a named volume, which starts as a copy of the image's /data: owned by the image's user.
IMAGE_UID=$(awk -F: -v u="$USER_SPEC" '$1 == u { print $3 ":" $4 }' "$MNT/etc/passwd")
[ -n "$IMAGE_UID" ] || fail "user $USER_SPEC not in the image's /etc/passwd"
chown "$IMAGE_UID" "$TMP/data"
bind --bind "$TMP/tmp" "$MNT/tmp"
bind --bind "$TMP/data" "$MNT/data"
cp /etc/resolv.conf "$TMP/resolv.conf" 2>/dev/null || true

free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }
MQTT_PORT=$(free_port); HTTP_PORT=$(free_port)
psql "$PG_ADMIN" -qc "create database $DB" >/dev/null
DB_URL=$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$PG_ADMIN" "$DB")
SECRET=$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))')
RUN_ENV=("${IMAGE_ENV[@]}" HOME=/var/lib/pulsehub DATABASE_URL="$DB_URL" PULSEHUB_JWT_SECRET="$SECRET"
  PULSEHUB_MQTT_HOST=127.0.0.1 PULSEHUB_HTTP_HOST=127.0.0.1 PULSEHUB_MQTT_PORT="$MQTT_PORT" PULSEHUB_HTTP_PORT="$HTTP_PORT" LOG_LEVEL=warn)
in_image() { env -i "${RUN_ENV[@]}" chroot --userspec="$USER_SPEC:$USER_SPEC" "$MNT" /bin/sh -c 'cd "$0" && exec "$@"' "$WORKDIR" "$@"; }
# exec all the way down (subshell → env → chroot → sh → node): $! is the hub's own pid.
start_in_image() { exec env -i "${RUN_ENV[@]}" chroot --userspec="$USER_SPEC:$USER_SPEC" "$MNT" /bin/sh -c 'cd "$0" && exec "$@"' "$WORKDIR" "$@"; }

start_in_image "${ENTRYPOINT[@]}" start >"$TMP/hub.log" 2>&1 &
HUB_PID=$!
for _ in $(seq 120); do
  node -e 'fetch(process.argv[1]).then(async (r) => { if (!r.ok) process.exit(1); console.log(await r.text()); }, () => process.exit(1))' \
    "http://127.0.0.1:$HTTP_PORT/healthz" >"$TMP/health.json" 2>/dev/null && break
  kill -0 "$HUB_PID" 2>/dev/null || { cat "$TMP/hub.log"; fail "the hub exited"; }
  sleep 0.5
done
grep -q '"status":"ok"' "$TMP/health.json" || { cat "$TMP/hub.log"; fail "/healthz: $(cat "$TMP/health.json" 2>/dev/null)"; }
echo "  /healthz: $(cat "$TMP/health.json")"
in_image "${HEALTHCHECK[@]}" || fail "the image's HEALTHCHECK failed"
echo "  HEALTHCHECK ${HEALTHCHECK[*]}: ok"

TOKEN=$(in_image "${ENTRYPOINT[@]}" token device image-watch --user ana --ttl 300 2>>"$TMP/hub.log") || { cat "$TMP/hub.log"; fail "pulsehub token failed in the image"; }
node --input-type=module -e '
  import mqtt from "mqtt";
  const [port, token] = process.argv.slice(1);
  const c = await mqtt.connectAsync({ host: "127.0.0.1", port: Number(port), username: "image-watch", password: token, clientId: "image-watch", reconnectPeriod: 0 });
  await c.publishAsync("users/ana/events", JSON.stringify({ id: "image-check-1", metric: "heart_rate", values: { bpm: 77 } }), { qos: 1 });
  await c.endAsync();
' "$MQTT_PORT" "$TOKEN" || fail "MQTT publish failed"
stored=$(psql "$DB_URL" -Atc "select count(*) from observations where id = 'image-check-1' and user_id = 'ana' and device_id = 'image-watch'")
[ "$stored" = 1 ] || { cat "$TMP/hub.log"; fail "the reading was not stored (count $stored)"; }
echo "  MQTT publish (QoS 1) → stored in Postgres: 1 row"
kill "$HUB_PID" && wait "$HUB_PID" || true   # SIGTERM: the hub closes and exits
HUB_PID=""
# The previous build of the tag is left untagged: remove it (nothing else; the base stays).
if [ -n "$PREVIOUS" ] && [ "$PREVIOUS" != "$(inspect '{{.Id}}')" ]; then
  "${PODMAN[@]}" rmi "$PREVIOUS" >/dev/null 2>&1 || true
fi
step "image ok: $IMAGE, $(( $(inspect '{{.Size}}') / 1000000 )) MB"

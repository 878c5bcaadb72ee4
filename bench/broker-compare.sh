#!/usr/bin/env bash
# PulseHub's broker (JWT auth + topic rules) against Mosquitto, side by side, with mqtt-load's
# compare.sh. mqtt-load is built from ../shared/mqtt-load into a temporary directory (never
# committed); each connection gets its own device id, token and topic from a -F file.
#
#   bench/broker-compare.sh [scenario ...]        # default: b2 c e;  RUNS=3 by default
#   BASELINE=aedes bench/broker-compare.sh c e    # side A is a bare Aedes 1.2 (no hooks) instead of Mosquitto
#   BASELINE=aedes SWAP=1 bench/broker-compare.sh e   # PulseHub as side A (compare.sh measures A first after a
#                                                   # fresh start, B after A's run: B's heap has shrunk while idle)
#
# Subscribers read `users/#`: on Mosquitto devices' messages arrive on users/<i>/events, on
# PulseHub stamped with the publisher (users/<i>/events/dev-<i>).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=${MQTT_LOAD_SRC:-$ROOT/../shared/mqtt-load}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/pulsehub-bench.XXXXXX")}
A_PORT=${A_PORT:-18830} B_PORT=${B_PORT:-18831}
cp "$SRC"/mqtt-load.c "$SRC"/Makefile "$SRC"/compare.sh "$WORK"/
make -s -C "$WORK"
cat >"$WORK/mosquitto-bench.conf" <<CONF
listener $A_PORT 127.0.0.1
allow_anonymous true
persistence false
connection_messages false
CONF
cd "$ROOT"
# TOKEN_TTL=<seconds>: device tokens that expire (each in its own second), to weigh the expiry schedule.
node --conditions=source --import tsx bench/broker-creds.ts --dir "$WORK" ${TOKEN_TTL:+--ttl "$TOKEN_TTL"} 200:1 2000:1 10000:0
# Give every scenario its credentials and the subscription both brokers can serve.
sed -i \
  -e "s|^\(  \[b2\]=\"[^\"]*\)\"|\1 -F $WORK/creds-200-1.txt -s users/#\"|" \
  -e "s|^\(  \[c\]=\"[^\"]*\)\"|\1 -F $WORK/creds-2000-1.txt -s users/#\"|" \
  -e "s|^\(  \[e\]=\"[^\"]*\)\"|\1 -F $WORK/creds-10000-0.txt\"|" \
  "$WORK/compare.sh"
grep -E '^\s+\[(b2|c|e)\]=' "$WORK/compare.sh" >&2
NODE_BROKER="node ${NODE_FLAGS:-} --conditions=source --import file://$ROOT/node_modules/tsx/dist/loader.mjs $ROOT/bench/broker-node.ts"
if [ "${BASELINE:-mosquitto}" = aedes ]; then
  export A_NAME=aedes A_PORT A_CMD="$NODE_BROKER --port $A_PORT --bare"
else
  export A_NAME=mosquitto A_PORT A_CMD="mosquitto -c $WORK/mosquitto-bench.conf"
fi
# PULSEHUB_ARGS: more options for PulseHub's broker-node.ts, e.g. "--intake postgres --ingest-workers 1".
export B_NAME=pulsehub B_PORT B_CMD="$NODE_BROKER --port $B_PORT --keys $WORK/keys.json ${PULSEHUB_ARGS:-}"
if [ "${SWAP:-0}" = 1 ]; then
  [ "${BASELINE:-mosquitto}" = aedes ] || { echo "SWAP=1 needs BASELINE=aedes" >&2; exit 1; }
  export A_NAME=pulsehub A_CMD="$NODE_BROKER --port $A_PORT --keys $WORK/keys.json ${PULSEHUB_ARGS:-}"
  export B_NAME=aedes B_CMD="$NODE_BROKER --port $B_PORT --bare"
fi
export OUT=${OUT:-$ROOT/bench/results/broker-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
"$WORK/compare.sh" "${@:-b2 c e}"
echo "results: $OUT (work dir $WORK)" >&2

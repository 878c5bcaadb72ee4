#!/usr/bin/env bash
# Proves the backup procedure of deploy/README.md on a scratch database of the local Postgres:
#   1. create a database, apply the hub's migrations, store readings through the store's
#      own write path (users, devices, consents, observations, their daily rollups);
#   2. back it up with pg_dump (custom format), drop the database;
#   3. recreate it, pg_restore, and compare every table's row count and a checksum of the
#      readings with the counts taken before the backup.
# PULSEHUB_TEST_DATABASE_URL: an admin connection (default the local `test` database).
set -euo pipefail
cd "$(dirname "$0")/.."

ADMIN=${PULSEHUB_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
DB="pulsehub_backup_check_$$"
URL=$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$ADMIN" "$DB")
WORK=$(mktemp -d)
READINGS=${READINGS:-5000}
trap 'psql "$ADMIN" -qc "drop database if exists $DB with (force)" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
elapsed() { echo "${SECONDS} s"; }

# Row count of every table of the hub (public and drizzle's migration journal), plus a
# checksum of the readings, one line each: the fingerprint compared before and after.
fingerprint() {
  psql "$URL" -At <<'SQL'
select format('select %L || '' '' || count(*) from %I.%I', n.nspname || '.' || c.relname, n.nspname, c.relname)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and n.nspname in ('public', 'drizzle')
order by 1 \gexec
select 'observations.md5 ' || md5(string_agg(id || ':' || metric || ':' || "values"::text, ',' order by id)) from observations;
select 'daily_rollups.md5 ' || md5(string_agg(to_jsonb(r)::text, ',' order by r.user_id, r.day)) from daily_rollups r;
SQL
}

psql "$ADMIN" -qc "create database $DB"
node --import tsx --conditions=source --input-type=module -e '
  import { openStore } from "@pulsehub/store";
  const [url, n] = [process.argv[1], Number(process.argv[2])];
  const store = await openStore({ kind: "postgres", url });
  const users = ["ana", "ben", "caro"];
  for (const id of users) {
    await store.users.upsert({ id, name: id, birthYear: 1990 });
    await store.devices.upsert({ id: `${id}-watch`, userId: id, kind: "watch" });
  }
  await store.consents.grant("ana", "coach-1");
  const start = Date.parse("2026-11-20T06:00:00Z");
  for (let i = 0; i < n; i += 500) {
    const events = [];
    for (let j = i; j < Math.min(n, i + 500); j++) {
      const userId = users[j % users.length];
      const at = new Date(start + j * 1000).toISOString();
      events.push(j % 10 === 9
        ? { id: `bk-${j}`, userId, deviceId: `${userId}-watch`, metric: "steps", time: { start: at, end: new Date(start + j * 1000 + 60_000).toISOString() }, values: { count: { value: 20 + (j % 7), unit: "{steps}" } }, source: { adapter: "pulsehub.v1", receivedAt: at } }
        : { id: `bk-${j}`, userId, deviceId: `${userId}-watch`, metric: "heart_rate", time: { at }, values: { bpm: { value: 60 + (j % 90), unit: "/min" } }, source: { adapter: "pulsehub.v1", receivedAt: at } });
    }
    await store.observations.insert(events);
  }
  await store.close();
' "$URL" "$READINGS"
fingerprint >"$WORK/before.txt"
observations=$(sed -n 's/^public\.observations //p' "$WORK/before.txt")
[ "$observations" = "$READINGS" ] || { cat "$WORK/before.txt"; echo "expected $READINGS readings before the backup, got $observations" >&2; exit 1; }
echo "scratch database $DB: $(wc -l <"$WORK/before.txt") tables and checksums, $observations readings ($(elapsed))"

# The procedure of deploy/README.md: custom-format dump, then restore into an empty database.
pg_dump --format=custom --no-owner --file="$WORK/pulsehub.dump" "$URL"
echo "pg_dump: $(du -h "$WORK/pulsehub.dump" | cut -f1) ($(elapsed))"
psql "$ADMIN" -qc "drop database $DB with (force)"
psql "$ADMIN" -qc "create database $DB"
pg_restore --no-owner --exit-on-error --dbname="$URL" "$WORK/pulsehub.dump"
echo "pg_restore done ($(elapsed))"
fingerprint >"$WORK/after.txt"

if ! diff -u "$WORK/before.txt" "$WORK/after.txt"; then
  echo "backup-restore-check: the restored database differs (above)" >&2
  exit 1
fi
echo "restored database equals the original: $(tr '\n' ';' <"$WORK/before.txt" | sed 's/;/; /g')"
echo "backup-restore-check: ok ($(elapsed))"

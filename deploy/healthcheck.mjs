// The image's HEALTHCHECK. One image runs every role, so this asks the hub process which one it is:
// `web` and `start` must answer GET /healthz with 200, `broker` must accept a TCP connection
// on its MQTT port, `ingest` has no listener (its process being alive is the check).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';

const ROLES = ['start', 'broker', 'ingest', 'web'];
const roleOf = (pid) => {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('cli/src/main.ts')) ? ROLES.find((r) => argv.includes(r)) : undefined;
  } catch {
    return undefined;
  }
};
const mine = (pid) => {
  try {
    return statSync(`/proc/${pid}`).uid === process.getuid();
  } catch {
    return false;
  }
};
// PID 1, or (under an init process, `docker run --init`) a hub process of this same user.
const role = roleOf(1) ?? readdirSync('/proc').filter((p) => /^\d+$/.test(p) && mine(p)).map(roleOf).find(Boolean) ?? 'start';
const env = process.env;
const local = (host) => (!host || host === '0.0.0.0' ? '127.0.0.1' : host);
const done = (ok, why) => {
  if (!ok) console.error(`unhealthy (${role}): ${why}`);
  process.exit(ok ? 0 : 1);
};

if (role === 'web' || role === 'start') {
  const url = `http://${local(env.PULSEHUB_HTTP_HOST)}:${env.PULSEHUB_HTTP_PORT ?? 8080}/healthz`;
  fetch(url, { signal: AbortSignal.timeout(2500) }).then(
    (res) => done(res.ok, `${url} answered ${res.status}`),
    (err) => done(false, `${url}: ${err.message}`),
  );
} else if (role === 'broker') {
  const port = Number(env.PULSEHUB_MQTT_PORT ?? 1883);
  const socket = connect({ host: local(env.PULSEHUB_MQTT_HOST), port, timeout: 2500 });
  socket.once('connect', () => (socket.destroy(), done(true)));
  socket.once('timeout', () => done(false, `no answer on MQTT port ${port}`));
  socket.once('error', (err) => done(false, err.message));
} else {
  done(true);
}

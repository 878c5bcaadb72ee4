import { connect } from 'node:net';

/**
 * HAProxy in front of a local cluster: TCP for MQTT (any broker node; a node that refuses
 * connections is taken out), HTTP for the web nodes (REST, pages, `/live` and `/mqtt`
 * WebSockets), health-checked on `/healthz`. Loopback only. A stats socket tells whether every
 * server is up.
 */
export interface HaproxyLayout {
  mqttPort: number;
  httpPort: number;
  brokers: readonly { name: string; port: number }[];
  webs: readonly { name: string; port: number }[];
  statsSocket: string;
}

export function haproxyConfig(l: HaproxyLayout): string {
  const server = (s: { name: string; port: number }) => `  server ${s.name} 127.0.0.1:${s.port} check inter 1s fall 2 rise 1`;
  return [
    'global',
    // Two descriptors per connection: 9,000 fits a 20,000 descriptor limit (raise both together).
    '  maxconn 9000',
    `  stats socket ${l.statsSocket} mode 600 level admin`,
    '  log stderr format raw daemon notice',
    '',
    'defaults',
    '  log global',
    '  timeout connect 2s',
    // MQTT keep-alives are up to a few minutes; WebSockets send heartbeats every 5 s.
    '  timeout client 5m',
    '  timeout server 5m',
    '  timeout tunnel 1h',
    '  timeout client-fin 5s',
    '',
    'frontend mqtt',
    '  mode tcp',
    `  bind 127.0.0.1:${l.mqttPort}`,
    '  default_backend brokers',
    '',
    'backend brokers',
    '  mode tcp',
    '  balance leastconn',
    ...l.brokers.map(server),
    '',
    'frontend http',
    '  mode http',
    `  bind 127.0.0.1:${l.httpPort}`,
    '  option forwardfor',
    '  timeout http-request 10s',
    '  default_backend webs',
    '',
    'backend webs',
    '  mode http',
    '  balance leastconn',
    '  option httpchk GET /healthz',
    '  http-check expect status 200',
    ...l.webs.map(server),
    '',
  ].join('\n');
}

export interface ServerStatus {
  backend: string;
  server: string;
  /** UP, DOWN, MAINT, "no check", … as HAProxy says it. */
  status: string;
}

/** The state of every backend server, from HAProxy's stats socket (`show stat`). */
export async function haproxyServers(statsSocket: string): Promise<ServerStatus[]> {
  const csv = await new Promise<string>((resolve, reject) => {
    const s = connect(statsSocket);
    let out = '';
    s.setTimeout(2000, () => s.destroy(new Error('HAProxy stats socket timed out')));
    s.on('connect', () => s.write('show stat\n'));
    s.on('data', (d) => (out += d));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
  const [header = '', ...rows] = csv.trim().split('\n');
  const cols = header.replace(/^# /, '').split(',');
  const at = (name: string) => cols.indexOf(name);
  return rows
    .map((r) => r.split(','))
    .filter((r) => r[at('svname')] !== 'FRONTEND' && r[at('svname')] !== 'BACKEND')
    .map((r) => ({ backend: r[at('pxname')] ?? '', server: r[at('svname')] ?? '', status: r[at('status')] ?? '' }));
}

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_ENV_NAMES, loadConfig } from '@pulsehub/cli';

// deploy/compose.yaml against what the image really runs: the commands of cli/src/main.ts,
// the configuration schema (cli/src/config.ts), the Dockerfile and deploy/haproxy.cfg.
const ROOT = join(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

interface Service {
  image?: string;
  build?: { dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  env_file?: string;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, unknown>;
}
interface ComposeFile { services: Record<string, Service>; volumes?: Record<string, unknown> }

/** `case 'start':` … in main.ts's dispatch: the commands the image's entrypoint knows. */
const COMMANDS = [...read('cli/src/main.ts').matchAll(/^\s*case '([a-z-]+)':/gm)].map((m) => m[1]!);
const envFile = (p: string) => Object.fromEntries(read(p).split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
const hubServices = (c: ComposeFile) => Object.entries(c.services).filter(([, s]) => s.build?.dockerfile === 'deploy/Dockerfile');

/** The problems of a compose file; none for deploy/compose.yaml. */
function checkCompose(c: ComposeFile, haproxyCfg: string): string[] {
  const problems: string[] = [];
  const secrets = envFile('deploy/compose.env.example');
  secrets.PULSEHUB_JWT_SECRET ||= createHash('sha256').update('compose test').digest('base64url'); // the example leaves it empty on purpose; production refuses a low-entropy stand-in
  const ports = new Map<string, { mqtt: number; http: number; role: string }>();
  for (const [name, s] of hubServices(c)) {
    const role = s.command?.[0];
    if (!role || !COMMANDS.includes(role)) problems.push(`${name}: command ${JSON.stringify(s.command)} is not a pulsehub command (${COMMANDS.join(', ')})`);
    if (s.env_file !== 'compose.env') problems.push(`${name}: secrets must come from env_file compose.env`);
    for (const key of Object.keys(s.environment ?? {})) {
      if (!CONFIG_ENV_NAMES.includes(key)) problems.push(`${name}: ${key} is not a configuration variable`);
      if (['PULSEHUB_JWT_SECRET', 'DATABASE_URL', 'PULSEHUB_JWT_PREVIOUS'].includes(key)) problems.push(`${name}: ${key} is a secret: keep it in the env file`);
    }
    try {
      const config = loadConfig({ ...secrets, ...s.environment });
      if (config.mode !== 'production') problems.push(`${name}: not in production mode`);
      ports.set(name, { mqtt: config.mqtt.port, http: config.http.port, role: role ?? '' });
      if (role === 'ingest' || role === 'web') {
        const b = config.brokerAddress;
        if (b.host !== 'haproxy' || !new RegExp(`bind :${b.port}\\b`).test(haproxyCfg)) problems.push(`${name}: PULSEHUB_BROKER_URL must be HAProxy's MQTT frontend`);
      }
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  // Every HAProxy server is a node of the right role, on the port its configuration listens on.
  const backends = haproxyCfg.split(/\n\s*\n/).map((section) => /^backend (\w+)\n/.exec(section) && { backend: section.split(/\s/)[1]!, body: section }).filter((b) => b !== null);
  if (backends.length !== 2) problems.push(`haproxy.cfg: expected the backends brokers and webs, found ${backends.map((b) => b.backend).join(', ')}`);
  for (const { backend, body } of backends) {
    for (const [, server, host, port] of body.matchAll(/^\s*server (\S+) ([\w.-]+):(\d+)/gm)) {
      const node = ports.get(host!);
      const want = backend === 'brokers' ? { role: 'broker', port: node?.mqtt } : { role: 'web', port: node?.http };
      if (!node || node.role !== want.role || Number(port) !== want.port) problems.push(`haproxy ${backend}/${server}: ${host}:${port} is not a ${want.role} node listening there`);
    }
  }
  for (const [name, s] of Object.entries(c.services)) {
    for (const dep of Object.keys(s.depends_on ?? {})) if (!c.services[dep]) problems.push(`${name}: depends on unknown service ${dep}`);
  }
  return problems;
}

describe('deploy/compose.yaml', () => {
  const compose = parse(read('deploy/compose.yaml'), { merge: true }) as ComposeFile;
  const haproxyCfg = read('deploy/haproxy.cfg');

  it('runs the roles apart: 2 brokers that store, 2 web nodes, HAProxy, Postgres with a volume, Redis', () => {
    const roles = hubServices(compose).map(([, s]) => s.command?.[0]).sort();
    expect(roles).toEqual(['broker', 'broker', 'web', 'web']);
    // No ingest worker: each broker node commits a reading before its PUBACK (README: Data flow).
    const secrets = { PULSEHUB_JWT_SECRET: createHash('sha256').update('compose test').digest('base64url'), DATABASE_URL: 'postgres://x@y/z' };
    for (const [, s] of hubServices(compose).filter(([, s]) => s.command?.[0] === 'broker')) expect(loadConfig({ ...secrets, ...s.environment }).brokerIntake).toBe(true);
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgres', 'redis', 'haproxy']));
    const pgVolume = compose.services.postgres!.volumes?.find((v) => v.endsWith(':/var/lib/postgresql/data'))?.split(':')[0];
    expect(pgVolume && compose.volumes).toHaveProperty(pgVolume!);
    expect(compose.services.haproxy!.ports).toEqual(expect.arrayContaining(['1883:1883', '8080:8080']));
  });

  it('every node runs a real pulsehub command with configuration names and ports the schema accepts', () => {
    expect(COMMANDS).toEqual(expect.arrayContaining(['start', 'broker', 'ingest', 'web']));
    expect(checkCompose(compose, haproxyCfg)).toEqual([]);
  });

  it('the checks catch a command, a variable or a port that do not exist', () => {
    const broken = structuredClone(compose);
    broken.services['web-2']!.command = ['serve'];
    broken.services['web-1']!.environment = { ...broken.services['web-1']!.environment, PULSEHUB_HTTP_PROT: '8080' };
    broken.services['broker-2']!.environment = { ...broken.services['broker-2']!.environment, PULSEHUB_MQTT_PORT: '1884' };
    const problems = checkCompose(broken, haproxyCfg).join('\n');
    expect(problems).toMatch(/web-2: command \["serve"\] is not a pulsehub command/);
    expect(problems).toMatch(/web-1: PULSEHUB_HTTP_PROT is not a configuration variable/);
    expect(problems).toMatch(/brokers\/broker-2: broker-2:1883 is not a broker node listening there/);
  });

  it('the image runs cli/src/main.ts with the V8 flag, as an unprivileged user, with a health check, and sets only known variables', () => {
    const dockerfile = read('deploy/Dockerfile');
    expect(dockerfile).toMatch(/^ENTRYPOINT \[.*"--max-semi-space-size=64".*"cli\/src\/main\.ts"\]$/m);
    expect(dockerfile).toMatch(/^USER pulsehub$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const envNames = [...runtime.matchAll(/^\s*(?:ENV\s+)?([A-Z_]+)=/gm)].map((m) => m[1]!).filter((n) => n !== 'NODE_ENV');
    expect(envNames.length).toBeGreaterThan(0);
    expect(envNames.filter((n) => !CONFIG_ENV_NAMES.includes(n))).toEqual([]);
    const defaults = loadConfig({});
    for (const port of [defaults.mqtt.port, defaults.http.port]) expect(runtime).toMatch(new RegExp(`^EXPOSE .*\\b${port}\\b`, 'm'));
  });
});

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultRunDir, readClusterState, startCluster, stopClusterState, type ClusterState } from './cluster.js';
import { haproxyServers } from './cluster-haproxy.js';

export const CLUSTER_USAGE = `  pulsehub cluster up|down|status [--dir DIR] [--brokers 2] [--webs 2] [--ingest 0]
                                             a local cluster behind HAProxy on this machine's Redis and
                                             Postgres (deploy/README.md); state and logs in DIR (./data/cluster)`;

/** `pulsehub cluster up|down|status`: the harness of cluster.ts from a shell. */
export async function clusterCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { dir: { type: 'string' }, brokers: { type: 'string' }, webs: { type: 'string' }, ingest: { type: 'string' } },
  });
  const runDir = values.dir ?? defaultRunDir();
  const count = (v: string | undefined, d: number, min = 1) => {
    const n = v === undefined ? d : Number(v);
    if (!(Number.isInteger(n) && n >= min && n <= 8)) throw new Error('--brokers and --webs take 1..8, --ingest 0..8 (0: the brokers store readings themselves)');
    return n;
  };
  switch (positionals[0]) {
    case 'up': {
      const cluster = await startCluster({ runDir, detached: true, brokers: count(values.brokers, 2), webs: count(values.webs, 2), ingest: count(values.ingest, 0, 0) });
      const admin = await cluster.mint({ subject: 'admin', kind: 'admin', ttlSeconds: 12 * 3600 });
      writeFileSync(`${runDir}/cluster.env`, `PULSEHUB_JWT_SECRET=${cluster.state.secret}\nPULSEHUB_JWT_KID=k1\n`, { mode: 0o600 });
      console.log(describe(cluster.state));
      console.log(`\n  Dashboard   ${cluster.http.url}/?token=${admin}   (admin, valid 12 h)`);
      console.log(`  Tokens      env $(cat ${runDir}/cluster.env) pnpm -s pulsehub token device my-watch --user ana`);
      console.log(`  Stop        pnpm cluster down${values.dir ? ` --dir ${values.dir}` : ''}`);
      return 0;
    }
    case 'down': {
      const state = readClusterState(runDir);
      if (!state) {
        console.log(`no cluster running from ${runDir}`);
        return 0;
      }
      await stopClusterState(state);
      console.log(`stopped ${state.nodes.length} processes, dropped database ${state.database.name}; logs stay in ${runDir}`);
      return 0;
    }
    case 'status': {
      const state = readClusterState(runDir);
      if (!state) {
        console.log(`no cluster running from ${runDir}`);
        return 3;
      }
      const servers = await haproxyServers(state.statsSocket).catch(() => []);
      console.log(describe(state));
      const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
      console.log('');
      for (const n of state.nodes) {
        const lb = servers.find((s) => s.server === n.name);
        console.log(`  ${n.name.padEnd(10)} pid ${String(n.pid).padEnd(8)} ${alive(n.pid) ? 'running' : 'GONE   '}${lb ? `  HAProxy: ${lb.status}` : ''}`);
      }
      return state.nodes.every((n) => alive(n.pid)) ? 0 : 1;
    }
    default:
      console.error(`usage:\n${CLUSTER_USAGE}`);
      return 2;
  }
}

function describe(s: ClusterState): string {
  const own = (role: string) => s.nodes.filter((n) => n.role === role).map((n) => `${n.name} ${n.port ?? ''}`.trim()).join(', ');
  return [
    `PulseHub cluster in ${s.runDir} — database ${s.database.name}, ${s.redisUrl}`,
    `  MQTT        mqtt://127.0.0.1:${s.mqttPort}   (HAProxy → brokers: ${own('broker')})`,
    `  Web         http://127.0.0.1:${s.httpPort}   (HAProxy → web: ${own('web')}; /live, /mqtt, /healthz)`,
    own('ingest') ? `  Ingest      ${own('ingest')} (through HAProxy's MQTT port; brokers route only)` : '  Ingest      in each broker node (a reading is committed before its PUBACK)',
    `  Logs        ${s.runDir}/<node>.log`,
  ].join('\n');
}

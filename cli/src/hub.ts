import { unwatchFile, watchFile } from 'node:fs';
import pino, { type Logger } from 'pino';
import type { Keyring, MintOptions, TokenService } from '@pulsehub/auth';
import type { PulseHubBroker } from '@pulsehub/broker';
import { ingestMetricsText, type IngestService, type InsightSink } from '@pulsehub/ingest';
import type { Store, StoreTarget } from '@pulsehub/store';
import type { LiveHub, WebApp } from '@pulsehub/web';
import type { HubConfig } from './config.js';
import { loadKeyring } from './secrets.js';
import { movedPortNotes, removeRuntimePorts, writeRuntimePorts, type RuntimePorts } from './runtime-file.js';
import { createAccessControl, openHubStore, startIntakeBrokerNode, startWebRole, type Closer } from './roles.js';

export interface Hub {
  readonly config: HubConfig;
  readonly store: Store;
  readonly tokens: TokenService;
  readonly broker: PulseHubBroker;
  readonly ingest: IngestService;
  readonly web: WebApp;
  readonly mqtt: { host: string; port: number; url: string };
  /** The mqtts listener, when PULSEHUB_MQTTS_PORT is set. */
  readonly mqtts?: { port: number; url: string };
  readonly http: { host: string; port: number; url: string };
  /** What was written to `<dataDir>/ports.json`: the ports bound, whether a default one moved, the signing kid. */
  readonly runtime: RuntimePorts;
  /** Banner lines for ports that moved off a taken default ("MQTT on 1884 — 1883 was taken"). */
  readonly notes: string[];
  /** Mints a token and records its id (so it can be listed and revoked). */
  mint(options: MintOptions): Promise<string>;
  close(): Promise<void>;
}

export interface StartHubOptions {
  config: HubConfig;
  keyring: Keyring;
  logger?: Logger;
  /** Overrides the database choice (tests). */
  storeTarget?: StoreTarget;
  /** The development key file: a rotation written to it (`pulsehub keys rotate`) is picked up live. */
  keyringFile?: string;
  /** Where a reached goal is recorded as an insight (the embedded ingest's `insights`; default: nowhere). */
  insights?: InsightSink;
}

const shownHost = (h: string) => (h === '0.0.0.0' ? 'localhost' : h);

/** Starts broker, ingest and web in one process (the `pulsehub start` role set). */
export async function startHub(o: StartHubOptions): Promise<Hub> {
  const { config } = o;
  const log = o.logger ?? pino({ level: config.logLevel });
  const store = await openHubStore(config, o.storeTarget, log);
  const closers: Closer[] = [() => store.close()];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => log.error({ err }, 'error while closing'));
  };
  try {
    const access = await createAccessControl(config, o.keyring, store, log);
    closers.push(access.close);
    // Ingest runs inside the broker: a reading is stored before the device gets its PUBACK.
    // One node (no Redis): live events and goal frames go from the intake straight to the
    // LiveHub, objects handed over in this process; still published on the broker for MQTT
    // subscribers. With Redis, the LiveHub subscribes over MQTT, where every node's events arrive.
    const liveInProcess = !config.redisUrl;
    let liveHub: LiveHub | undefined;
    const node = await startIntakeBrokerNode(config, access, store, log, {
      ...(o.insights ? { insights: o.insights } : {}),
      ...(liveInProcess ? { deliverLive: (event) => liveHub?.publish(event), deliverGoal: (athlete, msg) => liveHub?.publishGoal(athlete, msg) } : {}),
    });
    const ingest = node.ingest;
    // Closes the intake first, so pending batches commit and their PUBACKs still go out.
    closers.push(node.close);
    const { web, port: httpPort, outbound } = await startWebRole(config, access, store, log, { broker: node.address, local: node.broker, health: () => ({ ingest: { ...ingest.stats, ok: ingest.health.ok, writer: ingest.health } }),
      metrics: () => ingestMetricsText(ingest.stats, ingest.health), liveInProcess,
      // Manual entries enter the same pipeline as device readings (web does not import ingest).
      manualIntake: { submit: (userId, payload) => ingest.submit(userId, payload), check: (userId, payload) => ingest.check(userId, payload) },
    });
    if (liveInProcess) liveHub = web.hub;
    closers.push(() => web.close());
    // Stopped before the web app and the store close (closers run in reverse).
    closers.push(outbound);
    await ingest.ready();

    const moved = (actual: number, c: { port: number; portExplicit: boolean }) => !c.portExplicit && c.port !== 0 && actual !== c.port;
    const runtime: RuntimePorts = {
      pid: process.pid, startedAt: new Date().toISOString(), kid: access.tokens.currentKid,
      mqtt: { host: config.mqtt.host, port: node.address.port, configured: config.mqtt.port, moved: moved(node.address.port, config.mqtt) },
      http: { host: config.http.host, port: httpPort, configured: config.http.port, moved: moved(httpPort, config.http) },
      ...(node.tlsPort === undefined ? {} : { mqtts: { port: node.tlsPort } }),
    };
    writeRuntimePorts(config.dataDir, runtime);
    closers.push(async () => removeRuntimePorts(config.dataDir));
    if (o.keyringFile) {
      const file = o.keyringFile;
      watchKeyring(file, config, access.tokens, log, (kid) => {
        runtime.kid = kid;
        writeRuntimePorts(config.dataDir, runtime);
      });
      closers.push(async () => unwatchFile(file));
    }

    return {
      runtime, notes: movedPortNotes(runtime),
      config, store, tokens: access.tokens, broker: node.broker, ingest, web,
      mqtt: { ...node.address, url: `mqtt://${shownHost(config.mqtt.host)}:${node.address.port}` },
      ...(node.tlsPort === undefined ? {} : { mqtts: { port: node.tlsPort, url: `mqtts://${shownHost(config.mqtt.host)}:${node.tlsPort}` } }),
      http: { host: config.http.host, port: httpPort, url: `http://${shownHost(config.http.host)}:${httpPort}` },
      async mint(m) {
        const minted = await access.tokens.mint(m);
        await store.tokens.record({ jti: minted.jti, subject: m.subject, kind: m.kind, expiresAt: minted.expiresAt ? new Date(minted.expiresAt * 1000) : null });
        return minted.token;
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * `pulsehub keys rotate` rewrites the key file; the running hub loads it within a second, so
 * tokens the CLI signs with the new key are accepted without a restart (and the old key keeps
 * verifying as the previous one).
 */
function watchKeyring(file: string, config: HubConfig, tokens: { currentKid: string; replaceKeyring(k: Keyring): void }, log: Logger, changed: (kid: string) => void): void {
  watchFile(file, { interval: 250 }, (cur, prev) => {
    if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size) return;
    try {
      const { keyring } = loadKeyring(config);
      if (keyring.current.kid === tokens.currentKid) return;
      tokens.replaceKeyring(keyring);
      log.info({ kid: keyring.current.kid, previous: keyring.previous.map((k) => k.kid) }, 'signing keys reloaded');
      changed(keyring.current.kid);
    } catch (err) {
      log.warn({ err }, 'the key file changed but cannot be read; keeping the current keys');
    }
  });
}

import pino, { type Logger } from 'pino';
import type { Keyring, MintOptions, TokenService } from '@pulsehub/auth';
import type { PulseHubBroker } from '@pulsehub/broker';
import type { IngestService } from '@pulsehub/ingest';
import type { Store, StoreTarget } from '@pulsehub/store';
import type { WebApp } from '@pulsehub/web';
import type { HubConfig } from './config.js';
import { createAccessControl, createEmbeddedIntake, openHubStore, startBrokerNode, startWebRole, type Closer } from './roles.js';

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
}

const shownHost = (h: string) => (h === '0.0.0.0' ? 'localhost' : h);

/** Starts broker, ingest and web in one process (the `pulsehub start` role set). */
export async function startHub(o: StartHubOptions): Promise<Hub> {
  const { config } = o;
  const log = o.logger ?? pino({ level: config.logLevel });
  const store = await openHubStore(config, o.storeTarget);
  const closers: Closer[] = [() => store.close()];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => log.error({ err }, 'error while closing'));
  };
  try {
    const access = await createAccessControl(config, o.keyring, store, log);
    closers.push(access.close);
    // Ingest runs inside the broker: a reading is stored before the device gets its PUBACK.
    // The intake publishes live events on the broker it feeds: created first, bound after.
    const bound: { broker?: PulseHubBroker } = {};
    const { intake, service: ingest } = createEmbeddedIntake(config, store, log, () => bound.broker!);
    const node = await startBrokerNode(config, access, store, log, { intake: intake.accept });
    bound.broker = node.broker;
    closers.push(node.close);
    // Closed before the broker, so pending batches commit and their PUBACKs still go out.
    closers.push(() => ingest.close());
    const { web, port: httpPort } = await startWebRole(config, access, store, log, { broker: node.address, local: node.broker, health: () => ({ ingest: ingest.stats }) });
    closers.push(() => web.close());
    await ingest.ready();

    return {
      config, store, tokens: access.tokens, broker: node.broker, ingest, web,
      mqtt: { ...node.address, url: `mqtt://${shownHost(config.mqtt.host)}:${node.address.port}` },
      ...(node.tlsPort === undefined ? {} : { mqtts: { port: node.tlsPort, url: `mqtts://${shownHost(config.mqtt.host)}:${node.tlsPort}` } }),
      http: { host: config.http.host, port: httpPort, url: `http://${shownHost(config.http.host)}:${httpPort}` },
      async mint(m) {
        const minted = await access.tokens.mint(m);
        await store.recordToken({ jti: minted.jti, subject: m.subject, kind: m.kind, expiresAt: minted.expiresAt ? new Date(minted.expiresAt * 1000) : null });
        return minted.token;
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

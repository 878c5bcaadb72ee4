import mqtt, { type MqttClient } from 'mqtt';
import { gatewayStatusTopic, type GatewayStatus } from '@pulsehub/contracts';
import { silentLogger, type Logger } from '../log.js';

export interface HubClientOptions {
  /** `mqtt://hub:1883` or `mqtts://hub:8883`. */
  readonly url: string;
  readonly gatewayId: string;
  /** The gateway's JWT; sent as the MQTT password with the gateway id as username. */
  readonly token: string;
  /** Prepended to every topic (tests use a unique prefix on a shared broker). */
  readonly topicPrefix?: string;
  readonly reconnectPeriodMs?: number;
  readonly connectTimeoutMs?: number;
  /** CA bundle for a hub with a private CA (mqtts). */
  readonly ca?: string | Buffer;
  readonly logger?: Logger;
}

const status = (gatewayId: string, s: GatewayStatus['status']): string =>
  JSON.stringify({ status: s, gatewayId, ...(s === 'online' ? { at: new Date().toISOString() } : {}) } satisfies GatewayStatus);

/**
 * The gateway's MQTT connection to the hub: username = gateway device id, password = gateway
 * token, a retained last will `{"status":"offline"}` on `gateways/<id>/status`, and a retained
 * `{"status":"online"}` published on every (re)connect. QoS 1 messages still unacknowledged
 * when the connection drops stay in mqtt.js's outgoing store and are re-sent, in order,
 * after reconnecting; the disk queue covers process restarts.
 */
export function createHubClient(o: HubClientOptions): MqttClient {
  const log = o.logger ?? silentLogger;
  const statusTopic = `${o.topicPrefix ?? ''}${gatewayStatusTopic(o.gatewayId)}`;
  const client = mqtt.connect(o.url, {
    clientId: o.gatewayId,
    username: o.gatewayId,
    password: o.token,
    clean: true,
    keepalive: 30,
    reconnectPeriod: o.reconnectPeriodMs ?? 2000,
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    protocolVersion: 4,
    will: { topic: statusTopic, payload: Buffer.from(status(o.gatewayId, 'offline')), qos: 1, retain: true },
    ...(o.ca === undefined ? {} : { ca: o.ca }),
  });
  client.on('connect', () => {
    log.info({ url: o.url }, 'hub: connected');
    client.publish(statusTopic, status(o.gatewayId, 'online'), { qos: 1, retain: true });
  });
  client.on('close', () => log.debug('hub: connection closed'));
  client.on('error', (err) => {
    // CONNACK 4/5 (bad token, not authorized) are not retried by mqtt.js: say what to fix
    const code = (err as { code?: number }).code;
    if (code === 4 || code === 5) log.error({ code }, 'hub refused the gateway credentials: check gateway.id and the token (pulsehub issues gateway tokens)');
    else log.warn({ err: err.message }, 'hub: connection error');
  });
  return client;
}

/** Publishes the retained offline status and disconnects cleanly (a clean DISCONNECT suppresses the will [MQTT-3.1.2-10]). */
export async function closeHubClient(client: MqttClient, gatewayId: string, topicPrefix = ''): Promise<void> {
  if (client.connected) {
    await client.publishAsync(`${topicPrefix}${gatewayStatusTopic(gatewayId)}`, status(gatewayId, 'offline'), { qos: 1, retain: true }).catch(() => undefined);
  }
  await client.endAsync();
}

import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { PhoneIdentity } from './identity.js';
import type { Outbox } from './outbox.js';

export type LinkState = 'connecting' | 'online' | 'offline' | 'refused';

/** Readings per MQTT message (`{readings: […]}`), well under the payload's 1,000. */
const BATCH = 100;

/**
 * The phone's link to the hub: MQTT over WebSocket (`/mqtt`, the `mqtt` package's browser
 * build) with the device token, QoS 1 to `users/<user>/events`. It drains the outbox in order,
 * one batch in flight, and removes a batch only after its PUBACK. mqtt.js reconnects by itself
 * (every 2 s); the browser's offline/online events stop and restart it at once.
 */
export class HubLink {
  private client: MqttClient | null = null;
  private draining = false;
  state: LinkState = 'connecting';

  constructor(private readonly id: PhoneIdentity, private readonly outbox: Outbox, private readonly onState: (s: LinkState) => void) {
    outbox.onChange(() => void this.drain());
    addEventListener('online', () => this.start());
    addEventListener('offline', () => this.stop('offline'));
  }

  start(): void {
    if (this.client) return;
    if (!navigator.onLine) return this.set('offline');
    this.set('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/mqtt`;
    const client = mqtt.connect(url, { username: this.id.device, password: this.id.token, clientId: `${this.id.device}-${Math.random().toString(36).slice(2, 8)}`, protocolVersion: 4, clean: true, reconnectPeriod: 2000, connectTimeout: 10_000 });
    this.client = client;
    client.on('connect', () => {
      this.set('online');
      void this.drain();
    });
    client.on('close', () => {
      if (this.client === client && this.state !== 'refused') this.set(navigator.onLine ? 'connecting' : 'offline');
    });
    client.on('error', (err) => {
      // A refused CONNECT (revoked or expired token) will not get better by retrying.
      if ('code' in err && (err.code === 4 || err.code === 5)) {
        this.set('refused');
        this.stop('refused');
      }
    });
  }

  private stop(state: LinkState): void {
    const c = this.client;
    this.client = null;
    this.set(state);
    c?.end(true);
  }

  private set(s: LinkState): void {
    this.state = s;
    this.onState(s);
  }

  /** Sends what waits, oldest first; a batch leaves the outbox only once the hub acknowledged it. */
  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (;;) {
        const client = this.client;
        if (!client?.connected) return;
        const batch = await this.outbox.head(BATCH);
        if (batch.length === 0) return;
        // If the connection closes before the PUBACK, give up on this attempt: the batch stays
        // queued and goes again after the reconnect (same ids, stored once).
        let onClose = () => {};
        try {
          await Promise.race([
            client.publishAsync(`users/${this.id.user}/events`, JSON.stringify({ format: 'pulsehub.v1', readings: batch.map((b) => b.reading) }), { qos: 1 }),
            new Promise((_, reject) => client.once('close', (onClose = () => reject(new Error('connection closed before the PUBACK'))))),
          ]);
        } finally {
          client.removeListener('close', onClose);
        }
        await this.outbox.remove(batch.map((b) => b.key));
      }
    } catch {
      // The connection dropped mid-batch: the batch stays queued and goes again (same ids) on reconnect.
    } finally {
      this.draining = false;
    }
    if (this.client?.connected && (await this.outbox.count()) > 0) setTimeout(() => void this.drain(), 1000);
  }
}

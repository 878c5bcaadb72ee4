import mqtt, { type MqttClient } from 'mqtt';
import { eventsTopic } from '@pulsehub/contracts';

export interface SimulatedDevice {
  deviceId: string;
  userId: string;
  token: string;
}

export interface Simulator {
  readonly sent: number;
  stop(): Promise<void>;
}

/**
 * Simulated watches: heart rate as a bounded random walk with RR intervals at `rateHz`,
 * and step counts every 5 s, published in PulseHub JSON at QoS 1.
 */
export async function startSimulator(o: { host: string; port: number; devices: SimulatedDevice[]; rateHz: number }): Promise<Simulator> {
  const clients: MqttClient[] = [];
  const timers: NodeJS.Timeout[] = [];
  let sent = 0;
  for (const [i, d] of o.devices.entries()) {
    const client = mqtt.connect({ host: o.host, port: o.port, username: d.deviceId, password: d.token, clientId: `sim-${d.deviceId}`, reconnectPeriod: 1000 });
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    let bpm = 70 + ((i * 17) % 60);
    let seq = 0;
    let stepsAcc = 0;
    const topic = eventsTopic(d.userId);
    timers.push(setInterval(() => {
      bpm = Math.max(55, Math.min(185, bpm + Math.round((Math.random() - 0.48) * 6)));
      const rr = Math.round(60_000 / bpm);
      const at = new Date().toISOString();
      client.publish(topic, JSON.stringify({ id: `${d.deviceId}-${Date.now()}-${seq++}`, metric: 'heart_rate', at, values: { bpm }, rr: [rr] }), { qos: 1 });
      sent++;
      stepsAcc += Math.round(Math.random() * 3 * (bpm / 60));
    }, Math.max(10, Math.round(1000 / o.rateHz))));
    let last = new Date();
    timers.push(setInterval(() => {
      const now = new Date();
      if (stepsAcc > 0) {
        client.publish(topic, JSON.stringify({ id: `${d.deviceId}-steps-${now.getTime()}`, metric: 'steps', start: last.toISOString(), end: now.toISOString(), values: { count: stepsAcc } }), { qos: 1 });
        sent++;
      }
      stepsAcc = 0;
      last = now;
    }, 5000));
  }
  return {
    get sent() {
      return sent;
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all(clients.map((c) => c.endAsync()));
    },
  };
}

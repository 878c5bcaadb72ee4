import type { Hub } from './hub.js';
import { startSimulator, type Simulator } from './simulate.js';

export const DEMO_ATHLETES = [
  { id: 'ana', name: 'Ana Souza' },
  { id: 'ben', name: 'Ben Okafor' },
  { id: 'chloe', name: 'Chloé Martin' },
  { id: 'dev', name: 'Dev Patel' },
  { id: 'emma', name: 'Emma Lindqvist' },
  { id: 'farid', name: 'Farid Haddad' },
] as const;

export const DEMO_COACH = 'coach-demo';

/** Demo athletes, consents for a demo coach, and one simulated watch each. */
export async function startDemo(hub: Hub): Promise<{ simulator: Simulator; coachToken: string }> {
  const devices = [];
  for (const a of DEMO_ATHLETES) {
    await hub.store.users.upsert({ id: a.id, name: a.name, birthYear: 1990 });
    await hub.store.devices.upsert({ id: `watch-${a.id}`, userId: a.id, kind: 'watch', model: 'PulseHub simulator' });
    await hub.store.consents.grant(a.id, DEMO_COACH);
    devices.push({ deviceId: `watch-${a.id}`, userId: a.id, token: await hub.mint({ subject: `watch-${a.id}`, kind: 'device', users: [a.id] }) });
  }
  const coachToken = await hub.mint({ subject: DEMO_COACH, kind: 'coach', ttlSeconds: 7 * 86400 });
  const simulator = await startSimulator({ host: hub.mqtt.host, port: hub.mqtt.port, devices, rateHz: 1 });
  return { simulator, coachToken };
}

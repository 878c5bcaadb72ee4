/**
 * The hand-built stack's live fan-out (bench/diy-stack.ts): a plain `mqtt` subscriber (QoS 0)
 * and a `ws` server that sends each reading to the boards subscribed to its athlete. A board
 * sends `{ type: 'subscribe', athletes }` and gets `{ type: 'subscribed' }`; no auth, no
 * validation, no snapshot — the least a team would build.
 *
 * argv[2]: JSON { mqttUrl, port }. Prints `{ ready }` once subscribed and listening.
 */
import mqtt from 'mqtt';
import WebSocket, { WebSocketServer } from 'ws';
import { emit } from './child.js';

const { mqttUrl, port } = JSON.parse(process.argv[2]!) as { mqttUrl: string; port: number };
const byAthlete = new Map<string, Set<WebSocket>>();
const wss = new WebSocketServer({ host: '127.0.0.1', port });
wss.on('connection', (ws) => {
  const mine = new Set<string>();
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as { type: string; athletes?: string[] };
    if (m.type !== 'subscribe') return;
    for (const a of m.athletes ?? []) {
      mine.add(a);
      let set = byAthlete.get(a);
      if (!set) byAthlete.set(a, (set = new Set()));
      set.add(ws);
    }
    ws.send(JSON.stringify({ type: 'subscribed', athletes: [...mine] }));
  });
  ws.on('close', () => { for (const a of mine) byAthlete.get(a)?.delete(ws); });
});
await new Promise((r) => wss.once('listening', r));

const client = mqtt.connect(mqttUrl, { clientId: 'diy-live', clean: true, reconnectPeriod: 500 });
client.on('message', (topic, payload) => {
  const set = byAthlete.get(topic.split('/')[1]!);
  if (!set || set.size === 0) return;
  const frame = `{"type":"event","event":${payload.toString()}}`;
  for (const ws of set) ws.send(frame);
});
await new Promise((r) => client.once('connect', r));
await client.subscribeAsync('users/+/events', { qos: 0 });
emit({ ready: true });

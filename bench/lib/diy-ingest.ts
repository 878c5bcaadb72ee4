/**
 * The hand-built stack's ingest (bench/diy-stack.ts): what a team writes in an afternoon. A
 * plain `mqtt` client (QoS 1, clean session) subscribed to every device topic, which buffers
 * rows and writes them with one multi-row `INSERT` every `flushMs` or every `flushRows` rows.
 * MQTT.js acknowledges a QoS 1 message as soon as it is handed over, so whatever sits in the
 * buffer (and whatever Mosquitto would have sent while the process is down, the session
 * being clean) is gone if the process dies.
 *
 * argv[2]: JSON { mqttUrl, databaseUrl, flushMs, flushRows }. Prints `{ ready }` once subscribed.
 */
import mqtt from 'mqtt';
import postgres from 'postgres';
import { emit } from './child.js';

const { mqttUrl, databaseUrl, flushMs, flushRows } = JSON.parse(process.argv[2]!) as { mqttUrl: string; databaseUrl: string; flushMs: number; flushRows: number };
const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });

interface Row { id: string; user_id: string; metric: string; at: string; bpm: number }
let rows: Row[] = [];
const flush = () => {
  if (rows.length === 0) return;
  const batch = rows;
  rows = [];
  sql`insert into readings ${sql(batch)} on conflict (id) do nothing`.catch((err: unknown) => console.error('insert failed', err));
};
setInterval(flush, flushMs);

const client = mqtt.connect(mqttUrl, { clientId: 'diy-ingest', clean: true, reconnectPeriod: 500 });
client.on('message', (topic, payload) => {
  const e = JSON.parse(payload.toString()) as { id: string; metric: string; at: string; values: { bpm: number } };
  rows.push({ id: e.id, user_id: topic.split('/')[1]!, metric: e.metric, at: e.at, bpm: e.values.bpm });
  if (rows.length >= flushRows) flush();
});
await new Promise((r) => client.once('connect', r));
await client.subscribeAsync('users/+/events', { qos: 1 });
emit({ ready: true });

import { afterEach } from 'vitest';
import { parseConfig } from '../src/config/config.js';
import { BleRuntime } from '../src/runtime/gateway.js';
import { nobleWithBindings } from '../src/runtime/noble.js';
import type { ReadingEvent } from '../src/pipeline/sink.js';
import { FakeBinding } from './fake-binding.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

/** The real BleRuntime on the real noble state machine over a FakeBinding; readings collected in order. */
export async function startRuntime(devices: unknown[], opts: { settleMs?: number } = {}) {
  const config = parseConfig({ gateway: { id: 'pi-test', token: 't' }, hub: { mqttUrl: 'mqtt://127.0.0.1:1' }, devices });
  const binding = new FakeBinding();
  const noble = await nobleWithBindings(binding);
  const readings: ReadingEvent[] = [];
  const runtime = new BleRuntime({
    noble,
    devices: config.devices,
    sink: { accept: async (e) => void readings.push(e) },
    reconnect: { initialMs: 40, maxMs: 400 },
    connectTimeoutMs: 300,
    weighInSettleMs: opts.settleMs ?? 5000,
  });
  await runtime.start();
  stops.push(() => runtime.stop());
  return { binding, runtime, readings };
}

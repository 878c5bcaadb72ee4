import Module, { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * [issue 17 §2] mqtt-packet (aedes's parser and writer) calls `debug(...)` several times per
 * packet. A disabled `debug` logger still takes its arguments as a rest array (`debug(...args)`
 * checks `enabled` after allocating it): a fifth of everything the broker allocated per message
 * in the `c` benchmark's heap profile. When `DEBUG` is not set at start, the `debug` module that
 * mqtt-packet resolves is given, before mqtt-packet loads, a logger that is a plain no-op (one
 * shared function, nothing allocated). With `DEBUG` set, nothing changes and mqtt-packet's debug
 * output works as before. If mqtt-packet itself was loaded earlier it keeps its loggers, so
 * `pulsehub` imports this module first (`@pulsehub/broker/quiet-debug`, cli/src/main.ts): through
 * the broker's own import it came after MQTT.js and did nothing in `pulsehub start`.
 *
 * Node's CommonJS cache (`require.cache`) is the documented way to give a module's exports in
 * advance; node_modules is not touched.
 */
function installQuietDebug(): void {
  if (process.env['DEBUG']) return;
  const here = createRequire(import.meta.url);
  let path: string;
  try {
    const fromAedes = createRequire(fileURLToPath(import.meta.resolve('aedes')));
    path = createRequire(fromAedes.resolve('mqtt-packet')).resolve('debug');
  } catch {
    return;
  }
  const off = Object.assign(() => {}, { enabled: false, namespace: '', color: '', diff: 0, log: () => {}, destroy: () => true });
  const extend = () => off;
  Object.assign(off, { extend });
  const createDebug = Object.assign(() => off, {
    enable: () => {},
    disable: () => '',
    enabled: () => false,
    coerce: (v: unknown) => v,
    humanize: (ms: number) => `${ms}ms`,
    formatters: {},
    names: [],
    skips: [],
    inspectOpts: {},
    log: () => {},
    colors: [],
    selectColor: () => 0,
    destroy: () => {},
  });
  Object.assign(createDebug, { debug: createDebug, default: createDebug });
  const loaded = here.cache[path];
  if (loaded) {
    // Another package loaded `debug` first (MQTT.js does, in `pulsehub start`): from now on
    // requiring it gives the no-op — which is what every logger is with DEBUG unset.
    loaded.exports = createDebug;
    return;
  }
  const m = new Module(path);
  m.filename = path;
  m.loaded = true;
  m.exports = createDebug;
  here.cache[path] = m;
}

installQuietDebug();

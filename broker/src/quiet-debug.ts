import Module, { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * [issue 17 §2] mqtt-packet (aedes's parser and writer) calls `debug(...)` several times per
 * packet. A disabled `debug` logger still takes its arguments as a rest array (`debug(...args)`
 * checks `enabled` after allocating it): a fifth of everything the broker allocated per message
 * in the `c` benchmark's heap profile. When `DEBUG` is not set at start, the `debug` module that
 * mqtt-packet resolves is given, before mqtt-packet loads, a logger that is a plain no-op (one
 * shared function, nothing allocated). With `DEBUG` set, nothing changes and mqtt-packet's debug
 * output works as before. If mqtt-packet was loaded earlier (before the broker), this does nothing.
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
  if (here.cache[path]) return;
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
  const m = new Module(path);
  m.filename = path;
  m.loaded = true;
  m.exports = createDebug;
  here.cache[path] = m;
}

installQuietDebug();

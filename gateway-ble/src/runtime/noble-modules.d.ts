// @abandonware/noble ships no types for this entry point.
declare module '@abandonware/noble/with-bindings' {
  import type { EventEmitter } from 'node:events';
  const withBindings: (bindings: EventEmitter) => unknown;
  export default withBindings;
}

import { PulseHubError } from '@pulsehub/contracts';
import type { Adapter } from './types.js';
import { pulsehubV1 } from './pulsehub-v1.js';
import { withingsV1 } from './withings-v1.js';
import { omhV1 } from './omh-v1.js';
import { garminV1 } from './garmin-v1.js';
import { healthkitV1 } from './healthkit-v1.js';
import { healthconnectV1 } from './healthconnect-v1.js';
import { fitbitV1 } from './fitbit-v1.js';
import { bleV1 } from './ble-v1.js';
import { manualV1 } from './manual.js';

export const DEFAULT_ADAPTER = 'pulsehub.v1';

export interface AdapterRegistry {
  get(id: string): Adapter | undefined;
  ids(): string[];
  /** The adapter for a message: the one the payload names, else the device's registered one. */
  resolve(named: string | undefined, registered: string | undefined): Adapter;
}

export function createAdapterRegistry(adapters: readonly Adapter<never>[] = [
  pulsehubV1 as Adapter<never>,
  withingsV1 as Adapter<never>,
  omhV1 as Adapter<never>,
  garminV1 as Adapter<never>,
  healthkitV1 as Adapter<never>,
  healthconnectV1 as Adapter<never>,
  fitbitV1 as Adapter<never>,
  bleV1 as Adapter<never>,
  manualV1 as Adapter<never>,
]): AdapterRegistry {
  const byId = new Map<string, Adapter>();
  for (const a of adapters) {
    if (byId.has(a.id)) throw new Error(`duplicate adapter id ${a.id}`);
    byId.set(a.id, a as unknown as Adapter);
  }
  return {
    get: (id) => byId.get(id),
    ids: () => [...byId.keys()],
    resolve(named, registered) {
      const id = named ?? registered ?? DEFAULT_ADAPTER;
      const adapter = byId.get(id);
      if (!adapter) throw new PulseHubError('PH_INGEST_UNKNOWN_ADAPTER', `no adapter "${id}" (known: ${[...byId.keys()].join(', ')})`);
      return adapter;
    },
  };
}

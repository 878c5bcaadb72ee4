import { readFileSync } from 'node:fs';
import type { Store } from '@pulsehub/store';
import { queryStore, sql } from '@pulsehub/store/testing';

/**
 * CPU time (ms) Postgres has spent so far in the backends of the store's database, from
 * /proc/<pid>/stat (Postgres on this machine). A backend that ends between two readings drops
 * out of the sum: read it around work done on the store's long-lived connections. On a shared,
 * loaded machine CPU time per event is steadier than throughput, which swings with the load.
 */
export async function postgresCpuMs(store: Store): Promise<number> {
  const pids = await queryStore<{ pid: number }>(store, sql`select pid from pg_stat_activity where datname = current_database()`);
  let ticks = 0;
  for (const { pid } of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
    } catch {
      // not on this machine, or gone
    }
  }
  return ticks * 10; // USER_HZ = 100
}

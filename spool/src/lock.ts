import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolError } from './errors.js';

/**
 * One process per queue directory: two writers appending to one segment would
 * interleave frames. The lock file holds the owner's pid; a lock left by a dead process
 * (SIGKILL, power cut) is taken over.
 */
export async function acquireLock(dir: string): Promise<void> {
  const path = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new SpoolError('PH_GW_QUEUE_LOCKED', `queue directory ${dir} is in use by process ${pid}`, { details: { pid } });
      }
      await rm(path, { force: true });
    }
  }
  throw new SpoolError('PH_GW_QUEUE_LOCKED', `could not lock queue directory ${dir}`);
}

export async function releaseLock(dir: string): Promise<void> {
  await rm(join(dir, 'lock'), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

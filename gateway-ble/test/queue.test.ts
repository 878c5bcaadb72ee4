import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskQueue, encodeFrame, isSpoolError } from '@pulsehub/spool';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ph-queue-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const buf = (s: string) => Buffer.from(s);
const texts = async (q: DiskQueue, after = 0) => (await q.read(after, 1_000_000)).map((e) => e.payload.toString());
async function segments(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith('seg-')).sort();
}

describe('DiskQueue', () => {
  it('appends, reads in order, acks, and resumes after reopening', async () => {
    const dir = await tempDir();
    const q = await DiskQueue.open({ dir });
    for (let i = 1; i <= 10; i++) expect(await q.append(buf(`r${i}`))).toBe(i);
    expect(await texts(q)).toEqual(Array.from({ length: 10 }, (_, i) => `r${i + 1}`));
    for (const s of [1, 2, 3, 5]) q.ack(s);
    expect(q.stats().ackedThrough).toBe(3); // 4 is not acked yet: the cursor only moves over a contiguous prefix
    q.ack(4);
    expect(q.stats()).toMatchObject({ ackedThrough: 5, pending: 5 });
    await q.close();

    const again = await DiskQueue.open({ dir });
    expect(await texts(again)).toEqual(['r6', 'r7', 'r8', 'r9', 'r10']);
    expect(await again.append(buf('r11'))).toBe(11);
    expect((await again.read(9, 10)).map((e) => e.seq)).toEqual([10, 11]);
    await again.close();
  });

  it('a torn tail is detected and truncated on open; appends continue after it', async () => {
    const dir = await tempDir();
    const q = await DiskQueue.open({ dir });
    for (const s of ['a', 'b', 'c']) await q.append(buf(s));
    await q.close();
    const [seg] = await segments(dir);
    const path = join(dir, seg as string);
    const good = (await stat(path)).size;
    // half of a 4th frame: header and part of the payload, as a crash mid-write leaves it
    await appendFile(path, encodeFrame(4, buf('d'.repeat(100))).subarray(0, 40));

    const r = await DiskQueue.open({ dir });
    expect(await texts(r)).toEqual(['a', 'b', 'c']);
    expect(r.stats().recoveredTruncatedBytes).toBe(40);
    expect((await stat(path)).size).toBe(good);
    expect(await r.append(buf('d'))).toBe(4);
    await r.close();
    const r2 = await DiskQueue.open({ dir });
    expect(await texts(r2)).toEqual(['a', 'b', 'c', 'd']);
    await r2.close();
  });

  it('a corrupted record (CRC mismatch) is never delivered', async () => {
    const dir = await tempDir();
    const q = await DiskQueue.open({ dir });
    for (const s of ['first', 'second', 'third']) await q.append(buf(s));
    await q.close();
    const path = join(dir, (await segments(dir))[0] as string);
    const bytes = await readFile(path);
    const at = bytes.indexOf('second');
    bytes[at] = 'S'.charCodeAt(0);
    await writeFile(path, bytes);
    const r = await DiskQueue.open({ dir });
    expect(await texts(r)).toEqual(['first']);
    await r.close();
  });

  it('bounded: drops the oldest first, counts it, and the drop survives a restart', async () => {
    const dir = await tempDir();
    const warnings: unknown[] = [];
    const logger = { warn: (o: unknown) => warnings.push(o), info: () => {}, error: () => {}, debug: () => {} } as never;
    const q = await DiskQueue.open({ dir, maxRecords: 5, logger });
    for (let i = 1; i <= 8; i++) await q.append(buf(`r${i}`));
    expect(q.stats()).toMatchObject({ pending: 5, dropped: 3 });
    expect(await texts(q)).toEqual(['r4', 'r5', 'r6', 'r7', 'r8']);
    expect(warnings).toHaveLength(1); // logged once, then rate-limited
    expect(warnings[0]).toMatchObject({ dropped: 1, droppedTotal: 1 });
    await q.close();
    const r = await DiskQueue.open({ dir, maxRecords: 5 });
    expect(await texts(r)).toEqual(['r4', 'r5', 'r6', 'r7', 'r8']);
    await r.close();

    const bytesDir = await tempDir();
    const b = await DiskQueue.open({ dir: bytesDir, maxBytes: 25 });
    for (let i = 0; i < 5; i++) await b.append(buf('0123456789'));
    expect(b.stats()).toMatchObject({ pending: 2, pendingBytes: 20, dropped: 3 });
    await b.close();
  });

  it('rotates segments and deletes the ones fully delivered', async () => {
    const dir = await tempDir();
    const q = await DiskQueue.open({ dir, segmentBytes: 100 });
    for (let i = 1; i <= 20; i++) await q.append(buf(`record-${String(i).padStart(3, '0')}`));
    expect((await segments(dir)).length).toBeGreaterThan(5);
    for (let i = 1; i <= 18; i++) q.ack(i);
    await q.flushCursor();
    const left = await segments(dir);
    expect(left.length).toBeLessThanOrEqual(2);
    await q.close();
    const r = await DiskQueue.open({ dir, segmentBytes: 100 });
    expect(await texts(r)).toEqual(['record-019', 'record-020']);
    await r.close();
  });

  it('refuses records above maxRecordBytes and a second owner of the directory', async () => {
    const dir = await tempDir();
    const q = await DiskQueue.open({ dir, maxRecordBytes: 10 });
    await expect(q.append(buf('x'.repeat(11)))).rejects.toMatchObject({ code: 'PH_GW_QUEUE_RECORD_TOO_LARGE' });
    const second = await DiskQueue.open({ dir }).catch((e: unknown) => e);
    expect(isSpoolError(second, 'PH_GW_QUEUE_LOCKED')).toBe(true);
    await q.close();
    await expect(q.append(buf('late'))).rejects.toMatchObject({ code: 'PH_GW_QUEUE_CLOSED' });
  });

  it('a writer SIGKILLed mid-write and restarted: nothing acknowledged is lost, nothing corrupted', async () => {
    const dir = await tempDir();
    // `node --import tsx`, not the tsx CLI: the CLI runs the script in a grandchild that a
    // SIGKILL of the CLI would leave running (holding the queue lock)
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const fixture = fileURLToPath(new URL('./fixtures/queue-writer.ts', import.meta.url));
    const confirmed: { run: string; i: number; seq: number }[] = [];
    let recoveredTotal = 0;
    let tornBytes = 0; // how often a kill tears a write is up to the kernel; recorded, not asserted
    for (let run = 0; run < 5; run++) {
      const child = spawn(process.execPath, ['--import', tsx, fixture, dir, String(run), String(1024 * 1024)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      const target = 3 + run;
      let count = 0;
      await new Promise<void>((resolve, reject) => {
        child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited ${code} ${signal}`))));
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          let nl: number;
          while ((nl = out.indexOf('\n')) >= 0) {
            const line = out.slice(0, nl);
            out = out.slice(nl + 1);
            const [kind, a, b, c] = line.split(' ');
            if (kind === 'open') {
              recoveredTotal = Number(a);
              tornBytes += Number(b);
            }
            if (kind === 'ok') {
              confirmed.push({ run: a as string, i: Number(b), seq: Number(c) });
            }
            // kill at an arbitrary point of the append of a multi-MiB record
            if (kind === 'writing' && ++count === target) setTimeout(() => child.kill('SIGKILL'), Math.random() * 30);
          }
        });
      });
    }
    expect(recoveredTotal).toBeGreaterThan(0);
    const q = await DiskQueue.open({ dir, maxRecords: 1_000_000, maxBytes: 2 ** 40, maxRecordBytes: 16 * 1024 * 1024 });
    const entries = await q.read(0, 1_000_000);
    tornBytes += q.stats().recoveredTruncatedBytes;
    await q.close();
    if (process.env.PH_DEBUG_QUEUE) console.log({ tornBytes, confirmed: confirmed.length });
    // every record on disk is intact and in order
    let prev = 0;
    const found = new Map<string, number>();
    for (const e of entries) {
      expect(e.seq).toBe(prev + 1);
      prev = e.seq;
      const { body, check } = JSON.parse(e.payload.toString()) as { body: string; check: string };
      expect(createHash('sha256').update(body).digest('hex')).toBe(check);
      const { run, i } = JSON.parse(body) as { run: string; i: number };
      found.set(`${run}/${i}`, e.seq);
    }
    // every append the writer saw resolve is there, with the sequence number it was given
    for (const c of confirmed) expect(found.get(`${c.run}/${c.i}`), `${c.run}/${c.i}`).toBe(c.seq);
    expect(entries.length - confirmed.length).toBeLessThanOrEqual(5); // at most one unconfirmed but complete write per kill
  }, 60_000);
});

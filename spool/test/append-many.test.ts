import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskQueue } from '@pulsehub/spool';

// appendMany: one write and one fsync per segment for a whole batch (the bridge appends a
// step's messages at once); the records are the same as appended one by one.

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'ph-spool-'));
  dirs.push(d);
  return d;
};
const rec = (i: number) => Buffer.from(`record-${i}-${'x'.repeat(i % 50)}`);

describe('DiskQueue.appendMany', () => {
  it('spreads a batch over segments, in order, and a reopened queue finds every record', async () => {
    const dir = await tempDir();
    const q = await DiskQueue.open({ dir, segmentBytes: 1024 });
    const seqs = await q.appendMany(Array.from({ length: 100 }, (_, i) => rec(i)));
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await q.append(rec(100))).toBe(101);
    expect((await readdir(dir)).filter((n) => n.startsWith('seg-')).length).toBeGreaterThan(3);
    await q.close();
    const again = await DiskQueue.open({ dir, segmentBytes: 1024 });
    const all = await again.read(0, 1000);
    expect(all.map((e) => e.payload.toString())).toEqual(Array.from({ length: 101 }, (_, i) => rec(i).toString()));
    await again.close();
  });

  it('a batch torn by a crash mid-write keeps a prefix of whole records', async () => {
    const dir = await tempDir();
    const q = await DiskQueue.open({ dir });
    await q.appendMany(Array.from({ length: 10 }, (_, i) => rec(i)));
    await q.close();
    const [seg] = (await readdir(dir)).filter((n) => n.startsWith('seg-'));
    const path = join(dir, seg as string);
    await truncate(path, (await stat(path)).size - 7);
    const again = await DiskQueue.open({ dir });
    expect((await again.read(0, 100)).map((e) => e.payload.toString())).toEqual(Array.from({ length: 9 }, (_, i) => rec(i).toString()));
    expect(again.stats().recoveredTruncatedBytes).toBeGreaterThan(0);
    await again.close();
  });

  it('a batch beyond the bound drops the oldest, counted', async () => {
    const q = await DiskQueue.open({ dir: await tempDir(), maxRecords: 5 });
    await q.appendMany(Array.from({ length: 12 }, (_, i) => rec(i)));
    expect(q.stats()).toMatchObject({ pending: 5, dropped: 7 });
    expect((await q.read(0, 100)).map((e) => e.payload.toString())).toEqual([7, 8, 9, 10, 11].map((i) => rec(i).toString()));
    await q.close();
  });
});

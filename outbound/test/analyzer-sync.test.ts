import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { openStore, type InsightRow, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { createAnalyzerSync } from '@pulsehub/outbound';
import { startReferenceAnalyzer, type ReferenceAnalyzer } from '../../examples/analyzer/analyzer.js';

// Issue 14, the analyzer sync, against the reference analyzer running as a real HTTP server.

const log = pino({ level: 'silent' });
let seq = 0;
const reading = (userId: string, metric: string, values: CanonicalEvent['values']): CanonicalEvent => {
  const at = new Date(Date.parse('2026-11-01T08:00:00Z') + seq++ * 86_400_000 / 4).toISOString();
  return { id: `r-${seq}`, userId, deviceId: `${userId}-dev`, metric: metric as CanonicalEvent['metric'], time: { at }, values, source: { adapter: 'pulsehub.v1', receivedAt: at } };
};

describe.each(['postgres', 'pglite'] as const)('analyzer sync on %s', (kind) => {
  let db: TestDatabase;
  let store: Store;
  let analyzer: ReferenceAnalyzer;
  const pushed: InsightRow[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    store = await openStore(db.target);
    await store.users.ensure(['ana', 'ben']);
    analyzer = await startReferenceAnalyzer({ token: 'analyzer-token' });
  }, 60_000);
  afterAll(async () => {
    await analyzer?.close();
    await store?.close();
    await db?.drop();
  });

  /**
   * Delta sync holds back rows above the oldest transaction still running on the server, which
   * other test files share: a run just after a commit may see nothing yet. Runs until `want`
   * readings went (or 15 s passed); each empty run is an ok run that moves no cursor.
   */
  const syncAtLeast = async (s: ReturnType<typeof sync>, userId: string, want: number) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = await s.syncNow(userId);
      if (r.count >= want || Date.now() > deadline) return r;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const sync = (url = analyzer.url, pageSize = 2000) => createAnalyzerSync({ store, log, url, token: 'analyzer-token', pageSize, onInsights: (_u, rows) => pushed.push(...rows) });

  it('sends only consenting users, only what is new since the last ok run, and stores insights', async () => {
    await store.observations.commitBatch({ events: [
      reading('ana', 'heart_rate', { bpm: { value: 195, unit: '/min' } }),
      reading('ana', 'spo2', { percent: { value: 89, unit: '%' } }),
      ...[80, 81.2, 82.5, 83.9].map((kg) => reading('ana', 'body_weight', { kg: { value: kg, unit: 'kg' } })),
      reading('ben', 'heart_rate', { bpm: { value: 200, unit: '/min' } }),
    ] });
    const s = sync();
    await expect(s.syncNow('ana')).rejects.toMatchObject({ code: 'PH_ANALYZER_NO_CONSENT' });
    await store.syncLog.grant('ana', 'analyzer', 'ana');
    const first = await syncAtLeast(s, 'ana', 6);
    expect(first).toMatchObject({ status: 'ok', count: 6, insights: 3, cursorBefore: null });
    expect(analyzer.requests.at(-1)!.authorization).toBe('Bearer analyzer-token');
    expect(analyzer.requests.at(-1)!.readings.every((r) => (r as unknown as { userId: string }).userId === 'ana')).toBe(true);
    const kinds = (await store.syncLog.insights('ana')).map((i) => i.kind).sort();
    expect(kinds).toEqual(['hr_high', 'spo2_low', 'weight_trend']);
    expect(pushed.map((p) => p.kind).sort()).toEqual(kinds);

    // Nothing new: no request, count 0, the cursor stays.
    const before = analyzer.requests.length;
    const idle = await s.syncNow('ana');
    expect(idle).toMatchObject({ status: 'ok', count: 0, cursorBefore: first.cursorAfter, cursorAfter: first.cursorAfter });
    expect(analyzer.requests.length).toBe(before);

    // One new reading: only it goes.
    await store.observations.commitBatch({ events: [reading('ana', 'heart_rate', { bpm: { value: 70, unit: '/min' } })] });
    expect(await syncAtLeast(s, 'ana', 1)).toMatchObject({ status: 'ok', count: 1, insights: 0 });
    expect(analyzer.requests.at(-1)!.readings).toHaveLength(1);

    // The scheduled round covers consenting users only (ben never consented).
    const scheduled = await s.runScheduled();
    expect(scheduled.map((r) => r.userId)).toEqual(['ana']);
    const log = await store.syncLog.list({ userId: 'ana' });
    // At least the four runs above (more when a run found the newest rows not yet visible).
    expect(log.length).toBeGreaterThanOrEqual(4);
    expect(log.every((r) => r.status === 'ok')).toBe(true);
    expect(log[0]!.trigger).toBe('schedule');
    // Revoked: refused.
    expect(await store.syncLog.revoke('ana', 'analyzer')).toBe(true);
    await expect(s.syncNow('ana')).rejects.toMatchObject({ code: 'PH_ANALYZER_NO_CONSENT' });
  });

  it('a failed run or an invalid answer moves no cursor; the next ok run resends', async () => {
    await store.syncLog.grant('ben', 'analyzer', 'admin');
    let answer: { status: number; body: string } = { status: 500, body: 'down' };
    const bad = createServer((_req, res) => { _req.resume(); _req.on('end', () => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body)); });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(bad.address() as AddressInfo).port}/`;
    try {
      const failed = await sync(url).syncNow('ben');
      expect(failed).toMatchObject({ status: 'failed', count: 0 });
      expect(failed.error).toContain('PH_ANALYZER_FAILED');
      answer = { status: 200, body: JSON.stringify({ insights: [{ kind: 'x', severity: 'apocalyptic', title: 't', body: 'b' }] }) };
      const invalid = await sync(url).syncNow('ben');
      expect(invalid.status).toBe('failed');
      expect(invalid.error).toContain('PH_ANALYZER_ANSWER_INVALID');
      expect(await store.syncLog.insights('ben')).toHaveLength(0);
      // The reference analyzer now: paged, it gets ben's reading again.
      const ok = await sync(analyzer.url, 1).syncNow('ben');
      expect(ok).toMatchObject({ status: 'ok', count: 1, cursorBefore: null });
      const rows = await store.syncLog.list({ userId: 'ben' });
      expect(rows.map((r) => r.status)).toEqual(['ok', 'failed', 'failed']);
      expect(rows[1]!.error).toContain('severity');
    } finally {
      await new Promise<void>((r) => bad.close(() => r()));
    }
  });

  it('runs once per user at a time', async () => {
    await store.syncLog.grant('ana', 'analyzer', 'ana');
    const id = await store.syncLog.start('ana', 'manual', null);
    expect(id).toBeDefined();
    await expect(sync().syncNow('ana')).rejects.toMatchObject({ code: 'PH_ANALYZER_SYNC_RUNNING' });
    await store.syncLog.finish(id!, { status: 'failed', count: 0, cursorAfter: null, error: 'test' });
  });
});

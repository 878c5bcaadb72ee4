import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_CASES } from './cases/index.js';
import { runExpected, withContext, type ExpectationFile } from './harness.js';
import type { Target } from './target.js';

const EXPECTATIONS_URL = new URL('../expectations.json', import.meta.url);

export function loadExpectations(): ExpectationFile {
  const { $comment: _c, ...file } = JSON.parse(readFileSync(EXPECTATIONS_URL, 'utf8')) as ExpectationFile & { $comment?: unknown };
  return file;
}

/**
 * The shared suite: every case against one target, each held to expectations.json.
 * `COMPAT_RECORD=<file>` runs every case without expectations and writes the outcomes
 * (used to draft the file; the committed file is edited by hand, with reasons).
 */
export function describeTarget(name: string, start: () => Promise<Target>): void {
  const record = process.env.COMPAT_RECORD;
  const expectations = record ? {} : (loadExpectations()[name] ?? {});
  const outcomes: Record<string, string> = {};

  describe(`MQTT 3.1.1 behaviour on ${name}`, () => {
    let target: Target | undefined;
    beforeAll(async () => {
      target = await start();
    });
    afterAll(async () => {
      await target?.close();
      if (record) writeFileSync(record, JSON.stringify(outcomes, null, 2));
    });

    if (!record) {
      it('expectations.json lists every case for this target, and nothing else', () => {
        expect(Object.keys(expectations).sort()).toEqual(ALL_CASES.map((c) => c.id).sort());
      });
    }

    for (const c of ALL_CASES) {
      it(`${c.id}: ${c.title}`, async (ctx) => {
        if (!target) throw new Error('target did not start');
        if (record) {
          try {
            await withContext(target, c.id, (t) => c.run(t));
            outcomes[c.id] = 'pass';
          } catch (err) {
            outcomes[c.id] = `FAIL: ${(err as Error).message}`;
          }
          return;
        }
        const result = await runExpected(target, c, expectations[c.id]);
        if (result.outcome === 'differs') await ctx.annotate(`differs as expected: ${result.error?.message ?? ''}`);
      });
    }
  });
}

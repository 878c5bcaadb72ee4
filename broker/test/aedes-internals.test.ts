import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AEDES_CHECKED_VERSION } from '../src/aedes-internals.js';

// aedes-internals.ts reads fields aedes does not document: an aedes upgrade must re-check them.
describe('aedes internals', () => {
  it('were checked against the installed aedes version', () => {
    // aedes exports no ./package.json: find it next to its entry point.
    const entry = createRequire(join(import.meta.dirname, '../src/broker.ts')).resolve('aedes');
    const { version } = JSON.parse(readFileSync(join(dirname(entry), 'package.json'), 'utf8')) as { version: string };
    expect(version, 'aedes changed: re-read broker/src/aedes-internals.ts against its source, then bump AEDES_CHECKED_VERSION').toBe(AEDES_CHECKED_VERSION);
  });
});

/**
 * Writes docs/errors.md, the one table of every error code, from the catalog
 * (`ERROR_CODES` in contracts). Run with `pnpm docs:errors` after changing the catalog;
 * contracts/test/error-catalog.test.ts fails while the file is out of date.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '@pulsehub/contracts';

export const ERRORS_DOC = fileURLToPath(new URL('../docs/errors.md', import.meta.url));

/** The area of a code: its second segment (`PH_AUTH_TOKEN_MISSING` → `AUTH`). */
function areaOf(code: string): string {
  return code.split('_')[1] ?? code;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export function renderErrorsDoc(): string {
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from contracts/src/errors.ts by `pnpm docs:errors`: do not edit by hand. -->',
    '',
    'Every `PH_*` code PulseHub uses, from the one catalog (`ERROR_CODES` in',
    '`contracts/src/errors.ts`). Match on the code, never on the message text. Codes are stable:',
    'a retired code stays in the catalog and is never reused. The status is the HTTP status the',
    'code is answered with; codes never sent over HTTP (broker, gateway, dead-letter reasons)',
    'carry the status that classifies them the same way.',
    '',
    '| Code | Area | Status | Meaning |',
    '| --- | --- | --- | --- |',
  ];
  for (const [code, { status, message }] of Object.entries(ERROR_CODES)) {
    lines.push(`| \`${code}\` | ${areaOf(code).toLowerCase()} | ${status} | ${cell(message)} |`);
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(ERRORS_DOC, renderErrorsDoc());
  console.log(`wrote ${Object.keys(ERROR_CODES).length} codes to docs/errors.md`);
}

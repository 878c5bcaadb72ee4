import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// ---- package boundaries (issue 12, point 3) -------------------------------------------------
// Which of our packages each package may NOT import (src and test). A test that needs a whole
// hub starts it with @pulsehub/testkit, the one package besides cli's own tests that imports
// cli. The design: contracts is a leaf; physiology sees
// only contracts; web and ingest never import each other (web gets ingest's work passed in, as
// `replayDeadLetters`); nothing imports cli, the composition root. See each package's README.
const OURS = ['auth', 'broker', 'cli', 'contracts', 'gateway-ble', 'ingest', 'mosquitto-compat-tests', 'outbound', 'physiology', 'spool', 'store', 'testkit', 'web'];
const FORBIDDEN = {
  contracts: OURS,
  physiology: OURS.filter((p) => p !== 'contracts'),
  // the disk queue is a leaf beside contracts: the gateway (on a Pi) and outbound both use it.
  spool: OURS.filter((p) => p !== 'contracts'),
  web: ['ingest'],
  ingest: ['web', 'outbound'],
  // outbound sends what the store holds; it never reaches into the roles that serve devices or pages.
  outbound: ['web', 'ingest', 'broker'],
};
const PUBLIC_DOOR = { group: ['@pulsehub/*/src/*', '../../*/src/*'], message: 'Import other packages through their public index (@pulsehub/<name>).' };
// Test helpers (@pulsehub/testkit, a scratch database, raw SQL on a store) are for tests and
// bench/, never a role's code. testkit itself is test code: it may start a whole hub (cli).
const TEST_ONLY = { group: ['@pulsehub/store/testing', '@pulsehub/testkit', '@pulsehub/testkit/*'], message: 'Test helpers are imported only by tests and bench/.' };
const forbid = (names, why) => names.map((n) => ({ group: [`@pulsehub/${n}`, `@pulsehub/${n}/*`, `../../${n}/*`], message: why(n) }));
const boundaries = OURS.filter((p) => p !== 'cli').flatMap((pkg) => {
  const own = FORBIDDEN[pkg] ?? [];
  const why = (n) => `${pkg} may not import ${n} (package boundaries: eslint.config.js, ${pkg}/README.md).`;
  const rule = (extra, more = []) => ['error', { patterns: [PUBLIC_DOOR, ...more, ...forbid([...new Set([...own, ...extra])].filter((n) => n !== pkg), why)] }];
  return [
    { files: [`${pkg}/test/**/*.ts`], rules: { 'no-restricted-imports': rule(pkg === 'testkit' ? [] : ['cli']) } },
    { files: [`${pkg}/src/**/*.ts`], rules: { 'no-restricted-imports': pkg === 'testkit' ? rule([]) : rule(['cli'], pkg === 'store' ? [] : [TEST_ONLY]) } },
  ];
}).concat({ files: ['cli/src/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [PUBLIC_DOOR, TEST_ONLY] }] } });
// ---- end package boundaries ------------------------------------------------------------------

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'data/**', 'test-artifacts/**', 'bench/results/**', 'web/dist/**', '../shared/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-restricted-imports': ['error', { patterns: [{ group: ['@pulsehub/*/src/*', '../../*/src/*'], message: 'Import other packages through their public index (@pulsehub/<name>).' }] }],
    },
  },
  { files: ['web/public/**/*.js', 'web/src/pages/**/*.ts'], languageOptions: { globals: { ...globals.browser } } },
  { files: ['web/src/pages/public/**/sw.js'], languageOptions: { globals: { ...globals.serviceworker } } },
  // Type-aware rules: a promise is awaited, returned, handled, or marked `void` on purpose.
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  ...boundaries,
);

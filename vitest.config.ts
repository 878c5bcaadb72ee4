import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Our packages export their TypeScript under the `source` condition (as `--conditions=source`
  // does for node/tsx and `customConditions` for tsc); the rest are Vite's server defaults.
  ssr: { resolve: { conditions: ['source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The JSON report lets .ci/run print one plain closing line of counts.
    reporters: ['default', ['json', { outputFile: 'test-artifacts/vitest-report.json' }]],
  },
});

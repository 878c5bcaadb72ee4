import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

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
);

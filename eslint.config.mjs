import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const services = ['@hub/gateway', '@hub/router', '@hub/sms-adapter', '@hub/status-ingest', '@hub/scheduler'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/generated/**', '.cache/**', '.nx/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'max-lines': ['warn', { max: 400, skipBlankLines: true, skipComments: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // A service never imports another service; shared code never imports a service.
    // (Top-level scripts, tests and the benchmark compose services and may.)
    files: ['services/*/src/**', 'packages/*/src/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: services, message: 'A service never imports another service.' }] }],
    },
  },
);

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['node_modules/', 'artifacts/', 'cache/', 'types/', 'coverage/', '.veritrain/', 'bench-results/', 'scripts/ensure-*.cjs'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: path.dirname(fileURLToPath(import.meta.url)) },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // CLIs, scripts and benchmarks talk to a terminal.
    files: ['scripts/**', '**/cli.ts', '**/cli/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // node:test's describe/it return promises that the runner awaits.
    files: ['**/*.test.ts', 'test/**'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
);

// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      // Express tells error handlers by their four parameters, so an unused `_next` must stay.
      // Destructuring a field away to keep the rest (`const { secret: _s, ...rest } = x`) is how we omit one.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-console': 'error',
    },
  },
  {
    // Sinks are plugins: they may use the event types and shared helpers, never the receiver or pipeline.
    files: ['sinks/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/receiver/**', '**/src/pipeline/**', '**/src/app/**'],
              message: 'sinks/ must not import receiver, pipeline or app code',
            },
          ],
        },
      ],
    },
  },
  {
    // Providers are pure: no queue, no Redis, no HTTP server.
    files: ['src/providers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['bullmq', 'ioredis', 'express'],
          patterns: [
            { group: ['**/pipeline/**', '**/receiver/**'], message: 'providers are pure functions' },
          ],
        },
      ],
    },
  },
  {
    // Plain CommonJS files that mocha loads as they are.
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The dashboard's browser modules, served as they are (no build step).
    files: ['public/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
  },
  {
    files: ['src/main.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);

// The one lint config: TypeScript with type information (lib/, test/), plain rules for the
// JavaScript scripts. `npm run lint` runs it; it must stay clean.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'build/',
      'build-*/',
      'node_modules/',
      'prebuilds/',
      'test/.fixtures/',
      '.venv*/',
      '.gpu/',
      'reports/',
      '.stryker-tmp/',
    ],
  },
  js.configs.recommended,
  {
    files: ['lib/**/*.ts', 'test/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      // fit, evaluate, predict and save are async: a promise left floating loses its error.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unnecessary-condition': 'error',
      // A leading underscore marks a parameter an override or callback must accept but does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Messages write shapes as [${shape}]: an array's own formatting is what they want.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowArray: true }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read JSON that the code under test wrote and assert on its fields; declaring a type
      // for each would only restate what the assertions check.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['vitest.config.ts'],
    extends: [tseslint.configs.recommended],
  },
);

// ESLint (flat config): typescript-eslint's type-aware rules and React's hook rules. Import
// boundaries are checked by dependency-cruiser (.dependency-cruiser.cjs); `npm run lint` runs both.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist*/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bench/.scale-dist/**', 'bench/.startup-dist/**', 'e2e/.tmp/**', 'public/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A leading underscore marks a binding that is there on purpose (a rest-sibling omission, a
      // positional parameter an interface requires).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // The guide: no alert(); problems are said in the page.
      'no-alert': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    ignores: ['src/**/*.test.ts'],
    languageOptions: { globals: { ...globals.browser, ...globals.worker } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
    },
  },
  {
    files: ['**/*.test.ts', 'e2e/**/*.ts', 'bench/**/*.{ts,mjs}', 'tools/**/*.{ts,mjs}', '*.config.{ts,js}', 'scripts/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      // Playwright's fixtures must be destructured, even when a hook needs none of them (`async ({}, testInfo)`).
      'no-empty-pattern': ['error', { allowObjectPatternsAsParameters: true }],
      // Test doubles implement async interfaces with plain values, and tests spy on prototype methods
      // (IDBObjectStore.prototype.put) to call the original with the right `this`.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { ...globals.node } },
  },
);

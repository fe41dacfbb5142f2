// eslint over the TypeScript (typescript-eslint's type-checked recommended rules, each file checked
// against its nearest tsconfig: ., webview/ or test/unit/webview/) and the plain-JS build and e2e scripts.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // examples/ and the e2e workspace are sample projects the agents audit: their flaws are the point.
  globalIgnores(['dist/', 'node_modules/', 'examples/', 'test/e2e/workspace/', '.orchestration/', 'test-artifacts/']),
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
  {
    // Plain CommonJS run by node:test inside code-server; page.evaluate callbacks run in the browser.
    files: ['test/e2e/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ['**/*.ts', '**/*.mts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `async` on a function that implements a Promise-returning interface is deliberate: its throws become rejections.
      '@typescript-eslint/require-await': 'off',
      // A leading `_` marks a parameter an interface requires, or a key destructured out on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Abort paths reject with `signal.reason` (typed any or unknown), as the platform's own abortable APIs do.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
    },
  },
);

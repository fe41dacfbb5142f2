import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Unit and integration tiers run here; e2e runs in a real VS Code (test/e2e) under E2E=1.
// An .mts file: Vite loads it as the ES module it is (a .ts config in this CommonJS package makes
// Vite warn that it loads ESM through the deprecated CommonJS path).
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The accounting invariant, checked after every integration test on every run it wrote.
    setupFiles: ['test/integration/setup.ts'],
  },
});

import { defineConfig } from 'vitest/config';
import * as path from 'node:path';

// Unit and integration tiers run here; e2e runs in a real VS Code (test/e2e) under E2E=1.
export default defineConfig({
  root: path.resolve(__dirname, '..'),
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The accounting invariant, checked after every integration test on every run it wrote.
    setupFiles: ['test/integration/setup.ts'],
  },
});

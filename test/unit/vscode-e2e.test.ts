/**
 * Tier 3 inside `npm test`: with E2E=1 (as .ci/run sets it) installs the real-VS-Code toolchain
 * once (test/e2e/setup.sh, idempotent) and runs test/e2e/run-e2e.sh. Skipped otherwise.
 */
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.join(__dirname, '../..');
const env = { ...process.env, E2E_ROOT: process.env.E2E_ROOT ?? path.join(tmpdir(), 'vscode-e2e') };
const bash = (script: string) => spawnSync('bash', [path.join(repo, 'test/e2e', script)], { cwd: repo, env, stdio: 'inherit' }).status;

describe.skipIf(process.env.E2E !== '1')('end to end in a real VS Code (code-server + Chromium)', () => {
  it('installs the toolchain and passes test/e2e/orchestration.e2e.js', () => {
    expect(bash('setup.sh'), 'test/e2e/setup.sh failed').toBe(0);
    expect(bash('run-e2e.sh'), 'the e2e suite failed; see test-artifacts/e2e').toBe(0);
  }, 40 * 60_000);
});

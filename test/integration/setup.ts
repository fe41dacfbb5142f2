/**
 * Runs after every test: each run written in a workspace the test made must satisfy the
 * accounting invariant (totals = sum over agents, the planner included), whatever the test was about.
 */
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach } from 'vitest';
import { expectTotalsMatchAgentsIn, workspacesOfThisTest } from './harness';

// Runs that tests make are marked with a scratch machine secret (ledger/origin.ts), never the
// user's own; CLI processes the tests spawn inherit it, so their runs count as made here too.
process.env.XDG_STATE_HOME = mkdtempSync(path.join(os.tmpdir(), 'orch-state-'));

afterEach(() => {
  const workspaces = [...workspacesOfThisTest];
  workspacesOfThisTest.clear();
  for (const ws of workspaces) expectTotalsMatchAgentsIn(ws);
});

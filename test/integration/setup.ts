/**
 * Runs after every test: each run written in a workspace the test made must satisfy the
 * accounting invariant (totals = sum over agents, the planner included), whatever the test was about.
 */
import { afterEach } from 'vitest';
import { expectTotalsMatchAgentsIn, workspacesOfThisTest } from './harness';

afterEach(() => {
  const workspaces = [...workspacesOfThisTest];
  workspacesOfThisTest.clear();
  for (const ws of workspaces) expectTotalsMatchAgentsIn(ws);
});

/** A whole simulated supervisor run through the real engine: the planner picks the pattern, rounds of workers, the summary. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { endsWithSentinel } from '../../src/engine/files';
import type { LedgerSnapshot } from '../../src/engine/types';
import { makeWorkspace, orchestrator, readJson, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

it('in auto mode the simulated planner picks supervisor for stepwise work; it surveys, follows the leads and finishes', async () => {
  const ws = makeWorkspace();
  fake = await startFake(ws);
  const run = await orchestrator(fake).plan({ task: 'Investigate the shop for security issues step by step' });
  expect(run.plan.pattern).toBe('supervisor');
  const outcome = await run.execute();
  await run.ledger.close();
  expect(outcome.status).toBe('completed');
  const snap = readJson<LedgerSnapshot>(path.join(run.dir, 'ledger.json'));
  const rounds = snap.agents.filter((a) => a.role === 'supervisor');
  expect(rounds.map((a) => a.id)).toEqual(['sup-1', 'sup-2', 'sup-3']);
  expect(snap.groups?.map((g) => g.label)).toEqual(['Round 1', 'Round 2', 'Round 3']);
  // Round 2 followed leads: its workers are deeper (sonnet) reviews of scopes round 1 surveyed.
  const r1 = snap.agents.filter((a) => a.role === 'worker' && a.domain === 'r1');
  const r2 = snap.agents.filter((a) => a.role === 'worker' && a.domain === 'r2');
  expect(r1.every((a) => a.tier === 'haiku')).toBe(true);
  expect(r2.length).toBeGreaterThan(0);
  expect(r2.every((a) => a.tier === 'sonnet' && r1.some((s) => s.scope.join() === a.scope.join()))).toBe(true);
  for (const a of [...r1, ...r2, ...rounds]) {
    const text = readFileSync(path.join(run.dir, a.outputFile), 'utf8');
    expect(endsWithSentinel(text), a.outputFile).toBe(true);
  }
  const summary = readFileSync(path.join(run.dir, 'summary.md'), 'utf8');
  expect(summary.startsWith('> _Simulated output')).toBe(true);
  expect(summary).toContain('## Gaps\n\nNone: every agent completed.');
  expect(endsWithSentinel(summary)).toBe(true);
  expect(readFileSync(path.join(run.dir, 'plan.md'), 'utf8')).toContain('| [x] | r2: Round 2 | sup-2 | supervisor |');
});

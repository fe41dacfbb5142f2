/** A whole simulated supervisor run through the real engine and SDK: plan → rounds of workers → summary. */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { endsWithSentinel } from '../../src/engine/files';
import type { LedgerSnapshot } from '../../src/engine/types';
import { makeWorkspace, orchestrator, readJson, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

it('a simulated supervisor surveys, follows the leads, and finishes with a summary', async () => {
  const ws = makeWorkspace();
  fake = await startFake(ws);
  const run = await orchestrator(fake).plan({ task: 'Investigate the shop for security issues step by step' });
  expect(run.plan.pattern).toBe('supervisor');
  const outcome = await run.execute();
  await run.ledger.close();
  const snap = readJson<LedgerSnapshot>(path.join(run.dir, 'ledger.json'));
  console.log(snap.agents.map((a) => `${a.id} ${a.role} ${a.domain} ${a.status} ${a.returned}`).join('\n'));
  console.log(readFileSync(path.join(run.dir, 'summary.md'), 'utf8'));
  expect(outcome.status).toBe('completed');
  expect(existsSync(path.join(run.dir, 'supervisor/conversation.json'))).toBe(true);
  expect(endsWithSentinel(readFileSync(path.join(run.dir, 'summary.md'), 'utf8'))).toBe(true);
});

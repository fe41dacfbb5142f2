import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerSnapshot } from '../../src/engine/types';
import { makeWorkspace, orchestrator, planReply, readJson, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

describe('a declined plan', () => {
  it('is recorded as finished, and no mode of execute runs it or changes its status', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
    const orch = orchestrator(fake);
    const planned = await orch.plan({ task: 'Audit the shop for security issues' });
    planned.ledger.setRunStatus('declined', 'the plan was declined at approval; nothing ran');
    await planned.ledger.close();
    const requests = fake.log.length;

    const run = await orch.open(planned.id);
    for (const mode of ['fresh', 'resume', 'retry-failed'] as const) {
      await expect(run.execute({ mode })).rejects.toThrow(/was declined at approval/);
    }
    await run.ledger.close();
    expect(fake.log.length).toBe(requests);
    const snap = readJson<LedgerSnapshot>(path.join(run.dir, 'ledger.json'));
    expect(snap.status).toBe('declined');
    expect(snap.endedAt).not.toBeNull();
    expect(snap.pid).toBeNull();
    expect(snap.agents.filter((a) => a.role !== 'planner').every((a) => a.status === 'pending')).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { runProgress } from '../../src/engine/ledger/progress';
import type { AgentStatus } from '../../src/engine/types';

const agent = (id: string, status: AgentStatus) => ({ id, status });

describe('runProgress', () => {
  it('counts the plan, not the planner: a plan of 16 + 5 + 1 is n/22', () => {
    const agents = [agent('planner', 'completed'),
      ...Array.from({ length: 16 }, (_, i) => agent(`w${i}`, 'completed')),
      ...Array.from({ length: 5 }, (_, i) => agent(`c${i}`, 'completed')), agent('summary', 'running')];
    const p = runProgress(agents);
    expect(p.total).toBe(22);
    expect(p.done).toBe(21);
    expect(p.active).toBe(1);
  });
  it('never counts failed, cancelled or skipped agents as done, but as settled', () => {
    const p = runProgress([agent('a1', 'completed'), agent('a2', 'failed'), agent('a3', 'cancelled'), agent('a4', 'skipped'),
      agent('a5', 'queued'), agent('a6', 'retrying'), agent('a7', 'verifying')]);
    expect(p).toMatchObject({ done: 1, total: 7, settled: 4, failed: 1, cancelled: 1, skipped: 1, waiting: 2, active: 1 });
    expect(p.byStatus.retrying).toBe(1);
  });
  it('is 0/0 for a run still planning', () => {
    expect(runProgress([agent('planner', 'running')])).toMatchObject({ done: 0, total: 0 });
  });
});

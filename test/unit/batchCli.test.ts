import { describe, expect, it } from 'vitest';
import { parseCli, UsageError } from '../../src/cli/args';
import { batchLines } from '../../src/cli/report';
import { emptyTotals } from '../../src/engine';
import type { LedgerSnapshot } from '../../src/engine/types';

describe('--batch and --no-batch', () => {
  it('set batch mode for run and resume, and leave it unset without either', () => {
    expect(parseCli(['run', 'Rate files', '--batch']).overrides).toMatchObject({ batch: 'auto' });
    expect(parseCli(['resume', '20260101-000000-abcd', '--no-batch']).overrides).toMatchObject({ batch: 'off' });
    expect(parseCli(['run', 'Rate files']).overrides).not.toHaveProperty('batch');
  });

  it('refuses both at once, naming them', () => {
    expect(() => parseCli(['run', 'Rate files', '--batch', '--no-batch'])).toThrow(UsageError);
    expect(() => parseCli(['run', 'Rate files', '--batch', '--no-batch'])).toThrow(/--batch and --no-batch/);
  });
});

describe('orchestrate status: batches', () => {
  const snap = (batches: LedgerSnapshot['batches']): LedgerSnapshot => ({
    version: 1, runId: 'r', task: 't', workspace: '/w', simulated: false, status: 'running', reason: null,
    createdAt: '', updatedAt: '', startedAt: null, endedAt: null, pid: null, estimate: null, gaps: [], agents: [], totals: emptyTotals(),
    ...(batches ? { batches } : {}),
  });

  it('prints nothing for a run without batches', () => {
    expect(batchLines(snap(undefined))).toEqual([]);
  });

  it('prints each batch with its non-zero counts and the faults it met', () => {
    const lines = batchLines(snap([{
      id: 'msgbatch_01', submittedAt: '', status: 'collected', notes: ['cancelled outside this run'],
      requests: [{ customId: 'm1__1', agentId: 'm1' }, { customId: 'm2__1', agentId: 'm2' }],
      counts: { processing: 0, succeeded: 1, errored: 0, canceled: 1, expired: 0 },
    }]));
    expect(lines).toEqual(['', 'Batches:', '  msgbatch_01  collected   2 requests: 1 succeeded, 1 canceled', '    cancelled outside this run']);
  });
});

import { describe, expect, it } from 'vitest';
import { emptyTotals } from '../../src/engine';
import type { AgentStatus, LedgerSnapshot } from '../../src/engine/types';
import { agentGist } from '../../src/cli/runList';
import { cutWords, progressLine, statusLine } from '../../src/cli/report';

/** A plan of 16 workers, 5 coordinators and a final, after its planner. */
function agents(status: (i: number) => AgentStatus): Array<{ id: string; status: AgentStatus }> {
  return [{ id: 'planner', status: 'completed' }, ...Array.from({ length: 22 }, (_, i) => ({ id: `x${i}`, status: status(i) }))];
}

describe('the CLI\'s counts', () => {
  it('the progress line counts the plan without its planner, and failed agents apart from done', () => {
    const line = progressLine({ agents: agents((i) => (i < 20 ? 'completed' : i === 20 ? 'failed' : 'running')), totals: emptyTotals() }, 3000);
    expect(line).toMatch(/^\[3s\] 20\/22 done · 1 running · 1 failed · /);
    expect(progressLine({ agents: agents(() => 'completed'), totals: emptyTotals() }, 0)).toMatch(/ 22\/22 done · 0 running · 0 failed · /);
  });

  it('a list line reads n/22 for a plan of 16 + 5 + 1, never 23/23 with the planner', () => {
    const snap = { runId: '20260101-000000-abcd', status: 'partial', totals: emptyTotals(), simulated: true, task: 'Audit\nthis repo', agents: agents((i) => (i === 3 ? 'failed' : 'completed')) } as unknown as LedgerSnapshot;
    expect(statusLine(snap)).toMatch(/^20260101-000000-abcd {2}partial\s+21\/22\s+1 failed\s+would cost \$0\.0000\s+Audit this repo$/);
  });
});

describe('one line an agent', () => {
  it('flattens a multi-line return and leaves out the simulated label and headings', () => {
    expect(agentGist({ error: null, returned: 'Domain a (src/api) — top actions:\n1. [critical] `a.js` line 6: SQL\n2. [medium] TODO' }))
      .toBe('Domain a (src/api) — top actions: 1. [critical] `a.js` line 6: SQL 2. [medium] TODO');
    expect(agentGist({ error: null, returned: '> _Simulated output — no model was called._ For “Audit”, 5 domain coordinators reported 7 actionable items.' }))
      .toBe('For “Audit”, 5 domain coordinators reported 7 actionable items.');
    expect(agentGist({ error: null, returned: '> _Simulated output — no model was called._\n\n# Summary\n\nFor “Audit”, 1 item.' })).toBe('For “Audit”, 1 item.');
    expect(agentGist({ error: 'timed out after 300 s', returned: 'Done.' })).toBe('timed out after 300 s');
  });

  it('cuts to the width on a word boundary', () => {
    expect(cutWords('query built from interpolated values', 20)).toBe('query built from…');
    expect(cutWords('short', 20)).toBe('short');
  });
});

/** Ledger snapshots of the non-fan-out patterns, shaped like the engine's compile() output. */
import type { AgentRecord, LedgerSnapshot } from '../../../src/engine';
import { agent, snapshot } from './fixtures';

const pending = { status: 'pending' as const, startedAt: null, endedAt: null, returned: null, usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, costUsd: 0 };

export function planner(over: Partial<AgentRecord> = {}): AgentRecord {
  return agent({ id: 'planner', role: 'planner', domain: null, tier: 'sonnet', task: 'Plan the run', outputFile: 'plan.md', usage: { input: 1800, output: 300, cacheRead: 0, cacheWrite: 0 }, costUsd: 0.0099, returned: null, ...over });
}

/** research → outline → draft → review, the draft failed, review skipped. */
export function pipelineSnapshot(): LedgerSnapshot {
  const stage = (id: string, over: Partial<AgentRecord> = {}) => agent({ id, role: 'stage', domain: id, tier: 'sonnet', task: `Do the ${id}`, outputFile: `stages/${id}.md`, ...over });
  return snapshot({
    pattern: 'pipeline',
    patternReason: 'Each step needs the previous one.',
    groups: [{ id: 'research', label: 'Research' }, { id: 'outline', label: 'Outline' }, { id: 'draft', label: 'Draft' }, { id: 'review', label: 'Review' }],
    status: 'partial',
    agents: [
      planner(),
      stage('research'),
      stage('outline'),
      stage('draft', { status: 'failed', error: 'the handoff has no Summary' }),
      stage('review', { ...pending, status: 'skipped', error: 'skipped: draft did not complete' }),
      agent({ id: 'final', role: 'final', domain: null, tier: 'sonnet', outputFile: 'summary.md', ...pending, status: 'skipped' }),
    ],
  });
}

/** `mappers` mappers in group `map`, two reduce levels, the final. */
export function mapReduceSnapshot(mappers: number): LedgerSnapshot {
  const agents: AgentRecord[] = [planner()];
  for (let i = 1; i <= mappers; i++) {
    agents.push(agent({ id: `m${i}`, role: 'mapper', domain: 'map', task: `Answer for file ${i}`, outputFile: `mappers/m${i}.md`, ...(i > mappers - 10 ? pending : {}) }));
  }
  for (let i = 1; i <= 16; i++) agents.push(agent({ id: `r1-${i}`, role: 'reducer', domain: 'reduce-1', outputFile: `reducers/r1-${i}.md`, ...pending }));
  agents.push(agent({ id: 'r2-1', role: 'reducer', domain: 'reduce-2', outputFile: 'reducers/r2-1.md', ...pending }));
  agents.push(agent({ id: 'final', role: 'final', domain: null, outputFile: 'summary.md', ...pending }));
  return snapshot({
    pattern: 'map-reduce', patternReason: 'One question over many files.',
    groups: [{ id: 'map', label: `Map: ${mappers} partitions` }, { id: 'reduce-1', label: 'Reduce level 1: 16 reducers' }, { id: 'reduce-2', label: 'Reduce level 2: 1 reducer' }],
    agents,
  });
}

export function supervisorSnapshot(): LedgerSnapshot {
  return snapshot({
    pattern: 'supervisor', patternReason: 'What to look at next depends on what is found.',
    groups: [{ id: 'r1', label: 'Round 1' }, { id: 'r2', label: 'Round 2' }],
    agents: [
      planner(),
      agent({ id: 'sup-1', role: 'supervisor', domain: 'r1', outputFile: 'supervisor/round-1.md' }),
      agent({ id: 'w1', role: 'worker', domain: 'r1', outputFile: 'workers/w1.md' }),
      agent({ id: 'w2', role: 'worker', domain: 'r1', outputFile: 'workers/w2.md', status: 'running', endedAt: null }),
      agent({ id: 'sup-2', role: 'supervisor', domain: 'r2', outputFile: 'supervisor/round-2.md', ...pending }),
    ],
  });
}

export function panelSnapshot(): LedgerSnapshot {
  return snapshot({
    pattern: 'panel', patternReason: 'A question of judgment.', status: 'completed',
    groups: [{ id: 'experts', label: 'Experts (3)' }],
    agents: [
      planner(),
      agent({ id: 'e1', role: 'expert', domain: 'experts', outputFile: 'experts/e1.md' }),
      agent({ id: 'e2', role: 'expert', domain: 'experts', outputFile: 'experts/e2.md' }),
      agent({ id: 'e3', role: 'expert', domain: 'experts', outputFile: 'experts/e3.md', status: 'failed' }),
      agent({ id: 'consensus', role: 'consensus', domain: null, outputFile: 'summary.md' }),
    ],
  });
}

/** What the panel's engine writes to panel/tally.json (its Tally type). */
export const tallyJson = {
  question: 'Adopt strict TypeScript?', planned: 3, answered: 2, quorum: 2, quorumMet: true,
  counts: { yes: 1, conditional: 1, no: 0 }, shares: { yes: 0.5, conditional: 0.5, no: 0 }, meanConfidence: { yes: 0.8, conditional: 0.6, no: null },
  majority: null, agreement: 0, unanimous: false, dissenters: [{ id: 'e2', perspective: 'Ops', verdict: 'conditional' }],
  gaps: [{ id: 'e3', perspective: 'Security', reason: 'failed' }],
  experts: [
    { id: 'e1', perspective: 'Types', file: 'experts/e1.md', verdict: { verdict: 'yes', confidence: 0.8, concerns: ['migration cost'] }, gap: null },
    { id: 'e2', perspective: 'Ops', file: 'experts/e2.md', verdict: { verdict: 'conditional', confidence: 0.6, concerns: [] }, gap: null },
    { id: 'e3', perspective: 'Security', file: 'experts/e3.md', verdict: null, gap: 'failed' },
  ],
  line: 'answered 2 of 3; quorum 2 met; split: 1 yes, 1 conditional; gap: e3',
};

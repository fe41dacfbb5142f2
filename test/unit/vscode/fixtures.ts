/** Hand-built ledger fixtures for the glue's unit tests (no engine run needed). */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AGENT_STATUSES, type AgentRecord, type AgentStatus, type LedgerSnapshot, type Plan } from '../../../src/engine';

export const NOW = Date.parse('2025-06-01T12:00:00.000Z');
const iso = (msBeforeNow: number) => new Date(NOW - msBeforeNow).toISOString();

export function agent(over: Partial<AgentRecord> = {}): AgentRecord {
  return {
    id: 'a1', role: 'worker', domain: 'a', tier: 'haiku', task: 'Find every HTTP handler in src/server and list its routes',
    scope: ['src/server'], dependsOn: [], modelRequested: 'claude-haiku-5-5', modelReported: 'claude-haiku-5-5',
    status: 'completed', attempts: 1, queuedAt: iso(20_000), startedAt: iso(20_000), endedAt: iso(8_000),
    usage: { input: 2500, output: 600, cacheRead: 40, cacheWrite: 0 }, costUsd: 0.0043, requests: 3, toolCalls: 5,
    outputFile: 'workers/a1.md', returned: 'Done. Found 12 routes.', returnTokens: 8, error: null,
    ...over,
  };
}

export function snapshot(over: Partial<LedgerSnapshot> = {}): LedgerSnapshot {
  const agents = over.agents ?? [
    agent(),
    agent({ id: 'a2', status: 'running', endedAt: null, task: 'Review the auth middleware', tier: 'sonnet', modelRequested: 'claude-sonnet-5-5', outputFile: 'workers/a2.md', returned: null }),
    agent({ id: 'coord-a', role: 'coordinator', tier: 'sonnet', status: 'pending', startedAt: null, endedAt: null, outputFile: 'synthesis/a.md', returned: null }),
    agent({ id: 'b1', domain: 'b', status: 'failed', error: 'Output file did not end with the sentinel', outputFile: 'workers/b1.md', returned: null }),
    agent({ id: 'coord-b', role: 'coordinator', domain: 'b', tier: 'sonnet', status: 'completed', outputFile: 'synthesis/b.md', returned: '1. **Fix** the `token` check in [auth](workers/b1.md)' }),
    agent({ id: 'final', role: 'final', domain: null, tier: 'sonnet', status: 'pending', startedAt: null, endedAt: null, outputFile: 'summary.md', returned: null }),
  ];
  const byStatus = Object.fromEntries(AGENT_STATUSES.map((s) => [s, agents.filter((a) => a.status === s).length])) as Record<AgentStatus, number>;
  return {
    version: 1, runId: '20250601-115500-ab12', task: 'Audit this repo for security issues', workspace: '/ws', simulated: true,
    status: 'running', reason: null, createdAt: iso(300_000), updatedAt: iso(1_000), startedAt: iso(60_000), endedAt: null,
    pid: 1234, estimate: { tokensLow: 50_000, tokensHigh: 150_000, costLowUsd: 0.2, costHighUsd: 0.9 }, gaps: [],
    agents,
    totals: {
      agentsByStatus: byStatus, usage: { input: 10_000, output: 2_000, cacheRead: 500, cacheWrite: 100 }, costUsd: 0.42,
      costByModel: { 'claude-haiku-5-5': 0.02, 'claude-sonnet-5-5': 0.4 }, requests: 12, toolCalls: 30,
      parentContextTokens: 1_900, flatBaselineTokens: 140_000, wallMs: 60_000,
    },
    ...over,
  };
}

export const plan: Plan = {
  pattern: 'fan-out', reason: '', focus: [],
  task: 'Audit this repo for security issues',
  summary: 'Two domains: **server** and auth.',
  domains: [
    { id: 'a', name: 'HTTP surface', brief: 'Every route and what guards it', workers: [
      { id: 'a1', task: 'Find every HTTP handler in src/server and list its routes', scope: ['src/server'], tier: 'haiku' },
      { id: 'a2', task: 'Review the auth middleware', scope: ['src/auth'], tier: 'sonnet' },
    ] },
    { id: 'b', name: 'Secrets', brief: 'Where secrets are read and logged', workers: [
      { id: 'b1', task: 'Find secret reads', scope: ['src'], tier: 'haiku' },
    ] },
  ],
};

/** A live-run double: a ledger that hands out snapshots and lets the test fire events. */
export function fakeRun(s: LedgerSnapshot, dir = '/ws/.orchestration/' + s.runId) {
  const listeners = new Set<(e: unknown) => void>();
  let current = s;
  return {
    id: s.runId, dir, plan: { ...plan, task: s.task, pattern: s.pattern ?? 'fan-out' },
    ledger: {
      snapshot: () => structuredClone(current),
      get: (id: string) => current.agents.find((a) => a.id === id),
      get status() { return current.status; },
      get simulated() { return current.simulated; },
      get groups() { return current.groups ?? []; },
      onDidChange: (l: (e: unknown) => void) => { listeners.add(l); return { dispose: () => listeners.delete(l) }; },
    },
    /** Replaces the state and fires one agent event. */
    update(next: LedgerSnapshot) {
      current = next;
      for (const l of listeners) l({ seq: 1, t: new Date(NOW).toISOString(), type: 'agent', id: 'a1', status: 'running' });
    },
    listenerCount: () => listeners.size,
  };
}

/**
 * A workspace on disk holding the folder of `snapshot()`'s run, with `workers/a1.md` written as
 * given; the caller removes `ws` when done.
 */
export function tempRunFolder(prefix: string, a1Text: string): { ws: string; runId: string; runDir: string } {
  const ws = mkdtempSync(path.join(tmpdir(), prefix));
  const runId = snapshot().runId;
  const runDir = path.join(ws, '.orchestration', runId);
  mkdirSync(path.join(runDir, 'workers'), { recursive: true });
  writeFileSync(path.join(runDir, 'workers', 'a1.md'), a1Text);
  return { ws, runId, runDir };
}

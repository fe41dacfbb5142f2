/**
 * Batch mode for fan-out: workers whose scope is a few files, and every coordinator once its
 * workers have settled, go through the emulated Message Batches endpoints (real SDK over HTTP);
 * a worker scoped to a folder stays on the realtime path with its tools.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { costOf } from '../../src/engine/config';
import { endsWithSentinel } from '../../src/engine/files';
import { roleOf } from '../../src/simulator/conversation';
import type { Reply } from '../../src/simulator/types';
import type { LedgerSnapshot } from '../../src/engine/types';
import { agentOfCustomId } from './batchHarness';
import { agentOf, makeWorkspace, orchestrator, startFake, testConfig } from './harness';

const BATCH = { batch: 'auto', batchPollMs: 5, batchPollMaxMs: 20, batchGatherMs: 30, domains: { min: 1, max: 5 }, workersPerDomain: { min: 1, max: 8 } } as const;

/** Two domains over the demo shop: a1, a2, b1 name files (packable), b2 a folder (explores with tools). */
const planCall: Reply = {
  kind: 'message',
  content: [{
    type: 'tool_use', name: 'plan_fan_out',
    input: {
      summary: 'batch test plan',
      domains: [
        { id: 'a', name: 'API', brief: 'The HTTP API.', workers: [
          { id: 'a1', task: 'Review input handling in the server', scope: ['src/api/server.js'], tier: 'haiku' },
          { id: 'a2', task: 'Review the order endpoints', scope: ['src/api/orders.js', 'src/utils/format.js'], tier: 'sonnet' },
        ] },
        { id: 'b', name: 'Auth', brief: 'Sessions and passwords.', workers: [
          { id: 'b1', task: 'Review password hashing', scope: ['src/auth/passwords.js'], tier: 'sonnet' },
          { id: 'b2', task: 'Review everything under src/auth', scope: ['src/auth'], tier: 'haiku' },
        ] },
      ],
    },
  }],
};

const BATCHED = ['a1', 'a2', 'b1', 'coord-a', 'coord-b'];

describe('fan-out in batch mode', () => {
  it('batches the small-scope workers and the coordinators, keeps the folder-scoped worker realtime, prices the batched at half, and finishes every file', async () => {
    const fake = await startFake(makeWorkspace(), (req) => (roleOf(req) === 'planner' ? planCall : undefined), { keepRequests: true });
    try {
      const run = await orchestrator(fake, BATCH).plan({ task: 'Audit the shop for security issues', pattern: 'fan-out' });
      const planned = run.ledger.snapshot();
      expect(planned.agents.filter((a) => a.batch).map((a) => a.id).sort()).toEqual(BATCHED);
      expect(readFileSync(path.join(run.dir, 'plan.md'), 'utf8')).toContain('(batch)');
      const realtime = await orchestrator(fake, { ...BATCH, batch: 'off' }).plan({ task: 'Audit the shop for security issues', pattern: 'fan-out' });
      expect(realtime.ledger.snapshot().agents.some((a) => a.batch)).toBe(false);
      expect(run.estimate!.costHighUsd).toBeLessThan(realtime.estimate!.costHighUsd);
      expect(run.estimate!.costLowUsd).toBeLessThan(realtime.estimate!.costLowUsd);

      const outcome = await run.execute();
      expect(outcome.status).toBe('completed');
      const snap: LedgerSnapshot = run.ledger.snapshot();
      for (const a of snap.agents.filter((x) => x.role !== 'planner')) {
        expect(a.status, a.id).toBe('completed');
        expect(endsWithSentinel(readFileSync(path.join(run.dir, a.outputFile), 'utf8')), a.outputFile).toBe(true);
      }
      // Workers in one batch, each coordinator once its workers settled: every batched agent once.
      const submitted = fake.server.batches.created().flatMap((b) => b.customIds).map(agentOfCustomId).sort();
      expect(submitted).toEqual(BATCHED);
      expect(snap.batches!.every((b) => b.status === 'collected')).toBe(true);
      const firstBatch = fake.server.batches.created()[0].customIds.map(agentOfCustomId).sort();
      expect(firstBatch).toEqual(['a1', 'a2', 'b1']);

      // The folder-scoped worker explored with its tools on the realtime path; no batched agent did.
      const realtimeAgents = new Set(fake.server.stats.requests.filter((r) => r.outcome !== 'batch' && r.request).map((r) => agentOf(r.request!)));
      expect(realtimeAgents.has('b2')).toBe(true);
      for (const id of BATCHED) expect(realtimeAgents.has(id), id).toBe(false);
      expect(snap.agents.find((a) => a.id === 'b2')!.toolCalls).toBeGreaterThan(0);

      // A batched worker's report is its files' findings, its return one Done. sentence; a
      // batched coordinator's synthesis has its sections and names its workers.
      const a2 = snap.agents.find((a) => a.id === 'a2')!;
      expect(a2.returned).toMatch(/^Done\. /);
      const report = readFileSync(path.join(run.dir, a2.outputFile), 'utf8');
      expect(report).toContain('src/api/orders.js');
      expect(report).toContain('## Findings');
      const synth = readFileSync(path.join(run.dir, 'synthesis/a.md'), 'utf8');
      for (const heading of ['## Summary', '## Failed workers', '## Top findings', '## Per-worker details']) expect(synth).toContain(heading);
      expect(synth).toContain('### a1 — completed');
      expect(synth).not.toContain('<!-- RETURN -->');
      expect(snap.agents.find((a) => a.id === 'coord-a')!.returned).toContain('top actions');

      const config = testConfig();
      for (const a of snap.agents.filter((x) => x.batch)) {
        expect(a.costUsd, a.id).toBeCloseTo(costOf(config.prices, a.modelReported!, a.usage)! / 2, 10);
      }
      const b2 = snap.agents.find((a) => a.id === 'b2')!;
      expect(b2.costUsd).toBeCloseTo(costOf(config.prices, b2.modelReported!, b2.usage)!, 10);
      await run.ledger.close();
    } finally {
      await fake.close();
    }
  });

  it('runs a fan-out plan all on the realtime path when batch mode is off', async () => {
    const fake = await startFake(makeWorkspace(), (req) => (roleOf(req) === 'planner' ? planCall : undefined));
    try {
      const run = await orchestrator(fake, { ...BATCH, batch: 'off' }).plan({ task: 'Audit the shop for security issues', pattern: 'fan-out' });
      const outcome = await run.execute();
      await run.ledger.close();
      expect(outcome.status).toBe('completed');
      expect(fake.server.batches.created()).toHaveLength(0);
      expect(run.ledger.snapshot().agents.filter((a) => a.role === 'worker').every((a) => a.toolCalls > 0)).toBe(true);
    } finally {
      await fake.close();
    }
  });
});

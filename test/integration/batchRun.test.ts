/**
 * Batch mode end to end: a map-reduce run whose mappers and reducers go through the emulated
 * Message Batches endpoints, through the real SDK over HTTP, with each fault the issue names.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { costOf } from '../../src/engine/config';
import { endsWithSentinel } from '../../src/engine/files';
import type { Run } from '../../src/engine/execution/run';
import type { BatchEmulation } from '../../src/simulator/batches';
import type { Reply } from '../../src/simulator/types';
import { roleOf } from '../../src/simulator/conversation';
import type { BatchRecord, LedgerSnapshot } from '../../src/engine/types';
import { BATCH_FILES, agentOfCustomId, batchPlanCall, batchWorkspace } from './batchHarness';
import { makeWorkspace, orchestrator, startFake, testConfig, type Fake } from './harness';

const FILES = BATCH_FILES;
const workspace = batchWorkspace;
const planCall = batchPlanCall;

/** Fast polling so a test waits on the emulated schedule, not on the defaults' seconds. */
const BATCH = { batch: 'auto', batchPollMs: 5, batchPollMaxMs: 20, batchGatherMs: 30 } as const;

async function batchedFake(batches: BatchEmulation = {}): Promise<Fake> {
  return startFake(workspace(), (req) => (roleOf(req) === 'planner' ? planCall : undefined), { batches });
}

async function planned(fake: Fake, over: Record<string, unknown> = {}): Promise<Run> {
  return orchestrator(fake, { ...BATCH, ...over }).plan({ task: 'Rate the comments in every .ts file', pattern: 'map-reduce' });
}

/** Resolves with the first batch record the ledger writes. */
function firstBatch(run: Run): Promise<BatchRecord> {
  return new Promise((resolve) => {
    const sub = run.ledger.onDidChange((e) => {
      if (e.type === 'ledger' && e.change.kind === 'batch') { sub.dispose(); resolve(e.change.batch); }
    });
  });
}

const batchedIds = (snap: LedgerSnapshot): string[] => snap.agents.filter((a) => a.role === 'mapper' || a.role === 'reducer').map((a) => a.id).sort();
const submittedIds = (fake: Fake): string[] => fake.server.batches.created().flatMap((b) => b.customIds);
const agentOfCustom = agentOfCustomId;

function expectAllDone(run: Run, snap: LedgerSnapshot): void {
  for (const a of snap.agents.filter((x) => x.role === 'mapper' || x.role === 'reducer')) {
    expect(a.status, a.id).toBe('completed');
    expect(endsWithSentinel(readFileSync(path.join(run.dir, a.outputFile), 'utf8'))).toBe(true);
  }
}

describe('batch mode through the emulated Message Batches API', () => {
  it('plans mappers and reducers into batches, prices them at half and records every batch id in the ledger and events.jsonl', async () => {
    const fake = await batchedFake();
    try {
      const run = await planned(fake);
      const plannedSnap = run.ledger.snapshot();
      expect(plannedSnap.agents.filter((a) => a.batch).map((a) => a.id).sort()).toEqual(batchedIds(plannedSnap));
      expect(plannedSnap.agents.find((a) => a.role === 'final')?.batch).toBeUndefined();
      expect(readFileSync(path.join(run.dir, 'plan.md'), 'utf8')).toContain('(batch)');
      const realtimePlan = await orchestrator(fake).plan({ task: 'Rate the comments in every .ts file', pattern: 'map-reduce' });
      expect(run.estimate!.costHighUsd).toBeLessThan(realtimePlan.estimate!.costHighUsd);

      const outcome = await run.execute();
      expect(outcome.status).toBe('completed');
      const snap = run.ledger.snapshot();
      expectAllDone(run, snap);
      // Mappers in one batch, then each reducer level in its own: every batched agent once, none realtime.
      expect(submittedIds(fake).map(agentOfCustom).sort()).toEqual(batchedIds(snap));
      expect(snap.batches!.map((b) => b.status)).toEqual(snap.batches!.map(() => 'collected'));
      expect(snap.batches![0].requests.length).toBe(FILES / 4);
      const events = readFileSync(path.join(run.dir, 'events.jsonl'), 'utf8');
      for (const b of snap.batches!) expect(events).toContain(`"id":"${b.id}"`);
      const config = testConfig();
      for (const a of snap.agents.filter((x) => x.batch)) {
        expect(a.costUsd).toBeCloseTo(costOf(config.prices, a.modelReported!, a.usage)! / 2, 10);
      }
      const fin = snap.agents.find((a) => a.role === 'final')!;
      expect(fin.costUsd).toBeCloseTo(costOf(config.prices, fin.modelReported!, fin.usage)!, 10);
    } finally {
      await fake.close();
    }
  });

  it('changes nothing for a run without batch mode: no batch endpoint is called and every request is realtime', async () => {
    const fake = await batchedFake();
    try {
      const run = await orchestrator(fake).plan({ task: 'Rate the comments in every .ts file', pattern: 'map-reduce' });
      expect(run.ledger.agents.some((a) => a.batch)).toBe(false);
      expect(readFileSync(path.join(run.dir, 'plan.md'), 'utf8')).not.toContain('(batch)');
      expect((await run.execute()).status).toBe('completed');
      const snap = run.ledger.snapshot();
      expect(fake.server.batches.created()).toEqual([]);
      expect(fake.server.stats.requests.some((r) => r.outcome === 'batch')).toBe(false);
      expect(snap.batches).toBeUndefined();
      expect(existsSync(path.join(run.dir, 'batches'))).toBe(false);
    } finally {
      await fake.close();
    }
  });

  it('sends the requests a batch left expired half done in a later batch, and loses none that finished', async () => {
    // Every other request of the first batch would take an hour; the batch expires after 200 ms.
    const fake = await batchedFake({ processingMs: (id, i) => (id.endsWith('__1') && i % 2 === 1 ? 3_600_000 : 0), expiresAfterMs: 200 });
    try {
      const run = await planned(fake);
      expect((await run.execute()).status).toBe('completed');
      const snap = run.ledger.snapshot();
      expectAllDone(run, snap);
      const first = snap.batches![0];
      const expired = Object.entries(first.outcomes!).filter(([, o]) => o === 'expired').map(([c]) => agentOfCustom(c));
      expect(expired.length).toBe(Math.floor(first.requests.length / 2));
      expect(first.notes.join('\n')).toMatch(/did not succeed \(\d+ expired\); sent again in a later batch/);
      // The expired ones went again in the next batch, the finished ones never did.
      expect(snap.batches![1].requests.map((r) => r.agentId).sort()).toEqual(expired.sort());
      const finished = Object.entries(first.outcomes!).filter(([, o]) => o === 'succeeded').map(([c]) => agentOfCustom(c));
      for (const id of finished) expect(submittedIds(fake).filter((c) => agentOfCustom(c) === id)).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('sends expired requests on the realtime path at full price when batchRetry is realtime', async () => {
    const fake = await batchedFake({ processingMs: (id) => (id === 'm1__1' ? 3_600_000 : 0), expiresAfterMs: 200 });
    try {
      const run = await planned(fake, { batchRetry: 'realtime' });
      expect((await run.execute()).status).toBe('completed');
      const snap = run.ledger.snapshot();
      expectAllDone(run, snap);
      const [lost] = Object.entries(snap.batches![0].outcomes!).filter(([, o]) => o === 'expired').map(([c]) => agentOfCustom(c));
      expect(submittedIds(fake).filter((c) => agentOfCustom(c) === lost)).toHaveLength(1);
      const a = snap.agents.find((x) => x.id === lost)!;
      expect(a.costUsd).toBeCloseTo(costOf(testConfig().prices, a.modelReported!, a.usage)!, 10);
    } finally {
      await fake.close();
    }
  });

  it('takes every complete line of a results file cut mid-line, names the cut, and sends only the rest again', async () => {
    const cut = new Set<string>();
    const fake = await batchedFake({ truncateResults: (id) => { if (cut.size === 0) cut.add(id); return cut.has(id); } });
    try {
      const run = await planned(fake);
      expect((await run.execute()).status).toBe('completed');
      const snap = run.ledger.snapshot();
      expectAllDone(run, snap);
      const first = snap.batches![0];
      expect(first.notes.some((n) => n.includes('ends mid-line'))).toBe(true);
      const missing = Object.entries(first.outcomes!).filter(([, o]) => o === 'missing').map(([c]) => agentOfCustom(c));
      expect(missing).toHaveLength(1);
      // The next batch holds it, with whichever reducers were ready by then.
      expect(snap.batches![1].requests.map((r) => r.agentId)).toContain(missing[0]);
      expect(submittedIds(fake).length).toBe(batchedIds(snap).length + 1);
    } finally {
      await fake.close();
    }
  });

  it('names a custom_id that matches no request and ignores it', async () => {
    const fake = await batchedFake({ strayCustomId: 'ghost__1' });
    try {
      const run = await planned(fake);
      expect((await run.execute()).status).toBe('completed');
      const snap = run.ledger.snapshot();
      expectAllDone(run, snap);
      expect(snap.batches![0].notes).toContain('custom_id "ghost__1" matches no request of the batch; ignored');
      expect(Object.keys(snap.batches![0].outcomes!)).not.toContain('ghost__1');
    } finally {
      await fake.close();
    }
  });

  it('retries a create refused with 429 and submits the batch once', async () => {
    const fake = await batchedFake({ rejectCreates: 2 });
    try {
      const run = await planned(fake);
      expect((await run.execute()).status).toBe('completed');
      const snap = run.ledger.snapshot();
      expectAllDone(run, snap);
      expect(fake.server.batches.rejectedCreates()).toBe(2);
      expect(submittedIds(fake).map(agentOfCustom).sort()).toEqual(batchedIds(snap));
      const events = readFileSync(path.join(run.dir, 'events.jsonl'), 'utf8');
      expect(events.match(/batch create refused \(429 rate_limit_error/g)).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });

  it('sends the requests on the realtime path when no batch can be created, and pays the realtime price for them', async () => {
    const fake = await batchedFake({ rejectCreates: 1_000 });
    try {
      const run = await planned(fake, { transientRetries: 1 });
      expect((await run.execute()).status).toBe('completed');
      const snap = run.ledger.snapshot();
      expectAllDone(run, snap);
      expect(fake.server.batches.created()).toEqual([]);
      expect(snap.batches ?? []).toEqual([]);
      const events = readFileSync(path.join(run.dir, 'events.jsonl'), 'utf8');
      expect(events).toMatch(/batch of 6 requests not created \(429 rate_limit_error[^"]*\); they go on the realtime path/);
      const m1 = snap.agents.find((a) => a.id === 'm1')!;
      expect(m1.costUsd).toBeCloseTo(costOf(testConfig().prices, m1.modelReported!, m1.usage)!, 10);
    } finally {
      await fake.close();
    }
  });

  it('sends again what a batch cancelled from outside left unfinished, and names the cancel', async () => {
    const fake = await batchedFake({ processingMs: (id) => (id === 'm1__1' ? 3_600_000 : 0) });
    try {
      const run = await planned(fake);
      const recorded = firstBatch(run);
      const done = run.execute();
      const b = await recorded;
      expect(fake.server.batches.cancel(b.id)).toBe(true);
      expect((await done).status).toBe('completed');
      const snap = run.ledger.snapshot();
      expectAllDone(run, snap);
      const first = snap.batches![0];
      expect(first.notes).toContain('cancelled outside this run');
      expect(Object.values(first.outcomes!).filter((o) => o === 'canceled')).toHaveLength(1);
      expect(snap.batches![1].requests.map((r) => r.agentId)).toContain('m1');
      expect(submittedIds(fake).filter((c) => agentOfCustom(c) === 'm1')).toEqual(['m1__1', 'm1__2']);
    } finally {
      await fake.close();
    }
  });

  it('sends again the requests of a batch the API no longer knows (404), and never leaves its agents waiting', async () => {
    const fake = await batchedFake({ processingMs: (id) => (/^m\d+__1$/.test(id) ? 3_600_000 : 0) });
    try {
      const run = await planned(fake);
      const recorded = firstBatch(run);
      const done = run.execute();
      const b = await recorded;
      expect(fake.server.batches.forget(b.id)).toBe(true);
      const outcome = await done;
      const snap = run.ledger.snapshot();
      const first = snap.batches!.find((x) => x.id === b.id)!;
      expect(first.status).toBe('collected');
      expect(first.notes.join('\n')).toMatch(/not found by the API \(.*\); its requests are sent again/);
      expect(Object.values(first.outcomes!)).toEqual(first.requests.map(() => 'missing'));
      expect(outcome.status).toBe('completed');
      expectAllDone(run, snap);
      // Sent once more in a later batch, never answered twice.
      expect(submittedIds(fake).filter((c) => agentOfCustom(c) === 'm1')).toEqual(['m1__1', 'm1__2']);
    } finally {
      await fake.close();
    }
  });

  it('Cancel Run cancels the open batch, records what had finished, and a resume takes those answers without paying again', async () => {
    // Mapper m1's first request would take an hour; the rest finish at once.
    const fake = await batchedFake({ processingMs: (id) => (id === 'm1__1' ? 3_600_000 : 0) });
    try {
      const run = await planned(fake);
      const recorded = firstBatch(run);
      const done = run.execute();
      const b = await recorded;
      run.cancel();
      expect((await done).status).toBe('cancelled');
      const snap = run.ledger.snapshot();
      const first = snap.batches![0];
      expect(first.id).toBe(b.id);
      expect(first.status).toBe('collected');
      expect(first.notes).toContain('cancelled by the user (Cancel Run)');
      const outcomes = Object.values(first.outcomes!);
      expect(outcomes.filter((o) => o === 'canceled')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'succeeded')).toHaveLength(first.requests.length - 1);
      const stored = readFileSync(path.join(run.dir, 'batches', `${b.id}.jsonl`), 'utf8').trim().split('\n');
      expect(stored).toHaveLength(first.requests.length - 1);
      // What finished is paid for, so it is in the ledger now, at the batch rate, even though no agent took it.
      const finishedIds = Object.entries(first.outcomes!).filter(([, o]) => o === 'succeeded').map(([c]) => agentOfCustom(c));
      const costs = new Map(finishedIds.map((id) => [id, snap.agents.find((a) => a.id === id)!.costUsd]));
      for (const id of finishedIds) {
        const a = snap.agents.find((x) => x.id === id)!;
        expect(a.status).toBe('cancelled');
        expect(a.costUsd).toBeGreaterThan(0);
        expect(a.costUsd).toBeCloseTo(costOf(testConfig().prices, a.modelReported!, a.usage)! / 2, 10);
      }

      const before = submittedIds(fake).length;
      const resumed = await orchestrator(fake, BATCH).open(run.id);
      expect((await resumed.execute({ mode: 'resume' })).status).toBe('completed');
      const after = resumed.ledger.snapshot();
      expectAllDone(resumed, after);
      // Only the cancelled mapper and the reducers went to a batch again.
      const again = submittedIds(fake).slice(before).map(agentOfCustom);
      const cancelledId = agentOfCustom(Object.entries(first.outcomes!).find(([, o]) => o === 'canceled')![0]);
      expect(again.filter((id) => after.agents.find((a) => a.id === id)?.role === 'mapper')).toEqual([cancelledId]);
      expect(existsSync(path.join(run.dir, 'batches'))).toBe(true);
      // The resume used those answers without counting them again.
      for (const [id, cost] of costs) expect(after.agents.find((a) => a.id === id)!.costUsd).toBe(cost);
    } finally {
      await fake.close();
    }
  });

  it('sends panel experts whose scope is a few files packed into one request to a batch, and keeps the others on tools', async () => {
    const panelPlan: Reply = {
      kind: 'message',
      content: [{ type: 'tool_use', name: 'plan_panel', input: {
        reason: 'opinions', question: 'Is the shop ready for production?',
        experts: [
          { id: 'e1', perspective: 'security reviewer', task: 'Judge the session and password code', scope: ['src/auth/session.js', 'src/auth/passwords.js'], tier: 'opus' },
          { id: 'e2', perspective: 'SRE', task: 'Judge the server', scope: ['src/api/server.js'], tier: 'sonnet' },
          { id: 'e3', perspective: 'maintainer', task: 'Judge the code base', scope: ['src'], tier: 'sonnet' },
        ],
      } }],
    };
    const fake = await startFake(makeWorkspace(), (req) => (roleOf(req) === 'planner' ? panelPlan : undefined));
    try {
      const run = await orchestrator(fake, BATCH).plan({ task: 'Is the shop ready for production?', pattern: 'panel' });
      expect(run.ledger.agents.filter((a) => a.batch).map((a) => a.id)).toEqual(['e1', 'e2']);
      expect((await run.execute()).status).toBe('completed');
      const snap = run.ledger.snapshot();
      expect(submittedIds(fake).map(agentOfCustom).sort()).toEqual(['e1', 'e2']);
      for (const id of ['e1', 'e2', 'e3']) {
        const a = snap.agents.find((x) => x.id === id)!;
        expect(a.status, id).toBe('completed');
        const text = readFileSync(path.join(run.dir, a.outputFile), 'utf8');
        expect(text).toContain('## Verdict');
        expect(endsWithSentinel(text)).toBe(true);
      }
      // The packed expert judged the files it was sent: the security reviewer read both auth files.
      expect(readFileSync(path.join(run.dir, 'experts/e1.md'), 'utf8')).toContain('`src/auth/passwords.js`');
      const e1 = snap.agents.find((a) => a.id === 'e1')!;
      expect(e1.toolCalls).toBe(0);
      expect(e1.costUsd).toBeCloseTo(costOf(testConfig().prices, e1.modelReported!, e1.usage)! / 2, 10);
      expect(snap.agents.find((a) => a.id === 'e3')!.toolCalls).toBeGreaterThan(0);
    } finally {
      await fake.close();
    }
  });
});

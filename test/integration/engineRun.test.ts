import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { endsWithSentinel } from '../../src/engine/files';
import { expectTotalsMatchAgents, forgetfulWorker, makeWorkspace, orchestrator, planReply, readJson, startFake, type Fake } from './harness';
import type { LedgerSnapshot } from '../../src/engine/types';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

/** Heavy-ish tail: most requests quick, some slow, deterministic per request index. */
const latency = (): number => { const r = Math.random(); return r < 0.8 ? 5 + r * 20 : 60 + r * 80; };

describe('a 30-worker run end to end', () => {
  it('completes under the caps, every file ends with the sentinel, the parent sees a fraction of the work', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(5, 6) : undefined), { latencyMs: latency });
    const orch = orchestrator(fake, { domains: { min: 3, max: 5 }, workersPerDomain: { min: 3, max: 8 } });
    const run = await orch.plan({ task: 'Audit the shop for security issues' });
    const t0 = Date.now();
    const outcome = await run.execute();
    const wallMs = Date.now() - t0;
    await run.ledger.close();

    expect(outcome.status).toBe('completed');
    expect(outcome.gaps).toEqual([]);
    const snap = readJson<LedgerSnapshot>(path.join(run.dir, 'ledger.json'));
    expect(snap.agents.filter((a) => a.role === 'worker')).toHaveLength(30);
    expect(snap.agents.every((a) => a.status === 'completed')).toBe(true);
    for (const dir of ['workers', 'synthesis']) {
      for (const f of readdirSync(path.join(run.dir, dir))) {
        expect(endsWithSentinel(readFileSync(path.join(run.dir, dir, f), 'utf8')), `${dir}/${f}`).toBe(true);
      }
    }
    expect(endsWithSentinel(readFileSync(path.join(run.dir, 'summary.md'), 'utf8'))).toBe(true);
    expect(readFileSync(path.join(run.dir, 'plan.md'), 'utf8').match(/\[x\]/g)).toHaveLength(36);

    // Caps: 8 overall, and per tier (one model per tier here) 12/8/4.
    const s = fake.server.stats;
    expect(s.maxInFlight).toBeLessThanOrEqual(8);
    expect(s.maxInFlightByModel['claude-opus-5-5'] ?? 0).toBeLessThanOrEqual(4);
    expect(s.maxInFlightByModel['claude-sonnet-5-5'] ?? 0).toBeLessThanOrEqual(8);
    expect(s.maxInFlight).toBeGreaterThanOrEqual(6); // it really ran in parallel

    // Accounting from the API's usage: the planner is an agent, and the totals are the sum over agents.
    const t = snap.totals;
    expect(snap.agents.find((a) => a.role === 'planner')).toMatchObject({ status: 'completed', requests: 1 });
    expect(snap.agents.find((a) => a.role === 'planner')!.usage.input).toBeGreaterThan(0);
    expectTotalsMatchAgents(snap);
    expect(t.usage.cacheRead).toBeGreaterThan(0);
    expect(t.costUsd).toBeGreaterThan(0);
    expect(snap.agents.every((a) => a.modelReported === a.modelRequested)).toBe(true);
    // The parent (final synthesis) saw only the plan and the coordinator returns.
    expect(t.parentContextTokens).toBeGreaterThan(0);
    expect(t.parentContextTokens).toBeLessThan(t.flatBaselineTokens);
    const coordReturns = snap.agents.filter((a) => a.role === 'coordinator').map((a) => a.returned!.split(/\s+/).length);
    expect(Math.max(...coordReturns)).toBeLessThanOrEqual(301);
    expect(snap.agents.filter((a) => a.role === 'worker').every((a) => a.returned!.length <= 200)).toBe(true);

    console.log(`[30-worker run] wall ${wallMs} ms; parent context ${t.parentContextTokens} tokens vs flat baseline ${t.flatBaselineTokens} `
      + `(${(100 * t.parentContextTokens / t.flatBaselineTokens).toFixed(1)} %); peak in flight ${s.maxInFlight} (cap 8); by model `
      + JSON.stringify(s.maxInFlightByModel) + ` (caps haiku 12, sonnet 8, opus 4); requests ${s.totalRequests}`);
  });
});

describe('terminal errors stop the run at once', () => {
  it('401 fails fast with few requests', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(5, 6)
      : { kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' }), { latencyMs: () => 10 });
    const run = await orchestrator(fake).plan({ task: 'Audit' });
    const before = fake.server.stats.totalRequests;
    const outcome = await run.execute();
    await run.ledger.close();
    const during = fake.server.stats.totalRequests - before;
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toMatch(/401 authentication_error/);
    expect(during).toBeLessThanOrEqual(8); // at most what was already in flight; no retries
    expect(run.ledger.agents.filter((a) => a.status === 'skipped').length).toBeGreaterThanOrEqual(22);
    console.log(`[401] requests after the plan: ${during}`);
  });

  it('a billing error mid-run: nothing is dispatched after it', async () => {
    const ws = makeWorkspace();
    let firstBillingAt = Infinity;
    let n = 0;
    fake = await startFake(ws, (_r, ctx, agent) => {
      if (agent === 'planner') return planReply(5, 6);
      if (++n >= 12) {
        firstBillingAt = Math.min(firstBillingAt, ctx.index);
        return { kind: 'error', status: 400, type: 'billing_error', message: 'Your credit balance is too low' };
      }
      return undefined;
    }, { latencyMs: () => 15 });
    const run = await orchestrator(fake).plan({ task: 'Audit' });
    const outcome = await run.execute();
    await run.ledger.close();
    const after = fake.server.stats.requests.filter((_, i) => i + 1 > firstBillingAt).length;
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toMatch(/billing_error/);
    // only requests already on the wire when the error came back; none started later
    expect(after).toBeLessThanOrEqual(7);
    console.log(`[billing] requests before the billing error: ${firstBillingAt}, after it: ${after}, total ${fake.server.stats.totalRequests}`);
  });
});

describe('resume', () => {
  it('re-runs the coordinator and the final step when one of their inputs runs again, and nothing else', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
    const run = await orchestrator(fake).plan({ task: 'Audit' });
    await run.execute();
    // As if a1's file had been cut off: resume must redo a1, and whatever summarised it.
    const a1 = path.join(run.dir, 'workers/a1.md');
    writeFileSync(a1, readFileSync(a1, 'utf8').replace('<!-- DONE -->', ''));
    fake.log.length = 0;
    const outcome = await run.execute({ mode: 'resume' });
    await run.ledger.close();
    expect(outcome.status).toBe('completed');
    expect(new Set(fake.log.map((l) => l.agent))).toEqual(new Set(['a1', 'coord-a', 'final']));
  });
});

describe('run policy', () => {
  it('after 3 failed workers no new worker starts and the run ends partial with the gaps named', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (req, _c, agent) => {
      if (agent === 'planner') return planReply(3, 4);
      return agent.startsWith('a') || agent === 'b1' ? forgetfulWorker(req, ws) : undefined;
    });
    const run = await orchestrator(fake, { maxConcurrent: 1, retries: 0 }).plan({ task: 'Audit' });
    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.status).toBe('partial');
    expect(outcome.reason).toBe('3 agents failed; no new ones were started after that');
    const statuses = Object.fromEntries(run.ledger.agents.map((a) => [a.id, a.status]));
    expect(statuses).toMatchObject({ a1: 'failed', a2: 'failed', a3: 'failed', a4: 'skipped', b1: 'skipped', c4: 'skipped' });
    expect(run.ledger.get('a4')!.error).toBe('not started: 3 agents failed (limit 3)');
    expect(outcome.gaps.map((g) => g.agentId)).toContain('a4');
    // coordinators still synthesise what exists, naming the failed workers
    expect(statuses['coord-a']).toBe('completed');
    // summary.md, the file users read first, names every gap whatever the model wrote, before the sentinel
    const summary = readFileSync(path.join(run.dir, 'summary.md'), 'utf8');
    const gapsAt = summary.indexOf('## Gaps');
    expect(gapsAt).toBeGreaterThan(0);
    expect(summary.match(/^## Gaps$/gm)).toHaveLength(1);
    expect(endsWithSentinel(summary)).toBe(true);
    for (const g of outcome.gaps) expect(summary.slice(gapsAt)).toContain(`**${g.agentId}** — ${g.reason}`);
    // a failed worker's unfinished file exists and is linked; a skipped worker's file was never written and is not
    expect(summary).toContain('[workers/a1.md](workers/a1.md)');
    expect(summary).toContain('workers/a4.md (not written)');
  });

  it('a cost cap stops dispatch and ends the run partial with the reason', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 4) : undefined));
    const run = await orchestrator(fake, { maxConcurrent: 2, maxCostUsd: 0.02 }).plan({ task: 'Audit' });
    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.status).toBe('partial');
    expect(outcome.reason).toMatch(/^cost cap reached \(\$0\.0\d+ of \$0\.02\)$/);
    expect(run.ledger.agents.some((a) => a.status === 'skipped')).toBe(true);
    expect(run.ledger.totals.costUsd).toBeLessThan(0.2);
  });

  it('cancel aborts in-flight requests within a second and keeps every file', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 4) : agent === 'b1' ? { kind: 'hang' } : undefined), { latencyMs: () => 20 });
    const run = await orchestrator(fake).plan({ task: 'Audit' });
    const done = run.execute();
    while (run.ledger.get('a1')!.status !== 'completed') await new Promise((r) => setTimeout(r, 10));
    const t0 = Date.now();
    run.cancel();
    const outcome = await done;
    const ms = Date.now() - t0;
    await run.ledger.close();
    expect(ms).toBeLessThan(1000);
    expect(outcome.status).toBe('cancelled');
    expect(fake.server.stats.inFlight).toBe(0);
    expect(run.ledger.get('b1')!.status).toBe('cancelled');
    expect(run.ledger.get('a1')!.status).toBe('completed');
    expect(endsWithSentinel(readFileSync(path.join(run.dir, 'workers/a1.md'), 'utf8'))).toBe(true);
    expect(readJson<LedgerSnapshot>(path.join(run.dir, 'ledger.json')).status).toBe('cancelled');
  });

  it('retry-failed re-runs only the failed workers, their coordinator and the final step', async () => {
    const ws = makeWorkspace();
    let broken = true;
    fake = await startFake(ws, (req, _c, agent) => {
      if (agent === 'planner') return planReply(3, 3);
      return broken && agent === 'b2' ? forgetfulWorker(req, ws) : undefined;
    });
    const orch = orchestrator(fake, { retries: 0 });
    const run = await orch.plan({ task: 'Audit' });
    expect((await run.execute()).status).toBe('partial');
    await run.ledger.close();
    broken = false;
    fake.log.length = 0;
    const again = await orch.open(run.id);
    const outcome = await again.execute({ mode: 'retry-failed' });
    await again.ledger.close();
    expect(outcome.status).toBe('completed');
    expect([...new Set(fake.log.map((l) => l.agent))].sort()).toEqual(['b2', 'coord-b', 'final']);
  });
});

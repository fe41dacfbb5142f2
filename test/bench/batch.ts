/**
 * Measure 12 (issue 19): a 5,000-file map-reduce run twice in fresh engine processes, once on the
 * realtime path and once with `batch: 'auto'` against the simulator's emulated Message Batches
 * endpoints over HTTP (the real SDK's `messages.batches`), polled every few ms so the run takes
 * seconds. Cost is read from both ledgers: what the batched agents cost ÷ what the same agents
 * (same ids, same requests) cost on the realtime path.
 *
 * Measure 3b: the parent (final) step's context at 1,000 workers ÷ at 30, both from the ledger's
 * `parentContextTokens`, the plans of measures 3 and 4 run with the same (plain) workers.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { SelectionFile } from '../../src/engine/patterns/map-reduce/compile';
import type { Tier } from '../../src/engine/types';
import { plural } from '../../src/shared/words';
import type { AgentFigure } from './child';
import { makePlan, MIXED_TIERS } from './fixture';
import { runEngine, withEngineProcess, type RunResult } from './harness';
import { makeFiles } from './mapReduce';
import { BenchModel } from './model';
import { fixed, pct, type MeasureResult } from './result';
import { FANOUT } from './scheduling';

const FILES = 5_000;
const TASK = 'Rate the comments in every .ts file';
/** Poll and gather in ms, not the defaults' seconds: the emulated batches answer at once. */
const BATCH = { batch: 'auto', batchPollMs: 5, batchPollMaxMs: 40, batchGatherMs: 30 } as const;

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const tokens = (a: AgentFigure): number => a.usage.input + a.usage.output + a.usage.cacheRead + a.usage.cacheWrite;

export async function measureBatch(workspace: string): Promise<MeasureResult> {
  const root = path.join(workspace, 'map-reduce-5000');
  makeFiles(root, FILES);
  const plan = { reason: 'one question of every file', question: 'Rate the comments of each file from 1 to 5 and say why', include: ['**/*.ts'], mapperTier: 'haiku', fanIn: 8 };
  const run = (config: Record<string, unknown>): Promise<RunResult> => runEngine({
    workspace: root, task: TASK, pattern: 'map-reduce',
    model: new BenchModel({ workspace: root, plan, realisticWorkers: false }),
    config: { maxConcurrent: 16, tierCaps: { haiku: 16, sonnet: 8, opus: 4 }, ...config },
  });
  const realtime = await run({});
  const batched = await run(BATCH);
  const rt = realtime.figures;
  const bt = batched.figures;

  // What the API was sent and what the run collected, each request counted once.
  const planned = bt.agents.filter((a) => a.batch);
  const submitted = batched.batches.flatMap((b) => b.customIds);
  const duplicates = submitted.length - new Set(submitted).size;
  const outcomes = bt.batches.flatMap((b) => Object.values(b.outcomes ?? {}));
  const succeeded = outcomes.filter((o) => o === 'succeeded').length;
  const stored = storedResults(bt.runDir);
  const batchedRequests = sum(planned.map((a) => a.requests));
  const realtimeRequests = batched.server.requests.filter((r) => r.outcome !== 'batch').length;
  const allDone = (f: typeof bt): boolean => f.status === 'completed' && f.agents.every((a) => a.status === 'completed');
  const paidOnce = duplicates === 0 && succeeded === submitted.length && stored === submitted.length && batchedRequests === submitted.length
    && bt.batches.every((b) => b.status === 'collected');

  // The same agents on both paths: the partition and the reduce tree depend on the files alone.
  const rtById = new Map(rt.agents.map((a) => [a.id, a]));
  const same = planned.filter((a) => rtById.has(a.id));
  const costBatched = sum(same.map((a) => a.costUsd));
  const costRealtime = sum(same.map((a) => rtById.get(a.id)!.costUsd));
  const tokensBatched = sum(same.map(tokens));
  const tokensRealtime = sum(same.map((a) => tokens(rtById.get(a.id)!)));
  const costRatio = costBatched / costRealtime;
  const cacheShare = (list: AgentFigure[]): number => sum(list.map((a) => a.usage.cacheRead)) / Math.max(1, sum(list.map((a) => a.usage.input + a.usage.cacheRead + a.usage.cacheWrite)));

  const sel = JSON.parse(readFileSync(path.join(bt.runDir, 'selection.json'), 'utf8')) as SelectionFile;
  const n = bt.agents.length;
  const cpu = bt.cpuMs / n;
  const cpuRt = rt.cpuMs / rt.agents.length;
  const rssPer = (bt.maxRssMb * 1024) / n;
  const rssPerRt = (rt.maxRssMb * 1024) / rt.agents.length;
  const parent = bt.totals.parentContextTokens;
  return {
    rows: [
      {
        n: '12a', measure: `batch mode, ${FILES.toLocaleString('en-US')}-file map-reduce: requests submitted to batches (batches) ÷ agents batched`,
        value: `${submitted.length} in ${batched.batches.length} batches ÷ ${planned.length}; ${succeeded} collected, ${duplicates} custom ids twice`,
        before: '—', target: 'each batched agent once, every result collected once', ok: allDone(bt) && same.length === planned.length && submitted.length === planned.length && paidOnce,
      },
      {
        n: '12b', measure: 'batch mode: cost of the batched part ÷ the same work on the realtime path (from both ledgers)',
        value: fixed(costRatio, 3), before: '1 (realtime)', target: '≤ 0.50', ok: allDone(rt) && costRatio <= 0.5 + 1e-9,
      },
      {
        n: '12c', measure: 'batch mode: engine CPU per agent (selection included; realtime in before)',
        value: `${fixed(cpu)} ms`, before: `${fixed(cpuRt)} ms`, target: '< 20 ms', ok: cpu < 20,
      },
      {
        n: '12d', measure: 'batch mode: engine peak RSS per agent (and in all; realtime in before)',
        value: `${fixed(rssPer, 0)} KB (${fixed(bt.maxRssMb, 0)} MB, ${fixed(bt.maxRssMb / rt.maxRssMb)} × realtime)`, before: `${fixed(rssPerRt, 0)} KB (${fixed(rt.maxRssMb, 0)} MB)`,
        target: '< 200 MB in all (4b\'s budget)', ok: bt.maxRssMb < 200,
      },
      {
        n: '12e', measure: 'batch mode: parent context tokens (realtime in before)',
        value: parent.toLocaleString('en-US'), before: rt.totals.parentContextTokens.toLocaleString('en-US'), target: '< 5,000', ok: parent > 0 && parent < 5_000,
      },
    ],
    raw: [
      `${FILES} generated .ts files, ${sel.mappers.length} mappers, reducers per level ${sel.reducers.map((l) => l.length).join(' → ')}; realtime: ${rt.agents.filter((a) => a.status === 'completed').length} of ${rt.agents.length} agents completed in ${Math.round(rt.wallMs)} ms, `
        + `${realtime.server.requests.length} requests; batch mode: ${bt.agents.filter((a) => a.status === 'completed').length} of ${n} completed in ${Math.round(bt.wallMs)} ms (poll ${BATCH.batchPollMs}–${BATCH.batchPollMaxMs} ms, gather ${BATCH.batchGatherMs} ms)`,
      `batch mode sent ${submitted.length} requests in ${batched.batches.length} batches (${batched.batches.map((b) => b.customIds.length).join(' + ')}), `
        + `${batched.server.requests.filter((r) => r.outcome === 'batch').length} calls to the batch endpoints, ${plural(realtimeRequests, 'realtime request')} (the final step); `
        + `outcomes: ${succeeded} succeeded of ${outcomes.length}; ${stored} results stored in batches/*.jsonl; the batched agents' ledgers count ${batchedRequests} requests`,
      `batched part: $${costBatched.toFixed(4)} for ${tokensBatched} tokens in batch mode, $${costRealtime.toFixed(4)} for ${tokensRealtime} tokens on the realtime path `
        + `(share of prompt tokens read from the cache: ${pct(cacheShare(same))} batched, ${pct(cacheShare(same.map((a) => rtById.get(a.id)!)))} realtime); `
        + `whole run $${sum(bt.agents.map((a) => a.costUsd)).toFixed(4)} against $${sum(rt.agents.map((a) => a.costUsd)).toFixed(4)}`,
      `engine CPU ${Math.round(bt.cpuMs)} ms (system ${Math.round(bt.cpuSystemMs)}) in batch mode, ${Math.round(rt.cpuMs)} ms (system ${Math.round(rt.cpuSystemMs)}) realtime; peak RSS ${fixed(bt.maxRssMb, 0)} MB and ${fixed(rt.maxRssMb, 0)} MB, each run in a fresh engine process`,
    ],
  };
}

/** Lines in the run's batches/*.jsonl: each succeeded answer is stored once, before an agent takes it. */
function storedResults(runDir: string): number {
  const dir = path.join(runDir, 'batches');
  let n = 0;
  for (const f of readdirSync(dir)) n += readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).length;
  return n;
}

const HAIKU_SONNET = (k: number): Tier => (k % 2 ? 'sonnet' : 'haiku');

/** Measure 3b: the 30-worker plan of measure 3 and the 1,000-worker plan of measure 4, in one engine process. */
export async function measureParentScale(workspace: string): Promise<MeasureResult> {
  const spec = (domains: number[], tier: (k: number) => Tier) => ({
    workspace,
    model: new BenchModel({ workspace, plan: makePlan({ domains, tier }), realisticWorkers: false, fullReturns: true }),
    config: { domains: { min: 1, max: 26 }, workersPerDomain: { min: 1, max: 1000 } },
  });
  const { small, large } = await withEngineProcess(async (engine) => ({
    small: await engine.run(spec(FANOUT, MIXED_TIERS)),
    large: await engine.run(spec(Array.from({ length: 25 }, () => 40), HAIKU_SONNET)),
  }));
  const s = small.figures;
  const l = large.figures;
  const ratio = l.totals.parentContextTokens / s.totals.parentContextTokens;
  const workers = (f: typeof s): number => f.agents.filter((a) => a.role === 'worker').length;
  const coords = (f: typeof s): number => f.agents.filter((a) => a.role === 'coordinator').length;
  return {
    rows: [{
      n: '3b', measure: 'parent context at 1,000 workers ÷ at 30 (fan-out, 25 × 40 against 8 + 8 + 7 + 7)',
      value: `${fixed(ratio)} (${l.totals.parentContextTokens.toLocaleString('en-US')} ÷ ${s.totals.parentContextTokens.toLocaleString('en-US')} tokens)`,
      before: '—', target: '≤ 2.0', ok: s.status === 'completed' && l.status === 'completed' && ratio <= 2,
    }],
    raw: [
      `parent (final step) context: ${s.totals.parentContextTokens} tokens at ${workers(s)} workers + ${coords(s)} coordinators (flat fan-out: ${s.totals.flatBaselineTokens}), `
        + `${l.totals.parentContextTokens} at ${workers(l)} + ${coords(l)} (flat: ${l.totals.flatBaselineTokens}); runs ${s.status} in ${Math.round(s.wallMs)} ms and ${l.status} in ${Math.round(l.wallMs)} ms, the simulator's plain workers in both, coordinators returning all the words they may (300 each at 4 domains, 60 at 25)`,
    ],
  };
}

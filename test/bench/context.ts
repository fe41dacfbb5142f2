/**
 * Measures 3 and 6, read from a 30-worker run's ledger: what the parent step was sent against what
 * a flat fan-out would have sent it, and how much of the workers' input came from the prompt cache.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { estimateTokens } from '../../src/engine/text';
import type { AgentFigure } from './child';
import { makePlan, MIXED_TIERS } from './fixture';
import { runEngine, type RunResult } from './harness';
import { BenchModel } from './model';
import { pct, type MeasureResult } from './result';
import { FANOUT, SCHED_CAPS } from './scheduling';

export function parentContext(run: RunResult): MeasureResult {
  const t = run.figures.totals;
  const ratio = t.flatBaselineTokens > 0 ? t.parentContextTokens / t.flatBaselineTokens : Infinity;
  const reports = run.figures.agents.filter((a) => a.role === 'worker')
    .map((a) => estimateTokens(readFileSync(path.join(run.figures.runDir, a.outputFile), 'utf8')));
  const avg = reports.reduce((a, b) => a + b, 0) / Math.max(1, reports.length);
  const used = run.figures.agents.reduce((n, a) => n + a.usage.input + a.usage.output + a.usage.cacheRead + a.usage.cacheWrite, 0);
  const cost = run.figures.agents.reduce((n, a) => n + a.costUsd, 0);
  const e = run.figures.estimate;
  const inside = e !== null && used >= e.tokensLow && used <= e.tokensHigh && cost >= e.costLowUsd && cost <= e.costHighUsd;
  return {
    rows: [{ n: '3', measure: 'parent context ÷ flat baseline tokens (30 w + 4 c)', value: pct(ratio, 2), before: '—', target: '≤ 1.5 %', ok: ratio <= 0.015 }],
    raw: [
      `parent (final step) was sent ${t.parentContextTokens} tokens; a flat fan-out would send ${t.flatBaselineTokens}`,
      `estimate from the plan: ${e ? `${e.tokensLow}–${e.tokensHigh} tokens, $${e.costLowUsd.toFixed(2)}–$${e.costHighUsd.toFixed(2)}` : 'none'}; `
        + `the agents used ${used} tokens, $${cost.toFixed(2)} (${inside ? 'inside' : 'OUTSIDE'} the range)`,
      `worker reports: ${reports.length}, ${Math.round(avg)} tokens on average (${Math.min(...reports)}–${Math.max(...reports)}); the bench's workers pad the simulator's short reports to a realistic 3–6k tokens`,
    ],
  };
}

export interface CacheShare { share: number; read: number; total: number }

export function workerCacheShare(agents: readonly AgentFigure[]): CacheShare {
  let read = 0;
  let total = 0;
  for (const a of agents) {
    if (a.role !== 'worker') continue;
    read += a.usage.cacheRead;
    total += a.usage.input + a.usage.cacheRead + a.usage.cacheWrite;
  }
  return { share: total ? read / total : 0, read, total };
}

/** Measure 6; `before` is the same plan run with promptCaching off (at zero latency: caching does not depend on it). */
export async function promptCache(workspace: string, run: RunResult): Promise<MeasureResult> {
  const plan = makePlan({ domains: FANOUT, tier: MIXED_TIERS });
  const off = await runEngine({
    workspace, model: new BenchModel({ workspace, plan, realisticWorkers: true }), config: { ...SCHED_CAPS, promptCaching: false },
  });
  const on = workerCacheShare(run.figures.agents);
  const before = workerCacheShare(off.figures.agents);
  const turns = run.figures.agents.filter((a) => a.role === 'worker').reduce((n, a) => n + a.requests, 0) / 30;
  return {
    rows: [{ n: '6', measure: 'worker input tokens read from the prompt cache (30 w)', value: pct(on.share), before: pct(before.share), target: '≥ 60 %', ok: on.share >= 0.6 }],
    raw: [
      `workers read ${on.read} of ${on.total} prompt tokens from the cache (caching off: ${before.read} of ${before.total}); ${turns.toFixed(1)} requests per worker on average`,
      `cache emulation: prefix up to a cache_control breakpoint, 5-minute lifetime refreshed on hits, 1,024-token minimum`,
    ],
  };
}

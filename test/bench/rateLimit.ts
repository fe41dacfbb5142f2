/**
 * Measure 5: a server that rate-limits like the real API (token buckets on requests and input
 * tokens per minute, 429 with retry-after, anthropic-ratelimit-* headers on every response).
 * Throughput is what the server admitted ÷ the most it would have admitted over the same window
 * (a full bucket at the start plus its refill), so 1.0 is the limit itself.
 */
import type { ServerStats } from '../../src/simulator/types';
import type { RateLimitOptions } from '../../src/simulator/rateLimit';
import { makePlan, MIXED_TIERS } from './fixture';
import { runEngine, type RunResult } from './harness';
import { BenchModel } from './model';
import { fixed, ms, type MeasureResult } from './result';
import { FANOUT } from './scheduling';

/** 40 requests and 400k input tokens a "minute", a minute lasting 3 s: the request limit binds. */
const LIMIT = { requestsPerMinute: 40, inputTokensPerMinute: 400_000, timeScale: 0.05 } satisfies RateLimitOptions;
const PERIOD_MS = 60_000 * LIMIT.timeScale;

export interface Throughput {
  requests: { used: number; allowed: number };
  tokens: { used: number; allowed: number };
  /** Utilisation of the binding limit. */
  ratio: number;
  windowMs: number;
  rateLimited: number;
}

export function throughput(stats: ServerStats, limit: typeof LIMIT): Throughput {
  const admitted = stats.requests.filter((r) => r.status === 200);
  const first = Math.min(...stats.requests.map((r) => r.arrivedAt));
  const last = Math.max(...admitted.map((r) => r.arrivedAt));
  const windowMs = Math.max(0, last - first);
  const allowed = (perMinute: number): number => perMinute + (perMinute * windowMs) / PERIOD_MS;
  const requests = { used: admitted.length, allowed: allowed(limit.requestsPerMinute) };
  const tokens = { used: admitted.reduce((n, r) => n + (r.usage ? r.usage.input + r.usage.cacheWrite : 0), 0), allowed: allowed(limit.inputTokensPerMinute) };
  return { requests, tokens, ratio: Math.max(requests.used / requests.allowed, tokens.used / tokens.allowed), windowMs, rateLimited: stats.rateLimited };
}

async function limitedRun(workspace: string, adaptive: boolean): Promise<RunResult> {
  const plan = makePlan({ domains: FANOUT, tier: MIXED_TIERS });
  return runEngine({
    workspace,
    model: new BenchModel({ workspace, plan, realisticWorkers: true, latency: { seed: 'rate', medianMs: 40, sigma: 0.5 } }),
    config: { adaptiveConcurrency: adaptive },
    server: { rateLimit: LIMIT },
  });
}

export async function measureRateLimit(workspace: string): Promise<MeasureResult> {
  const before = await limitedRun(workspace, false);
  const after = await limitedRun(workspace, true);
  const tb = throughput(before.server, LIMIT);
  const ta = throughput(after.server, LIMIT);
  const failed = (r: RunResult): number => r.figures.agents.filter((a) => a.status !== 'completed').length;
  const line = (label: string, r: RunResult, t: Throughput): string =>
    `${label}: ${t.requests.used} requests admitted of ${Math.floor(t.requests.allowed)} allowed, ${t.tokens.used} of ${Math.floor(t.tokens.allowed)} input tokens, `
    + `over ${ms(t.windowMs)}; ${t.rateLimited} × 429; ${failed(r)} agents not completed (${r.figures.status}); peak requests in flight per model ${JSON.stringify(r.server.maxInFlightByModel)}`;
  return {
    rows: [
      {
        n: '5a', measure: 'rate-limited server: throughput ÷ limit', value: fixed(ta.ratio),
        before: `${fixed(tb.ratio)}${before.figures.status === 'completed' ? '' : ` (run ${before.figures.status} after ${ms(tb.windowMs)})`}`,
        target: '≥ 0.9', ok: ta.ratio >= 0.9 && after.figures.status === 'completed',
      },
      { n: '5b', measure: 'rate-limited server: agents failed', value: String(failed(after)), before: String(failed(before)), target: '0', ok: failed(after) === 0 },
    ],
    raw: [
      `limits: ${LIMIT.requestsPerMinute} requests and ${LIMIT.inputTokensPerMinute} input tokens per "minute" of ${PERIOD_MS} ms (timeScale ${LIMIT.timeScale}); default caps; latency median 40 ms`,
      line('adaptive concurrency on', after, ta),
      line('adaptive concurrency off (before)', before, tb),
    ],
  };
}

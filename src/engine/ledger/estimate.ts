import { findPrice, type Config, type Price } from '../config';
import type { AgentRecord, CostEstimate } from '../types';

type Range = readonly [low: number, high: number];

interface RoleTokens {
  /** Prompt tokens over all of one agent's turns (the conversation is re-sent each turn). */
  input: Range;
  output: Range;
  /** Extra prompt tokens per agent this one depends on (a coordinator reads each worker's file). */
  inputPerDependency: Range;
}

/**
 * Token ranges per agent, from what runs of this shape use: a worker reads a few files over
 * several turns and writes a report of a few thousand tokens; a coordinator reads every worker's
 * report (and re-sends them on its later turns); the final step reads only short returns.
 * Deliberately wide: it is shown as a range, never as a promise.
 */
const ROLES: Record<AgentRecord['role'], RoleTokens> = {
  worker: { input: [15_000, 70_000], output: [1_500, 7_000], inputPerDependency: [0, 0] },
  coordinator: { input: [3_000, 8_000], output: [1_500, 5_000], inputPerDependency: [4_000, 15_000] },
  final: { input: [500, 2_000], output: [500, 2_000], inputPerDependency: [100, 600] },
};

/**
 * How prompt tokens split between cache reads, cache writes and uncached input. With caching on,
 * the low end assumes the cache works as it does on a run of agents that take several turns; the
 * high end assumes much of it is written and never read (short agents, expired entries).
 */
const CACHE_SPLIT = {
  low: { read: 0.8, write: 0.15, input: 0.05 },
  high: { read: 0.3, write: 0.4, input: 0.3 },
  off: { read: 0, write: 0, input: 1 },
} as const;

function promptCost(tokens: number, p: Price, split: { read: number; write: number; input: number }): number {
  return tokens * (split.read * p.cacheRead + split.write * p.cacheWrite + split.input * p.input);
}

/**
 * Tokens and cost of a planned run, as a range, before anything runs. An agent whose model has no
 * price counts its tokens and no cost.
 */
export function estimateRun(agents: readonly AgentRecord[], config: Config): CostEstimate {
  const est: CostEstimate = { tokensLow: 0, tokensHigh: 0, costLowUsd: 0, costHighUsd: 0 };
  for (const a of agents) {
    const r = ROLES[a.role];
    const deps = a.dependsOn.length;
    const input: Range = [r.input[0] + deps * r.inputPerDependency[0], r.input[1] + deps * r.inputPerDependency[1]];
    est.tokensLow += input[0] + r.output[0];
    est.tokensHigh += input[1] + r.output[1];
    const price = findPrice(config.prices, a.modelRequested) ?? findPrice(config.prices, config.models[a.tier]);
    if (!price) continue;
    // The final step sends no cache breakpoints (its prompt is read once).
    const cached = config.promptCaching && a.role !== 'final';
    est.costLowUsd += (promptCost(input[0], price, cached ? CACHE_SPLIT.low : CACHE_SPLIT.off) + r.output[0] * price.output) / 1e6;
    est.costHighUsd += (promptCost(input[1], price, cached ? CACHE_SPLIT.high : CACHE_SPLIT.off) + r.output[1] * price.output) / 1e6;
  }
  return est;
}

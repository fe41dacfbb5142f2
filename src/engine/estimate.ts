import type { Config } from './config';
import type { AgentRecord, CostEstimate, Tier } from './types';

/**
 * Per-role token ranges for one agent, from what agent runs of this shape use: a worker reads a
 * handful of files over several turns; a coordinator reads its workers' files; the final step
 * reads only short reports. Deliberately wide: it is shown as a range, never as a promise.
 */
const RANGES: Record<AgentRecord['role'], { input: [number, number]; output: [number, number] }> = {
  worker: { input: [6_000, 40_000], output: [800, 4_000] },
  coordinator: { input: [8_000, 30_000], output: [1_500, 4_000] },
  final: { input: [1_500, 4_000], output: [600, 2_000] },
};

export function estimateRun(agents: readonly AgentRecord[], config: Config): CostEstimate {
  const est: CostEstimate = { tokensLow: 0, tokensHigh: 0, costLowUsd: 0, costHighUsd: 0 };
  for (const a of agents) {
    const r = RANGES[a.role];
    const price = config.prices[config.models[a.tier as Tier]];
    est.tokensLow += r.input[0] + r.output[0];
    est.tokensHigh += r.input[1] + r.output[1];
    if (price) {
      est.costLowUsd += (r.input[0] * price.input + r.output[0] * price.output) / 1e6;
      est.costHighUsd += (r.input[1] * price.input + r.output[1] * price.output) / 1e6;
    }
  }
  return est;
}

/**
 * A lower bound on the makespan of a tiered fan-out (workers → their coordinator → final) under a
 * global cap and per-tier caps, from the work each agent actually received (the latency the server
 * served it). No schedule, however clairvoyant, can finish sooner:
 *
 * - critical path: the final needs every coordinator, a coordinator needs all of its domain's
 *   workers, so the run lasts at least max over domains (longest worker + coordinator) + final;
 * - capacity: at most `maxConcurrent` agents at once, and at most min(tier cap, maxConcurrent) of a
 *   tier, so the run lasts at least total work ÷ maxConcurrent and each tier's work ÷ its cap.
 */
import type { AgentRole, Tier } from '../../src/engine/types';

export interface BoundAgent {
  id: string;
  role: AgentRole;
  domain: string | null;
  tier: Tier;
}

export interface Caps {
  maxConcurrent: number;
  tierCaps: Record<Tier, number>;
}

export interface LowerBound {
  ms: number;
  criticalPathMs: number;
  /** Total work ÷ the global cap. */
  globalMs: number;
  /** Per tier: that tier's work ÷ min(tier cap, global cap). */
  tierMs: Record<Tier, number>;
  totalWorkMs: number;
  /** Which term binds. */
  binding: string;
}

export function lowerBound(all: readonly BoundAgent[], busy: ReadonlyMap<string, number>, caps: Caps): LowerBound {
  // The planner runs before execution starts: it is no part of the makespan being bounded.
  const agents = all.filter((a) => a.role !== 'planner');
  const work = (id: string): number => busy.get(id) ?? 0;
  const tierWork: Record<Tier, number> = { haiku: 0, sonnet: 0, opus: 0 };
  let total = 0;
  for (const a of agents) {
    total += work(a.id);
    tierWork[a.tier] += work(a.id);
  }
  let chain = 0;
  for (const c of agents.filter((a) => a.role === 'coordinator')) {
    const longestWorker = Math.max(0, ...agents.filter((a) => a.role === 'worker' && a.domain === c.domain).map((a) => work(a.id)));
    chain = Math.max(chain, longestWorker + work(c.id));
  }
  const final = agents.find((a) => a.role === 'final');
  const criticalPathMs = chain + (final ? work(final.id) : 0);
  const globalMs = total / caps.maxConcurrent;
  const tierMs = Object.fromEntries((Object.keys(tierWork) as Tier[])
    .map((t) => [t, tierWork[t] / Math.min(caps.tierCaps[t], caps.maxConcurrent)])) as Record<Tier, number>;
  const terms: Array<[string, number]> = [['critical path', criticalPathMs], ['total work ÷ global cap', globalMs],
    ...(Object.entries(tierMs) as Array<[Tier, number]>).map(([t, v]): [string, number] => [`${t} work ÷ ${t} cap`, v])];
  const [binding, ms] = terms.reduce((best, t) => (t[1] > best[1] ? t : best));
  return { ms, criticalPathMs, globalMs, tierMs, totalWorkMs: total, binding };
}

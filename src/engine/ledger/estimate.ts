import { BATCH_PRICE_FACTOR, findPrice, type Config, type Price } from '../config';
import type { AgentRecord, AgentRole, CostEstimate } from '../types';

// What the estimate needs of a role lives here rather than in patterns/pattern.ts: the ledger sits
// below the patterns (they record into it), so it describes the part of a role it prices and
// `RoleSpec` extends it, instead of the ledger importing the pattern contract.

/** Token ranges per agent of a role, for the cost estimate before a run (a range, never a promise). */
export interface RoleTokens {
  /** Prompt tokens over all of one agent's turns (the conversation is re-sent each turn). */
  input: readonly [number, number];
  output: readonly [number, number];
  /** Extra prompt tokens per agent this one depends on (a coordinator reads each worker's file). */
  inputPerDependency: readonly [number, number];
}

/**
 * The tokens of a step the engine does itself (an assembly, a gate, an expansion): none. Views
 * read a role declared so as one that calls no model (`byEngine`).
 */
export const ENGINE_STEP_TOKENS: RoleTokens = { input: [0, 0], output: [0, 0], inputPerDependency: [0, 0] };

/** The part of a role (patterns/pattern.ts `RoleSpec`) that prices it and decides whether it can batch. */
export interface RoleCost {
  tokens: RoleTokens;
  /** Whether its requests carry cache breakpoints (for the estimate). */
  cached: boolean;
  /**
   * Its attempt sends one request and runs no tools, so in batch mode that request can wait in a
   * Message Batch (half the price, answered within 24 h) instead of holding a connection. A
   * function when only some agents of the role can (an expert whose scope is few enough files to
   * pack into its prompt); such a role's attempt works single-turn when `agent.batch` is set.
   */
  batchable?: boolean | ((agent: AgentRecord) => boolean);
}

/** A pattern as the estimate sees it: its roles' costs. */
export interface PricedRoles {
  roles: Partial<Record<AgentRole, RoleCost>>;
}

/** Whether this agent of this role can go through a Message Batch (see RoleCost.batchable). */
export function canBatch(role: Pick<RoleCost, 'batchable'> | undefined, agent: AgentRecord): boolean {
  const b = role?.batchable;
  return typeof b === 'function' ? b(agent) : !!b;
}

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
 * Tokens and cost of a planned run's agents, as a range, before anything runs, from the token
 * ranges its pattern declares per role (what runs of that shape use; deliberately wide, shown as
 * a range, never as a promise). Agents of roles the pattern does not schedule (the planner, whose
 * cost is already spent and recorded) are left out. An agent whose model has no price counts its
 * tokens and no cost.
 */
export function estimateRun(agents: readonly AgentRecord[], config: Config, pattern: PricedRoles): CostEstimate {
  const est: CostEstimate = { tokensLow: 0, tokensHigh: 0, costLowUsd: 0, costHighUsd: 0 };
  for (const a of agents) {
    const role = pattern.roles[a.role];
    if (!role) continue;
    const r = role.tokens;
    const deps = a.dependsOn.length;
    const input = [r.input[0] + deps * r.inputPerDependency[0], r.input[1] + deps * r.inputPerDependency[1]] as const;
    est.tokensLow += input[0] + r.output[0];
    est.tokensHigh += input[1] + r.output[1];
    const price = findPrice(config.prices, a.modelRequested) ?? findPrice(config.prices, config.models[a.tier]);
    if (!price) continue;
    const cached = config.promptCaching && role.cached;
    const factor = a.batch ? BATCH_PRICE_FACTOR : 1;
    est.costLowUsd += factor * (promptCost(input[0], price, cached ? CACHE_SPLIT.low : CACHE_SPLIT.off) + r.output[0] * price.output) / 1e6;
    est.costHighUsd += factor * (promptCost(input[1], price, cached ? CACHE_SPLIT.high : CACHE_SPLIT.off) + r.output[1] * price.output) / 1e6;
  }
  return est;
}

/**
 * Batch mode's part of the plan: with `batch: auto`, every agent a role declares batchable (single-turn,
 * no tools) is marked to go through a Message Batch, so the plan table and the estimate show it.
 */
export function markBatched(agents: AgentRecord[], config: Config, pattern: PricedRoles): void {
  if (config.batch !== 'auto') return;
  for (const a of agents) if (canBatch(pattern.roles[a.role], a)) a.batch = true;
}

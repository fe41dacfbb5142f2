/** Plan helpers shared by the tests: fan-out plans in the shape the planner submits, and their check. */
import { parseConfig } from '../../src/engine/config';
import type { FanOutPlan } from '../../src/engine/patterns/fan-out/plan';
import { validatePlan } from '../../src/engine/patterns/registry';

/** A fan-out plan without the fields the engine adds (pattern, reason, focus). */
export type PlanInput = Omit<FanOutPlan, 'pattern' | 'reason' | 'focus'>;

export interface Bounds { domains: { min: number; max: number }; workersPerDomain: { min: number; max: number } }

/** Validates plan input as a fan-out plan with these bounds, focus and scope check. */
export function checkFanOut(input: unknown, bounds: Bounds, exists: (p: string) => boolean, focus: string[] = []):
  { ok: true; plan: FanOutPlan } | { ok: false; errors: string[] } {
  const raw = typeof input === 'object' && input !== null ? { pattern: 'fan-out', ...input } : input;
  const r = validatePlan(raw, { config: parseConfig(bounds), focus, scopeExists: exists });
  return r.ok ? { ok: true, plan: r.plan as FanOutPlan } : r;
}

/** The same plan as the engine stores it (planner input + the engine's fields). */
export const asStored = (p: PlanInput, over: Partial<FanOutPlan> = {}): FanOutPlan => ({ pattern: 'fan-out', reason: '', focus: [], ...p, ...over });

import { z } from 'zod';
import { AgentFieldSchema, unknownAgentErrors } from '../../agents/catalog';
import { TIERS } from '../../types';
import { withinFocus, type BasePlan, type PlanningContext } from '../pattern';

export const WorkerSpecSchema = z.object({
  id: z.string().regex(/^[a-z][0-9]+$/, 'worker id is a domain letter and a number, like a1'),
  task: z.string().trim().min(8, 'task must say what to do (8+ characters)').max(600),
  scope: z.array(z.string().trim().min(1)).min(1, 'scope lists at least one file or folder').max(20),
  tier: z.enum(TIERS),
  /** The user's agent definition this worker runs as (`.claude/agents/<name>.md`). */
  agent: AgentFieldSchema,
}).strict();

export const DomainSpecSchema = z.object({
  id: z.string().regex(/^[a-z]$/, 'domain id is one lowercase letter'),
  name: z.string().trim().min(2).max(80),
  brief: z.string().trim().min(8).max(1200),
  workers: z.array(WorkerSpecSchema),
}).strict();

/** What the planner submits for a fan-out run. */
export const FanOutSubmitSchema = z.object({
  summary: z.string().trim().max(1200).default(''),
  domains: z.array(DomainSpecSchema),
});

export type WorkerSpec = z.infer<typeof WorkerSpecSchema>;
export type DomainSpec = z.infer<typeof DomainSpecSchema>;
export type FanOutPlan = z.infer<typeof FanOutSubmitSchema> & BasePlan;

/** A validated plan of any pattern is a fan-out plan when its pattern says so. */
export function isFanOutPlan(plan: BasePlan): plan is FanOutPlan {
  return plan.pattern === 'fan-out';
}

/**
 * The fan-out checks beyond the schema: the configured bounds, unique ids, ids that match their
 * domain, scopes that exist and lie inside the focus. Every error says what was expected and what came.
 */
export function validateFanOut(plan: FanOutPlan, ctx: PlanningContext): string[] {
  const bounds = ctx.config;
  const errors: string[] = [];
  const n = plan.domains.length;
  if (n < bounds.domains.min || n > bounds.domains.max) {
    errors.push(`Plan has ${n} domains; between ${bounds.domains.min} and ${bounds.domains.max} are allowed`);
  }
  const domainIds = new Set<string>();
  const workerIds = new Set<string>();
  for (const d of plan.domains) {
    if (domainIds.has(d.id)) errors.push(`Domain id "${d.id}" is used twice`);
    domainIds.add(d.id);
    const w = d.workers.length;
    if (w < bounds.workersPerDomain.min || w > bounds.workersPerDomain.max) {
      errors.push(`Domain "${d.id}" (${d.name}) has ${w} workers; between ${bounds.workersPerDomain.min} and ${bounds.workersPerDomain.max} are allowed`);
    }
    for (const worker of d.workers) {
      if (workerIds.has(worker.id)) errors.push(`Worker id "${worker.id}" is used twice`);
      workerIds.add(worker.id);
      if (!worker.id.startsWith(d.id)) errors.push(`Worker "${worker.id}" is in domain "${d.id}"; its id must start with "${d.id}"`);
      errors.push(...scopeErrors(`Worker "${worker.id}"`, worker.scope, ctx));
      errors.push(...unknownAgentErrors(`Worker "${worker.id}"`, worker.agent, ctx.agentDefinitions));
    }
  }
  return errors;
}

/** Scope checks every pattern with scoped agents shares: each path exists and lies inside the focus. */
export function scopeErrors(who: string, scope: readonly string[], ctx: PlanningContext): string[] {
  const errors: string[] = [];
  for (const s of scope) {
    if (!withinFocus(s, ctx.focus)) errors.push(`${who} has scope "${s}", outside the focus (${ctx.focus.join(', ')}); use only paths inside it`);
    else if (!ctx.scopeExists(s)) errors.push(`${who} has scope "${s}", which does not exist in the workspace`);
  }
  return errors;
}

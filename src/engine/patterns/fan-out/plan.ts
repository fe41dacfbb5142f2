import { z } from 'zod';
import { TIERS } from '../../types';
import { formatIssues } from '../../config';

export const WorkerSpecSchema = z.object({
  id: z.string().regex(/^[a-z][0-9]+$/, 'worker id is a domain letter and a number, like a1'),
  task: z.string().trim().min(8, 'task must say what to do (8+ characters)').max(600),
  scope: z.array(z.string().trim().min(1)).min(1, 'scope lists at least one file or folder').max(20),
  tier: z.enum(TIERS),
}).strict();

export const DomainSpecSchema = z.object({
  id: z.string().regex(/^[a-z]$/, 'domain id is one lowercase letter'),
  name: z.string().trim().min(2).max(80),
  brief: z.string().trim().min(8).max(1200),
  workers: z.array(WorkerSpecSchema),
}).strict();

export const PlanSchema = z.object({
  task: z.string().trim().min(1),
  summary: z.string().trim().max(1200).default(''),
  domains: z.array(DomainSpecSchema),
}).strict();

export type WorkerSpec = z.infer<typeof WorkerSpecSchema>;
export type DomainSpec = z.infer<typeof DomainSpecSchema>;
export type Plan = z.infer<typeof PlanSchema>;

export interface PlanBounds {
  domains: { min: number; max: number };
  workersPerDomain: { min: number; max: number };
}

export type PlanCheck = { ok: true; plan: Plan } | { ok: false; errors: string[] };

/**
 * Validates untrusted plan JSON (from the model or from plan.json on disk): the schema, the
 * configured bounds, unique ids, ids that match their domain, and scopes that exist.
 * Every error says what was expected and what came.
 */
export function validatePlan(input: unknown, bounds: PlanBounds, scopeExists: (p: string) => boolean): PlanCheck {
  const parsed = PlanSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: formatIssues(parsed.error, 'plan') };
  const plan = parsed.data;
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
      for (const s of worker.scope) {
        if (!scopeExists(s)) errors.push(`Worker "${worker.id}" has scope "${s}", which does not exist in the workspace`);
      }
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, plan };
}

import { z } from 'zod';
import { TIERS } from '../../types';
import { scopeErrors } from '../fan-out/plan';
import type { BasePlan, PlanningContext } from '../pattern';
import { plural } from '../../../shared/words';

/**
 * Bounds on the number of stages. One stage is not a pipeline (plan it as something else); past
 * eight, every handoff loses a little and the last stage works from a copy of a copy.
 */
export const STAGES = { min: 2, max: 8 } as const;

export const StageSpecSchema = z.object({
  id: z.string().regex(/^s[1-9][0-9]*$/, 'stage id is "s" and its position, like s1'),
  name: z.string().trim().min(2).max(80),
  task: z.string().trim().min(8, 'task must say what the stage does (8+ characters)').max(1200),
  /** Files or folders the stage reads; a stage that only transforms its handoff (draft, review) may have none. */
  scope: z.array(z.string().trim().min(1)).max(20).default([]),
  tier: z.enum(TIERS),
}).strict();

/** What the planner submits for a pipeline run. */
export const PipelineSubmitSchema = z.object({
  summary: z.string().trim().max(1200).default(''),
  stages: z.array(StageSpecSchema),
});

export type StageSpec = z.infer<typeof StageSpecSchema>;
export type PipelinePlan = z.infer<typeof PipelineSubmitSchema> & BasePlan;

/**
 * The pipeline checks beyond the schema: 2–8 stages, ids that are their positions (s1, s2 … in
 * order, so "stage N" means the same thing in the plan, the ledger and every message), scopes
 * that exist and lie inside the focus.
 */
export function validatePipeline(plan: PipelinePlan, ctx: PlanningContext): string[] {
  const errors: string[] = [];
  const n = plan.stages.length;
  if (n < STAGES.min) {
    errors.push(`Pipeline has ${plural(n, 'stage')}; at least ${STAGES.min} are needed (a single step is not a pipeline: plan it as one stage of a longer chain, or use another pattern)`);
  } else if (n > STAGES.max) {
    errors.push(`Pipeline has ${n} stages; at most ${STAGES.max} are allowed (merge neighbouring steps)`);
  }
  plan.stages.forEach((s, i) => {
    const expected = `s${i + 1}`;
    if (s.id !== expected) errors.push(`Stage ${i + 1} (${s.name}) has id "${s.id}"; stages are numbered in order, so it must be "${expected}"`);
    errors.push(...scopeErrors(`Stage "${s.id}"`, s.scope, ctx));
  });
  return errors;
}

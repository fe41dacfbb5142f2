/**
 * A workflow run's plan (plan.json): the workflow as it was resolved at launch — its name and
 * file, every parameter with the value it ran with, and per stage what it runs: the agent
 * definition, tier, instructions (still a template over `{{stages.<id>}}`, whose handoffs exist
 * only at run time), dependencies, gates, hooks, and for `each:` the items it was expanded to.
 * No planner writes it: Orchestrator.planWorkflow builds it from the file (expand.ts).
 */
import { z } from 'zod';
import { AGENT_NAME } from '../../agents/definition';
import { unknownAgentErrors } from '../../agents/catalog';
import { GateSchema, HOOKS, WORKFLOW_ID } from '../../workflows/schema';
import { TIERS } from '../../types';
import { scopeErrors } from '../fan-out/plan';
import type { BasePlan, PlanningContext } from '../pattern';

/** Most agents one `each:` stage fans out to: past this, a workflow is planning a runaway run. */
export const EACH_MAX = 100;

export const WorkflowStagePlanSchema = z.object({
  id: z.string().regex(WORKFLOW_ID),
  /** The agent definition its agents run as (`.claude/agents/<name>.md` …), if any. */
  agent: z.string().regex(AGENT_NAME).optional(),
  tier: z.enum(TIERS),
  /** The stage's instructions as the file has them: a template rendered per agent at run time with `params`, its item and the handoffs. */
  instructions: z.string().min(1).max(8_000),
  scope: z.array(z.string().min(1)).max(50).default([]),
  /** `each: {files}`: the globs as written (display; `items` holds what they matched at launch). */
  each: z.object({ files: z.array(z.string().min(1)).min(1) }).strict().optional(),
  /** One agent per item (the files `each` matched, in path order); null: the stage is one agent. */
  items: z.array(z.string().min(1)).max(EACH_MAX).nullable().default(null),
  dependsOn: z.array(z.string().regex(WORKFLOW_ID)).default([]),
  gates: z.array(GateSchema).default([]),
  hooks: z.array(z.enum(HOOKS)).default([]),
  /** The line of the stage's `id` in the workflow file (messages point there). */
  line: z.number().int().min(1).optional(),
}).strict();

/** The plan fields of a workflow run, beside the shared ones (task, pattern, reason, focus). */
export const WorkflowPlanFieldsSchema = z.object({
  workflow: z.object({
    name: z.string().regex(WORKFLOW_ID),
    description: z.string().max(500),
    /** The workflow file, workspace-relative. */
    source: z.string().min(1),
  }).strict(),
  /** Every parameter with the value this run used (given at launch, or its default). */
  params: z.record(z.string().regex(WORKFLOW_ID), z.string().max(2_000)).default({}),
  stages: z.array(WorkflowStagePlanSchema).min(1).max(20),
});

export type WorkflowStagePlan = z.infer<typeof WorkflowStagePlanSchema>;
export type WorkflowPlan = z.infer<typeof WorkflowPlanFieldsSchema> & BasePlan;

/**
 * Checks beyond the schema: unique stage ids, dependencies that name earlier stages (the file's
 * loader checked the file; plan.json is read back as untrusted input and may have been edited),
 * agents that are defined, scopes that exist inside the focus.
 */
export function validateWorkflow(plan: WorkflowPlan, ctx: PlanningContext): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const s of plan.stages) {
    const at = `Stage "${s.id}"${s.line ? ` (${plan.workflow.source}:${s.line})` : ''}`;
    if (seen.has(s.id)) errors.push(`${at}: another stage has the id "${s.id}"; stage ids must be unique`);
    for (const d of s.dependsOn) {
      if (!seen.has(d)) errors.push(`${at} depends on "${d}", which is not a stage before it`);
    }
    seen.add(s.id);
    errors.push(...unknownAgentErrors(at, s.agent, ctx.agentDefinitions));
    for (const g of s.gates) if (typeof g === 'object' && 'review' in g) errors.push(...unknownAgentErrors(`${at}'s review gate`, g.review, ctx.agentDefinitions));
    errors.push(...scopeErrors(at, s.scope, ctx));
    if (s.items?.length === 0) errors.push(`${at} fans out over no items`);
  }
  return errors;
}

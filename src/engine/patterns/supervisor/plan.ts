import { z } from 'zod';
import { TIERS } from '../../types';
import { scopeErrors } from '../fan-out/plan';
import type { BasePlan, PlanningContext } from '../pattern';

/** The highest limits a plan may set: the engine's ceiling whatever the planner asks for. */
export const LIMIT_CEILINGS = { rounds: 10, workers: 40, perRound: 8, tokens: 20_000_000 } as const;

/**
 * What the engine enforces on the supervisor, whatever its prompt says: rounds (supervisor turns
 * that wait for workers), workers spawned in one round and in all, and the tokens the run may use.
 */
export const LimitsSchema = z.object({
  rounds: z.number().int().min(1).max(LIMIT_CEILINGS.rounds).default(4),
  perRound: z.number().int().min(1).max(LIMIT_CEILINGS.perRound).default(4),
  workers: z.number().int().min(1).max(LIMIT_CEILINGS.workers).default(12),
  tokens: z.number().int().min(10_000).max(LIMIT_CEILINGS.tokens).default(2_000_000),
}).strict();
export type Limits = z.infer<typeof LimitsSchema>;

/** What the planner submits for a supervisor run. */
export const SupervisorSubmitSchema = z.object({
  brief: z.string().trim().min(8, 'brief must tell the supervisor how to approach the task (8+ characters)').max(2000)
    .describe('How the supervisor should approach the task and judge between rounds.'),
  areas: z.array(z.string().trim().min(1)).min(1, 'areas lists at least one file or folder').max(20)
    .describe('Workspace paths (from the overview) the supervisor should start from.'),
  tier: z.enum(TIERS).default('sonnet').describe('Model tier of the supervisor itself.'),
  limits: LimitsSchema.prefault({}).describe('Caps the engine enforces; omit for the defaults.'),
});

export type SupervisorPlan = z.infer<typeof SupervisorSubmitSchema> & BasePlan;

/** Checks beyond the schema: areas exist and lie inside the focus; a round's cap fits the total. */
export function validateSupervisor(plan: SupervisorPlan, ctx: PlanningContext): string[] {
  const errors = scopeErrors('The supervisor', plan.areas, ctx);
  const { perRound, workers } = plan.limits;
  if (perRound > workers) errors.push(`limits.perRound is ${perRound} but limits.workers is ${workers}; a round cannot spawn more than the run may`);
  return errors;
}

/** One worker as the supervisor orders it through `spawn_workers`. */
export const WorkerOrderSchema = z.object({
  task: z.string().trim().min(8, 'task must say what to do (8+ characters)').max(600),
  scope: z.array(z.string().trim().min(1)).min(1, 'scope lists at least one file or folder').max(20),
  tier: z.enum(TIERS),
}).strict();
export type WorkerOrder = z.infer<typeof WorkerOrderSchema>;

export const SpawnInputSchema = z.object({
  workers: z.array(WorkerOrderSchema).min(1, 'spawn at least one worker'),
}).strict();

export const FinishInputSchema = z.object({
  summary: z.string().trim().min(20, 'the summary must answer the task (20+ characters)').max(40_000),
}).strict();

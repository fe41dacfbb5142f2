import { z } from 'zod';
import { TIERS, type AgentRecord } from '../../types';
import { scopeErrors } from '../fan-out/plan';
import { attemptReportingAgent } from '../kit';
import { agentRecord, type AttemptResult, type BasePlan, type Pattern, type RoleContext } from '../pattern';

const SingleSubmitSchema = z.object({
  scope: z.array(z.string().trim().min(1)).min(1, 'scope lists at least one file or folder').max(20),
  tier: z.enum(TIERS),
});
type SinglePlan = z.infer<typeof SingleSubmitSchema> & BasePlan;

export const SOLO_ID = 'solo';

function attemptSolo(ctx: RoleContext<SinglePlan>, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  return attemptReportingAgent(ctx, agent, previousError, signal, {
    system: ctx.prompts.render('single/agent', {}),
    user: (outputFile, retry) => ctx.prompts.render('single/agent-user', {
      agentId: agent.id, agentTask: agent.task, scope: agent.scope.join(', '), outputFile, retryNote: retry,
    }),
  });
}

/**
 * A task too small to orchestrate: one agent does it and writes summary.md itself. Only the
 * planner in `auto` picks it, and says why; it still runs under the same ledger, caps and resume.
 */
export const single: Pattern<SinglePlan> = {
  name: 'single',
  title: 'One agent',
  whenToUse: 'a task too small to orchestrate (one file, one quick question): one agent does it, and your reason says so',
  submitSchema: SingleSubmitSchema,
  plannerInstructions: () => 'Give the one agent a scope (files or folders from the overview) and a tier.',
  validate: (plan, ctx) => scopeErrors('The agent', plan.scope, ctx),
  compile: (plan, ctx) => ({
    agents: [agentRecord(ctx.config, {
      id: SOLO_ID, role: 'worker', domain: null, tier: plan.tier, task: plan.task, scope: plan.scope, dependsOn: [], outputFile: 'summary.md',
    })],
    groups: [],
  }),
  view: {
    editable: { kind: 'fields', groupId: SOLO_ID, title: 'One agent', brief: null, id: SOLO_ID, tierKey: 'tier', defaultTier: 'sonnet', taskKey: null, scopeKey: 'scope' },
    shape: () => 'one agent',
  },
  roles: {
    worker: {
      priority: 0, depth: 0, leaf: true, fileProvesDone: true, cached: true,
      tokens: { input: [15_000, 70_000], output: [1_500, 7_000], inputPerDependency: [0, 0] },
      attempt: attemptSolo,
    },
  },
  prompts: ['single/agent', 'single/agent-user'],
};

import { z } from 'zod';
import { converse } from '../../run/converse';
import { trimToSentence } from '../../text';
import { toolDefinitions } from '../../tools/tools';
import { TIERS, type AgentRecord } from '../../types';
import { scopeErrors } from '../fan-out/plan';
import { conversationBase, outputPath, relToWorkspace, retryNote, toolContext, verifyOutput } from '../kit';
import { agentRecord, type AttemptResult, type BasePlan, type Pattern, type RoleContext } from '../pattern';

const SingleSubmitSchema = z.object({
  scope: z.array(z.string().trim().min(1)).min(1, 'scope lists at least one file or folder').max(20),
  tier: z.enum(TIERS),
});
type SinglePlan = z.infer<typeof SingleSubmitSchema> & BasePlan;

export const SOLO_ID = 'solo';

async function attemptSolo(ctx: RoleContext<SinglePlan>, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const out = outputPath(ctx, agent);
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system: ctx.prompts.render('single/agent', {}),
    userBlock: ctx.prompts.render('single/agent-user', {
      agentId: agent.id, agentTask: agent.task, scope: agent.scope.join(', '),
      outputFile: relToWorkspace(ctx, out), retryNote: retryNote(previousError),
    }),
    tools: toolDefinitions(),
    toolCtx: toolContext(ctx, agent),
  });
  ctx.ledger.transition(agent.id, 'verifying');
  const sentence = trimToSentence(result.text);
  if (/^failed\b/i.test(sentence)) return { ok: false, error: `the agent reported: ${sentence}` };
  const problem = await verifyOutput(out, relToWorkspace(ctx, out));
  return problem ? { ok: false, error: problem } : { ok: true, returned: sentence || 'Done.' };
}

/**
 * A task too small to orchestrate: one agent does it and writes summary.md itself. Only the
 * planner in `auto` picks it, and says why; it still runs under the same ledger, caps and resume.
 */
export const single: Pattern<SinglePlan> = {
  name: 'single',
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
  roles: {
    worker: {
      priority: 0, depth: 0, leaf: true, fileProvesDone: true, cached: true,
      tokens: { input: [15_000, 70_000], output: [1_500, 7_000], inputPerDependency: [0, 0] },
      attempt: attemptSolo,
    },
  },
  prompts: ['single/agent', 'single/agent-user'],
};

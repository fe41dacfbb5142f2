import type { AgentRecord } from '../../types';
import { renderTemplate } from '../../workflows';
import { attemptReportingAgent, relToWorkspace, runContextBlock, writeFinalSummary } from '../kit';
import type { AttemptResult, RoleContext } from '../pattern';
import { itemOf } from './compile';
import { knownItems } from './items';
import { handoffOf, handoffsFor, stageFiles, stageNamed, stageOfAgent } from './handoffs';
import type { WorkflowPlan } from './plan';

type Ctx = RoleContext<WorkflowPlan>;

/** The workflow's name, description, parameters and stages: what every stage agent shares. */
function workflowBlock(ctx: Ctx): string {
  const { plan } = ctx;
  return ctx.prompts.render('workflow/stage-shared', {
    name: plan.workflow.name, description: plan.workflow.description,
    params: Object.entries(plan.params).map(([k, v]) => `- ${k}: ${v}`).join('\n') || '(none)',
    stageList: plan.stages.map((s) => `- ${s.id}${s.agent ? ` (${s.agent})` : ''}${s.dependsOn.length ? `, after ${s.dependsOn.join(', ')}` : ''}${s.items ? `, ${s.items.length} agents` : ''}`).join('\n'),
  });
}

/**
 * A stage agent: a reporting agent with the read tools. Its instructions are the stage's template
 * rendered with the parameters, its item and the handoffs of earlier stages; it may read the
 * files of the stages it depends on (and only those of the run folder), writes stages/<id>.md and
 * returns one sentence, which is its part of the stage's handoff.
 */
export async function attemptStage(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const stage = stageOfAgent(ctx, agent);
  const known = await knownItems(ctx.runDir, ctx.plan);
  const item = itemOf(stage, agent.id, known);
  if (stage.each && item === null) return { ok: false, error: `no item of stage ${stage.id} for ${agent.id} (its items file is missing or shorter)` };
  const instructions = renderTemplate(stage.instructions, { params: ctx.plan.params, ...(item ? { item } : {}), stages: handoffsFor(ctx, known) });
  const earlier = stage.dependsOn.map((id) => stageNamed(ctx.plan, id)!);
  const readable = earlier.flatMap((s) => stageFiles(ctx, s));
  // A stage with no scope of its own works from the stages before it: their files are its scope.
  const scope = agent.scope.length ? agent.scope : readable.map((f) => relToWorkspace(ctx, f));
  const handoffs = earlier.map((s) => `## Stage ${s.id}\n${handoffOf(ctx, s, known)}`).join('\n\n');
  return attemptReportingAgent(ctx, agent, previousError, signal, {
    system: ctx.prompts.render('workflow/stage', {}),
    run: await runContextBlock(ctx),
    shared: workflowBlock(ctx),
    user: (outputFile, retry) => ctx.prompts.render('workflow/stage-user', {
      agentId: agent.id, stageId: stage.id, instructions,
      scope: scope.length ? scope.join(', ') : '.', outputFile, retryNote: retry,
      handoffs: handoffs || 'None: this stage depends on no other.',
    }),
    extraReadable: readable,
  });
}

/**
 * The final step: reads the handoffs of the stages nothing depends on (never the stage files),
 * the verdicts of their gates and which stages did not run, and writes summary.md.
 */
export async function attemptFinal(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const dependedOn = new Set(ctx.plan.stages.flatMap((s) => s.dependsOn));
  const last = ctx.plan.stages.filter((s) => !dependedOn.has(s.id));
  const stageList = ctx.plan.stages.map((s) => {
    const agents = ctx.ledger.agents.filter((a) => a.domain === s.id);
    const stageAgents = agents.filter((a) => a.role === 'stage');
    const done = stageAgents.filter((a) => a.status === 'completed').length;
    const gates = agents.filter((a) => a.role === 'auditor' || a.role === 'gate')
      .map((g) => `${g.id}: ${g.status === 'completed' ? g.returned ?? 'done' : g.status}${g.error && g.status !== 'completed' ? ` (${g.error})` : ''}`);
    return `- ${s.id}: ${done}/${stageAgents.length} agents completed${gates.length ? `; ${gates.join('; ')}` : ''}`;
  }).join('\n');
  const known = await knownItems(ctx.runDir, ctx.plan);
  const handoffs = last.map((s) => `## Stage ${s.id}\n${handoffOf(ctx, s, known)}`).join('\n\n');
  const system = ctx.prompts.render('workflow/final', {});
  const user = ctx.prompts.render('workflow/final-user', {
    task: ctx.plan.task, description: ctx.plan.workflow.description, stageList, handoffs,
  }) + (previousError ? `\n(Previous attempt failed: ${previousError})\n` : '');
  return writeFinalSummary(ctx, agent, signal, {
    system, user, baselinePrompt: system + stageList + ctx.plan.task, files: ctx.plan.stages.flatMap((s) => stageFiles(ctx, s)),
  });
}


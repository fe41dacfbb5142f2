import { writeFileAtomic, readTextOrNull } from '../../files';
import { converse } from '../../run/converse';
import { estimateTokens, trimToSentence } from '../../text';
import { SENTINEL, type AgentRecord } from '../../types';
import { renderTemplate } from '../../workflows';
import { attemptReportingAgent, conversationBase, outputPath, relToWorkspace, runContextBlock } from '../kit';
import type { AttemptResult, RoleContext } from '../pattern';
import { itemOf } from './compile';
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
  const item = itemOf(stage, agent.id);
  const instructions = renderTemplate(stage.instructions, { params: ctx.plan.params, ...(item ? { item } : {}), stages: handoffsFor(ctx) });
  const earlier = stage.dependsOn.map((id) => stageNamed(ctx.plan, id)!);
  const readable = earlier.flatMap((s) => stageFiles(ctx, s));
  // A stage with no scope of its own works from the stages before it: their files are its scope.
  const scope = agent.scope.length ? agent.scope : readable.map((f) => relToWorkspace(ctx, f));
  const handoffs = earlier.map((s) => `## Stage ${s.id}\n${handoffOf(ctx, s)}`).join('\n\n');
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
  const handoffs = last.map((s) => `## Stage ${s.id}\n${handoffOf(ctx, s)}`).join('\n\n');
  const system = ctx.prompts.render('workflow/final', {});
  const user = ctx.prompts.render('workflow/final-user', {
    task: ctx.plan.task, description: ctx.plan.workflow.description, stageList, handoffs,
  }) + (previousError ? `\n(Previous attempt failed: ${previousError})\n` : '');
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system, userBlock: user, tools: [], toolCtx: null, caching: false,
  });
  if (!result.text) return { ok: false, error: 'the final summary was empty' };
  await writeFileAtomic(outputPath(ctx, agent), `${result.text.trimEnd()}\n\n${SENTINEL}\n`);
  let stageTokens = 0;
  for (const s of ctx.plan.stages) {
    for (const f of stageFiles(ctx, s)) stageTokens += estimateTokens((await readTextOrNull(f).catch(() => null)) ?? '');
  }
  ctx.ledger.patchTotals({ parentContextTokens: result.lastPromptTokens, flatBaselineTokens: estimateTokens(system + stageList + ctx.plan.task) + stageTokens });
  return { ok: true, returned: trimToSentence(result.text.replace(/^[>#].*$/gm, ''), 200) || 'Wrote the summary.' };
}


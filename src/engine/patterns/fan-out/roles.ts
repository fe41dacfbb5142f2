import * as path from 'node:path';
import { converse } from '../../run/converse';
import { fileEndsWithSentinel, readTextOrNull, writeFileAtomic } from '../../files';
import { estimateTokens, trimToSentence, trimToWords } from '../../text';
import { toolDefinitions } from '../../tools/tools';
import { SENTINEL, type AgentRecord } from '../../types';
import { attemptReportingAgent, conversationBase, runContextBlock, outputPath, relToWorkspace, retryNote, toolContext, verifyOutput } from '../kit';
import type { AttemptResult, RoleContext } from '../pattern';
import type { FanOutPlan } from './plan';

type Ctx = RoleContext<FanOutPlan>;

const domainOf = (ctx: Ctx, agent: AgentRecord) => ctx.plan.domains.find((d) => d.id === agent.domain)!;

/** A worker: reads its scope with the tools, writes workers/<id>.md, returns one sentence. */
export async function attemptWorker(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const domain = domainOf(ctx, agent);
  return attemptReportingAgent(ctx, agent, previousError, signal, {
    system: ctx.prompts.render('fan-out/worker', {}),
    run: await runContextBlock(ctx),
    shared: ctx.prompts.render('fan-out/worker-shared', {
      task: ctx.plan.task, domainId: domain.id, domainName: domain.name, domainBrief: domain.brief,
    }),
    user: (outputFile, retry) => ctx.prompts.render('fan-out/worker-user', {
      agentId: agent.id, agentTask: agent.task, scope: agent.scope.join(', '), outputFile, retryNote: retry,
    }),
  });
}

/** A coordinator: reads exactly its workers' files (an explicit list, never a glob), writes synthesis/<d>.md. */
export async function attemptCoordinator(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const domain = domainOf(ctx, agent);
  const out = outputPath(ctx, agent);
  const workers = agent.dependsOn.map((id) => ctx.ledger.get(id)!);
  const files = workers.map((w) => path.join(ctx.runDir, w.outputFile));
  const lines = await Promise.all(workers.map(async (w, i) => {
    const finished = w.status === 'completed' && await fileEndsWithSentinel(files[i]);
    const state = finished ? 'completed' : `${w.status === 'completed' ? 'unfinished' : w.status}${w.error ? ` — ${w.error}` : ''}`;
    return `- ${relToWorkspace(ctx, files[i])} (${w.id}: ${state})`;
  }));
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system: ctx.prompts.render('fan-out/coordinator', {}),
    userBlock: ctx.prompts.render('fan-out/coordinator-user', {
      task: ctx.plan.task, domainId: domain.id, domainName: domain.name, domainBrief: domain.brief,
      workerFiles: lines.join('\n'), outputFile: relToWorkspace(ctx, out), retryNote: retryNote(previousError),
    }),
    tools: toolDefinitions(),
    toolCtx: toolContext(ctx, agent, { extraReadable: files }),
  });
  ctx.ledger.transition(agent.id, 'verifying');
  const problem = await verifyOutput(out, relToWorkspace(ctx, out));
  if (problem) return { ok: false, error: problem };
  const returned = trimToWords(result.text, 300);
  return returned ? { ok: true, returned } : { ok: false, error: 'the coordinator returned no summary' };
}

/**
 * The parent step: sees the plan outline and the coordinators' returns only — never a worker
 * file — and writes summary.md. Records what it was sent (parent context) next to what a flat
 * fan-out would have sent it (every worker file).
 */
export async function attemptFinal(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const agents = ctx.ledger.agents;
  const outline = ctx.plan.domains.map((d) =>
    `- ${d.id}: ${d.name} — ${d.workers.map((w) => `${w.id} ${w.task}`).join('; ')}`).join('\n');
  const coordinators = agents.filter((a) => a.role === 'coordinator');
  const reports = coordinators.map((c) => {
    const d = ctx.plan.domains.find((x) => x.id === c.domain)!;
    return `## Domain ${d.id}: ${d.name} (coordinator ${c.status})\n${c.status === 'completed' ? c.returned ?? '' : `No report: ${c.error ?? c.status}`}`;
  }).join('\n\n');
  const gaps = agents.filter((a) => a.role !== 'final' && a.role !== 'planner' && a.status !== 'completed')
    .map((a) => `- ${a.id} (${a.outputFile}): ${a.error ?? a.status}`).join('\n') || 'None.';
  const system = ctx.prompts.render('fan-out/final', {});
  const user = ctx.prompts.render('fan-out/final-user', { task: ctx.plan.task, planOutline: outline, reports, gaps })
    + (previousError ? `\n(Previous attempt failed: ${previousError})\n` : '');
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system, userBlock: user, tools: [], toolCtx: null, caching: false,
  });
  if (!result.text) return { ok: false, error: 'the final synthesis was empty' };
  await writeFileAtomic(outputPath(ctx, agent), `${result.text.trimEnd()}\n\n${SENTINEL}\n`);

  let workerTokens = 0;
  for (const w of agents.filter((a) => a.role === 'worker')) {
    // An unreadable report counts as empty: the baseline is what a flat fan-out could have sent.
    const text = (await readTextOrNull(path.join(ctx.runDir, w.outputFile)).catch(() => null)) ?? '';
    workerTokens += estimateTokens(text);
  }
  ctx.ledger.patchTotals({
    parentContextTokens: result.lastPromptTokens,
    flatBaselineTokens: estimateTokens(system + outline + ctx.plan.task) + workerTokens,
  });
  return { ok: true, returned: trimToSentence(result.text.replace(/^#.*$/gm, ''), 200) };
}

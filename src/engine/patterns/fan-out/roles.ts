import * as path from 'node:path';
import { converse } from '../../run/converse';
import { ignoreOptionsOf, type Config } from '../../config';
import { endsWithSentinel, fileEndsWithSentinel, readTextOrNull, writeFileAtomic } from '../../files';
import type { Ledger } from '../../ledger/ledger';
import type { Plan } from './plan';
import type { Prompts } from '../../prompts';
import type { RequestPolicy } from '../../model/requests';
import { estimateTokens, trimToSentence, trimToWords } from '../../text';
import { toolDefinitions } from '../../tools/tools';
import { SENTINEL, type AgentRecord, type Usage } from '../../types';

export interface RoleContext {
  workspace: string;
  runDir: string;
  config: Config;
  prompts: Prompts;
  policy: RequestPolicy;
  ledger: Ledger;
  plan: Plan;
  price(model: string, usage: Usage): number;
}

/** What an attempt produced; `ok: false` attempts are retried with `error` in the next prompt. */
export type AttemptResult = { ok: true; returned: string } | { ok: false; error: string };

const rel = (ctx: RoleContext, abs: string): string => path.relative(ctx.workspace, abs).split(path.sep).join('/');

function common(ctx: RoleContext, agent: AgentRecord, signal: AbortSignal) {
  return {
    agentId: agent.id,
    model: agent.modelRequested,
    cap: ctx.config.tierCaps[agent.tier],
    maxTurns: ctx.config.maxTurns,
    maxTokens: ctx.config.maxTokensPerResponse,
    requestTimeoutMs: ctx.config.requestTimeoutMs,
    caching: ctx.config.promptCaching,
    signal,
    policy: ctx.policy,
    ledger: ctx.ledger,
    price: ctx.price,
  };
}

function retryNote(previousError: string | null): string {
  return previousError
    ? `\nYour previous attempt failed: ${previousError}\nFix that this time; your file must end with the exact line ${SENTINEL}.\n`
    : '';
}

async function verifyOutput(file: string, what: string): Promise<string | null> {
  const text = await readTextOrNull(file);
  if (text === null) return `${what} was never written (write_output was not called)`;
  if (!endsWithSentinel(text)) return `${what} does not end with the line ${SENTINEL}`;
  return null;
}

/** A worker: reads its scope with the tools, writes workers/<id>.md, returns one sentence. */
export async function attemptWorker(ctx: RoleContext, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const domain = ctx.plan.domains.find((d) => d.id === agent.domain)!;
  const out = path.join(ctx.runDir, agent.outputFile);
  const result = await converse({
    ...common(ctx, agent, signal),
    system: ctx.prompts.render('worker', {}),
    sharedBlock: ctx.prompts.render('worker-shared', {
      task: ctx.plan.task, domainId: domain.id, domainName: domain.name, domainBrief: domain.brief,
    }),
    userBlock: ctx.prompts.render('worker-user', {
      agentId: agent.id, agentTask: agent.task, scope: agent.scope.join(', '),
      outputFile: rel(ctx, out), retryNote: retryNote(previousError),
    }),
    tools: toolDefinitions(),
    toolCtx: { workspace: ctx.workspace, outputRoot: ctx.config.outputRoot, ownOutputFile: out, ...ignoreOptionsOf(ctx.config) },
  });
  ctx.ledger.transition(agent.id, 'verifying');
  const sentence = trimToSentence(result.text);
  if (/^failed\b/i.test(sentence)) return { ok: false, error: `the worker reported: ${sentence}` };
  const problem = await verifyOutput(out, rel(ctx, out));
  return problem ? { ok: false, error: problem } : { ok: true, returned: sentence || 'Done.' };
}

/** A coordinator: reads exactly its workers' files (an explicit list, never a glob), writes synthesis/<d>.md. */
export async function attemptCoordinator(ctx: RoleContext, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const domain = ctx.plan.domains.find((d) => d.id === agent.domain)!;
  const out = path.join(ctx.runDir, agent.outputFile);
  const workers = agent.dependsOn.map((id) => ctx.ledger.get(id)!);
  const files = workers.map((w) => path.join(ctx.runDir, w.outputFile));
  const lines = await Promise.all(workers.map(async (w, i) => {
    const finished = w.status === 'completed' && await fileEndsWithSentinel(files[i]!);
    const state = finished ? 'completed' : `${w.status === 'completed' ? 'unfinished' : w.status}${w.error ? ` — ${w.error}` : ''}`;
    return `- ${rel(ctx, files[i]!)} (${w.id}: ${state})`;
  }));
  const result = await converse({
    ...common(ctx, agent, signal),
    system: ctx.prompts.render('coordinator', {}),
    userBlock: ctx.prompts.render('coordinator-user', {
      task: ctx.plan.task, domainId: domain.id, domainName: domain.name, domainBrief: domain.brief,
      workerFiles: lines.join('\n'), outputFile: rel(ctx, out), retryNote: retryNote(previousError),
    }),
    tools: toolDefinitions(),
    toolCtx: { workspace: ctx.workspace, outputRoot: ctx.config.outputRoot, ownOutputFile: out, extraReadable: files, ...ignoreOptionsOf(ctx.config) },
  });
  ctx.ledger.transition(agent.id, 'verifying');
  const problem = await verifyOutput(out, rel(ctx, out));
  if (problem) return { ok: false, error: problem };
  const returned = trimToWords(result.text, 300);
  return returned ? { ok: true, returned } : { ok: false, error: 'the coordinator returned no summary' };
}

/**
 * The parent step: sees the plan outline and the coordinators' returns only — never a worker
 * file — and writes summary.md. Records what it was sent (parent context) next to what a flat
 * fan-out would have sent it (every worker file).
 */
export async function attemptFinal(ctx: RoleContext, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const agents = ctx.ledger.agents;
  const outline = ctx.plan.domains.map((d) =>
    `- ${d.id}: ${d.name} — ${d.workers.map((w) => `${w.id} ${w.task}`).join('; ')}`).join('\n');
  const coordinators = agents.filter((a) => a.role === 'coordinator');
  const reports = coordinators.map((c) => {
    const d = ctx.plan.domains.find((x) => x.id === c.domain)!;
    return `## Domain ${d.id}: ${d.name} (coordinator ${c.status})\n${c.status === 'completed' ? c.returned ?? '' : `No report: ${c.error ?? c.status}`}`;
  }).join('\n\n');
  const gaps = agents.filter((a) => a.role !== 'final' && a.status !== 'completed')
    .map((a) => `- ${a.id} (${a.outputFile}): ${a.error ?? a.status}`).join('\n') || 'None.';
  const system = ctx.prompts.render('final', {});
  const user = ctx.prompts.render('final-user', { task: ctx.plan.task, planOutline: outline, reports, gaps })
    + (previousError ? `\n(Previous attempt failed: ${previousError})\n` : '');
  const result = await converse({
    ...common(ctx, agent, signal),
    system, userBlock: user, tools: [], toolCtx: null, caching: false,
  });
  if (!result.text) return { ok: false, error: 'the final synthesis was empty' };
  const out = path.join(ctx.runDir, agent.outputFile);
  await writeFileAtomic(out, `${result.text.trimEnd()}\n\n${SENTINEL}\n`);

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

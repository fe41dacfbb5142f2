import * as path from 'node:path';
import { converse } from '../../run/converse';
import { fileEndsWithSentinel, readTextOrNull, writeFileAtomic } from '../../files';
import { plural } from '../../../shared/words';
import { estimateTokens, shareBudget, trimToSentence, trimToWords } from '../../text';
import { toolDefinitions } from '../../tools/tools';
import { SENTINEL, type AgentRecord } from '../../types';
import { attemptReportingAgent, conversationBase, outputPath, packFilesSync, relToWorkspace, retryNote, runContextBlock, toolContext, verifyOutput } from '../kit';
import type { AttemptResult, RoleContext } from '../pattern';
import type { FanOutPlan } from './plan';

type Ctx = RoleContext<FanOutPlan>;

const domainOf = (ctx: Ctx, agent: AgentRecord) => ctx.plan.domains.find((d) => d.id === agent.domain)!;

/** A worker: reads its scope with the tools, writes workers/<id>.md, returns one sentence. */
export async function attemptWorker(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  if (packed(ctx, agent)) return attemptPackedWorker(ctx, agent, previousError, signal);
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
  if (packed(ctx, agent)) return attemptPackedCoordinator(ctx, agent, previousError, signal);
  const domain = domainOf(ctx, agent);
  const out = outputPath(ctx, agent);
  const { files, lines } = await workerFiles(ctx, agent);
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system: ctx.prompts.render('fan-out/coordinator', { words: coordinatorWords(ctx.plan.domains.length) }),
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
  const returned = trimToWords(result.text, coordinatorWords(ctx.plan.domains.length));
  return returned ? { ok: true, returned } : { ok: false, error: 'the coordinator returned no summary' };
}

/** Its workers' files (absolute) and the `# Worker files` lines naming each with its state. */
async function workerFiles(ctx: Ctx, agent: AgentRecord): Promise<{ workers: AgentRecord[]; files: string[]; finished: boolean[]; lines: string[] }> {
  const workers = agent.dependsOn.map((id) => ctx.ledger.get(id)!);
  const files = workers.map((w) => path.join(ctx.runDir, w.outputFile));
  const finished = await Promise.all(workers.map(async (w, i) => w.status === 'completed' && fileEndsWithSentinel(files[i])));
  const lines = workers.map((w, i) => {
    const state = finished[i] ? 'completed' : `${w.status === 'completed' ? 'unfinished' : w.status}${w.error ? ` — ${w.error}` : ''}`;
    return `- ${relToWorkspace(ctx, files[i])} (${w.id}: ${state})`;
  });
  return { workers, files, finished, lines };
}

/** Most files a worker's scope may name to be packed into one request (batch mode). */
export const PACKED_WORKER_FILES = 8;
/** Characters of file content a packed worker is sent at most (about 40,000 tokens). */
const PACKED_WORKER_CHARS = 160_000;
/** Characters of worker reports a packed coordinator is sent at most (about 100,000 tokens). */
const PACKED_COORDINATOR_CHARS = 400_000;

/**
 * Whether a worker can work single-turn from its files packed into the prompt, so in batch mode:
 * its scope names a few files (names with an extension; a folder needs the tools to explore).
 */
export function workerPackable(agent: Pick<AgentRecord, 'scope'>): boolean {
  return agent.scope.length > 0 && agent.scope.length <= PACKED_WORKER_FILES && agent.scope.every((p) => /[^/]\.[A-Za-z0-9]{1,8}$/.test(p));
}

/** The plan put this agent in a batch, and batch mode is still on: it works single-turn, without tools. */
const packed = (ctx: Ctx, agent: AgentRecord): boolean => agent.batch === true && ctx.config.batch !== 'off';

const withoutSentinel = (text: string): string => text.trimEnd().replace(/<!-- DONE -->$/, '').trimEnd();

/**
 * A batched worker: the engine reads its scope's files (through the path guard, as a mapper's) and
 * sends them with the assignment in one request without tools. The reply's first line is the
 * return; the rest is the report, which the engine writes to workers/<id>.md with the sentinel and
 * verifies like a file the worker wrote itself.
 */
async function attemptPackedWorker(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const domain = domainOf(ctx, agent);
  const out = outputPath(ctx, agent);
  const rel = relToWorkspace(ctx, out);
  const { blocks, unreadable } = packFilesSync(ctx, agent.scope, PACKED_WORKER_CHARS);
  if (unreadable.length === agent.scope.length) return { ok: false, error: `none of its ${agent.scope.length} files could be read (${unreadable[0]})` };
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system: ctx.prompts.render('fan-out/worker-packed', {}),
    sharedBlock: ctx.prompts.render('fan-out/worker-shared', {
      task: ctx.plan.task, domainId: domain.id, domainName: domain.name, domainBrief: domain.brief,
    }),
    userBlock: ctx.prompts.render('fan-out/worker-packed-user', {
      agentId: agent.id, agentTask: agent.task, scope: agent.scope.join(', '), outputFile: rel,
      retryNote: retryNote(previousError), files: blocks.join('\n\n'),
    }),
    tools: [], toolCtx: null,
  });
  ctx.ledger.transition(agent.id, 'verifying');
  const text = result.text.trim();
  const newline = text.indexOf('\n');
  const first = (newline < 0 ? text : text.slice(0, newline)).trim();
  const body = withoutSentinel(newline < 0 ? '' : text.slice(newline + 1)).trim();
  if (/^failed\b/i.test(first)) return { ok: false, error: `the worker reported: ${trimToSentence(first)}` };
  if (!/^done\b/i.test(first)) return { ok: false, error: 'the answer did not start with a line "Done. <what you found>"' };
  if (!body) return { ok: false, error: 'the answer held no findings after its first line' };
  const tail = unreadable.length ? `\n\n## Unreadable files\n\n${unreadable.map((u) => `- ${u}`).join('\n')}` : '';
  await writeFileAtomic(out, `${body}${tail}\n\n${SENTINEL}\n`);
  const problem = await verifyOutput(out, rel);
  return problem ? { ok: false, error: problem } : { ok: true, returned: trimToSentence(first) };
}

/** Where a packed coordinator's synthesis ends and its return begins. */
const RETURN_MARK = '<!-- RETURN -->';

/**
 * A batched coordinator, once its workers have settled: the engine sends their finished files
 * inline (a worker whose file is missing or unfinished is listed as such, never sent), and writes
 * the synthesis part of the reply to synthesis/<d>.md; the part after `<!-- RETURN -->` is the return.
 */
async function attemptPackedCoordinator(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const domain = domainOf(ctx, agent);
  const out = outputPath(ctx, agent);
  const rel = relToWorkspace(ctx, out);
  const { files, finished, lines } = await workerFiles(ctx, agent);
  let room = PACKED_COORDINATOR_CHARS;
  const blocks: string[] = [];
  for (let i = 0; i < files.length; i++) {
    if (!finished[i]) continue;
    // Run files the engine wrote and verified: read as a reducer reads its inputs, not through the
    // workspace guard (which keeps the output root from every agent's tools).
    let text = withoutSentinel((await readTextOrNull(files[i])) ?? '');
    if (text.length > room) text = `${text.slice(0, room)}\n[cut: the reports passed this coordinator's budget]`;
    room = Math.max(0, room - text.length);
    blocks.push(`<file path="${relToWorkspace(ctx, files[i])}">\n${text}\n</file>`);
  }
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system: ctx.prompts.render('fan-out/coordinator-packed', { words: coordinatorWords(ctx.plan.domains.length) }),
    userBlock: ctx.prompts.render('fan-out/coordinator-packed-user', {
      task: ctx.plan.task, domainId: domain.id, domainName: domain.name, domainBrief: domain.brief,
      workerFiles: lines.join('\n'), outputFile: rel, retryNote: retryNote(previousError),
      files: blocks.join('\n\n') || '(none: no worker finished)',
    }),
    tools: [], toolCtx: null,
  });
  ctx.ledger.transition(agent.id, 'verifying');
  const text = result.text.trim();
  const at = text.lastIndexOf(RETURN_MARK);
  if (at < 0) return { ok: false, error: `the answer has no line ${RETURN_MARK} between the synthesis and the top 3 items` };
  const synthesis = withoutSentinel(text.slice(0, at)).trim();
  const returned = trimToWords(text.slice(at + RETURN_MARK.length).trim(), coordinatorWords(ctx.plan.domains.length));
  if (!synthesis) return { ok: false, error: 'the answer held no synthesis before its return' };
  await writeFileAtomic(out, `${synthesis}\n\n${SENTINEL}\n`);
  const problem = await verifyOutput(out, rel);
  if (problem) return { ok: false, error: problem };
  return returned ? { ok: true, returned } : { ok: false, error: 'the coordinator returned no summary' };
}

/**
 * What the parent step is sent stays about the same size at 1,000 workers as at 30 (issue 19).
 * The coordinators' returns share FINAL_RETURN_WORDS: each is asked for, and cut to, its share
 * (300 words up to five domains, as DESIGN says; fewer past that, never under 50). Past fixed
 * budgets the outline names each domain's workers by count (the whole plan is in plan.md), the
 * returns are cut to share a character budget (a safety net for returns in long words), and the
 * gaps list is cut with a count of the rest (the ledger has all).
 */
const FINAL_RETURN_WORDS = 1_500;
const FINAL_OUTLINE_CHARS = 2_400;
const FINAL_REPORTS_CHARS = 12_000;
const FINAL_GAPS_CHARS = 1_200;

/**
 * The parent step: sees the plan outline and the coordinators' returns only — never a worker
 * file — and writes summary.md. Records what it was sent (parent context) next to what a flat
 * fan-out would have sent it (every worker file).
 */
export async function attemptFinal(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const agents = ctx.ledger.agents;
  const fullOutline = ctx.plan.domains.map((d) =>
    `- ${d.id}: ${d.name} — ${d.workers.map((w) => `${w.id} ${w.task}`).join('; ')}`).join('\n');
  const outline = fullOutline.length <= FINAL_OUTLINE_CHARS ? fullOutline : ctx.plan.domains.map((d) =>
    `- ${d.id}: ${d.name} — ${plural(d.workers.length, 'worker')} (${d.workers[0]?.id ?? ''}…${d.workers.at(-1)?.id ?? ''}; tasks in plan.md)`).join('\n');
  const coordinators = agents.filter((a) => a.role === 'coordinator');
  const returns = shareBudget(coordinators.map((c) => (c.status === 'completed' ? c.returned ?? '' : `No report: ${c.error ?? c.status}`)), FINAL_REPORTS_CHARS);
  const reports = coordinators.map((c, i) => {
    const d = ctx.plan.domains.find((x) => x.id === c.domain)!;
    return `## Domain ${d.id}: ${d.name} (coordinator ${c.status}; ${c.outputFile})\n${returns[i]}`;
  }).join('\n\n');
  const gaps = boundedLines(agents.filter((a) => a.role !== 'final' && a.role !== 'planner' && a.status !== 'completed')
    .map((a) => `- ${a.id} (${a.outputFile}): ${a.error ?? a.status}`), FINAL_GAPS_CHARS) || 'None.';
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

/** The words each coordinator may return: an even share of what the parent step reads, at most 300. */
export function coordinatorWords(domains: number): number {
  return Math.max(50, Math.min(300, Math.floor(FINAL_RETURN_WORDS / Math.max(1, domains))));
}

/** Lines while they fit in `maxChars`, then one line counting the rest. */
function boundedLines(lines: readonly string[], maxChars: number): string {
  let used = 0;
  let n = 0;
  while (n < lines.length && used + lines[n].length + 1 <= maxChars) used += lines[n++].length + 1;
  return [...lines.slice(0, n), ...(n < lines.length ? [`- … and ${lines.length - n} more (the ledger lists every agent)`] : [])].join('\n');
}

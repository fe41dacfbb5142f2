import * as path from 'node:path';
import { converse } from '../../run/converse';
import { endsWithSentinel, readTextOrNull, writeFileAtomic } from '../../files';
import { estimateTokens, trimToSentence } from '../../text';
import { SENTINEL, type AgentRecord } from '../../types';
import { conversationBase, outputPath, packFilesSync, relToWorkspace } from '../kit';
import type { AttemptResult, RoleContext } from '../pattern';
import { SELECTION_FILE, selectionLine, type SelectionFile } from './compile';
import type { MapReducePlan } from './plan';

type Ctx = RoleContext<MapReducePlan>;

/** Gap lines the final is shown at most; the rest are counted (its context stays bounded). */
const MAX_GAP_LINES = 20;
/** Excluded files summary.md lists by name; selection.json holds them all. */
const MAX_EXCLUDED_LINES = 100;

const fail = (error: string): AttemptResult => ({ ok: false, error });
const note = (previousError: string | null): string => (previousError ? `\nYour previous attempt failed: ${previousError}\nFix that this time.\n` : '');
const withoutSentinel = (text: string): string => text.trimEnd().replace(/<!-- DONE -->$/, '').trimEnd();
const attr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * A mapper: the engine reads its files (through the path guard again: a file may have become a
 * symlink to a secret since planning) and sends them inline with the question, so the mapper
 * needs one request and no tools. Its answer must name every file it was sent; the engine writes
 * mappers/<id>.md with the sentinel.
 */
export async function attemptMapper(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const out = outputPath(ctx, agent);
  const { userBlock, unreadable } = mapperInput(ctx, agent, relToWorkspace(ctx, out), previousError);
  if (userBlock === null) return fail(`none of its ${agent.scope.length} files could be read (${unreadable[0]})`);
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system: ctx.prompts.render('map-reduce/mapper', {}),
    sharedBlock: ctx.prompts.render('map-reduce/question', { task: ctx.plan.task, question: ctx.plan.question }),
    userBlock,
    tools: [], toolCtx: null,
  });
  ctx.ledger.transition(agent.id, 'verifying');
  const text = result.text.trim();
  if (!text) return fail('the mapper answered nothing');
  if (/^failed\b/i.test(text)) return fail(`the mapper reported: ${trimToSentence(text)}`);
  const unread = new Set(unreadable.map((u) => u.slice(0, u.indexOf(': '))));
  const missing = agent.scope.filter((f) => !unread.has(f) && !text.includes(f));
  if (missing.length) {
    return fail(`the answer does not name ${missing.length} of its files (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}); give each file its own "### <path>" heading`);
  }
  const tail = unreadable.length ? `\n\n## Unreadable files\n\n${unreadable.map((u) => `- ${u}`).join('\n')}` : '';
  await writeFileAtomic(out, `${text}${tail}\n\n${SENTINEL}\n`);
  return { ok: true, returned: `Done. Answered for ${agent.scope.length - unreadable.length} of ${agent.scope.length} files.` };
}

/**
 * A mapper's prompt with its files packed in. Only the rendered prompt outlives this call: a
 * mapper waits for its answer with it (in batch mode every mapper of the run at once, until the
 * batch ends), and the file texts and their join would otherwise wait too, as locals of the
 * suspended attempt.
 */
function mapperInput(ctx: Ctx, agent: AgentRecord, outputFile: string, previousError: string | null): { userBlock: string | null; unreadable: string[] } {
  const { blocks, unreadable } = packFilesSync(ctx, agent.scope, ctx.plan.mapperTokens * 4);
  if (unreadable.length === agent.scope.length) return { userBlock: null, unreadable };
  const userBlock = ctx.prompts.render('map-reduce/mapper-user', {
    agentId: agent.id, fileCount: agent.scope.length, fileList: agent.scope.map((f) => `- ${f}`).join('\n'),
    outputFile, retryNote: note(previousError), files: blocks.join('\n\n'),
  });
  return { userBlock, unreadable };
}

/** Files below an agent of the tree: a mapper's scope, a reducer's inputs' files. */
function coverage(ctx: Ctx, agent: AgentRecord): number {
  if (agent.role === 'mapper') return agent.scope.length;
  return agent.dependsOn.reduce((n, id) => n + coverage(ctx, ctx.ledger.get(id)!), 0);
}

/**
 * What an input agent left for the agent above it: its output without the sentinel, or why there
 * is none. Only a completed agent whose file ends with the sentinel counts.
 */
async function outputOf(ctx: Ctx, a: AgentRecord): Promise<{ text: string } | { missing: string }> {
  const text = a.status === 'completed' ? await readTextOrNull(path.join(ctx.runDir, a.outputFile)) : null;
  if (text !== null && endsWithSentinel(text)) return { text: withoutSentinel(text) };
  return { missing: a.status === 'completed' ? `${a.outputFile} is missing or unfinished` : `${a.status}${a.error ? ` — ${a.error}` : ''}` };
}

/**
 * A reducer: the engine sends it the outputs of its inputs (never more than the plan's fan-in),
 * marking the ones that never arrived, and writes reducers/<id>.md from its answer.
 */
export async function attemptReducer(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  if (agent.dependsOn.length > ctx.plan.fanIn) {
    return fail(`reducer ${agent.id} has ${agent.dependsOn.length} inputs; the plan allows at most ${ctx.plan.fanIn}`);
  }
  const inputs = agent.dependsOn.map((id) => ctx.ledger.get(id)!);
  const outputs = await Promise.all(inputs.map((a) => outputOf(ctx, a)));
  if (outputs.every((o) => 'missing' in o)) return fail(`none of its ${inputs.length} inputs completed (${inputs.map((a) => a.id).join(', ')})`);
  const reports = inputs.map((a, i) => {
    const o = outputs[i];
    const head = `from="${a.id}" covers="${coverage(ctx, a)} files"`;
    return 'missing' in o ? `<report ${head} missing="${attr(o.missing)}"/>` : `<report ${head}>\n${o.text}\n</report>`;
  });
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system: ctx.prompts.render('map-reduce/reducer', {}),
    userBlock: ctx.prompts.render('map-reduce/reducer-user', {
      question: ctx.prompts.render('map-reduce/question', { task: ctx.plan.task, question: ctx.plan.question }),
      agentId: agent.id, inputCount: inputs.length, fanIn: ctx.plan.fanIn, reports: reports.join('\n\n'), retryNote: note(previousError),
    }),
    tools: [], toolCtx: null,
  });
  ctx.ledger.transition(agent.id, 'verifying');
  const text = result.text.trim();
  if (!text) return fail('the reducer answered nothing');
  if (/^failed\b/i.test(text)) return fail(`the reducer reported: ${trimToSentence(text)}`);
  await writeFileAtomic(outputPath(ctx, agent), `${text}\n\n${SENTINEL}\n`);
  const arrived = outputs.filter((o) => 'text' in o).length;
  return { ok: true, returned: `Done. Combined ${arrived} of ${inputs.length} inputs covering ${coverage(ctx, agent)} files.` };
}

async function readSelection(ctx: Ctx): Promise<SelectionFile | null> {
  const text = await readTextOrNull(path.join(ctx.runDir, SELECTION_FILE)).catch(() => null);
  try {
    return text === null ? null : JSON.parse(text) as SelectionFile;
  } catch {
    return null;
  }
}

/** The engine-written Selection section of summary.md: the counts, then the excluded files by name. */
function selectionSection(sel: SelectionFile | null): string {
  if (!sel) return `## Selection\n\n${SELECTION_FILE} could not be read.`;
  const lines = ['## Selection', '', selectionLine(sel)];
  if (sel.excluded.length) {
    lines.push('', '### Excluded files', '');
    for (const e of sel.excluded.slice(0, MAX_EXCLUDED_LINES)) lines.push(`- \`${e.path}\` — ${e.reason}: ${e.detail}`);
    if (sel.excluded.length > MAX_EXCLUDED_LINES) lines.push(`- … and ${sel.excluded.length - MAX_EXCLUDED_LINES} more in ${SELECTION_FILE}`);
  }
  return lines.join('\n');
}

/**
 * The parent step: sees the question, one line on the selection, the single output of the top
 * of the tree and at most MAX_GAP_LINES gap lines, so its context is bounded whatever the number of
 * files. Writes summary.md with the engine's Selection section (excluded files by name).
 */
export async function attemptFinal(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const top = ctx.ledger.get(agent.dependsOn[0])!;
  const combined = await outputOf(ctx, top);
  if ('missing' in combined) return fail(`the combined answer from ${top.id} never arrived: ${combined.missing}`);
  const selection = await readSelection(ctx);
  const agents = ctx.ledger.agents;
  const gapAgents = agents.filter((a) => a.role !== 'final' && a.role !== 'planner' && a.status !== 'completed');
  const gapLines = gapAgents.slice(0, MAX_GAP_LINES).map((a) => `- ${a.id} (${a.outputFile}): ${a.error ?? a.status}`);
  if (gapAgents.length > MAX_GAP_LINES) gapLines.push(`- … and ${gapAgents.length - MAX_GAP_LINES} more`);
  const system = ctx.prompts.render('map-reduce/final', {});
  const question = ctx.prompts.render('map-reduce/question', { task: ctx.plan.task, question: ctx.plan.question });
  const user = ctx.prompts.render('map-reduce/final-user', {
    question, selection: selection ? selectionLine(selection) : 'unknown', source: top.id, combined: combined.text,
    gaps: gapLines.join('\n') || 'None.',
  }) + note(previousError);
  const result = await converse({ ...conversationBase(ctx, agent, signal), system, userBlock: user, tools: [], toolCtx: null, caching: false });
  const text = result.text.trim();
  if (!text) return fail('the final answer was empty');
  await writeFileAtomic(outputPath(ctx, agent), `${text}\n\n${selectionSection(selection)}\n\n${SENTINEL}\n`);

  // The baseline: a parent that read every mapper's answer itself, as a flat map would have it do.
  let mapperTokens = 0;
  for (const m of agents.filter((a) => a.role === 'mapper')) {
    mapperTokens += estimateTokens((await readTextOrNull(path.join(ctx.runDir, m.outputFile)).catch(() => null)) ?? '');
  }
  ctx.ledger.patchTotals({ parentContextTokens: result.lastPromptTokens, flatBaselineTokens: estimateTokens(system + question) + mapperTokens });
  return { ok: true, returned: trimToSentence(text.replace(/^#.*$/gm, ''), 200) };
}

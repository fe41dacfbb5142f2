import * as path from 'node:path';
import { readTextOrNull, writeFileAtomic } from '../../files';
import { converse } from '../../run/converse';
import { trimToSentence } from '../../text';
import { toolDefinitions } from '../../tools/tools';
import { SENTINEL, type AgentRecord } from '../../types';
import { conversationBase, outputPath, packFilesSync, relToWorkspace, retryNote, runContextBlock, toolContext, verifyOutput } from '../kit';
import type { AttemptResult, RoleContext } from '../pattern';
import { TALLY_FILE } from './compile';
import { quorumOf, type PanelPlan } from './plan';
import { renderTally, tallyPanel, type ExpertOutcome, type Tally } from './tally';
import { extractVerdict, missingSections } from './verdict';
import { noun } from '../../../shared/words';

type Ctx = RoleContext<PanelPlan>;

/** The sections the consensus must write; the engine adds the tally table and the Gaps after them. */
export const SUMMARY_SECTIONS = ['Verdict', 'Where experts agree', 'Where experts disagree'] as const;
const TALLY_HEADING = '## Panel tally';

const specOf = (ctx: Ctx, id: string) => {
  const spec = ctx.plan.experts.find((e) => e.id === id);
  if (!spec) throw new Error(`Expert ${id} is not in the plan`);
  return spec;
};

const cut = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1).trimEnd()}…`);

/**
 * An expert: judges the question from its one perspective with the read-only tools, writes
 * experts/<id>.md with a verdict block, returns one sentence. It is given the question and its
 * own assignment only; the output root is unreadable to it, so no other expert's answer can reach it.
 */
export async function attemptExpert(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  if (agent.batch) return attemptPackedExpert(ctx, agent, previousError, signal);
  const spec = specOf(ctx, agent.id);
  const out = outputPath(ctx, agent);
  const rel = relToWorkspace(ctx, out);
  const scope = spec.scope.length ? spec.scope.join(', ')
    : ctx.plan.focus.length ? `${ctx.plan.focus.join(', ')} (the run's focus)` : 'the whole workspace';
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system: ctx.prompts.render('panel/expert', {}),
    runBlock: await runContextBlock(ctx),
    sharedBlock: ctx.prompts.render('panel/expert-shared', {
      task: ctx.plan.task, question: ctx.plan.question, brief: ctx.plan.brief || '(none)',
    }),
    userBlock: ctx.prompts.render('panel/expert-user', {
      agentId: agent.id, perspective: spec.perspective, agentTask: spec.task, scope,
      outputFile: rel, retryNote: retryNote(previousError),
    }),
    tools: toolDefinitions(),
    toolCtx: toolContext(ctx, agent),
  });
  ctx.ledger.transition(agent.id, 'verifying');
  const sentence = trimToSentence(result.text);
  if (/^failed\b/i.test(sentence)) return { ok: false, error: `the expert reported: ${sentence}` };
  const problem = await verifyOutput(out, rel);
  if (problem) return { ok: false, error: problem };
  const check = extractVerdict((await readTextOrNull(out)) ?? '');
  if (!check.ok) return { ok: false, error: `${rel}: ${check.error}` };
  const v = check.verdict;
  // The return carries the verdict, so the ledger alone can fill a verdict table.
  const returned = `Verdict ${v.verdict} (confidence ${v.confidence.toFixed(2)})${v.concerns[0] ? `; top concern: ${v.concerns[0]}` : '.'}`;
  return { ok: true, returned: cut(returned, 200) };
}

/** Most files an expert's scope may name to be packed into one request (batch mode). */
export const PACKED_EXPERT_FILES = 8;
/** Characters of file content a packed expert is sent at most (about 40,000 tokens). */
const PACKED_EXPERT_CHARS = 160_000;

/**
 * Whether an expert can work single-turn from its files packed into the prompt, so in batch mode:
 * its scope names a few files (a name with an extension, not a folder and not the whole workspace).
 */
export function expertPackable(agent: Pick<AgentRecord, 'scope'>): boolean {
  return agent.scope.length > 0 && agent.scope.length <= PACKED_EXPERT_FILES && agent.scope.every((p) => /[^/]\.[A-Za-z0-9]{1,8}$/.test(p));
}

/**
 * A batched expert: the engine reads its scope's files (as a mapper's) and sends them with the
 * question in one request without tools; the reply is the assessment, which the engine writes to
 * experts/<id>.md with the sentinel and checks like a file the expert wrote itself.
 */
async function attemptPackedExpert(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const spec = specOf(ctx, agent.id);
  const out = outputPath(ctx, agent);
  const rel = relToWorkspace(ctx, out);
  const { blocks, unreadable } = packFilesSync(ctx, agent.scope, PACKED_EXPERT_CHARS);
  if (unreadable.length === agent.scope.length) return { ok: false, error: `none of its ${agent.scope.length} files could be read (${unreadable[0]})` };
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system: ctx.prompts.render('panel/expert-packed', {}),
    sharedBlock: ctx.prompts.render('panel/expert-shared', {
      task: ctx.plan.task, question: ctx.plan.question, brief: ctx.plan.brief || '(none)',
    }),
    userBlock: ctx.prompts.render('panel/expert-packed-user', {
      agentId: agent.id, perspective: spec.perspective, agentTask: spec.task, scope: agent.scope.join(', '),
      outputFile: rel, retryNote: retryNote(previousError), files: blocks.join('\n\n'),
    }),
    tools: [], toolCtx: null,
  });
  ctx.ledger.transition(agent.id, 'verifying');
  const text = result.text.trim().replace(/<!-- DONE -->\s*$/, '').trimEnd();
  if (!text) return { ok: false, error: 'the expert answered nothing' };
  if (/^failed\b/i.test(text)) return { ok: false, error: `the expert reported: ${trimToSentence(text)}` };
  const check = extractVerdict(text);
  if (!check.ok) return { ok: false, error: `the answer: ${check.error}` };
  const tail = unreadable.length ? `\n\n## Unreadable files\n\n${unreadable.map((u) => `- ${u}`).join('\n')}` : '';
  await writeFileAtomic(out, `${text}${tail}\n\n${SENTINEL}\n`);
  const v = check.verdict;
  const returned = `Verdict ${v.verdict} (confidence ${v.confidence.toFixed(2)})${v.concerns[0] ? `; top concern: ${v.concerns[0]}` : '.'}`;
  return { ok: true, returned: cut(returned, 200) };
}

/** What each expert left: its verdict read back from its file, or the reason it is a gap. */
async function outcomes(ctx: Ctx, agent: AgentRecord): Promise<ExpertOutcome[]> {
  return Promise.all(agent.dependsOn.map(async (id): Promise<ExpertOutcome> => {
    const expert = ctx.ledger.get(id)!;
    const base = { id, perspective: specOf(ctx, id).perspective, file: expert.outputFile };
    if (expert.status !== 'completed') {
      return { ...base, verdict: null, gap: `${expert.status}${expert.error ? ` — ${expert.error}` : ''}` };
    }
    const text = await readTextOrNull(path.join(ctx.runDir, expert.outputFile));
    const check = extractVerdict(text ?? '');
    return check.ok ? { ...base, verdict: check.verdict, gap: null } : { ...base, verdict: null, gap: `verdict unreadable: ${check.error}` };
  }));
}

/**
 * The consensus: the engine tallies the verdicts first (panel/tally.json, and a log line in the
 * ledger's events), then the model reads the tally and the answering experts' files (an explicit
 * list; a failed expert's file is not readable, it is a gap) and writes summary.md with the
 * verdict, where the experts agree and where they disagree. The engine appends the tally table.
 */
export async function attemptConsensus(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const experts = await outcomes(ctx, agent);
  const tally = tallyPanel(ctx.plan.question, quorumOf(ctx.plan), experts);
  await writeFileAtomic(path.join(ctx.runDir, TALLY_FILE), `${JSON.stringify(tally, null, 2)}\n`);
  ctx.ledger.log('info', `panel tally: ${tally.line}`);
  if (tally.answered === 0) return { ok: false, error: `no expert answered (${tally.line}); there is nothing to weigh` };

  const out = outputPath(ctx, agent);
  const rel = relToWorkspace(ctx, out);
  const readable = experts.filter((e) => e.verdict).map((e) => path.join(ctx.runDir, e.file));
  const list = experts.map((e) => {
    const file = relToWorkspace(ctx, path.join(ctx.runDir, e.file));
    return e.verdict
      ? `- ${file} (${e.id}, ${e.perspective}: answered ${e.verdict.verdict})`
      : `- ${e.id}, ${e.perspective}: no answer — ${e.gap} (a gap: do not read or invent its view)`;
  }).join('\n');
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system: ctx.prompts.render('panel/consensus', {}),
    userBlock: ctx.prompts.render('panel/consensus-user', {
      task: ctx.plan.task, question: ctx.plan.question, tally: renderTally(tally), expertFiles: list,
      outputFile: rel, retryNote: retryNote(previousError),
    }),
    tools: toolDefinitions(),
    toolCtx: toolContext(ctx, agent, { extraReadable: readable }),
  });
  ctx.ledger.transition(agent.id, 'verifying');
  const problem = await verifyOutput(out, rel);
  if (problem) return { ok: false, error: problem };
  const text = (await readTextOrNull(out)) ?? '';
  const missing = missingSections(text, SUMMARY_SECTIONS);
  if (missing.length) return { ok: false, error: `${rel} lacks the ${noun(missing.length, 'section')} ${missing.map((m) => `"## ${m}"`).join(', ')}` };
  await writeFileAtomic(out, withTally(text, tally));
  const sentence = trimToSentence(result.text.replace(/^#.*$/gm, ''), 200);
  return { ok: true, returned: cut(`${sentence ? `${sentence} ` : ''}(${tally.line})`, 400) };
}

/** summary.md with the engine's tally section before the sentinel (replacing one a previous attempt left). */
function withTally(text: string, tally: Tally): string {
  const lines = text.trimEnd().slice(0, -SENTINEL.length).trimEnd().split('\n');
  const start = lines.findIndex((l) => l.trim() === TALLY_HEADING);
  if (start >= 0) {
    const next = lines.findIndex((l, i) => i > start && /^#{1,2}\s/.test(l));
    lines.splice(start, (next < 0 ? lines.length : next) - start);
  }
  return `${lines.join('\n').trimEnd()}\n\n${TALLY_HEADING}\n\n${renderTally(tally)}\n\nThe tally as data: [${TALLY_FILE}](${TALLY_FILE}).\n\n${SENTINEL}\n`;
}

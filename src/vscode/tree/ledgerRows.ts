/**
 * The Ledger tree's rows as text: what each run, group and agent row says, in the order a narrow
 * sidebar should keep it. No vscode import: treeItems.ts turns these into TreeItems, and the unit
 * tests check the text itself (what survives at the default sidebar width).
 *
 * VS Code shows a row's label whole and cuts its description from the end, so the label is short
 * (an agent's id, a run's start time) and the description leads with what must stay visible
 * (status, then cost); the task comes last, and whole in the tooltip.
 */
import { runProgress, type Progress } from '../../engine/ledger/progress';
import { DEFAULT_PATTERN, isWaitingApproval, type AgentRecord, type BatchRecord, type LedgerSnapshot, type ListedRun, type RunStatus } from '../../engine';
import { plural, startedVia } from '../../shared/words';
import { byEngine, roleLabel, shownStatus, startedByOf, type ShownStatus } from '../runs/runShape';
import { elapsedMs, formatCost, formatDuration, formatTokens, totalTokens, truncate } from '../format';
import { batchAnswered, batchProgress, batchProgressText, batchStateWord, batchTotal, countsText, shortBatchId, type AgentBatchState } from '../runs/batchView';

export interface RowText { label: string; description: string }

/**
 * About how many characters of `label + description` a row shows at the default sidebar width
 * (~260 px): ~28 at the run level, ~22 for an agent two levels down. The id, status and cost of
 * every row must fit in this; the tests hold the rows to it.
 */
export const NARROW_AGENT_CHARS = 22;
export const NARROW_RUN_CHARS = 28;

/**
 * Money in a row: a real run's spend, or for a simulated run what the same tokens would cost,
 * marked "≈" (the run row says "simulated"; the tooltip spells it out). Short, because a
 * narrow sidebar keeps only the start of a row.
 */
export function rowCost(usd: number, simulated: boolean): string {
  return simulated ? `≈${formatCost(usd)}` : formatCost(usd);
}

const RUN_WORD: Partial<Record<RunStatus, string>> = { 'awaiting-approval': 'awaiting approval' };
export const runStatusWord = (s: RunStatus): string => RUN_WORD[s] ?? s;

/**
 * An agent's status in its row. Two words are shortened for the narrow sidebar: `done` (what
 * every done/total counts: completed, and only that) and `cut off` (interrupted); the tooltip
 * and the other views keep the ledger's words.
 */
const AGENT_WORD: Partial<Record<ShownStatus, string>> = { completed: 'done', interrupted: 'cut off' };
export const agentStatusWord = (s: ShownStatus): string => AGENT_WORD[s] ?? s;

/** A gate waiting for the user's approval, short for the narrow sidebar (the tooltip says whose). */
export const WAITING_WORD = 'needs approval';

/** An agent has a cost worth showing once it has started (a pending agent's $0 says nothing). */
const NOT_STARTED: ReadonlySet<ShownStatus> = new Set(['pending', 'queued', 'skipped']);

/**
 * `a1  done · $0.004 · haiku · 3.1k tok · 12 s · Find every HTTP handler…`: status and cost
 * first, then what a wider sidebar has room for, then the task (or the role of a coordinator or
 * run-level step: `final  completed · $0.006 · sonnet · … · Final summary`).
 */
export function agentRow(
  a: AgentRecord, now: number, runStatus: RunStatus = 'running', simulated = false, pattern: string = DEFAULT_PATTERN, batch: AgentBatchState = { kind: 'none' },
): RowText {
  const status = shownStatus(a, runStatus);
  // An agent waiting in a batch has nothing to show but the batch: its answer comes all at once.
  if (batch.kind === 'waiting') return { label: a.id, description: batchWaitRow(a, status, batch.batch, pattern) };
  // A gate waiting for the user completed its step, but nothing after it runs until they approve.
  const parts: string[] = [isWaitingApproval(a) ? WAITING_WORD : agentStatusWord(status)];
  if (!NOT_STARTED.has(status) || a.costUsd > 0) parts.push(rowCost(a.costUsd, simulated));
  if (batch.kind === 'planned') parts.push('batch planned');
  else if (batch.kind === 'batched') parts.push('batched');
  // A builder's change next: it is what the user reviews.
  if (a.changes) parts.push(`${plural(a.changes.files.length, 'file')} +${a.changes.added} −${a.changes.removed}`);
  // A step the engine does itself (the build's assembly) has no model.
  if (!byEngine(pattern, a)) parts.push(a.tier);
  // The user's own agent definition it runs as, where the plan put it (`@api-reviewer`).
  if (a.agentDefinition) parts.push(`@${a.agentDefinition}`);
  const tok = totalTokens(a.usage);
  if (tok > 0) parts.push(`${formatTokens(tok)} tok`);
  // A cut-off agent has no end time; counting its duration up to now would grow forever.
  const ms = status === 'interrupted' ? null : elapsedMs(a.startedAt, a.endedAt, now);
  if (ms !== null) parts.push(formatDuration(ms));
  if (a.attempts > 1) parts.push(`attempt ${a.attempts}`);
  parts.push(roleLabel(pattern, a) ?? truncate(a.task, 120));
  // The id is the label for every agent: short, so the status and cost after it stay in view.
  return { label: a.id, description: parts.join(' · ') };
}

/**
 * `in batch 20/300 · msgbatch_…DV8d · 279 processing, 20 succeeded, 1 errored · haiku · task`:
 * the batch's progress first (it fits the narrow sidebar after the id), then which batch and its
 * counts. A cut-off run's agent keeps `cut off` first: its batch goes on at the API, and Resume
 * collects it.
 */
function batchWaitRow(a: AgentRecord, status: ShownStatus, b: BatchRecord, pattern: string): string {
  const state = batchStateWord(b);
  const head = status === 'interrupted' ? `cut off · in batch ${batchAnswered(b)}/${batchTotal(b)}`
    : state === 'processing' ? `in batch ${batchAnswered(b)}/${batchTotal(b)}` : `batch ${state} ${batchAnswered(b)}/${batchTotal(b)}`;
  const parts = [head, shortBatchId(b.id)];
  const counts = countsText(b.counts);
  if (counts) parts.push(counts);
  if (!byEngine(pattern, a)) parts.push(a.tier);
  // The user's own agent definition it runs as, where the plan put it (`@api-reviewer`).
  if (a.agentDefinition) parts.push(`@${a.agentDefinition}`);
  parts.push(roleLabel(pattern, a) ?? truncate(a.task, 120));
  return parts.join(' · ');
}

/**
 * When the run started, as the row's label: what tells two runs of the same task apart. Today's
 * runs by time of day, older ones with the date; seconds, because a retry often starts within the
 * same minute.
 */
export function runStartLabel(iso: string, now: number): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
  const today = new Date(now);
  if (t.toDateString() === today.toDateString()) return time;
  const month = t.toLocaleString('en-US', { month: 'short' });
  return t.getFullYear() === today.getFullYear() ? `${month} ${t.getDate()} ${time}` : `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}`;
}

/** `14:02:31  completed · ≈$0.42 · 1m 0s · simulated · Audit this repo…` */
export function runRow(s: ListedRun, now: number): RowText {
  const parts: string[] = [runStatusWord(s.status)];
  if (s.totals.costUsd > 0 || s.status === 'completed' || s.status === 'partial') parts.push(rowCost(s.totals.costUsd, s.simulated));
  // Batches in flight say how far they are: a run waiting on them can sit for hours at one count.
  const batches = batchProgressText(batchProgress(s));
  if (batches) parts.push(batches);
  const ms = elapsedMs(s.startedAt, s.endedAt, now);
  if (ms !== null) parts.push(formatDuration(ms));
  if (s.simulated) parts.push('simulated');
  // A run folder that came with the workspace says so where the user looks first.
  if (s.origin?.local === false) parts.push('not created here');
  const by = startedByOf(s);
  if (by) parts.push(startedVia(by));
  parts.push(truncate(s.task, 120));
  return { label: runStartLabel(s.createdAt, now), description: parts.join(' · ') };
}

/** A group's (or a page's) `done/total`, from the one count every view uses, with what went wrong. */
export function groupProgressText(agents: readonly AgentRecord[]): { text: string; progress: Progress } {
  const p = runProgress(agents);
  const parts = [`${p.done}/${p.total}`];
  if (p.failed) parts.push(`${p.failed} failed`);
  if (p.cancelled) parts.push(`${p.cancelled} cancelled`);
  if (p.skipped) parts.push(`${p.skipped} skipped`);
  return { text: parts.join(' · '), progress: p };
}

/** The run's done/total for its tooltip, from the same count. */
export function runProgressLine(s: LedgerSnapshot): string {
  const p = runProgress(s.agents);
  return `${p.done}/${p.total} agents completed`;
}

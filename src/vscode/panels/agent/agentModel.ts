/**
 * What one agent's view shows: its header (task, scope, model, status, attempts, usage) from the
 * ledger, and its transcript entries as the webview renders them. Also the bookkeeping that keeps
 * the file and the live stream from showing an entry twice. Pure, so it is unit-tested.
 */
import { DEFAULT_PATTERN, PLANNER_ROLE, type AgentRecord, type TranscriptEntry } from '../../../engine';
import type { AgentHeader, EntryView } from '../../../shared/agentProtocol';
import type { RunHead } from '../../runs/runStore';
import { groupLabel, shownStatus, viewOf } from '../../runs/runShape';

/** Most characters of one string the view is sent (the engine's own excerpts are smaller). */
export const VIEW_TEXT_LIMIT = 40_000;
/** Tool inputs are shown as indented JSON, cut here (a write_output's whole report is in the output file). */
export const TOOL_INPUT_LIMIT = 4_000;

const IN_FLIGHT = new Set(['queued', 'running', 'verifying', 'retrying']);
const FINISHED_RUN = new Set(['completed', 'partial', 'failed', 'cancelled']);

const cut = (s: string, max = VIEW_TEXT_LIMIT): string => (s.length <= max ? s : `${s.slice(0, max)}… [${s.length - max} more characters in the transcript file]`);

function inputText(input: unknown): string {
  if (input === undefined) return '';
  let text: string;
  try {
    text = typeof input === 'string' ? input : JSON.stringify(input, null, 2) ?? '';
  } catch {
    text = '(input not representable as JSON)';
  }
  return cut(text, TOOL_INPUT_LIMIT);
}

/** One engine transcript entry as the view's wire format: tool input as text, every string bounded. */
export function entryView(e: TranscriptEntry): EntryView {
  const base = { t: e.t, attempt: e.attempt };
  switch (e.type) {
    case 'attempt': return { ...base, type: 'attempt', model: e.model, prompt: cut(e.prompt), promptBytes: e.promptBytes, instruction: e.instruction === null ? null : cut(e.instruction) };
    case 'request': return { ...base, type: 'request', turn: e.turn, model: e.model };
    case 'text': return { ...base, type: 'text', text: cut(e.text) };
    case 'text_delta': return { ...base, type: 'text_delta', text: cut(e.text) };
    case 'tool_call': return { ...base, type: 'tool_call', id: e.id.slice(0, 200), name: e.name.slice(0, 200), input: inputText(e.input) };
    case 'tool_result': return { ...base, type: 'tool_result', id: e.id.slice(0, 200), ok: e.ok, excerpt: cut(e.excerpt), bytes: e.bytes };
    case 'usage': return { ...base, type: 'usage', usage: { ...e.usage }, costUsd: e.costUsd, stopReason: e.stopReason, model: e.modelReported };
    case 'error': return { ...base, type: 'error', message: cut(e.message), transient: e.transient ?? false };
    case 'retry': return { ...base, type: 'retry', n: e.n, waitMs: e.waitMs, reason: cut(e.reason) };
    case 'ask': return { ...base, type: 'ask', question: cut(e.question) };
    case 'answer': return { ...base, type: 'answer', text: cut(e.text), file: e.file.slice(0, 500) };
    case 'truncated': return { ...base, type: 'truncated', droppedBytes: e.droppedBytes, droppedEntries: e.droppedEntries };
  }
}

/**
 * Identity of a written entry, to tell one seen live from the same one read back from the file
 * (keys sorted: the schema that reads the file back may order them differently).
 */
export function entryKey(e: TranscriptEntry): string {
  return JSON.stringify(e, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : v));
}

/**
 * The entries the view holds, kept compact for the next full reset: consecutive text deltas of an
 * attempt are joined, and a response's `text` replaces the deltas that streamed it.
 */
export function appendShown(shown: EntryView[], e: EntryView): void {
  const last = shown[shown.length - 1];
  if (e.type === 'text_delta' && last?.type === 'text_delta' && last.attempt === e.attempt) {
    shown[shown.length - 1] = { ...last, text: last.text + e.text };
    return;
  }
  if (e.type === 'text') {
    while (shown.length && shown[shown.length - 1].type === 'text_delta' && shown[shown.length - 1].attempt === e.attempt) shown.pop();
  }
  shown.push(e);
}

/**
 * What one agent view has shown: each written entry once (its live and its file copy count once),
 * kept compact by appendShown. `accept` answers the view of an entry that is new, or null.
 */
export class ShownTranscript {
  readonly entries: EntryView[] = [];
  private readonly keys = new Set<string>();

  accept(entry: TranscriptEntry): EntryView | null {
    if (entry.type !== 'text_delta') {
      const key = entryKey(entry);
      if (this.keys.has(key)) return null;
      this.keys.add(key);
    }
    const view = entryView(entry);
    appendShown(this.entries, view);
    return view;
  }
}

/**
 * Joins what the file holds with what streamed in while it was read: live entries the file
 * already has are dropped, and so is everything live before the last of them (its text deltas
 * are in the file as whole text). What follows is new.
 */
export function mergeLive(fileKeys: ReadonlySet<string>, live: readonly TranscriptEntry[]): TranscriptEntry[] {
  let last = -1;
  live.forEach((e, i) => { if (e.type !== 'text_delta' && fileKeys.has(entryKey(e))) last = i; });
  return live.slice(last + 1).filter((e) => e.type === 'text_delta' || !fileKeys.has(entryKey(e)));
}

export interface HeaderContext {
  /** This window executes the run (its entries arrive live). */
  executingHere: boolean;
  /** Another process executes it and the view follows its file. */
  following: boolean;
  /** The agent's output file exists. */
  written: boolean;
}

/** The agent's group as the tree names it (a ledger without groups: its domain id, as `Domain a` for fan-out). */
function groupName(s: RunHead, a: AgentRecord): string | null {
  if (!a.domain) return null;
  const pattern = s.pattern ?? DEFAULT_PATTERN;
  const groups = s.groups ?? [];
  const i = groups.findIndex((g) => g.id === a.domain);
  if (i >= 0) return groupLabel(pattern, groups[i], i);
  return viewOf(pattern).unlistedGroupLabel?.(a.domain) ?? a.domain;
}

export function agentHeader(s: RunHead, a: AgentRecord, ctx: HeaderContext): AgentHeader {
  const status = shownStatus(a, s.status);
  const runBusyElsewhere = (s.status === 'running' || s.status === 'planning') && !ctx.executingHere;
  return {
    runId: s.runId, runTask: s.task, runStatus: s.status,
    id: a.id, role: a.role, group: groupName(s, a),
    task: a.task, scope: [...a.scope], tier: a.tier, modelRequested: a.modelRequested, modelReported: a.modelReported,
    status, attempts: a.attempts, requests: a.requests, toolCalls: a.toolCalls, usage: { ...a.usage }, costUsd: a.costUsd,
    simulated: s.simulated, startedAt: a.startedAt, endedAt: a.endedAt, outputFile: a.outputFile,
    returned: a.returned === null ? null : cut(a.returned), error: a.error === null ? null : cut(a.error),
    actions: {
      stop: IN_FLIGHT.has(status) && a.role !== PLANNER_ROLE,
      rerun: !IN_FLIGHT.has(status) && status !== 'pending' && a.role !== PLANNER_ROLE && FINISHED_RUN.has(s.status) && !ctx.executingHere,
      ask: !IN_FLIGHT.has(status) && status !== 'pending' && !runBusyElsewhere,
      openOutput: ctx.written,
    },
    // Entries arrive only while the agent works (a rerun or a question makes it work again).
    live: (ctx.executingHere || ctx.following) && IN_FLIGHT.has(status),
  };
}

/**
 * ledger.json read back, and rebuilt from events.jsonl when it is damaged (DESIGN §3: the ledger
 * can be rebuilt from the event log). A truncated or hand-broken snapshot is reported as damaged,
 * naming the file, never as a missing run; `resume` rebuilds it and goes on.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import {
  addUsage, AGENT_STATUSES, FINISHED_RUN_STATUSES, RUN_STATUSES, SETTLED_STATUSES, ZERO_USAGE,
  type AgentRecord, type EngineEvent, type LedgerSnapshot, type RunTotals,
} from '../types';
import { readEvents, type SkippedLine } from './events';
import { noun, plural } from '../../shared/words';

export const LEDGER_FILE = 'ledger.json';
export const EVENTS_FILE = 'events.jsonl';
/** Where a damaged ledger.json is kept when it is rebuilt, for whoever wants to look at it. */
export const DAMAGED_LEDGER_FILE = 'ledger.json.damaged';

/** ledger.json exists but cannot be used: `file` names it, `reason` says what is wrong with it. */
export class LedgerDamagedError extends Error {
  constructor(readonly runId: string, readonly file: string, readonly reason: string, message?: string) {
    super(message ?? `Run ${runId}: ${file} is damaged (${reason}). Its events.jsonl can rebuild it: orchestrate resume ${runId} (in VS Code: Orchestration: Resume Run)`);
    this.name = 'LedgerDamagedError';
  }
}

/**
 * The fields every reader of a snapshot relies on; the rest pass through. A snapshot missing
 * these is as unusable as a truncated one and is reported the same way.
 */
const SnapshotShape = z.object({
  version: z.literal(1),
  runId: z.string(),
  task: z.string(),
  status: z.enum(RUN_STATUSES),
  agents: z.array(z.object({ id: z.string(), role: z.string(), status: z.enum(AGENT_STATUSES), outputFile: z.string() }).passthrough()),
  totals: z.object({ agentsByStatus: z.record(z.string(), z.number()), usage: z.object({}).passthrough(), costUsd: z.number() }).passthrough(),
}).passthrough();

/**
 * Reads `<dir>/ledger.json`. Throws LedgerDamagedError when it is not a snapshot (truncated, not
 * JSON, the wrong shape); other errors (ENOENT among them) come through as they are.
 */
export async function readSnapshotFile(dir: string, runId = path.basename(dir)): Promise<LedgerSnapshot> {
  const file = path.join(dir, LEDGER_FILE);
  const raw = await fs.readFile(file, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new LedgerDamagedError(runId, file, raw.trim() === '' ? 'it is empty' : `not JSON: ${(err as Error).message}`);
  }
  const shape = SnapshotShape.safeParse(value);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    throw new LedgerDamagedError(runId, file, `not a ledger: ${issue.path.join('.') || 'the top level'}: ${issue.message}`);
  }
  return value as LedgerSnapshot;
}

export interface RebuildReport {
  /** Events replayed. */
  events: number;
  /** Torn lines skipped. */
  skipped: SkippedLine[];
  /** What was wrong with ledger.json (or that it was missing). */
  reason: string;
  /** Where the damaged file was kept, null when there was none. */
  keptAs: string | null;
}

/** One line for the user: what was rebuilt from what. */
export function describeRebuild(runId: string, r: RebuildReport): string {
  const torn = r.skipped.length ? `; ${plural(r.skipped.length, 'torn line')} skipped (${noun(r.skipped.length, 'line')} ${r.skipped.map((s) => s.line).join(', ')})` : '';
  const kept = r.keptAs ? `; the damaged file is kept as ${path.basename(r.keptAs)}` : '';
  return `Run ${runId}: ledger.json was damaged (${r.reason}); rebuilt it from events.jsonl (${r.events} events${torn})${kept}.`;
}

/**
 * Rebuilds the snapshot of the run in `dir` from its events.jsonl. Throws LedgerDamagedError
 * naming both files when the log cannot do it (missing, or written before runs recorded their
 * header). The owning pid is not in the log: it is null, so a `running` run reads as interrupted.
 */
export async function rebuildSnapshot(dir: string, reason: string): Promise<{ snapshot: LedgerSnapshot; report: Omit<RebuildReport, 'keptAs'> }> {
  const runId = path.basename(dir);
  const eventsFile = path.join(dir, EVENTS_FILE);
  const read = await readEvents(eventsFile);
  const refuse = (why: string): LedgerDamagedError => new LedgerDamagedError(runId, path.join(dir, LEDGER_FILE), reason,
    `Run ${runId}: ${path.join(dir, LEDGER_FILE)} is damaged (${reason}) and cannot be rebuilt: ${eventsFile} ${why}`);
  if (!read) throw refuse('does not exist');
  const snapshot = replayEvents(read.events);
  if (!snapshot) throw refuse('has no run header (a "ledger" event of kind "created"; logs written before this version lack it)');
  return { snapshot, report: { events: read.events.length, skipped: read.skipped, reason } };
}

/** Totals of a run with nothing counted yet. */
export function emptyTotals(): RunTotals {
  return {
    agentsByStatus: Object.fromEntries(AGENT_STATUSES.map((s) => [s, 0])) as RunTotals['agentsByStatus'],
    usage: { ...ZERO_USAGE }, costUsd: 0, costByModel: {}, requests: 0, toolCalls: 0,
    parentContextTokens: 0, flatBaselineTokens: 0, wallMs: 0,
  };
}

/**
 * The snapshot the events describe, or null without a `created` header. It applies each event
 * as the Ledger method that emitted it changed the state; a test holds the two to the same result.
 */
export function replayEvents(events: readonly EngineEvent[]): LedgerSnapshot | null {
  let s: LedgerSnapshot | null = null;
  const byId = new Map<string, AgentRecord>();
  const index = (): void => { byId.clear(); for (const a of s!.agents) byId.set(a.id, a); };
  for (const e of events) {
    if (e.type === 'ledger' && e.change.kind === 'created') {
      const c = e.change;
      s = {
        version: 1, runId: c.runId, task: c.task, workspace: c.workspace, simulated: c.simulated, status: 'planning', reason: null,
        createdAt: c.createdAt, updatedAt: e.t, startedAt: null, endedAt: null, pid: null, estimate: null, gaps: [],
        agents: structuredClone(c.agents), totals: emptyTotals(), ...(c.startedBy ? { startedBy: c.startedBy } : {}),
      };
      index();
      continue;
    }
    if (!s) continue;
    s.updatedAt = e.t;
    const a = 'id' in e && typeof e.id === 'string' ? byId.get(e.id) : undefined;
    switch (e.type) {
      case 'ledger': {
        const c = e.change;
        if (c.kind === 'planned') {
          if (c.planRevision !== undefined) { s.agents = s.agents.filter((x) => x.id === 'planner'); s.planRevision = c.planRevision; }
          s.agents.push(...structuredClone(c.agents));
          s.estimate = c.estimate;
          Object.assign(s, { pattern: c.pattern, patternReason: c.patternReason, groups: structuredClone(c.groups) });
          index();
        } else if (c.kind === 'added') {
          const groups = (s.groups ??= []);
          for (const g of c.groups) if (!groups.some((x) => x.id === g.id)) groups.push({ ...g });
          for (const r of c.agents) if (!byId.has(r.id)) { const copy = structuredClone(r); s.agents.push(copy); byId.set(r.id, copy); }
        } else if (c.kind === 'groups') {
          const list = (s.groups ??= []);
          for (const g of c.groups) {
            const i = list.findIndex((x) => x.id === g.id);
            if (i >= 0) list[i] = { ...g }; else list.push({ ...g });
          }
        } else if (c.kind === 'dependsOn') {
          const d = byId.get(c.id);
          if (d) d.dependsOn = [...c.dependsOn];
        } else if (c.kind === 'gaps') {
          s.gaps = structuredClone(c.gaps);
        } else if (c.kind === 'totals') {
          Object.assign(s.totals, c.patch);
        } else if (c.kind === 'batch') {
          const list = (s.batches ??= []);
          const i = list.findIndex((x) => x.id === c.batch.id);
          if (i >= 0) list[i] = structuredClone(c.batch); else list.push(structuredClone(c.batch));
        }
        break;
      }
      case 'agent': {
        if (!a) break;
        a.status = e.status;
        if (e.attempt !== undefined) a.attempts = e.attempt;
        if (e.error !== undefined) a.error = e.error;
        // No transition leads to pending: only resume and retry put an agent back there, afresh.
        if (e.status === 'pending') { a.startedAt = null; a.endedAt = null; }
        if (e.status === 'queued') a.queuedAt = e.t;
        if (e.status === 'running' && !a.startedAt) a.startedAt = e.t;
        if (SETTLED_STATUSES.has(e.status)) a.endedAt = e.t;
        break;
      }
      case 'usage': {
        if (!a) break;
        a.usage = addUsage(a.usage, e.usage);
        a.costUsd += e.costUsd;
        a.requests++;
        a.modelReported = e.model;
        const t = s.totals;
        t.usage = addUsage(t.usage, e.usage);
        t.costUsd += e.costUsd;
        t.costByModel[e.model] = (t.costByModel[e.model] ?? 0) + e.costUsd;
        t.requests++;
        break;
      }
      case 'tool':
        if (a) { a.toolCalls++; s.totals.toolCalls++; }
        break;
      case 'return':
        if (a) { a.returned = e.text; a.returnTokens = e.tokens; }
        break;
      case 'changes':
        if (a) a.changes = { files: e.files, added: e.added, removed: e.removed };
        break;
      case 'run':
        s.status = e.status;
        s.reason = e.reason ?? null;
        if (e.status === 'running') { s.startedAt ??= e.t; s.endedAt = null; }
        if (FINISHED_RUN_STATUSES.has(e.status)) s.endedAt = e.t;
        break;
      case 'command':
        (s.commands ??= []).push({ t: e.t, command: e.command, agentId: e.agentId, detail: e.detail });
        break;
      case 'log':
        break;
    }
  }
  if (!s) return null;
  for (const x of s.agents) s.totals.agentsByStatus[x.status]++;
  const last = events.at(-1);
  if (last) s.seq = last.seq;
  return s;
}

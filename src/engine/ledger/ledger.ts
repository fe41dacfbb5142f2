import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EventEmitter } from 'node:events';
import { writeFileAtomic } from '../files';
import { redact, redactText } from '../redact';
import {
  AGENT_STATUSES, addUsage, FINISHED_RUN_STATUSES, SETTLED_STATUSES, ZERO_USAGE,
  type AgentRecord, type AgentStatus, type CostEstimate, type Disposable, type EngineEvent, type EngineEventInput,
  type AgentChanges, type AgentCommand, type AgentGroup, type CommandRecord, type Gap, type LedgerSnapshot, type PatternName, type RunStatus, type RunTotals, type Usage,
} from '../types';

/** Snapshot write budget: a snapshot of N bytes waits at least N / this many ms after the last. */
const SNAPSHOT_BYTES_PER_MS = 500;

/** The id of every run's planner record: planning is an agent, so its cost is in the sum over agents. */
export const PLANNER_ID = 'planner';

/** Which agent transitions are legal. Anything else is an engine bug and throws. */
const TRANSITIONS: Record<AgentStatus, readonly AgentStatus[]> = {
  pending: ['queued', 'running', 'skipped', 'cancelled', 'failed'],
  queued: ['running', 'skipped', 'cancelled', 'failed'],
  running: ['verifying', 'retrying', 'completed', 'failed', 'cancelled'],
  verifying: ['completed', 'retrying', 'failed', 'cancelled'],
  retrying: ['queued', 'running', 'failed', 'cancelled'],
  // A finished agent may be sent back to work (a builder revising after its review) or found
  // wanting later (a builder whose change a reviewer rejected or that does not merge).
  completed: ['running', 'failed'],
  failed: [],
  cancelled: [],
  skipped: [],
};

export interface LedgerOptions {
  /** Snapshots are coalesced: at most one write per interval while agents change. */
  snapshotIntervalMs?: number;
  now?: () => number;
}

export function emptyTotals(): RunTotals {
  return {
    agentsByStatus: Object.fromEntries(AGENT_STATUSES.map((s) => [s, 0])) as Record<AgentStatus, number>,
    usage: { ...ZERO_USAGE }, costUsd: 0, costByModel: {}, requests: 0, toolCalls: 0,
    parentContextTokens: 0, flatBaselineTokens: 0, wallMs: 0,
  };
}

/**
 * The run's state: agent records and run status. It owns persistence (ledger.json snapshot,
 * events.jsonl append-only log) and fires change events that views subscribe to. Work per event
 * is constant: totals are kept incrementally and snapshots are coalesced.
 */
export class Ledger {
  private readonly state: LedgerSnapshot;
  private readonly byId = new Map<string, AgentRecord>();
  private readonly emitter = new EventEmitter();
  private readonly ledgerFile: string;
  private readonly eventsFile: string;
  private readonly interval: number;
  private readonly now: () => number;
  private seq = 0;
  private pendingLines: string[] = [];
  private snapshotTimer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  private closed = false;
  /** Bytes appended to events.jsonl plus bytes of the latest snapshot write (for the scale bench). */
  bytesWritten = 0;
  private lastSnapshotBytes = 0;

  constructor(readonly dir: string, initial: LedgerSnapshot, opts: LedgerOptions = {}) {
    this.state = initial;
    this.interval = opts.snapshotIntervalMs ?? 250;
    this.now = opts.now ?? Date.now;
    this.ledgerFile = path.join(dir, 'ledger.json');
    this.eventsFile = path.join(dir, 'events.jsonl');
    this.emitter.setMaxListeners(100);
    this.rebuildIndex();
  }

  /** A fresh ledger for a run that is about to be planned; `agents` holds its planner record. */
  static create(
    dir: string, init: { runId: string; task: string; workspace: string; simulated: boolean }, agents: AgentRecord[], opts: LedgerOptions = {},
  ): Ledger {
    const t = new Date((opts.now ?? Date.now)()).toISOString();
    const totals = emptyTotals();
    for (const a of agents) totals.agentsByStatus[a.status]++;
    return new Ledger(dir, {
      version: 1, ...init, task: redactText(init.task), status: 'planning', reason: null, createdAt: t, updatedAt: t,
      startedAt: null, endedAt: null, pid: process.pid, estimate: null, gaps: [], agents, totals,
    }, opts);
  }

  /** Reads ledger.json and continues its event numbering. */
  static async load(dir: string, opts: LedgerOptions = {}): Promise<Ledger> {
    const raw = await fs.readFile(path.join(dir, 'ledger.json'), 'utf8');
    const snap = JSON.parse(raw) as LedgerSnapshot;
    const ledger = new Ledger(dir, snap, opts);
    ledger.seq = await lastSeq(path.join(dir, 'events.jsonl'));
    return ledger;
  }

  snapshot(): LedgerSnapshot {
    return structuredClone(this.state);
  }

  get runId(): string { return this.state.runId; }
  get status(): RunStatus { return this.state.status; }
  get agents(): readonly AgentRecord[] { return this.state.agents; }
  get totals(): Readonly<RunTotals> { return this.state.totals; }
  get gaps(): readonly Gap[] { return this.state.gaps; }
  get estimate(): Readonly<CostEstimate> | null { return this.state.estimate; }
  get groups(): readonly AgentGroup[] { return this.state.groups ?? []; }
  get commands(): readonly CommandRecord[] { return this.state.commands ?? []; }
  get pid(): number | null { return this.state.pid; }
  get planRevision(): number { return this.state.planRevision ?? 0; }
  get simulated(): boolean { return this.state.simulated; }

  get(id: string): AgentRecord | undefined {
    return this.byId.get(id);
  }

  onDidChange(listener: (e: EngineEvent) => void): Disposable {
    this.emitter.on('change', listener);
    return { dispose: () => { this.emitter.off('change', listener); } };
  }

  /** Moves an agent to a new status; throws on a transition the state machine does not allow. */
  transition(id: string, status: AgentStatus, patch: Partial<Pick<AgentRecord, 'error' | 'attempts'>> = {}): void {
    const a = this.must(id);
    if (a.status === status) return;
    if (!TRANSITIONS[a.status].includes(status)) {
      throw new Error(`Agent ${id}: illegal transition ${a.status} → ${status}`);
    }
    const t = new Date(this.now()).toISOString();
    this.state.totals.agentsByStatus[a.status]--;
    this.state.totals.agentsByStatus[status]++;
    a.status = status;
    if (status === 'queued') a.queuedAt = t;
    if (status === 'running' && !a.startedAt) a.startedAt = t;
    if (SETTLED_STATUSES.has(status)) a.endedAt = t;
    if (patch.error !== undefined) a.error = patch.error === null ? null : this.redactFor(id, patch.error);
    if (patch.attempts !== undefined) a.attempts = patch.attempts;
    this.emit({ type: 'agent', id, status, attempt: a.attempts, error: a.error });
  }

  /**
   * `text` redacted (src/engine/redact), its withheld secrets counted on agent `id`. Every free
   * text the ledger keeps comes through here or `redactText`, so neither ledger.json nor
   * events.jsonl ever holds one; callers use it for what they send or write on the agent's behalf.
   */
  redactFor(id: string, text: string): string {
    const r = redact(text);
    this.countRedactions(id, r.count);
    return r.text;
  }

  /** Adds `count` withheld secrets to agent `id`'s record (`redactions`), with a `redactions` event. */
  countRedactions(id: string, count: number): void {
    if (count <= 0) return;
    const a = this.must(id);
    a.redactions = (a.redactions ?? 0) + count;
    this.emit({ type: 'redactions', id, count, total: a.redactions });
  }

  /**
   * Outside the state machine, for resume and retry-failed only: puts an agent back to pending
   * (its usage history kept), or marks one completed whose file proves it finished before a crash.
   */
  restore(id: string, status: 'pending' | 'completed'): void {
    const a = this.must(id);
    if (a.status === status) return;
    this.state.totals.agentsByStatus[a.status]--;
    this.state.totals.agentsByStatus[status]++;
    a.status = status;
    a.error = null;
    if (status === 'pending') { a.endedAt = null; a.attempts = 0; a.startedAt = null; }
    else { a.endedAt ??= new Date(this.now()).toISOString(); }
    this.emit({ type: 'agent', id, status, attempt: a.attempts, error: null });
  }

  /**
   * Installs the planned agents after the records already there (the planner), once, when
   * planning succeeds, with the pattern's shape for the views.
   */
  setPlanned(agents: AgentRecord[], estimate: CostEstimate, shape: { pattern: PatternName; patternReason: string; groups: AgentGroup[] }): void {
    this.state.agents.push(...agents);
    this.state.estimate = estimate;
    Object.assign(this.state, shape);
    for (const a of agents) this.state.totals.agentsByStatus[a.status]++;
    this.rebuildIndex();
    this.scheduleSnapshot();
  }

  /**
   * Adds agents while the run executes (a supervisor's workers and its next round), with any new
   * groups, firing one `agent` event per record so views show them as they are created.
   */
  addAgents(agents: AgentRecord[], groups: AgentGroup[] = []): void {
    for (const a of agents) if (this.byId.has(a.id)) throw new Error(`Agent ${a.id} already exists`);
    const known = new Set((this.state.groups ??= []).map((g) => g.id));
    for (const g of groups) if (!known.has(g.id)) { this.state.groups.push(g); known.add(g.id); }
    for (const a of agents) {
      this.state.agents.push(a);
      this.byId.set(a.id, a);
      this.state.totals.agentsByStatus[a.status]++;
      this.emit({ type: 'agent', id: a.id, status: a.status, attempt: a.attempts, error: a.error });
    }
  }

  /**
   * Replaces the planned agents (every record but the planner's) and the plan's shape, for a
   * plan the user revised before approving it. Only while the run awaits approval.
   */
  replacePlanned(agents: AgentRecord[], estimate: CostEstimate, shape: { pattern: PatternName; patternReason: string; groups: AgentGroup[] }): void {
    if (this.state.status !== 'awaiting-approval') throw new Error(`Run ${this.runId} is ${this.state.status}; only a plan awaiting approval can be replaced`);
    const kept = this.state.agents.filter((a) => a.id === PLANNER_ID);
    for (const a of this.state.agents) if (a.id !== PLANNER_ID) this.state.totals.agentsByStatus[a.status]--;
    this.state.agents = kept;
    this.state.planRevision = this.planRevision + 1;
    this.rebuildIndex();
    this.setPlanned(agents, estimate, shape);
  }

  /** Sets what an agent waits for (a coordinator that gains a worker the user added). */
  setDependsOn(id: string, dependsOn: string[]): void {
    this.must(id).dependsOn = [...dependsOn];
    this.scheduleSnapshot();
  }

  /** Replaces the labels of known groups and adds new ones, keeping their order. */
  upsertGroups(groups: AgentGroup[]): void {
    const list = (this.state.groups ??= []);
    for (const g of groups) {
      const i = list.findIndex((x) => x.id === g.id);
      if (i >= 0) list[i] = { ...g }; else list.push({ ...g });
    }
    this.scheduleSnapshot();
  }

  /** Records a user's command (stop, rerun, ask, add-worker, revise-plan) in events.jsonl and the snapshot, at once. */
  recordCommand(command: AgentCommand, agentId: string | null, detail: string): void {
    const t = new Date(this.now()).toISOString();
    detail = agentId && this.byId.has(agentId) ? this.redactFor(agentId, detail) : redactText(detail);
    (this.state.commands ??= []).push({ t, command, agentId, detail });
    this.emit({ type: 'command', command, agentId, detail }, true);
  }

  /** Records one response's usage on its agent and in the run totals: every request belongs to an agent. */
  addUsage(id: string, model: string, usage: Usage, costUsd: number): void {
    const a = this.must(id);
    a.usage = addUsage(a.usage, usage);
    a.costUsd += costUsd;
    a.requests++;
    a.modelReported = model;
    const tot = this.state.totals;
    tot.usage = addUsage(tot.usage, usage);
    tot.costUsd += costUsd;
    tot.costByModel[model] = (tot.costByModel[model] ?? 0) + costUsd;
    tot.requests++;
    this.emit({ type: 'usage', id, model, usage, costUsd });
  }

  recordTool(id: string, name: string, ok: boolean, detail?: string): void {
    if (detail) detail = this.redactFor(id, detail);
    this.must(id).toolCalls++;
    this.state.totals.toolCalls++;
    this.emit({ type: 'tool', id, name, ok, ...(detail ? { detail } : {}) });
  }

  setReturn(id: string, text: string, tokens: number): void {
    const a = this.must(id);
    text = this.redactFor(id, text);
    a.returned = text;
    a.returnTokens = tokens;
    this.emit({ type: 'return', id, text, tokens });
  }

  /** A builder's change against the run's base commit (files, lines added and removed). */
  setChanges(id: string, changes: AgentChanges): void {
    this.must(id).changes = changes;
    this.emit({ type: 'changes', id, ...changes });
  }

  setRunStatus(status: RunStatus, reason: string | null = null): void {
    const t = new Date(this.now()).toISOString();
    if (reason !== null) reason = redactText(reason);
    this.state.status = status;
    this.state.reason = reason;
    if (status === 'running') {
      this.state.startedAt ??= t;
      this.state.endedAt = null;
      this.state.pid = process.pid;
    }
    if (FINISHED_RUN_STATUSES.has(status)) {
      this.state.endedAt = t;
      this.state.pid = null;
    }
    this.emit({ type: 'run', status, reason }, true);
  }

  setGaps(gaps: Gap[]): void {
    this.state.gaps = gaps.map((g) => ({ ...g, reason: redactText(g.reason) }));
    this.scheduleSnapshot();
  }

  patchTotals(patch: Partial<Pick<RunTotals, 'parentContextTokens' | 'flatBaselineTokens' | 'wallMs'>>): void {
    Object.assign(this.state.totals, patch);
    this.scheduleSnapshot();
  }

  log(level: 'info' | 'warn' | 'error', message: string): void {
    this.emit({ type: 'log', level, message: redactText(message) });
  }

  /** Writes the snapshot and pending events now. */
  async flush(): Promise<void> {
    if (this.snapshotTimer) { clearTimeout(this.snapshotTimer); this.snapshotTimer = null; }
    this.dirty = true;
    await this.writeOut();
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.emitter.removeAllListeners();
  }

  private emit(input: EngineEventInput, immediate = false): void {
    const event = { seq: ++this.seq, t: new Date(this.now()).toISOString(), ...input };
    this.state.updatedAt = event.t;
    this.pendingLines.push(JSON.stringify(event));
    this.emitter.emit('change', event);
    if (immediate) { void this.flush().catch(() => undefined); } else { this.scheduleSnapshot(); }
  }

  private scheduleSnapshot(): void {
    this.dirty = true;
    if (this.snapshotTimer || this.closed) return;
    // A snapshot costs time in proportion to its size: space them out as the run grows (at most
    // ~500 KB of snapshot a second), so the bytes a run writes stay linear in its agents.
    const wait = Math.max(this.interval, Math.ceil(this.lastSnapshotBytes / SNAPSHOT_BYTES_PER_MS));
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = null;
      void this.writeOut().catch(() => undefined);
    }, wait);
    this.snapshotTimer.unref?.();
  }

  /** Serialises writes: events are appended before the snapshot that reflects them. */
  private writeOut(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (!this.dirty && this.pendingLines.length === 0) return;
      const lines = this.pendingLines;
      this.pendingLines = [];
      if (lines.length) {
        const chunk = lines.join('\n') + '\n';
        await fs.appendFile(this.eventsFile, chunk, 'utf8');
        this.bytesWritten += Buffer.byteLength(chunk);
      }
      if (this.dirty) {
        this.dirty = false;
        const json = JSON.stringify(this.state, null, 1);
        await writeFileAtomic(this.ledgerFile, json);
        this.lastSnapshotBytes = Buffer.byteLength(json);
        this.bytesWritten += this.lastSnapshotBytes;
      }
    });
    return this.writing;
  }

  private must(id: string): AgentRecord {
    const a = this.byId.get(id);
    if (!a) throw new Error(`Unknown agent ${id}`);
    return a;
  }

  private rebuildIndex(): void {
    this.byId.clear();
    for (const a of this.state.agents) this.byId.set(a.id, a);
  }
}

async function lastSeq(file: string): Promise<number> {
  try {
    const text = await fs.readFile(file, 'utf8');
    const lines = text.trimEnd().split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      try { return (JSON.parse(lines[i]) as { seq: number }).seq; } catch { /* torn last line after a crash */ }
    }
  } catch { /* no events yet */ }
  return 0;
}

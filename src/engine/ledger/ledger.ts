import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EventEmitter } from 'node:events';
import { appendFileCountingSync, StorageError, writeFileAtomic } from '../files';
import { eventsTail } from './events';
import { redact, redactText } from '../redact';
import {
  DAMAGED_LEDGER_FILE, describeRebuild, emptyTotals, EVENTS_FILE, LEDGER_FILE, LedgerDamagedError, readSnapshotFile, rebuildSnapshot, type RebuildReport,
} from './rebuild';
import {
  addUsage, FINISHED_RUN_STATUSES, SETTLED_STATUSES,
  type AgentRecord, type AgentStatus, type CostEstimate, type Disposable, type EngineEvent, type EngineEventInput,
  type AgentChanges, type BatchRecord, type AgentCommand, type AgentGroup, type CommandRecord, type Gap, type LedgerSnapshot, type PatternName, type RunStatus, type RunTotals, type Usage,
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
  /** events.jsonl ends in a torn line (a crash or a failed write): the next append closes it first. */
  private eventsTorn = false;
  /** The first write the disk refused; the run stops on it (see onStorageError). */
  private storageFailure: StorageError | null = null;
  /** Set when load found ledger.json damaged and rebuilt the snapshot from events.jsonl. */
  rebuilt: RebuildReport | null = null;
  /** Bytes appended to events.jsonl plus bytes of the latest snapshot write (for the scale bench). */
  bytesWritten = 0;
  private lastSnapshotBytes = 0;

  constructor(readonly dir: string, initial: LedgerSnapshot, opts: LedgerOptions = {}) {
    this.state = initial;
    this.interval = opts.snapshotIntervalMs ?? 250;
    this.now = opts.now ?? Date.now;
    this.ledgerFile = path.join(dir, LEDGER_FILE);
    this.eventsFile = path.join(dir, EVENTS_FILE);
    this.emitter.setMaxListeners(100);
    this.rebuildIndex();
  }

  /** A fresh ledger for a run that is about to be planned; `agents` holds its planner record. */
  static create(
    dir: string, init: { runId: string; task: string; workspace: string; simulated: boolean; startedBy?: string }, agents: AgentRecord[], opts: LedgerOptions = {},
  ): Ledger {
    const t = new Date((opts.now ?? Date.now)()).toISOString();
    const totals = emptyTotals();
    for (const a of agents) totals.agentsByStatus[a.status]++;
    const safe = { ...init, task: redactText(init.task) };
    const ledger = new Ledger(dir, {
      version: 1, ...safe, status: 'planning', reason: null, createdAt: t, updatedAt: t,
      startedAt: null, endedAt: null, pid: process.pid, estimate: null, gaps: [], agents, totals,
    }, opts);
    ledger.emit({ type: 'ledger', change: { kind: 'created', ...safe, createdAt: t, agents } }, false, t);
    return ledger;
  }

  /**
   * Reads ledger.json and continues its event numbering. A damaged ledger.json (truncated, not a
   * snapshot) or a missing one beside an events.jsonl is rebuilt from the events: `rebuilt` says
   * so, the damaged file is kept as ledger.json.damaged, and the next snapshot writes the rebuilt
   * one. Throws LedgerDamagedError, naming the files, when the events cannot rebuild it.
   */
  static async load(dir: string, opts: LedgerOptions = {}): Promise<Ledger> {
    const file = path.join(dir, LEDGER_FILE);
    let snap: LedgerSnapshot;
    let rebuilt: RebuildReport | null = null;
    try {
      snap = await readSnapshotFile(dir);
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      if (!(err instanceof LedgerDamagedError) && !(missing && await exists(path.join(dir, EVENTS_FILE)))) throw err;
      const reason = err instanceof LedgerDamagedError ? err.reason : 'it is missing';
      const { snapshot, report } = await rebuildSnapshot(dir, reason);
      let keptAs: string | null = null;
      if (!missing) {
        keptAs = path.join(dir, DAMAGED_LEDGER_FILE);
        await fs.copyFile(file, keptAs);
      }
      snap = snapshot;
      rebuilt = { ...report, keptAs };
    }
    const tail = await eventsTail(path.join(dir, EVENTS_FILE));
    // Written after the events it reflects and off the event loop, the snapshot can be behind
    // them after a crash (a batch id in events.jsonl only): the events are the record then.
    if (!rebuilt && typeof snap.seq === 'number' && tail.lastSeq > snap.seq) {
      const { snapshot, report } = await rebuildSnapshot(dir, `it was ${tail.lastSeq - snap.seq} events behind events.jsonl`);
      snap = snapshot;
      rebuilt = { ...report, keptAs: null };
    }
    const ledger = new Ledger(dir, snap, opts);
    ledger.seq = tail.lastSeq;
    ledger.eventsTorn = tail.endsTorn;
    if (rebuilt) {
      ledger.rebuilt = rebuilt;
      ledger.dirty = true;
      ledger.log('warn', describeRebuild(snap.runId, rebuilt));
    }
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
  get updatedAt(): string { return this.state.updatedAt; }
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
    this.emit({ type: 'agent', id, status, attempt: a.attempts, error: a.error }, false, t);
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
    const t = new Date(this.now()).toISOString();
    if (status === 'pending') { a.endedAt = null; a.attempts = 0; a.startedAt = null; }
    else { a.endedAt ??= t; }
    this.emit({ type: 'agent', id, status, attempt: a.attempts, error: null }, false, t);
  }

  /**
   * Installs the planned agents after the records already there (the planner), once, when
   * planning succeeds, with the pattern's shape for the views.
   */
  /** What the plan shows about trust: the repository's command it will run, the settings it ignored. */
  setTrustNotes(notes: Pick<LedgerSnapshot, 'workspaceCommand' | 'ignoredSettings'>): void {
    // Shown as is, so redacted like every text the ledger keeps (a command line may carry a token).
    if (notes.workspaceCommand) this.state.workspaceCommand = { command: redactText(notes.workspaceCommand.command), source: notes.workspaceCommand.source };
    else delete this.state.workspaceCommand;
    if (notes.ignoredSettings?.length) this.state.ignoredSettings = notes.ignoredSettings.map((i) => ({ ...i }));
    else delete this.state.ignoredSettings;
    this.scheduleSnapshot();
  }

  setPlanned(agents: AgentRecord[], estimate: CostEstimate, shape: { pattern: PatternName; patternReason: string; groups: AgentGroup[] }): void {
    this.installPlanned(agents, estimate, shape);
    this.emit({ type: 'ledger', change: { kind: 'planned', agents, estimate, ...shape } });
  }

  private installPlanned(agents: AgentRecord[], estimate: CostEstimate, shape: { pattern: PatternName; patternReason: string; groups: AgentGroup[] }): void {
    this.state.agents.push(...agents);
    this.state.estimate = estimate;
    Object.assign(this.state, shape);
    for (const a of agents) this.state.totals.agentsByStatus[a.status]++;
    this.rebuildIndex();
  }

  /**
   * Adds agents while the run executes (a supervisor's workers and its next round), with any new
   * groups, firing one `agent` event per record so views show them as they are created.
   */
  addAgents(agents: AgentRecord[], groups: AgentGroup[] = []): void {
    for (const a of agents) if (this.byId.has(a.id)) throw new Error(`Agent ${a.id} already exists`);
    const known = new Set((this.state.groups ??= []).map((g) => g.id));
    for (const g of groups) if (!known.has(g.id)) { this.state.groups.push(g); known.add(g.id); }
    this.emit({ type: 'ledger', change: { kind: 'added', agents, groups } });
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
    this.installPlanned(agents, estimate, shape);
    this.emit({ type: 'ledger', change: { kind: 'planned', agents, estimate, ...shape, planRevision: this.state.planRevision } });
  }

  /** Sets what an agent waits for (a coordinator that gains a worker the user added). */
  setDependsOn(id: string, dependsOn: string[]): void {
    this.must(id).dependsOn = [...dependsOn];
    this.emit({ type: 'ledger', change: { kind: 'dependsOn', id, dependsOn } });
  }

  /** Replaces the labels of known groups and adds new ones, keeping their order. */
  upsertGroups(groups: AgentGroup[]): void {
    const list = (this.state.groups ??= []);
    for (const g of groups) {
      const i = list.findIndex((x) => x.id === g.id);
      if (i >= 0) list[i] = { ...g }; else list.push({ ...g });
    }
    this.emit({ type: 'ledger', change: { kind: 'groups', groups } });
  }

  /** Records a user's command (stop, rerun, ask, add-worker, revise-plan) in events.jsonl and the snapshot, at once. */
  recordCommand(command: AgentCommand, agentId: string | null, detail: string): void {
    const t = new Date(this.now()).toISOString();
    detail = agentId && this.byId.has(agentId) ? this.redactFor(agentId, detail) : redactText(detail);
    (this.state.commands ??= []).push({ t, command, agentId, detail });
    this.emit({ type: 'command', command, agentId, detail }, true, t);
  }

  /** The run's Message Batches, oldest first. */
  get batches(): readonly BatchRecord[] { return this.state.batches ?? []; }

  /**
   * Records a batch as it is now (submitted, polled, collected), in the snapshot and events.jsonl,
   * written at once: a batch id only in memory is a batch a crash makes the run pay for twice.
   */
  async recordBatch(batch: BatchRecord): Promise<void> {
    const list = (this.state.batches ??= []);
    const i = list.findIndex((x) => x.id === batch.id);
    const copy = structuredClone(batch);
    if (i >= 0) list[i] = copy; else list.push(copy);
    this.emit({ type: 'ledger', change: { kind: 'batch', batch: structuredClone(batch) } }, true);
    await this.flush();
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
    this.emit({ type: 'run', status, reason }, true, t);
  }

  setGaps(gaps: Gap[]): void {
    const safe = gaps.map((g) => ({ ...g, reason: redactText(g.reason) }));
    this.state.gaps = safe;
    this.emit({ type: 'ledger', change: { kind: 'gaps', gaps: safe } });
  }

  patchTotals(patch: Partial<Pick<RunTotals, 'parentContextTokens' | 'flatBaselineTokens' | 'wallMs'>>): void {
    Object.assign(this.state.totals, patch);
    this.emit({ type: 'ledger', change: { kind: 'totals', patch } });
  }

  /**
   * Called once, with the first write the disk refuses (full, read-only, no permission): the
   * error names the file and the command that resumes the run. Writing goes on being retried.
   */
  onStorageError(listener: (err: StorageError) => void): Disposable {
    if (this.storageFailure) { listener(this.storageFailure); return { dispose: () => undefined }; }
    this.emitter.once('storage', listener);
    return { dispose: () => { this.emitter.off('storage', listener); } };
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

  /** `t`: the time the caller stamped on the state, so a replay of the event stamps the same. */
  private emit(input: EngineEventInput, immediate = false, t = new Date(this.now()).toISOString()): void {
    const event = { seq: ++this.seq, t, ...input };
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

  /**
   * Serialises writes: events are appended before the snapshot that reflects them. A failed write
   * rejects its callers but not the next write, which tries again with whatever was not written.
   */
  private writeOut(): Promise<void> {
    const next = this.writing.catch(() => undefined).then(async () => {
      if (!this.dirty && this.pendingLines.length === 0) return;
      try {
        this.appendPending();
        if (this.dirty) {
          this.dirty = false;
          const json = JSON.stringify({ ...this.state, seq: this.seq }, null, 1);
          try {
            await writeFileAtomic(this.ledgerFile, json);
          } catch (err) {
            this.dirty = true;
            throw err;
          }
          this.lastSnapshotBytes = Buffer.byteLength(json);
          this.bytesWritten += this.lastSnapshotBytes;
        }
      } catch (err) {
        throw this.storageFailed(err);
      }
    });
    this.writing = next;
    return next;
  }

  /**
   * Appends the pending lines to events.jsonl. A torn last line (a crash, or a write the disk cut
   * short) is closed with a newline first: it stays alone on its line, readers skip it, and the
   * events after it stay parseable; the log is never rewritten, so tailing readers keep their place.
   * Lines a failed write got wholly onto disk are done; the rest stay pending for the next write.
   */
  private appendPending(): void {
    if (!this.pendingLines.length) return;
    const lines = this.pendingLines;
    this.pendingLines = [];
    const lead = this.eventsTorn ? '\n' : '';
    const chunk = Buffer.from(lead + lines.join('\n') + '\n', 'utf8');
    try {
      appendFileCountingSync(this.eventsFile, chunk);
      this.eventsTorn = false;
      this.bytesWritten += chunk.length;
    } catch (err) {
      const written = err instanceof StorageError ? err.written : 0;
      let end = lead.length;
      let done = 0;
      for (const line of lines) {
        const next = end + Buffer.byteLength(line, 'utf8') + 1;
        if (next > written) break;
        end = next;
        done++;
      }
      if (written >= lead.length) this.eventsTorn = written > end;
      this.bytesWritten += written;
      this.pendingLines = [...lines.slice(done), ...this.pendingLines];
      throw err;
    }
  }

  /** A storage error made run-specific (it names the resume command), reported once. */
  private storageFailed(err: unknown): unknown {
    if (!(err instanceof StorageError)) return err;
    const e = err.forRun(this.runId, this.state.status !== 'planning' && this.get(PLANNER_ID)?.status !== 'failed');
    if (!this.storageFailure) {
      this.storageFailure = e;
      this.emitter.emit('storage', e);
    }
    return e;
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

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

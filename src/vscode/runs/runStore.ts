/**
 * The state every view renders: ledger snapshots of the runs on disk plus the live runs this
 * window executes. Views never hold run state of their own; they re-read it here on change.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { emptyTotals, scanRuns, validatePlan, type LedgerDamagedError, type AgentRecord, type AnyPlan, type EngineEvent, type LedgerSnapshot, type Logger, type Run } from '../../engine';
import { Debouncer } from '../debounce';
import { Disposable, toDisposable } from '../dispose';
import type { RunLocation } from '../location';

/** What the store needs of a live run (a subset of the engine's Run, so tests can fake it). */
export type LiveRun = Pick<Run, 'id' | 'dir' | 'plan' | 'ledger'>;

export interface RunEvent { runId: string; event: EngineEvent }

/** What a view of one agent needs of its run, without the other agents. */
export type RunHead = Pick<LedgerSnapshot, 'runId' | 'task' | 'status' | 'simulated' | 'groups' | 'pattern'>;

export class RunStore extends Disposable {
  private disk = new Map<string, LedgerSnapshot>();
  /** `snap` caches the live ledger's snapshot (a deep clone) until its next event. */
  private readonly live = new Map<string, { run: LiveRun; sub: { dispose(): void }; snap?: LedgerSnapshot }>();
  private readonly plans = new Map<string, AnyPlan | null>();
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  private readonly events = this._register(new vscode.EventEmitter<RunEvent>());
  /** Ledger events arrive per token batch; listeners hear about them at most every 100 ms. */
  private readonly notify = this._register(new Debouncer(() => this.changed.fire(), 100, 250));
  private refreshing: Promise<void> | undefined;
  private recheck: ReturnType<typeof setTimeout> | undefined;

  /** Fires (coalesced) whenever any run's snapshot may have changed. */
  readonly onDidChange = this.changed.event;
  /** Every engine event of a live run, unthrottled (the log wants all of them). */
  readonly onDidEvent = this.events.event;

  constructor(private readonly location: RunLocation, private readonly log: Logger) {
    super();
    this._register(toDisposable(() => {
      for (const { sub } of this.live.values()) sub.dispose();
      this.live.clear();
    }));
    this._register(toDisposable(() => { if (this.recheck) clearTimeout(this.recheck); }));
    void this.refresh();
  }

  /** Re-reads the ledgers on disk. Concurrent calls share one read. */
  refresh(): Promise<void> {
    this.refreshing ??= this.readDisk().finally(() => { this.refreshing = undefined; });
    return this.refreshing;
  }

  private async readDisk(): Promise<void> {
    const ws = this.location.workspace();
    let snapshots: LedgerSnapshot[] = [];
    if (ws) {
      try {
        const { runs, damaged } = await scanRuns(ws, this.location.outputRoot(), { activeRunIds: new Set(this.live.keys()) });
        snapshots = [...runs, ...damaged.map(damagedRun)].sort((a, b) => b.runId.localeCompare(a.runId));
      } catch (err) {
        this.log.warn(`Could not read runs: ${(err as Error).message}`);
      }
    }
    if (this._isDisposed) return;
    this.disk = new Map(snapshots.map((s) => [s.runId, s]));
    this.watchForeignRuns(snapshots);
    for (const id of [...this.plans.keys()]) if (!this.disk.has(id) && !this.live.has(id)) this.plans.delete(id);
    this.changed.fire();
  }

  /**
   * A run owned by another live process (the CLI, or the extension host a reload is replacing)
   * stops writing its ledger when that process dies, so no file event will say so. Re-read every
   * few seconds while such a run exists, until it settles or shows as interrupted.
   */
  private watchForeignRuns(snapshots: LedgerSnapshot[]): void {
    if (this.recheck) clearTimeout(this.recheck);
    this.recheck = undefined;
    const foreign = snapshots.some((s) => (s.status === 'running' || s.status === 'planning') && !this.live.has(s.runId));
    if (!foreign) return;
    this.recheck = setTimeout(() => void this.refresh(), 5_000);
    this.recheck.unref?.();
  }

  /** Starts following a run this window executes; its in-memory ledger wins over the file. */
  attach(run: LiveRun): void {
    this.detach(run.id);
    const entry: { run: LiveRun; sub: { dispose(): void }; snap?: LedgerSnapshot } = { run, sub: { dispose() {} } };
    entry.sub = run.ledger.onDidChange((event) => {
      entry.snap = undefined;
      this.events.fire({ runId: run.id, event });
      this.notify.schedule();
    });
    this.live.set(run.id, entry);
    this.plans.set(run.id, run.plan);
    this.changed.fire();
  }

  /** Stops following a run, keeping its last snapshot until the next refresh. */
  detach(runId: string): void {
    const entry = this.live.get(runId);
    if (!entry) return;
    entry.sub.dispose();
    this.live.delete(runId);
    this.disk.set(runId, entry.run.ledger.snapshot());
    this.notify.flush();
    this.changed.fire();
  }

  /** Forgets a deleted run at once, without waiting for a refresh. */
  forget(runId: string): void {
    this.detach(runId);
    this.disk.delete(runId);
    this.plans.delete(runId);
    this.changed.fire();
  }

  isLive(runId: string): boolean {
    return this.live.has(runId);
  }

  /** Newest first (run ids start with a timestamp, createdAt breaks ties). */
  runs(): LedgerSnapshot[] {
    const all = new Map(this.disk);
    for (const id of this.live.keys()) all.set(id, this.liveSnapshot(id)!);
    return [...all.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.runId.localeCompare(a.runId));
  }

  get(runId: string): LedgerSnapshot | undefined {
    return this.liveSnapshot(runId) ?? this.disk.get(runId);
  }

  private liveSnapshot(runId: string): LedgerSnapshot | undefined {
    const entry = this.live.get(runId);
    if (!entry) return undefined;
    entry.snap ??= entry.run.ledger.snapshot();
    return entry.snap;
  }

  /**
   * One agent and its run's head. A live run's record is read in place: an agent view refreshes
   * per batch, and cloning a 1,000-agent ledger for each would cost more than the view itself.
   */
  agent(runId: string, agentId: string): { run: RunHead; agent: AgentRecord } | undefined {
    const live = this.live.get(runId)?.run;
    if (live) {
      const agent = live.ledger.get(agentId);
      const { ledger, plan } = live;
      return agent && { run: { runId, task: plan.task, status: ledger.status, simulated: ledger.simulated, groups: [...ledger.groups], pattern: plan.pattern }, agent };
    }
    const s = this.disk.get(runId);
    const agent = s?.agents.find((a) => a.id === agentId);
    return s && agent ? { run: s, agent } : undefined;
  }

  runDir(runId: string): string | undefined {
    return this.live.get(runId)?.run.dir ?? this.location.runDir(runId);
  }

  /** The plan if it is already known (live run or loaded before). */
  cachedPlan(runId: string): AnyPlan | undefined {
    return this.plans.get(runId) ?? undefined;
  }

  /** The run's plan.json (any pattern), read once, validated and cached; undefined when missing or unreadable. */
  async plan(runId: string): Promise<AnyPlan | undefined> {
    if (this.plans.has(runId)) return this.plans.get(runId) ?? undefined;
    const dir = this.runDir(runId);
    let plan: AnyPlan | null = null;
    if (dir) {
      try {
        const checked = validatePlan(JSON.parse(await fs.readFile(path.join(dir, 'plan.json'), 'utf8')), null);
        if (checked.ok) plan = checked.plan;
        else this.log.warn(`plan.json of run ${runId} is not a plan: ${checked.errors.slice(0, 3).join('; ')}`);
      } catch {
        // A run cut off while planning has no plan.json; the views fall back to domain ids.
      }
    }
    this.plans.set(runId, plan);
    return plan ?? undefined;
  }
}

/**
 * A run whose ledger.json is damaged, as the views show it: interrupted, so Resume is offered
 * (resume rebuilds the ledger from events.jsonl), with the error naming the file as its reason.
 */
export function damagedRun(d: LedgerDamagedError): LedgerSnapshot {
  // Run ids are YYYYMMDD-HHMMSS-xxxx in local time (scanRuns lists no other name).
  const id = d.runId;
  const at = new Date(`${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T${id.slice(9, 11)}:${id.slice(11, 13)}:${id.slice(13, 15)}`).toISOString();
  return {
    version: 1, runId: d.runId, task: `(ledger.json damaged: Resume rebuilds it from events.jsonl)`, workspace: '', simulated: false,
    status: 'interrupted', reason: d.message, createdAt: at, updatedAt: at, startedAt: null, endedAt: null, pid: null,
    estimate: null, gaps: [], agents: [], totals: emptyTotals(),
  };
}

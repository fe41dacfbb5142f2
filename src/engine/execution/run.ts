/**
 * A planned run executing its pattern's graph. It lives in execution/, above patterns/, and not in
 * run/ beside the scheduler and agent loop it drives: it looks the plan's pattern up in the
 * registry, while every pattern's roles run on run/'s agent loop, so the two in one folder made a
 * cycle between run/ and patterns/.
 */
import { readRunDefinitions } from '../agents/catalog';
import * as path from 'node:path';
import { ConfigError, costOf, type Config } from '../config';
import { fileEndsWithSentinel, readTextOrNull, StorageError, writeFileAtomic } from '../files';
import type { Ledger } from '../ledger/ledger';
import { ModelError } from '../model/client';
import type { AttemptResult, RoleContext, RoleSpec } from '../patterns/pattern';
import { canBatch } from '../ledger/estimate';
import { patternNamed, type AnyPattern, type AnyPlan } from '../patterns/registry';
import { renderPlanMarkdown } from '../plan/planMarkdown';
import type { Prompts } from '../prompts';
import { BatchedPolicy, RequestPolicy } from '../model/requests';
import { BatchQueue } from '../run/batchQueue';
import { attemptSignal } from '../run/attemptSignal';
import { schedule, type Admission, type ScheduleNode } from '../run/scheduler';
import { writeSummaryGaps } from '../run/summaryGaps';
import { watchControl, type ControlReply, type ControlRequest } from '../run/control';
import { markExecuting, unmarkExecuting } from './executing';
import { takeRunLock, type RunLock } from '../run/lock';
import { readSnapshotFile } from '../ledger/rebuild';
import { estimateTokens } from '../text';
import type { ModelClient } from '../model/client';
import { Transcripts, type TranscriptEvent } from '../transcripts/writer';
import type { WorkspaceCommand } from '../trust/configPolicy';
import { WorkspaceCommandError, type CommandConsent } from '../trust/consent';
import { SETTLED_STATUSES, type AgentGroup, type AgentRecord, type Clock, type CostEstimate, type Disposable, type Gap, type Logger, type RunStatus, type RunTotals, type Usage } from '../types';
import { plural } from '../../shared/words';

/** The run's final synthesis, whatever the pattern: the file users read first. */
export const SUMMARY_FILE = 'summary.md';

export type ExecuteMode = 'fresh' | 'resume' | 'retry-failed';

export interface RunOutcome {
  status: RunStatus;
  reason: string | null;
  gaps: Gap[];
  summaryPath: string | null;
  totals: RunTotals;
}

export interface RunDeps {
  workspace: string;
  config: Config;
  prompts: Prompts;
  model: ModelClient;
  logger: Logger;
  clock: Clock;
  /** Called when execute() starts and ends, so a host can tell its own live runs from cut-off ones. */
  onActive?(runId: string, active: boolean): void;
  /** The run's transcripts; by default a new writer for the run folder (the planner's may come from plan()). */
  transcripts?: Transcripts;
  /** Literal values never written to a transcript (the API key the host holds). */
  secrets?: readonly string[];
  /** The repository's own check command (its `verifyCommand`), which runs only with `consent`. */
  workspaceCommand?: WorkspaceCommand | null;
  /** The user's remembered consent to repositories' commands; without it, none runs. */
  consent?: CommandConsent;
  /** Called once the agents are done, before the run's status is set (memory proposes lessons here); must not throw. */
  afterAgents?(run: { runDir: string; runId: string; log(level: 'info' | 'warn', message: string): void }): Promise<void>;
}

/** A batched attempt's time limit: a batch expires 24 h after it was created, plus polling and a retry round. */
const BATCHED_ATTEMPT_MS = 26 * 3_600_000;

/** Why an agent the user stopped ended `cancelled`. */
export const STOPPED_BY_USER = 'stopped by the user';


/** A planned run: its plan, its ledger, and the policy that executes it. */
export class Run {
  private controller = new AbortController();
  private userCancelled = false;
  private terminal: ModelError | null = null;
  /** The first write the disk refused: the run stops, failed, naming the file and how to resume. */
  private storageFailure: StorageError | null = null;
  private budgetReason: string | null = null;
  /** The first reason a completed gate held agents back (a workflow's sanity check that blocked): the partial run's reason. */
  private heldReason: string | null = null;
  private failedLeaves = 0;
  private readonly unpriced = new Set<string>();
  /** Per running agent, the controller that stops it alone (Stop Agent). */
  private readonly stoppers = new Map<string, AbortController>();
  /** Agents the user stopped during this execution (running ones, or waiting ones that must not start). */
  private readonly stopped = new Set<string>();
  private executing = false;
  /** Batch mode's queue while the graph runs (null without batches). */
  private queue: BatchQueue | null = null;
  /** The repository's check command the user approved, for this execution (see consentedCommand). */
  private approvedCommand: string | null = null;
  /** The run's lock when the command that opened this Run holds it already (resume, rerun, add-worker). */
  private heldLock: RunLock | null = null;
  readonly pattern: AnyPattern;
  /** What every agent of this run does, as it does it (transcripts/<id>.jsonl). */
  readonly transcripts: Transcripts;
  /** Peak concurrency of the last execute() (for tests and the bench). */
  lastStats: { peakOverall: number; peakByTier: Record<string, number>; peakRequestsByModel: Record<string, number> } | null = null;

  constructor(
    private readonly deps: RunDeps,
    readonly id: string,
    readonly dir: string,
    readonly plan: AnyPlan,
    readonly ledger: Ledger,
  ) {
    const pattern = patternNamed(plan.pattern);
    if (!pattern) throw new Error(`Run ${id}: unknown pattern "${plan.pattern}"`);
    this.pattern = pattern;
    this.transcripts = deps.transcripts ?? new Transcripts(dir, {
      maxBytes: deps.config.transcriptMaxBytes, ...(deps.secrets ? { secrets: deps.secrets } : {}), now: () => deps.clock.now(),
    });
  }

  /**
   * Every transcript entry as it is written, and the live-only `text_delta` entries as the
   * model's text streams in (a retried request streams again from the start: a `retry` entry
   * says so). Cheap when nobody listens.
   */
  onDidTranscript(listener: (e: TranscriptEvent) => void): Disposable {
    return this.transcripts.onDidWrite(listener);
  }

  /**
   * Hands this Run the run's lock its caller took before reading the ledger: execute() and
   * rerun() then run under it instead of taking it themselves, and the caller releases it.
   */
  holdLock(lock: RunLock | null): void {
    this.heldLock = lock;
  }

  /** True while execute() or rerun() runs in this process. */
  get isExecuting(): boolean { return this.executing; }

  /**
   * Stops one agent of this executing run: a running one is aborted, a waiting one never starts.
   * It ends `cancelled` ("stopped by the user") and the rest go on; whatever summarises it works
   * with what exists, as for a failed agent. False when the agent is not running or waiting here.
   */
  stopAgent(agentId: string): boolean {
    const a = this.ledger.get(agentId);
    if (!this.executing || !a || !this.roleOf(a) || SETTLED_STATUSES.has(a.status) || this.stopped.has(agentId)) return false;
    this.stopped.add(agentId);
    this.ledger.recordCommand('stop', agentId, `stopped while ${a.status}`);
    this.stoppers.get(agentId)?.abort(new ModelError(STOPPED_BY_USER, 'aborted'));
    return true;
  }

  /** A stop request from another process (`orchestrate stop`), through the run's control folder. */
  private onControl(req: ControlRequest): ControlReply {
    const a = this.ledger.get(req.agentId);
    if (!a) return { ok: false, message: `run ${this.id} has no agent ${req.agentId}` };
    if (this.stopAgent(req.agentId)) return { ok: true, message: `stopped ${req.agentId} (it was ${a.status}); the rest of the run goes on` };
    return { ok: false, message: `agent ${req.agentId} is ${a.status}, not running or waiting; nothing to stop` };
  }

  /** The pattern's groups in display order (from the ledger; older ledgers derive them from agents). */
  get groups(): AgentGroup[] {
    const stored = this.ledger.groups;
    if (stored.length) return [...stored];
    const ids: string[] = [];
    for (const a of this.ledger.agents) if (a.domain && !ids.includes(a.domain)) ids.push(a.domain);
    return ids.map((id) => ({ id, label: id }));
  }

  /** The role spec of an agent the pattern schedules; undefined for run-level records (the planner). */
  private roleOf(a: AgentRecord): RoleSpec | undefined {
    return this.pattern.roles[a.role];
  }

  private nodeOf(a: AgentRecord): ScheduleNode {
    const role = this.roleOf(a)!;
    return { id: a.id, tier: a.tier, dependsOn: a.dependsOn, priority: role.priority, depth: role.depth, ...(this.batched(a) ? { unbounded: true } : {}) };
  }

  /**
   * Whether this agent's request goes through a Message Batch: its role is single-turn and the plan
   * said so (agents added later follow the setting), and the model client has batches.
   */
  private batched(a: AgentRecord): boolean {
    if (!canBatch(this.roleOf(a), a) || !this.deps.model.batches) return false;
    if (this.queue?.holds(a.id)) return true;
    const setting = this.deps.config.batch;
    // A role that batches only some agents (packed experts) works single-turn only when the plan marked it.
    if (typeof this.roleOf(a)!.batchable === 'function') return setting !== 'off' && a.batch === true;
    return setting !== 'off' && (a.batch ?? setting === 'auto');
  }

  get estimate(): Readonly<CostEstimate> | null { return this.ledger.estimate; }

  /** Aborts in-flight requests; agents end `cancelled`; every file already written stays. */
  cancel(): void {
    this.userCancelled = true;
    this.controller.abort(new ModelError('run cancelled', 'aborted'));
  }

  async execute(opts: { signal?: AbortSignal; mode?: ExecuteMode } = {}): Promise<RunOutcome> {
    const mode = opts.mode ?? 'fresh';
    // Checked before the try below, which would record the refusal as a failed run.
    if (this.ledger.status === 'declined') {
      throw new ConfigError(`Run ${this.id} was declined at approval, so it is not ${mode === 'fresh' ? 'started' : 'resumed'}: nothing of its plan ran. Start a new task to plan again.`);
    }
    // Also before the try: this Run's ledger is stale, and recording a failure would write it over the revised one.
    if (mode === 'fresh' && await readPlanRevision(this.dir) !== this.ledger.planRevision) {
      throw new ConfigError(`The plan of run ${this.id} was revised after this Run was opened; execute the Run that revisePlan returned`);
    }
    return this.executeWith(mode === 'fresh' ? 'run' : mode, opts.signal, () => this.prepare(mode), {});
  }

  /**
   * The repository's check command, when this run's pattern runs checks, the user set none of
   * their own, and the user approved that exact command for this workspace. Otherwise throws
   * WorkspaceCommandError before anything runs. Decided from the settings and the consent store
   * at every execution, never from the ledger (which a repository can ship).
   */
  private async consentedCommand(): Promise<string | null> {
    // Commands the plan itself runs (a workflow's checks): each needs the user's consent to that exact text.
    for (const c of this.pattern.workspaceCommands?.(this.plan) ?? []) {
      if (!await this.deps.consent?.has(this.deps.workspace, c.command)) throw new WorkspaceCommandError(this.id, c);
    }
    const wc = this.deps.workspaceCommand;
    if (!wc || !this.pattern.runsVerifyCommand || this.deps.config.verifyCommand) return null;
    if (await this.deps.consent?.has(this.deps.workspace, wc.command)) return wc.command;
    throw new WorkspaceCommandError(this.id, wc);
  }

  /**
   * Another process may have approved and run this plan since this Run was read (an MCP client's
   * approve_run while a window still shows the plan): its ledger on disk is then newer than this
   * copy, and executing the copy would run every agent a second time. Checked under the run's
   * lock, so the other process has finished writing.
   */
  private async refuseIfRunElsewhere(): Promise<void> {
    const onDisk = await readSnapshotFile(this.dir, this.id).catch(() => null);
    if (!onDisk || onDisk.updatedAt <= this.ledger.updatedAt) return;
    throw new ConfigError(`Run ${this.id} was approved elsewhere and is now ${onDisk.status}; this copy of its plan is out of date, so it is not run again. Refresh to see the run as it is.`);
  }

  /**
   * Runs the given agents again (a new attempt each, with the user's instruction added to its
   * prompt when one is given), then every agent downstream that summarises them (a coordinator,
   * a reducer, a consensus, the final step), so the summaries include the new results. Nothing
   * else runs. The run ends with its status recomputed over all its agents.
   */
  async rerun(agentIds: readonly string[], opts: { signal?: AbortSignal; instructions?: Readonly<Record<string, string>> } = {}): Promise<RunOutcome> {
    if (this.ledger.status === 'declined') throw new ConfigError(`Run ${this.id} was declined at approval: nothing of its plan ran, so nothing can be rerun`);
    for (const id of agentIds) {
      const a = this.ledger.get(id);
      if (!a || !this.roleOf(a)) throw new ConfigError(`Run ${this.id} has no agent ${id} that its ${this.pattern.name} pattern runs`);
    }
    return this.executeWith('rerun', opts.signal, () => this.prepareRerun(agentIds), opts.instructions ?? {});
  }

  private async executeWith(
    command: string, signal: AbortSignal | undefined, prepare: () => Promise<AgentRecord[]>, instructions: Readonly<Record<string, string>>,
  ): Promise<RunOutcome> {
    // Refused before anything runs or is written, so the run stays as it was (awaiting approval).
    this.approvedCommand = await this.consentedCommand();
    // One owner per run: taken before anything is written, so a second process is refused, not doubled.
    const ownLock = this.heldLock ? null : await takeRunLock(this.dir, this.id, command);
    let release: () => Promise<void>;
    try {
      if (command === 'run') await this.refuseIfRunElsewhere();
      release = this.begin(signal);
    } catch (err) {
      await ownLock?.release();
      throw err;
    }
    this.deps.onActive?.(this.id, true);
    const started = this.deps.clock.now();
    const wallBefore = this.ledger.totals.wallMs;
    try {
      const todo = await prepare();
      this.ledger.setRunStatus('running');
      await this.runGraph(todo, instructions);
      return await this.finish(wallBefore + this.deps.clock.now() - started);
    } catch (err) {
      this.ledger.setRunStatus('failed', err instanceof Error ? err.message : String(err));
      // A disk that refused the first error will likely refuse this write too: the first error is the one to report.
      await this.ledger.flush().catch(() => undefined);
      throw err;
    } finally {
      await release();
      this.deps.onActive?.(this.id, false);
      await ownLock?.release();
    }
  }

  /**
   * Runs agents before the plan is approved (build's scouts) with the same caps, retries, ledger
   * and transcripts as execute(). The run stays `planning`: no gaps, no summary. Rejects when the
   * run was cancelled or stopped on a terminal API error, so planning does not go on without them.
   */
  async runBeforeApproval(ids: readonly string[], signal?: AbortSignal): Promise<void> {
    const release = this.begin(signal);
    try {
      await this.runGraph(ids.map((id) => this.ledger.get(id)!), {});
    } finally {
      await release();
    }
    if (this.terminal) throw this.terminal;
    if (this.userCancelled) throw new ModelError('planning cancelled', 'aborted');
  }

  /**
   * Claims the run for one execution in this process and resets its per-execution state; links an
   * outer signal to cancel() and watches the control folder. Returns the release.
   */
  private begin(signal: AbortSignal | undefined): () => Promise<void> {
    if (this.executing || !markExecuting(this)) throw new ConfigError(`Run ${this.id} is already executing in this process`);
    this.executing = true;
    this.stopped.clear();
    const control = watchControl(this.dir, (req) => this.onControl(req));
    this.controller = new AbortController();
    this.userCancelled = false;
    this.terminal = null;
    this.storageFailure = null;
    const storage = this.ledger.onStorageError((e) => this.stopForStorage(e));
    this.budgetReason = null;
    this.failedLeaves = 0;
    const onExternalAbort = (): void => this.cancel();
    if (signal?.aborted) this.cancel();
    signal?.addEventListener('abort', onExternalAbort, { once: true });
    return async () => {
      signal?.removeEventListener('abort', onExternalAbort);
      control.dispose();
      storage.dispose();
      this.executing = false;
      unmarkExecuting(this);
      await this.transcripts.flush(true).catch(() => undefined);
    };
  }

  /** Schedules these agents (and any they spawn) until every one has settled. */
  private async runGraph(todo: readonly AgentRecord[], instructions: Readonly<Record<string, string>>): Promise<void> {
    const config = this.approvedCommand ? { ...this.deps.config, verifyCommand: this.approvedCommand } : this.deps.config;
    const policy = new RequestPolicy(this.deps.model, config, this.deps.clock, {
      onTerminal: (err) => this.stopForTerminal(err),
      onRetry: (err, n, wait) => this.ledger.log('warn', `retry ${n} in ${Math.round(wait)} ms after ${err.message}`),
    });
    let addNodes: ((nodes: ScheduleNode[]) => void) | null = null;
    // Also when batch mode is off now: batches an earlier process submitted are collected, never lost.
    const batches = this.deps.model.batches;
    const queue = batches && (todo.some((a) => this.batched(a)) || this.ledger.batches.length > 0)
      ? new BatchQueue({
        client: batches, ledger: this.ledger, runDir: this.dir, config, clock: this.deps.clock, runSignal: this.controller.signal,
        price: (m, u) => this.price(m, u),
      })
      : null;
    await queue?.open();
    this.queue = queue;
    const agentDefinitions = await readRunDefinitions(this.dir);
    const ctx: RoleContext = {
      workspace: this.deps.workspace, runDir: this.dir, runId: this.id, config, prompts: this.deps.prompts,
      policy, ledger: this.ledger, plan: this.plan, price: (m, u) => this.price(m, u),
      transcripts: this.transcripts, instructions, agentDefinitions,
      spawn: (agents, groups) => {
        const stray = agents.find((a) => !this.roleOf(a));
        if (stray) throw new Error(`cannot spawn ${stray.id}: role ${stray.role} is not one of the ${this.pattern.name} pattern's`);
        if (!addNodes) throw new Error('agents can be spawned only while the run executes');
        this.ledger.addAgents(agents, groups);
        addNodes(agents.map((a) => this.nodeOf(a)));
      },
    };
    const stats = await schedule(todo.map((a) => this.nodeOf(a)), {
      grow: (add) => { addNodes = add; },
      maxConcurrent: config.maxConcurrent,
      tierCaps: config.tierCaps,
      mode: config.scheduling,
      signal: this.controller.signal,
      queued: (id) => this.ledger.transition(id, 'queued'),
      admit: (id) => this.admit(id),
      skip: (id, reason, cancelled) => this.skipAgent(id, reason, cancelled),
      run: (id, signal) => this.runAgent(this.batchContext(ctx, queue, id), this.ledger.get(id)!, signal),
    });
    await queue?.close();
    this.queue = null;
    this.lastStats = { ...stats, peakRequestsByModel: policy.peaks() };
  }

  /** A batched agent's context: its requests go through the queue, the realtime path stays behind it. */
  private batchContext(ctx: RoleContext, queue: BatchQueue | null, id: string): RoleContext {
    const a = this.ledger.get(id)!;
    if (!queue || !this.batched(a)) return ctx;
    const policy = new BatchedPolicy(ctx.policy, this.deps.model, ctx.config, this.deps.clock, (req, realtime) => queue.send(id, req, realtime));
    return { ...ctx, policy };
  }

  /** Decides which agents run in this execution; the rest stay as they are. */
  private async prepare(mode: ExecuteMode): Promise<AgentRecord[]> {
    const agents = this.ledger.agents.filter((a) => this.roleOf(a));
    if (mode === 'fresh') {
      if (this.ledger.status !== 'awaiting-approval') {
        throw new Error(`Run ${this.id} is ${this.ledger.status}; only a run awaiting approval can start fresh (use resume)`);
      }
      // Agents that ran before approval (build's scouts) are done already.
      return agents.filter((a) => a.status !== 'completed');
    }
    const reset = new Set<string>();
    for (const a of agents) {
      const finished = await fileEndsWithSentinel(path.join(this.dir, a.outputFile)) && (this.roleOf(a)!.fileProvesDone || a.returned !== null);
      if (mode === 'resume') {
        // Completed work is judged by its file, not by the ledger: a crash can land between the two.
        if (finished) this.ledger.restore(a.id, 'completed');
        else reset.add(a.id);
      } else if (a.status !== 'completed' || !finished) {
        reset.add(a.id);
      }
    }
    // Downstream of an agent that runs again: retry-failed re-runs everything, to include its new
    // output; resume re-runs only roles that summarise their dependencies (a synthesis that finished
    // around a failed agent would keep describing the gap), never finished work that merely came
    // after (a supervisor's workers). Agents come in dependency order from compile, so one pass
    // reaches every transitive dependent.
    for (const a of agents) {
      if ((mode === 'retry-failed' || this.roleOf(a)!.summarisesDependencies) && a.dependsOn.some((d) => reset.has(d))) reset.add(a.id);
    }
    for (const id of reset) this.ledger.restore(id, 'pending');
    return agents.filter((a) => reset.has(a.id));
  }

  /** The agents a rerun runs: those named, and every dependent that summarises one of them, transitively. */
  private async prepareRerun(ids: readonly string[]): Promise<AgentRecord[]> {
    const agents = this.ledger.agents.filter((a) => this.roleOf(a));
    const reset = new Set(ids);
    // Added agents come after their dependents in the ledger, so one pass in order is not enough.
    for (let grew = true; grew;) {
      grew = false;
      for (const a of agents) {
        if (!reset.has(a.id) && this.roleOf(a)!.summarisesDependencies && a.dependsOn.some((d) => reset.has(d))) { reset.add(a.id); grew = true; }
      }
    }
    for (const id of reset) this.ledger.restore(id, 'pending');
    return agents.filter((a) => reset.has(a.id));
  }

  private admit(id: string): Admission {
    const a = this.ledger.get(id)!;
    if (this.stopped.has(id)) return { run: false, reason: STOPPED_BY_USER };
    if (this.terminal) return { run: false, reason: `not started: the run stopped after ${this.terminal.message}` };
    const budget = this.overBudget();
    if (budget) return { run: false, reason: `not started: ${budget}` };
    if (this.roleOf(a)?.leaf && this.failedLeaves >= this.deps.config.maxFailedWorkers) {
      return { run: false, reason: `not started: ${this.failedLeaves} agents failed (limit ${this.deps.config.maxFailedWorkers})` };
    }
    const missing = this.roleOf(a)?.needsDependenciesCompleted ? this.incompleteDependency(a) : null;
    return missing ? { run: false, reason: missing } : { run: true };
  }

  /**
   * Why an agent's input is incomplete, naming the agent where the chain broke: a dependency that
   * was itself skipped passes its own reason on, so every agent after a failed one names that one.
   */
  private incompleteDependency(a: AgentRecord): string | null {
    for (const id of a.dependsOn) {
      const dep = this.ledger.get(id);
      if (!dep) continue;
      if (dep.status === 'completed') {
        const held = this.roleOf(dep)?.holds?.(dep) ?? null;
        if (held) { this.heldReason ??= held; return held; }
        continue;
      }
      if (dep.status === 'skipped' && dep.error) return dep.error;
      return `not started: ${dep.role} ${dep.id} ${dep.status}${dep.error ? `: ${dep.error}` : ''}`;
    }
    return null;
  }

  private overBudget(): string | null {
    const { maxCostUsd, maxTokens } = this.deps.config;
    const t = this.ledger.totals;
    const tokens = t.usage.input + t.usage.output + t.usage.cacheRead + t.usage.cacheWrite;
    if (maxCostUsd !== null && t.costUsd >= maxCostUsd) this.budgetReason = `cost cap reached ($${t.costUsd.toFixed(4)} of $${maxCostUsd})`;
    else if (maxTokens !== null && tokens >= maxTokens) this.budgetReason = `token cap reached (${tokens} of ${maxTokens})`;
    return this.budgetReason;
  }

  /** A node that will not run: cancelled when the user cancelled, skipped (with why) otherwise. */
  private skipAgent(id: string, reason: string, aborted: boolean): void {
    if (this.stopped.has(id)) {
      this.ledger.transition(id, 'cancelled', { error: STOPPED_BY_USER });
    } else if (aborted && this.terminal) {
      this.ledger.transition(id, 'skipped', { error: `not started: the run stopped after ${this.terminal.message}` });
    } else {
      this.ledger.transition(id, aborted ? 'cancelled' : 'skipped', { error: reason });
    }
  }

  private stopForTerminal(err: ModelError): void {
    if (this.terminal) return;
    this.terminal = err;
    this.ledger.log('error', `terminal API error, stopping all dispatch: ${err.message}`);
    // In-flight requests would hit the same dead key or quota: stop them now.
    this.controller.abort(err);
  }

  /** A full or read-only disk: nothing more can be recorded, so nothing more is started. */
  private stopForStorage(err: StorageError): void {
    if (this.storageFailure) return;
    this.storageFailure = err.forRun(this.id);
    this.ledger.log('error', this.storageFailure.message);
    this.controller.abort(this.storageFailure);
  }

  /** One agent from queued to settled, with attempts, a per-attempt timeout and verification. */
  private async runAgent(ctx: RoleContext, agent: AgentRecord, runSignal: AbortSignal): Promise<void> {
    const stopper = new AbortController();
    this.stoppers.set(agent.id, stopper);
    try {
      await this.attempts(ctx, agent, runSignal, stopper.signal);
    } finally {
      this.stoppers.delete(agent.id);
      // The agent is settled: its last transcript lines go now, not on the next timer tick.
      void this.transcripts.agent(agent.id).flush().catch(() => undefined);
    }
  }

  private async attempts(ctx: RoleContext, agent: AgentRecord, runSignal: AbortSignal, stop: AbortSignal): Promise<void> {
    const role = this.roleOf(agent)!;
    const maxAttempts = 1 + this.deps.config.retries;
    const transcript = this.transcripts.agent(agent.id);
    const stopped = (): void => {
      transcript.error(STOPPED_BY_USER, false);
      this.ledger.transition(agent.id, 'cancelled', { error: STOPPED_BY_USER });
    };
    let previousError: string | null = null;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (stop.aborted) { stopped(); return; }
      this.ledger.transition(agent.id, 'running', { attempts: agent.attempts + 1 });
      // A batch may take up to 24 h to answer: a batched attempt is bounded by the batch's expiry, not the agent timeout.
      const attemptAbort = attemptSignal([runSignal, stop], this.batched(agent) ? BATCHED_ATTEMPT_MS : this.deps.config.agentTimeoutMs);
      let result: AttemptResult;
      try {
        result = await role.attempt(ctx, agent, previousError, attemptAbort.signal);
      } catch (err) {
        if (err instanceof StorageError) this.stopForStorage(err);
        if (stop.aborted && !runSignal.aborted) { stopped(); return; }
        if (runSignal.aborted) {
          const why = this.terminal ? `stopped: ${this.terminal.message}` : 'cancelled';
          this.ledger.transition(agent.id, this.terminal ? 'failed' : 'cancelled', { error: why });
          return;
        }
        const message = attemptAbort.timedOut
          ? `timed out after ${Math.round(this.deps.config.agentTimeoutMs / 1000)} s`
          : err instanceof Error ? err.message : String(err);
        result = { ok: false, error: message };
      } finally {
        attemptAbort.dispose();
      }
      if (!result.ok && stop.aborted) { stopped(); return; }
      if (!result.ok) transcript.error(`attempt failed: ${result.error}`, false);
      if (result.ok) {
        this.ledger.setReturn(agent.id, result.returned, estimateTokens(result.returned));
        this.ledger.transition(agent.id, 'completed', { error: null });
        return;
      }
      previousError = result.error;
      if (attempt < maxAttempts && !this.terminal) {
        this.ledger.transition(agent.id, 'retrying', { error: result.error });
      } else {
        this.ledger.transition(agent.id, 'failed', { error: result.error });
        if (role.leaf) this.failedLeaves++;
        return;
      }
    }
  }

  private async finish(wallMs: number): Promise<RunOutcome> {
    if (this.storageFailure) throw this.storageFailure;
    const agents = this.ledger.agents;
    const gaps: Gap[] = agents.filter((a) => a.status !== 'completed').map((a) => ({
      agentId: a.id, outputFile: a.outputFile, reason: a.error ?? a.status,
    }));
    const summary = agents.find((a) => a.outputFile === SUMMARY_FILE);
    // A pattern may decide at run time which agent writes summary.md (a supervisor: whichever round
    // calls finish); when no agent names it, the file itself, ending with the sentinel, says it was written.
    const summaryDone = summary ? summary.status === 'completed' : await fileEndsWithSentinel(path.join(this.dir, SUMMARY_FILE));
    let status: RunStatus;
    let reason: string | null = null;
    if (this.userCancelled) { status = 'cancelled'; reason = 'cancelled by the user'; }
    else if (this.terminal) { status = 'failed'; reason = `stopped on a terminal API error: ${this.terminal.message}`; }
    else if (gaps.length === 0) status = 'completed';
    else if (summaryDone || agents.some((a) => this.roleOf(a)?.leaf && a.status === 'completed')) {
      status = 'partial';
      reason = this.budgetReason ?? this.heldReason ?? (this.failedLeaves >= this.deps.config.maxFailedWorkers
        ? `${this.failedLeaves} agents failed; no new ones were started after that`
        : `${plural(gaps.length, 'agent')} did not complete`);
    } else { status = 'failed'; reason = `no agent completed (${gaps[0]?.reason ?? 'unknown'})`; }
    await this.deps.afterAgents?.({ runDir: this.dir, runId: this.id, log: (level, message) => this.ledger.log(level, message) });
    this.ledger.setGaps(gaps);
    this.ledger.patchTotals({ wallMs });
    this.ledger.setRunStatus(status, reason);
    // summary.md is the file users read first: it names every gap, whatever the model wrote.
    await writeSummaryGaps(path.join(this.dir, SUMMARY_FILE), gaps, summaryDone, reason);
    await writeFileAtomic(path.join(this.dir, 'plan.md'), renderPlanMarkdown(this.ledger.snapshot()));
    await this.ledger.flush();
    const summaryPath = summaryDone ? path.join(this.dir, SUMMARY_FILE) : null;
    return { status, reason, gaps, summaryPath, totals: structuredClone(this.ledger.totals) };
  }

  /** Cost of one response: the reported model's price, else the requested tier's, else zero with a warning. */
  private price(model: string, u: Usage): number {
    const cost = costOf(this.deps.config.prices, model, u);
    if (cost === null && !this.unpriced.has(model)) {
      this.unpriced.add(model);
      this.ledger.log('warn', `no price for model ${model}; its cost is counted as $0 (add it to the price table)`);
    }
    return cost ?? 0;
  }
}

/** The plan revision ledger.json holds on disk (0 before any revision, or when unreadable). */
async function readPlanRevision(dir: string): Promise<number> {
  try {
    const text = await readTextOrNull(path.join(dir, 'ledger.json'));
    return text === null ? 0 : (JSON.parse(text) as { planRevision?: number }).planRevision ?? 0;
  } catch {
    return 0;
  }
}

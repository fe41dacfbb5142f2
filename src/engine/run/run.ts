import * as path from 'node:path';
import { ConfigError, costOf, type Config } from '../config';
import { fileEndsWithSentinel, writeFileAtomic } from '../files';
import type { Ledger } from '../ledger/ledger';
import { ModelError } from '../model/client';
import type { AttemptResult, RoleContext, RoleSpec } from '../patterns/pattern';
import { patternNamed, type AnyPattern, type AnyPlan } from '../patterns/registry';
import { renderPlanMarkdown } from '../plan/planMarkdown';
import type { Prompts } from '../prompts';
import { RequestPolicy } from '../model/requests';
import { schedule, type Admission, type ScheduleNode } from './scheduler';
import { writeSummaryGaps } from './summaryGaps';
import { estimateTokens } from '../text';
import type { ModelClient } from '../model/client';
import type { AgentGroup, AgentRecord, Clock, CostEstimate, Gap, Logger, RunStatus, RunTotals, Usage } from '../types';

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
}

/** A planned run: its plan, its ledger, and the policy that executes it. */
export class Run {
  private controller = new AbortController();
  private userCancelled = false;
  private terminal: ModelError | null = null;
  private budgetReason: string | null = null;
  private failedLeaves = 0;
  private readonly unpriced = new Set<string>();
  readonly pattern: AnyPattern;
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
    return { id: a.id, tier: a.tier, dependsOn: a.dependsOn, priority: role.priority, depth: role.depth };
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
    const release = this.begin(opts.signal);
    this.deps.onActive?.(this.id, true);
    const started = this.deps.clock.now();
    const wallBefore = this.ledger.totals.wallMs;
    try {
      const todo = await this.prepare(mode);
      this.ledger.setRunStatus('running');
      await this.runGraph(todo);
      return await this.finish(wallBefore + this.deps.clock.now() - started);
    } catch (err) {
      this.ledger.setRunStatus('failed', err instanceof Error ? err.message : String(err));
      await this.ledger.flush();
      throw err;
    } finally {
      release();
      this.deps.onActive?.(this.id, false);
    }
  }

  /**
   * Runs agents before the plan is approved (build's scouts) with the same caps, retries and
   * ledger as execute(). The run stays `planning`: no gaps, no summary. Rejects when the run was
   * cancelled or stopped on a terminal API error, so planning does not go on without them.
   */
  async runBeforeApproval(ids: readonly string[], signal?: AbortSignal): Promise<void> {
    const release = this.begin(signal);
    try {
      await this.runGraph(ids.map((id) => this.ledger.get(id)!));
    } finally {
      release();
    }
    if (this.terminal) throw this.terminal;
    if (this.userCancelled) throw new ModelError('planning cancelled', 'aborted');
  }

  /** Resets the per-execution state and links an outer signal to cancel(); returns the unlink. */
  private begin(signal: AbortSignal | undefined): () => void {
    this.controller = new AbortController();
    this.userCancelled = false;
    this.terminal = null;
    this.budgetReason = null;
    this.failedLeaves = 0;
    const onExternalAbort = (): void => this.cancel();
    if (signal?.aborted) this.cancel();
    signal?.addEventListener('abort', onExternalAbort, { once: true });
    return () => signal?.removeEventListener('abort', onExternalAbort);
  }

  /** Schedules these agents (and any they spawn) until every one has settled. */
  private async runGraph(todo: readonly AgentRecord[]): Promise<void> {
    const { config } = this.deps;
    const policy = new RequestPolicy(this.deps.model, config, this.deps.clock, {
      onTerminal: (err) => this.stopForTerminal(err),
      onRetry: (err, n, wait) => this.ledger.log('warn', `retry ${n} in ${Math.round(wait)} ms after ${err.message}`),
    });
    let addNodes: ((nodes: ScheduleNode[]) => void) | null = null;
    const ctx: RoleContext = {
      workspace: this.deps.workspace, runDir: this.dir, runId: this.id, config, prompts: this.deps.prompts,
      policy, ledger: this.ledger, plan: this.plan, price: (m, u) => this.price(m, u),
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
      run: (id, signal) => this.runAgent(ctx, this.ledger.get(id)!, signal),
    });
    this.lastStats = { ...stats, peakRequestsByModel: policy.peaks() };
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

  private admit(id: string): Admission {
    const a = this.ledger.get(id)!;
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
      if (!dep || dep.status === 'completed') continue;
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
    if (aborted && this.terminal) {
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

  /** One agent from queued to settled, with attempts, a per-attempt timeout and verification. */
  private async runAgent(ctx: RoleContext, agent: AgentRecord, runSignal: AbortSignal): Promise<void> {
    const role = this.roleOf(agent)!;
    const maxAttempts = 1 + this.deps.config.retries;
    let previousError: string | null = null;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      this.ledger.transition(agent.id, 'running', { attempts: agent.attempts + 1 });
      const timeout = AbortSignal.timeout(this.deps.config.agentTimeoutMs);
      const signal = AbortSignal.any([runSignal, timeout]);
      let result: AttemptResult;
      try {
        result = await role.attempt(ctx, agent, previousError, signal);
      } catch (err) {
        if (runSignal.aborted) {
          const why = this.terminal ? `stopped: ${this.terminal.message}` : 'cancelled';
          this.ledger.transition(agent.id, this.terminal ? 'failed' : 'cancelled', { error: why });
          return;
        }
        const message = timeout.aborted
          ? `timed out after ${Math.round(this.deps.config.agentTimeoutMs / 1000)} s`
          : err instanceof Error ? err.message : String(err);
        result = { ok: false, error: message };
      }
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
      reason = this.budgetReason ?? (this.failedLeaves >= this.deps.config.maxFailedWorkers
        ? `${this.failedLeaves} agents failed; no new ones were started after that`
        : `${gaps.length} agent(s) did not complete`);
    } else { status = 'failed'; reason = `no agent completed (${gaps[0]?.reason ?? 'unknown'})`; }
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

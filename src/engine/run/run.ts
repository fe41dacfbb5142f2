import * as path from 'node:path';
import { ConfigError, costOf, type Config } from '../config';
import { fileEndsWithSentinel, writeFileAtomic } from '../files';
import type { Ledger } from '../ledger/ledger';
import { ModelError } from '../model/client';
import type { Plan } from '../patterns/fan-out/plan';
import { renderPlanMarkdown } from '../plan/planMarkdown';
import type { Prompts } from '../prompts';
import { RequestPolicy } from '../model/requests';
import { attemptCoordinator, attemptFinal, attemptWorker, type AttemptResult, type RoleContext } from '../patterns/fan-out/roles';
import { schedule, type Admission, type ScheduleNode } from './scheduler';
import { estimateTokens } from '../text';
import type { ModelClient } from '../model/client';
import type { AgentRecord, Clock, CostEstimate, Gap, Logger, RunStatus, RunTotals, Usage } from '../types';

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

const PRIORITY = { worker: 0, coordinator: 1, final: 2 } as const;

/** A planned run: its plan, its ledger, and the policy that executes it. */
export class Run {
  private controller = new AbortController();
  private userCancelled = false;
  private terminal: ModelError | null = null;
  private budgetReason: string | null = null;
  private failedWorkers = 0;
  private readonly unpriced = new Set<string>();
  /** Peak concurrency of the last execute() (for tests and the bench). */
  lastStats: { peakOverall: number; peakByTier: Record<string, number>; peakRequestsByModel: Record<string, number> } | null = null;

  constructor(
    private readonly deps: RunDeps,
    readonly id: string,
    readonly dir: string,
    readonly plan: Plan,
    readonly ledger: Ledger,
  ) {}

  get estimate(): Readonly<CostEstimate> | null { return this.ledger.estimate; }

  /** Aborts in-flight requests; agents end `cancelled`; every file already written stays. */
  cancel(): void {
    this.userCancelled = true;
    this.controller.abort(new ModelError('run cancelled', 'aborted'));
  }

  async execute(opts: { signal?: AbortSignal; mode?: ExecuteMode } = {}): Promise<RunOutcome> {
    const { config } = this.deps;
    const mode = opts.mode ?? 'fresh';
    // Checked before the try below, which would record the refusal as a failed run.
    if (this.ledger.status === 'declined') {
      throw new ConfigError(`Run ${this.id} was declined at approval, so it is not ${mode === 'fresh' ? 'started' : 'resumed'}: nothing of its plan ran. Start a new task to plan again.`);
    }
    this.controller = new AbortController();
    this.userCancelled = false;
    this.terminal = null;
    this.budgetReason = null;
    this.failedWorkers = 0;
    const onExternalAbort = (): void => this.cancel();
    if (opts.signal?.aborted) this.cancel();
    opts.signal?.addEventListener('abort', onExternalAbort, { once: true });
    this.deps.onActive?.(this.id, true);
    const started = this.deps.clock.now();
    const wallBefore = this.ledger.totals.wallMs;
    try {
      const todo = await this.prepare(mode);
      this.ledger.setRunStatus('running');
      const policy = new RequestPolicy(this.deps.model, config, this.deps.clock, {
        onTerminal: (err) => this.stopForTerminal(err),
        onRetry: (err, n, wait) => this.ledger.log('warn', `retry ${n} in ${Math.round(wait)} ms after ${err.message}`),
      });
      const ctx: RoleContext = {
        workspace: this.deps.workspace, runDir: this.dir, config, prompts: this.deps.prompts,
        policy, ledger: this.ledger, plan: this.plan, price: (m, u) => this.price(m, u),
      };
      const nodes: ScheduleNode[] = todo.map((a) => ({
        id: a.id, tier: a.tier, dependsOn: a.dependsOn, priority: PRIORITY[a.role], depth: PRIORITY[a.role],
      }));
      const stats = await schedule(nodes, {
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
      return await this.finish(wallBefore + this.deps.clock.now() - started);
    } catch (err) {
      this.ledger.setRunStatus('failed', err instanceof Error ? err.message : String(err));
      await this.ledger.flush();
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onExternalAbort);
      this.deps.onActive?.(this.id, false);
    }
  }

  /** Decides which agents run in this execution; the rest stay as they are. */
  private async prepare(mode: ExecuteMode): Promise<AgentRecord[]> {
    const agents = this.ledger.agents;
    if (mode === 'fresh') {
      if (this.ledger.status !== 'awaiting-approval') {
        throw new Error(`Run ${this.id} is ${this.ledger.status}; only a run awaiting approval can start fresh (use resume)`);
      }
      return [...agents];
    }
    const reset = new Set<string>();
    for (const a of agents) {
      const finished = await fileEndsWithSentinel(path.join(this.dir, a.outputFile)) && (a.role === 'worker' || a.returned !== null);
      if (mode === 'resume') {
        // Completed work is judged by its file, not by the ledger: a crash can land between the two.
        if (finished) this.ledger.restore(a.id, 'completed');
        else reset.add(a.id);
      } else if (a.status !== 'completed' || !finished) {
        reset.add(a.id);
      }
    }
    if (mode === 'retry-failed') {
      // Everything downstream of a retried agent must run again to include its new output.
      for (const a of agents) if (a.role === 'worker' && reset.has(a.id)) reset.add(`coord-${a.domain}`);
      if (reset.size) reset.add('final');
    }
    for (const id of reset) this.ledger.restore(id, 'pending');
    return agents.filter((a) => reset.has(a.id));
  }

  private admit(id: string): Admission {
    const a = this.ledger.get(id)!;
    if (this.terminal) return { run: false, reason: `not started: the run stopped after ${this.terminal.message}` };
    const budget = this.overBudget();
    if (budget) return { run: false, reason: `not started: ${budget}` };
    if (a.role === 'worker' && this.failedWorkers >= this.deps.config.maxFailedWorkers) {
      return { run: false, reason: `not started: ${this.failedWorkers} workers failed (limit ${this.deps.config.maxFailedWorkers})` };
    }
    return { run: true };
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
    const attemptFn = agent.role === 'worker' ? attemptWorker : agent.role === 'coordinator' ? attemptCoordinator : attemptFinal;
    const maxAttempts = 1 + this.deps.config.retries;
    let previousError: string | null = null;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      this.ledger.transition(agent.id, 'running', { attempts: agent.attempts + 1 });
      const timeout = AbortSignal.timeout(this.deps.config.agentTimeoutMs);
      const signal = AbortSignal.any([runSignal, timeout]);
      let result: AttemptResult;
      try {
        result = await attemptFn(ctx, agent, previousError, signal);
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
        if (agent.role === 'worker') this.failedWorkers++;
        return;
      }
    }
  }

  private async finish(wallMs: number): Promise<RunOutcome> {
    const agents = this.ledger.agents;
    const gaps: Gap[] = agents.filter((a) => a.status !== 'completed').map((a) => ({
      agentId: a.id, outputFile: a.outputFile, reason: a.error ?? a.status,
    }));
    const final = agents.find((a) => a.role === 'final');
    let status: RunStatus;
    let reason: string | null = null;
    if (this.userCancelled) { status = 'cancelled'; reason = 'cancelled by the user'; }
    else if (this.terminal) { status = 'failed'; reason = `stopped on a terminal API error: ${this.terminal.message}`; }
    else if (gaps.length === 0) status = 'completed';
    else if (final?.status === 'completed' || agents.some((a) => a.role === 'worker' && a.status === 'completed')) {
      status = 'partial';
      reason = this.budgetReason ?? (this.failedWorkers >= this.deps.config.maxFailedWorkers
        ? `${this.failedWorkers} workers failed; no new workers were started after that`
        : `${gaps.length} agent(s) did not complete`);
    } else { status = 'failed'; reason = `no agent completed (${gaps[0]?.reason ?? 'unknown'})`; }
    this.ledger.setGaps(gaps);
    this.ledger.patchTotals({ wallMs });
    this.ledger.setRunStatus(status, reason);
    await writeFileAtomic(path.join(this.dir, 'plan.md'), renderPlanMarkdown(this.plan, agents, this.ledger.estimate));
    await this.ledger.flush();
    const summaryPath = final?.status === 'completed' ? path.join(this.dir, final.outputFile) : null;
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

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, costOf, ignoreOptionsOf, type Config } from './config';
import { writeFileAtomic } from './files';
import { compileTieredFanOut } from './patterns/fan-out/compile';
import { Ledger, PLANNER_ID } from './ledger/ledger';
import type { ModelClient } from './model/client';
import { validatePlan, type Plan } from './patterns/fan-out/plan';
import { renderPlanMarkdown } from './plan/planMarkdown';
import { requestPlan } from './plan/planner';
import { Prompts } from './prompts';
import { realClock, RequestPolicy } from './model/requests';
import { Run } from './run/run';
import { estimateRun } from './ledger/estimate';
import { newRunId, runDir } from './ledger/runs';
import { scopeExists, workspaceOverview } from './plan/workspace';
import { silentLogger, type Clock, type Logger } from './types';

export interface OrchestratorDeps {
  workspace: string;
  config: Config;
  model: ModelClient;
  promptsDir: string;
  logger?: Logger;
  clock?: Clock;
  simulated?: boolean;
  /** Ledger snapshot coalescing interval (ms). */
  snapshotIntervalMs?: number;
}

/**
 * Entry point of the engine: plans runs and opens existing ones. Everything it needs comes in
 * through its constructor, so the CLI, the extension and the tests each supply their own.
 */
export class Orchestrator {
  private readonly prompts: Prompts;
  private readonly clock: Clock;
  private readonly logger: Logger;
  /** Runs executing in this process right now (a host uses it to tell live runs from cut-off ones). */
  readonly active = new Set<string>();

  constructor(private readonly deps: OrchestratorDeps) {
    this.prompts = new Prompts(deps.promptsDir);
    this.clock = deps.clock ?? realClock;
    this.logger = deps.logger ?? silentLogger;
  }

  get config(): Config { return this.deps.config; }

  /**
   * Plans a run: creates its folder, asks the planner, validates the plan, and leaves the run
   * `awaiting-approval` with plan.json, plan.md and ledger.json written. A planning failure
   * leaves a `failed` ledger that says why, then throws.
   */
  async plan(req: { task: string; focus?: string[]; signal?: AbortSignal }): Promise<Run> {
    const task = req.task.trim();
    if (!task) throw new ConfigError('The task is empty: describe what the agents should do');
    const { workspace, config } = this.deps;
    const focus = (req.focus ?? []).map((f) => f.split(path.sep).join('/'));
    const exists = scopeExists(workspace, config.outputRoot, ignoreOptionsOf(config));
    for (const f of focus) if (!exists(f)) throw new ConfigError(`Focus folder "${f}" does not exist in the workspace or may not be read`);

    const id = newRunId(new Date(this.clock.now()));
    const dir = runDir(workspace, config.outputRoot, id);
    await fs.mkdir(dir, { recursive: true });
    const ledger = Ledger.create(dir, { runId: id, task, workspace, simulated: !!this.deps.simulated }, this.ledgerOptions());
    await ledger.flush();
    this.logger.info(`run ${id}: planning "${task}"`);
    try {
      const policy = new RequestPolicy(this.deps.model, config, this.clock, { onTerminal: () => undefined });
      const overview = await workspaceOverview(workspace, { outputRoot: config.outputRoot, ...ignoreOptionsOf(config), ...(focus.length ? { focus } : {}) });
      const plan = await requestPlan({
        config, prompts: this.prompts, policy, scopeExists: exists,
        onUsage: (model, usage) => ledger.addUsage(PLANNER_ID, model, usage, costOf(config.prices, model, usage) ?? 0),
      }, task, overview, focus, req.signal ?? new AbortController().signal);
      const agents = compileTieredFanOut(plan, config);
      const estimate = estimateRun(agents, config);
      ledger.setPlanned(agents, estimate);
      await writeFileAtomic(path.join(dir, 'plan.json'), JSON.stringify(plan, null, 2));
      await writeFileAtomic(path.join(dir, 'plan.md'), renderPlanMarkdown(plan, agents, estimate));
      ledger.setRunStatus('awaiting-approval');
      await ledger.flush();
      return this.makeRun(id, dir, plan, ledger);
    } catch (err) {
      ledger.setRunStatus('failed', `planning failed: ${err instanceof Error ? err.message : String(err)}`);
      await ledger.close();
      throw err;
    }
  }

  /** Opens a run from disk (for resume or retry), re-validating its plan.json. */
  async open(runId: string): Promise<Run> {
    const { workspace, config } = this.deps;
    const dir = runDir(workspace, config.outputRoot, runId);
    let raw: unknown;
    try {
      raw = JSON.parse(await fs.readFile(path.join(dir, 'plan.json'), 'utf8'));
    } catch {
      throw new ConfigError(`Run ${runId} has no readable plan.json in ${dir}`);
    }
    // Bounds were checked when it was planned; here only the shape and ids matter.
    const check = validatePlan(raw, { domains: { min: 1, max: 26 }, workersPerDomain: { min: 1, max: 1000 } }, () => true);
    if (!check.ok) throw new ConfigError(`Run ${runId} has an invalid plan.json:\n  ${check.errors.join('\n  ')}`);
    const ledger = await Ledger.load(dir, this.ledgerOptions());
    return this.makeRun(runId, dir, check.plan, ledger);
  }

  private makeRun(id: string, dir: string, plan: Plan, ledger: Ledger): Run {
    return new Run({
      workspace: this.deps.workspace, config: this.deps.config, prompts: this.prompts, model: this.deps.model,
      logger: this.logger, clock: this.clock,
      onActive: (runId, on) => { if (on) this.active.add(runId); else this.active.delete(runId); },
    }, id, dir, plan, ledger);
  }

  private ledgerOptions() {
    return { now: () => this.clock.now(), ...(this.deps.snapshotIntervalMs !== undefined ? { snapshotIntervalMs: this.deps.snapshotIntervalMs } : {}) };
  }
}

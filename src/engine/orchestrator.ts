import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, costOf, formatIssues, ignoreOptionsOf, type Config } from './config';
import { writeFileAtomic } from './files';
import { Ledger, PLANNER_ID } from './ledger/ledger';
import { estimateRun, markBatched } from './ledger/estimate';
import { checkedOutputRoot, checkedRunDir, confineRunPaths, newRunId } from './ledger/runs';
import { markCreatedHere } from './ledger/origin';
import type { ModelClient } from './model/client';
import { realClock, RequestPolicy } from './model/requests';
import { agentRecord, PlanInputError, type Compiled } from './patterns/pattern';
import { approveStage, definitionsNamed, planFromWorkflow } from './patterns/workflow';
import { CHANGE_PATTERN, FILE_PATTERN, PATTERNS, PLANNABLE_PATTERNS, patternNamed, validatePlan, type AnyPattern, type AnyPlan, type PatternChoice } from './patterns/registry';
import { renderPlanMarkdown } from './plan/planMarkdown';
import { requestPlan } from './patterns/planner';
import { checkTask } from './plan/task';
import { scopeExistsSync, workspaceOverview } from './plan/workspace';
import { Prompts, SHARED_PROMPTS } from './prompts';
import { Run, type RunOutcome } from './execution/run';
import { Transcripts } from './transcripts/writer';
import { addSecrets } from './redact';
import { loadMemoryBlock, proposeAtRunEnd } from './memory';
import { askAgent, type AskResult } from './commands/ask';
import { addWorker } from './commands/addWorker';
import { resumeRun, type ResumeOptions } from './commands/resume';
import { previewPlan, revisePlan, type PlanPreview } from './commands/planEdit';
import { rerunAgent, stopRunAgent, type StopResult } from './commands/agent';
import type { AgentCommandOptions, CommandHost } from './commands/host';
import type { LeafRequest } from './patterns/pattern';
import { silentLogger, type Clock, type Logger } from './types';
import type { IgnoredSetting, WorkspaceCommand } from './trust/configPolicy';
import { FileCommandConsent, type CommandConsent } from './trust/consent';
import { applyDefinitions, loadAgentDefinitions, roleToolsOf, RUN_DEFINITIONS_FILE, runDefinitionsJson, type AgentCatalog } from './agents';
import { loadWorkflows, resolveParams, type WorkflowCatalog } from './workflows';
import { FINDINGS_FILE, FindingsFileSchema, type FindingsFile } from './pipelineFiles';

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
  /**
   * Literal values never written, printed or sent (the API key the host holds): added to the
   * process-wide redaction (src/engine/redact) when the Orchestrator is made.
   */
  secrets?: readonly string[];
  /** The repository's own check command (resolveConfig's `workspaceCommand`): shown in plans, run only with consent. */
  workspaceCommand?: WorkspaceCommand | null;
  /** Settings the workspace set that were not obeyed (resolveConfig's `ignored`): recorded with each plan. */
  ignoredSettings?: readonly IgnoredSetting[];
  /** The user's remembered consent to repositories' commands (default: the user state folder's consent.json). */
  consent?: CommandConsent;
  /**
   * The folder holding this machine's secret that marks runs created here (ledger/origin.ts);
   * by default the user's state folder. Tests point it at a scratch folder.
   */
  stateDir?: string;
  /**
   * The home folder whose `.claude/agents/` holds the user's own agent definitions (default:
   * `os.homedir()`; null: none). Tests point it at a scratch folder.
   */
  agentsHome?: string | null;
}

export type { AgentCommandOptions } from './commands/host';

/** A workflow to plan (`orchestrate run --workflow NAME --param k=v`, Run Workflow): no planner model call. */
export interface PlanWorkflowRequest {
  /** The workflow's `name` (`.orchestration/workflows/<name>.yaml`). */
  workflow: string;
  /** Parameter values by name; a parameter without a default must be given, an unknown one is an error. */
  params: Readonly<Record<string, string>>;
  /** Workspace folders the run is confined to: `each: {files}` globs and the agents' tools stay inside. */
  focus?: string[];
  signal?: AbortSignal;
  /** Who asks, when not a person at this front end (`mcp:<client name>`). */
  startedBy?: string;
}

export interface PlanRunRequest {
  task: string;
  /** Workspace folders the run is confined to: the plan's scopes and the agents' tools stay inside. */
  focus?: string[];
  /** A pattern by name, or `auto` (the default) to let the planner choose. */
  pattern?: PatternChoice;
  signal?: AbortSignal;
  /** Who asks, when not a person at this front end (`mcp:<client name>`): recorded in the ledger and shown with the run. */
  startedBy?: string;
  /** Fix Findings: the audit findings the user chose (a build only); written to the run's findings.json, planned from. */
  findings?: FindingsFile;
}

/**
 * Entry point of the engine: plans runs and opens existing ones. Everything it needs comes in
 * through its constructor, so the CLI, the extension and the tests each supply their own.
 */
export class Orchestrator {
  private readonly prompts: Prompts;
  private readonly clock: Clock;
  private readonly logger: Logger;
  /** The user's consent to repositories' commands (the front end grants it when the user approves). */
  readonly consent: CommandConsent;
  /** Runs executing in this process right now (a host uses it to tell live runs from cut-off ones). */
  readonly active = new Set<string>();

  constructor(private readonly deps: OrchestratorDeps) {
    this.prompts = new Prompts(deps.promptsDir, [...SHARED_PROMPTS, ...PATTERNS.flatMap((p) => p.prompts)]);
    addSecrets(deps.secrets ?? []);
    this.clock = deps.clock ?? realClock;
    this.logger = deps.logger ?? silentLogger;
    this.consent = deps.consent ?? new FileCommandConsent();
  }

  /** The repository's own check command this orchestrator's runs would use, if any (for a front end's consent prompt). */
  get workspaceCommand(): WorkspaceCommand | null { return this.deps.workspaceCommand ?? null; }

  get config(): Config { return this.deps.config; }

  /** What the command modules need of the orchestrator. */
  private get host(): CommandHost {
    return {
      workspace: this.deps.workspace, config: this.deps.config, model: this.deps.model, prompts: this.prompts,
      clock: this.clock, logger: this.logger, secrets: this.deps.secrets ?? [],
      dirOf: (runId) => checkedRunDir(this.deps.workspace, this.deps.config.outputRoot, runId),
      open: (runId) => this.open(runId),
      makeRun: (id, dir, plan, ledger) => this.makeRun(id, dir, plan, ledger),
      ledgerOptions: () => this.ledgerOptions(),
      ...(this.deps.stateDir ? { stateDir: this.deps.stateDir } : {}),
      agentDefinitions: () => this.agentDefinitions(),
    };
  }

  /** The user's agent definitions as a plan made now would see them (`.claude/agents`, the home folder's, `.orchestration/agents`). */
  agentDefinitions(): Promise<AgentCatalog> {
    return loadAgentDefinitions(this.deps.workspace, {
      outputRoot: this.deps.config.outputRoot, ...(this.deps.agentsHome !== undefined ? { home: this.deps.agentsHome } : {}),
    });
  }

  /**
   * Stops one agent of a running run: directly when the run executes in this process, through
   * the run's control folder when another process executes it (that process carries it out and
   * answers). The agent ends `cancelled` ("stopped by the user"); the rest of the run goes on.
   */
  async stopAgent(runId: string, agentId: string): Promise<StopResult> {
    return stopRunAgent(await checkedRunDir(this.deps.workspace, this.deps.config.outputRoot, runId), runId, agentId);
  }

  /**
   * Resumes a run from disk (`mode: 'resume'`, re-running unfinished agents) or retries its failed
   * agents (`'retry-failed'`), owning it meanwhile: a second owner is refused naming the process
   * that holds it. A run folder not created on this machine is refused with a ForeignRunError
   * saying where it came from, unless `allowForeign` says the user saw that and went on.
   */
  resume(runId: string, opts: ResumeOptions = {}): Promise<RunOutcome> {
    return resumeRun(this.host, runId, opts);
  }

  /**
   * Reruns one agent of a finished run (a new attempt, with `instruction` added to its prompt),
   * then everything downstream that summarises it (its coordinator, reducer or consensus and the
   * final step), so the summaries include the new result. Nothing else runs. Refused while the
   * run executes anywhere, and for agents that cannot run alone (the planner, a supervisor round).
   */
  rerunAgent(runId: string, agentId: string, opts: AgentCommandOptions & { instruction?: string } = {}): Promise<RunOutcome> {
    return rerunAgent(this.host, runId, agentId, opts);
  }

  /**
   * Asks a finished agent a follow-up question, answered by its model with its own transcript
   * and output as context (bounded). The request is priced on that agent's record, kept in its
   * transcript as a new attempt (`ask`/`answer` entries), and the answer is written to
   * `asks/<agentId>-<n>.md` in the run folder (`file`, absolute).
   */
  askAgent(runId: string, agentId: string, question: string, opts: AgentCommandOptions = {}): Promise<AskResult> {
    return askAgent(this.host, runId, agentId, question, opts);
  }

  /**
   * Adds a leaf to a finished run (a fan-out worker in a domain, a map-reduce mapper, a panel
   * expert), validated like a planned one, runs it, then re-runs the synthesis steps above it.
   * Patterns without such a leaf refuse with why.
   */
  addWorker(runId: string, leaf: LeafRequest, opts: AgentCommandOptions = {}): Promise<RunOutcome> {
    return addWorker(this.host, runId, leaf, opts);
  }

  /** Validates an edited plan (schema, the pattern's checks, compile) and estimates it, writing nothing. */
  previewPlan(runId: string, plan: unknown): Promise<PlanPreview> {
    return previewPlan(this.host, runId, plan);
  }

  /**
   * Replaces the plan of a run awaiting approval with an edited one, validated like a planned
   * one: plan.json, plan.md, the ledger's planned agents, groups and estimate (the planner's
   * record stays). Returns the Run to approve; a Run of the old plan refuses to execute.
   */
  revisePlan(runId: string, plan: unknown): Promise<Run> {
    return revisePlan(this.host, runId, plan);
  }

  /**
   * Plans a run: creates its folder, asks the planner (an agent record of its own, so planning's
   * cost is an agent's), validates the plan, and leaves the run `awaiting-approval` with
   * plan.json, plan.md and ledger.json written. A planning failure leaves a `failed` ledger that
   * says why, then throws.
   */
  async plan(req: PlanRunRequest): Promise<Run> {
    const task = checkTask(req.task);
    const { workspace, config } = this.deps;
    const { focus, exists } = this.checkedFocus(req.focus);
    const choice = req.pattern ?? 'auto';
    if (choice !== 'auto' && (!patternNamed(choice) || patternNamed(choice)?.plannedFromFile)) {
      throw new ConfigError(`Unknown pattern "${String(choice)}"; expected auto or one of ${PLANNABLE_PATTERNS.map((p) => p.name).join(', ')}`);
    }
    if (req.findings && choice !== CHANGE_PATTERN) throw new ConfigError(`Fixing findings is a build: plan it with the build pattern, not ${choice}`);
    const parsedFindings = req.findings ? FindingsFileSchema.safeParse(req.findings) : null;
    if (parsedFindings && !parsedFindings.success) throw new ConfigError(`The findings to fix are not valid:\n  ${formatIssues(parsedFindings.error).join('\n  ')}`);
    const fixing = parsedFindings?.data ?? null;
    if (choice !== 'auto') await patternNamed(choice)?.precheck?.(workspace, config);

    const { id, dir } = await this.newRunFolder();
    if (fixing) await writeFileAtomic(path.join(dir, FINDINGS_FILE), JSON.stringify(fixing, null, 2));
    const planner = agentRecord(config, {
      id: PLANNER_ID, role: 'planner', domain: null, tier: 'sonnet', task: `Plan the task (pattern: ${choice})`,
      scope: focus, dependsOn: [], outputFile: 'plan.md',
    });
    const ledger = Ledger.create(dir, { runId: id, task, workspace, simulated: !!this.deps.simulated, ...(req.startedBy ? { startedBy: req.startedBy } : {}) }, [planner], this.ledgerOptions());
    ledger.transition(PLANNER_ID, 'running', { attempts: 1 });
    await ledger.flush();
    this.logger.info(`run ${id}: planning "${task}"`);
    const transcripts = this.transcriptsFor(dir);
    try {
      const policy = new RequestPolicy(this.deps.model, config, this.clock, {
        onTerminal: () => undefined,
        onRetry: (err, n, wait) => ledger.log('warn', `planner: retry ${n} in ${Math.round(wait)} ms after ${err.message}`),
      });
      const overview = await workspaceOverview(workspace, { outputRoot: config.outputRoot, ...ignoreOptionsOf(config), ...(focus.length ? { focus } : {}) });
      const signal = req.signal ?? new AbortController().signal;
      // memory.md: read once per plan; what was left out of it (budget, size, a symlink) is the run's to say.
      const memory = await loadMemoryBlock(workspace, config);
      for (const note of memory.notes) ledger.log('warn', `memory: ${note}`);
      // The user's agents (.claude/agents …): read once per plan; a bad file is the run's to say, never a stop.
      const catalog = await this.agentDefinitions();
      for (const e of catalog.errors) ledger.log('warn', `agent definition ${e.file}:${e.line}:${e.column}: ${e.message}`);
      const planningCtx = { config, focus, scopeExists: exists, agentDefinitions: catalog.definitions, ...(fixing ? { findings: fixing.findings } : {}) };
      const first = await requestPlan({
        workspace, config, prompts: this.prompts, policy, scopeExists: exists, memory: memory.block, agents: catalog.definitions,
        onRedacted: (n) => ledger.countRedactions(PLANNER_ID, n),
        onUsage: (model, usage) => {
          const cost = costOf(config.prices, model, usage) ?? 0;
          ledger.addUsage(PLANNER_ID, model, usage, cost);
          return cost;
        },
        transcript: transcripts.agent(PLANNER_ID),
      }, { task, overview, focus, pattern: choice, ...(fixing ? { findings: fixing } : {}) }, signal);
      const { pattern } = first;
      let { plan, compiled } = first;
      if (pattern.beforeApproval) {
        if (choice === 'auto') await pattern.precheck?.(workspace, config);
        const refined: { plan: AnyPlan; compiled: Compiled } = await pattern.beforeApproval(plan, {
          workspace, runDir: dir, runId: id, config, prompts: this.prompts, policy, ledger, signal, planning: planningCtx,
          transcript: transcripts.agent(PLANNER_ID),
          runAgents: async (stage, agents, groups) => {
            ledger.addAgents(agents, groups);
            await writeFileAtomic(path.join(dir, 'plan.json'), JSON.stringify(stage, null, 2));
            await this.makeRun(id, dir, stage, ledger, transcripts).runBeforeApproval(agents.map((a) => a.id), signal);
          },
        });
        ({ plan, compiled } = refined);
      }
      return await this.settlePlan({ id, dir, ledger, transcripts, plan, pattern, compiled, definitions: catalog.definitions });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      ledger.transition(PLANNER_ID, 'failed', { error: message });
      ledger.setRunStatus('failed', `planning failed: ${message}`);
      await ledger.close();
      await transcripts.flush(true).catch(() => undefined);
      throw err;
    }
  }

  /**
   * The workspace's workflow files: the valid ones and the errors of the rest. A stage naming an
   * agent that is not defined (`.claude/agents` …) is an error of its file.
   */
  async workflows(): Promise<WorkflowCatalog> {
    const agents = await this.agentDefinitions();
    return loadWorkflows(this.deps.workspace, { outputRoot: this.deps.config.outputRoot, agents: agents.definitions });
  }

  /**
   * Plans a run of a workflow file without asking the planner model: loads the workflow and the
   * agent definitions, resolves the parameters, expands each stage's `each` over the workspace,
   * compiles the stages into the workflow pattern's graph and leaves the run `awaiting-approval`
   * with plan.json, plan.md and ledger.json written, like plan(). Its planner record completes at
   * once, at no cost. An unknown workflow, a file with errors (file:line:column), a missing or
   * unknown parameter, an `each` over no file: a ConfigError naming it, and nothing is written.
   */
  async planWorkflow(req: PlanWorkflowRequest): Promise<Run> {
    const { workspace, config } = this.deps;
    const { focus, exists } = this.checkedFocus(req.focus);
    const agents = await this.agentDefinitions();
    const catalog = await loadWorkflows(workspace, { outputRoot: config.outputRoot, agents: agents.definitions });
    const found = catalog.workflows.find((w) => w.workflow.name === req.workflow);
    if (!found) {
      const broken = catalog.errors.filter((e) => e.name === req.workflow);
      if (broken.length) throw new ConfigError(`Workflow ${req.workflow} is not valid:\n  ${broken.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`).join('\n  ')}`);
      const names = catalog.workflows.map((w) => w.workflow.name);
      throw new ConfigError(`No workflow named "${req.workflow}" in ${catalog.folder}; ${names.length ? `found ${names.join(', ')}` : 'it has none'}${catalog.errors.length ? ` (and ${catalog.errors.length} with errors: orchestrate workflows validate)` : ''}`);
    }
    const resolved = resolveParams(found.workflow, req.params);
    if (!resolved.ok) throw new ConfigError(resolved.errors.join('\n'));
    const pattern = FILE_PATTERN;
    let plan: AnyPlan;
    let compiled: Compiled;
    let named: string[];
    try {
      const drafted = await planFromWorkflow(found, resolved.params, { workspace, config, focus, definitions: agents.definitions });
      const check = validatePlan(drafted, { config, focus, scopeExists: exists, agentDefinitions: agents.definitions });
      if (!check.ok) throw new PlanInputError(check.errors);
      plan = check.plan;
      named = definitionsNamed(drafted);
      compiled = await pattern.compile(plan, { workspace, config });
    } catch (err) {
      if (err instanceof PlanInputError) throw new ConfigError(`Workflow ${req.workflow} cannot be planned:\n  ${err.errors.join('\n  ')}`);
      throw err;
    }
    for (const e of agents.errors) this.logger.warn(`agent definition ${e.file}:${e.line}:${e.column}: ${e.message}`);

    const { id, dir } = await this.newRunFolder();
    const planner = agentRecord(config, {
      id: PLANNER_ID, role: 'planner', domain: null, tier: 'sonnet', task: `Plan the workflow ${found.workflow.name} from its file`,
      scope: focus, dependsOn: [], outputFile: 'plan.md',
    });
    const ledger = Ledger.create(dir, { runId: id, task: plan.task, workspace, simulated: !!this.deps.simulated, ...(req.startedBy ? { startedBy: req.startedBy } : {}) }, [planner], this.ledgerOptions());
    ledger.transition(PLANNER_ID, 'running', { attempts: 1 });
    for (const e of agents.errors) ledger.log('warn', `agent definition ${e.file}:${e.line}:${e.column}: ${e.message}`);
    const transcripts = this.transcriptsFor(dir);
    this.logger.info(`run ${id}: planned workflow ${found.workflow.name} from ${found.source}`);
    try {
      // The stages' tiers were decided from the file (a stage's own tier wins over its agent's model).
      return await this.settlePlan({
        id, dir, ledger, transcripts, plan, pattern, compiled, definitions: agents.definitions, tiersDecided: true,
        laterDefinitions: named,
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      ledger.transition(PLANNER_ID, 'failed', { error: message });
      ledger.setRunStatus('failed', `planning failed: ${message}`);
      await ledger.close();
      throw err;
    }
  }

  /**
   * Records a user's approval of a workflow stage's approval gate (approvals/<stage>.json in the
   * run folder): resuming the run then lets the stages after it run. Refused for a run that is
   * not a workflow or a stage without an approval gate.
   */
  async approveGate(runId: string, stageId: string, by?: string): Promise<string> {
    const run = await this.open(runId);
    await run.ledger.close();
    return approveStage(run.dir, run.plan, stageId, new Date(this.clock.now()), by);
  }

  /** The focus folders of a request, normalised, each checked to exist and be readable. */
  private checkedFocus(requested: readonly string[] | undefined): { focus: string[]; exists: (p: string) => boolean } {
    const { workspace, config } = this.deps;
    const focus = (requested ?? []).map((f) => f.split(path.sep).join('/').replace(/\/+$/, '')).filter((f) => f !== '' && f !== '.');
    const exists = scopeExistsSync(workspace, config.outputRoot, ignoreOptionsOf(config));
    for (const f of focus) if (!exists(f)) throw new ConfigError(`Focus folder "${f}" does not exist in the workspace or may not be read`);
    return { focus, exists };
  }

  /** A new run's folder, marked as made on this machine. */
  private async newRunFolder(): Promise<{ id: string; dir: string }> {
    const { workspace, config } = this.deps;
    const id = newRunId(new Date(this.clock.now()));
    await ensureOutputRoot(workspace, config);
    const dir = await checkedRunDir(workspace, config.outputRoot, id);
    await fs.mkdir(dir, { recursive: true });
    // The proof this folder was made here: a run folder a repository ships has none (origin.ts).
    if (!await markCreatedHere({ dir, runId: id, workspace, ...(this.deps.stateDir ? { stateDir: this.deps.stateDir } : {}) }).catch(() => false)) {
      this.logger.warn(`run ${id}: could not mark it as created on this machine (the state folder is not writable); resuming it will ask for confirmation`);
    }
    return { id, dir };
  }

  /**
   * The end of planning, whoever planned (the planner model, or a workflow file): the agents'
   * definitions applied, agents.json, the estimate, plan.json and the pattern's artifacts, the
   * planner record completed, the trust notes, plan.md, and the run left awaiting approval.
   */
  private async settlePlan(o: {
    id: string; dir: string; ledger: Ledger; transcripts: Transcripts; plan: AnyPlan; pattern: AnyPattern; compiled: Compiled;
    definitions: AgentCatalog['definitions'];
    /** The plan set every agent's tier already: a definition's model does not change it (its tool notes still apply). */
    tiersDecided?: boolean;
    /** Definitions agents added at run time will run as (a workflow's stage over returned items): kept in agents.json too. */
    laterDefinitions?: readonly string[];
  }): Promise<Run> {
    const { id, dir, ledger, transcripts, plan, pattern, compiled, definitions } = o;
    const { config } = this.deps;
    // Agents that ran before approval are in the ledger already; the rest are planned now.
    const fresh = compiled.agents.filter((a) => !ledger.get(a.id));
    const { agents, groups, artifacts } = compiled;
    // Before the estimate: a definition's model sets its agent's tier.
    applyDefinitions(fresh, o.tiersDecided ? definitions.map((d) => ({ ...d, tier: null })) : definitions, config, roleToolsOf(pattern));
    const used = runDefinitionsJson([...agents, ...(o.laterDefinitions ?? []).map((agentDefinition) => ({ agentDefinition }))], definitions);
    if (used) await writeFileAtomic(path.join(dir, RUN_DEFINITIONS_FILE), used);
    markBatched(fresh, config, pattern);
    const estimate = estimateRun(fresh, config, pattern);
    await writeFileAtomic(path.join(dir, 'plan.json'), JSON.stringify(plan, null, 2));
    for (const [name, content] of Object.entries(artifacts ?? {})) await writeFileAtomic(path.join(dir, name), content);
    ledger.setReturn(PLANNER_ID, plan.reason || `Planned a ${pattern.name} run of ${agents.length} agents.`, 0);
    ledger.transition(PLANNER_ID, 'completed', { error: null });
    ledger.setPlanned(fresh, estimate, { pattern: pattern.name, patternReason: plan.reason, groups });
    // A command the plan itself runs (a workflow's check) is shown like the repository's verifyCommand.
    const planCommand = pattern.workspaceCommands?.(plan)[0];
    ledger.setTrustNotes({
      ...(planCommand ? { workspaceCommand: planCommand }
        : pattern.runsVerifyCommand && this.deps.workspaceCommand && !config.verifyCommand ? { workspaceCommand: this.deps.workspaceCommand } : {}),
      ignoredSettings: [...(this.deps.ignoredSettings ?? [])],
    });
    await writeFileAtomic(path.join(dir, 'plan.md'), renderPlanMarkdown(ledger.snapshot()));
    ledger.setRunStatus('awaiting-approval');
    await ledger.flush();
    await transcripts.flush(true);
    return this.makeRun(id, dir, plan, ledger, transcripts);
  }

  /**
   * Opens a run from disk, re-validating its plan.json and confining the paths its ledger names
   * to its folder (a ledger read back is untrusted input). It does not take the run's lock:
   * execute() takes it, and resume() holds it from before the ledger is read.
   */
  async open(runId: string): Promise<Run> {
    const { workspace, config } = this.deps;
    const dir = await checkedRunDir(workspace, config.outputRoot, runId);
    let raw: unknown;
    try {
      raw = JSON.parse(await fs.readFile(path.join(dir, 'plan.json'), 'utf8'));
    } catch {
      throw new ConfigError(`Run ${runId} has no readable plan.json in ${dir}`);
    }
    // Bounds were checked when it was planned; here only the shape and ids matter.
    const check = validatePlan(raw, null);
    if (!check.ok) throw new ConfigError(`Run ${runId} has an invalid plan.json:\n  ${check.errors.join('\n  ')}`);
    const ledger = await Ledger.load(dir, this.ledgerOptions());
    await confineRunPaths(dir, ledger.agents);
    return this.makeRun(runId, dir, check.plan, ledger);
  }

  private makeRun(id: string, dir: string, plan: Run['plan'], ledger: Ledger, transcripts?: Transcripts): Run {
    return new Run({
      workspace: this.deps.workspace, config: this.deps.config, prompts: this.prompts, model: this.deps.model,
      logger: this.logger, clock: this.clock, transcripts: transcripts ?? this.transcriptsFor(dir),
      onActive: (runId, on) => { if (on) this.active.add(runId); else this.active.delete(runId); },
      workspaceCommand: this.deps.workspaceCommand ?? null, consent: this.consent,
      afterAgents: (r) => proposeAtRunEnd({ ...r, workspace: this.deps.workspace, outputRoot: this.deps.config.outputRoot }),
    }, id, dir, plan, ledger);
  }

  private transcriptsFor(dir: string): Transcripts {
    return new Transcripts(dir, {
      maxBytes: this.deps.config.transcriptMaxBytes, secrets: this.deps.secrets ?? [], now: () => this.clock.now(),
    });
  }

  private ledgerOptions() {
    return { now: () => this.clock.now(), ...(this.deps.snapshotIntervalMs !== undefined ? { snapshotIntervalMs: this.deps.snapshotIntervalMs } : {}) };
  }
}

/**
 * Creates the output root; when it is new and runs are not meant to be committed, it gets its own
 * `.gitignore` (`*`), so runs never show in `git status` and no repository-wide rule is touched.
 */
async function ensureOutputRoot(workspace: string, config: Config): Promise<void> {
  const root = await checkedOutputRoot(workspace, config.outputRoot);
  const created = await fs.mkdir(root, { recursive: true });
  if (created !== undefined && !config.trackRunsInGit) {
    // The project's config.json and its workflows live here too and are meant to be shared: they stay visible.
    await writeFileAtomic(path.join(root, '.gitignore'), '# Runs of Scaled Agent Orchestration stay out of git (setting trackRunsInGit).\n*\n!config.json\n!workflows/\n!workflows/*.yaml\n!workflows/*.yml\n');
  }
}

/**
 * Starts, approves, cancels, resumes and retries runs in this window. Each run owns one Session
 * (provider + orchestrator) from planning until it settles; the store follows its ledger meanwhile.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  approvalsWaiting, CommandRefusedError, ConfigError, Ledger, originOfRun, patternNamed, PlanError,
  type AnyPlan, type ExecuteMode, type FindingsFile, type PatternChoice, type Run, type RunOrigin, type RunOutcome,
} from '../../engine';
import { batchProgress, batchProgressText } from './batchView';
import { Debouncer } from '../debounce';
import { Disposable, toDisposable } from '../dispose';
import { formatCost, formatSpend, truncate } from '../format';
import type { OrchestrationLog } from '../log';
import type { RunStore } from './runStore';
import type { PlanPreview } from '../panels/plan/planEditorModel';
import { patternOf } from './runShape';
import { openSession, type Session, type SessionDeps } from './session';
import type { TranscriptRelay } from './transcriptRelay';
import { requireTrust } from '../trust';
import type { Notices, RunEnd, Severity } from '../notices';
import { runProgress } from '../../engine/ledger/progress';
import { plural } from '../../shared/words';
import { APPROVE_STAGE_ACTION, APPROVE_STAGE_COMMAND } from './approvals';

interface Active { session: Session; run: Run; executing: boolean; relay: { dispose(): void } }

const DECLINED_REASON = 'the plan was declined at approval; nothing ran';

export class RunController extends Disposable {
  private readonly active = new Map<string, Active>();
  private readonly planned = this._register(new vscode.EventEmitter<string>());

  /** Fires with the run id when a plan is ready (the Summary view shows it for approval). */
  readonly onDidPlan = this.planned.event;

  constructor(private readonly deps: SessionDeps & {
    store: RunStore; log: Pick<OrchestrationLog, 'error' | 'show'>; relay?: TranscriptRelay; notices: Notices;
    /** Where a run came from (tests); by default the engine's check of its folder. */
    originOf?: (runId: string) => Promise<RunOrigin>;
  }) {
    super();
    // Deliberately no run.cancel(): a window that closes or reloads cuts its runs off, and the
    // ledger left `running` with this dead pid reads as `interrupted` next time, offering Resume.
    this._register(toDisposable(() => {
      for (const { session, relay } of this.active.values()) {
        relay.dispose();
        void session.provider.dispose().catch(() => undefined);
      }
      this.active.clear();
    }));
  }

  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  isExecuting(runId: string): boolean {
    return this.active.get(runId)?.executing === true;
  }

  /** The session of a run this window holds (planning, awaiting approval or executing), for commands that share it. */
  sessionOf(runId: string): Session | undefined {
    return this.active.get(runId)?.session;
  }

  /** Validates and estimates an edited plan of a run awaiting approval, saving nothing (the plan editor). */
  async previewPlan(runId: string, plan: AnyPlan): Promise<PlanPreview | undefined> {
    const entry = this.active.get(runId) ?? (await this.open(runId));
    return entry?.session.orchestrator.previewPlan(runId, plan);
  }

  /**
   * Puts an edited plan in place of the one awaiting approval (validated as at planning, saved as
   * plan.json) and follows the revised run from then on: the old Run refuses to execute.
   */
  async revisePlan(runId: string, plan: AnyPlan): Promise<{ ok: true } | { ok: false; errors: string[] }> {
    if (!requireTrust('revise the plan')) return { ok: false, errors: ['The workspace is in Restricted Mode: plans cannot be changed or run.'] };
    const entry = this.active.get(runId) ?? (await this.open(runId));
    if (!entry) return { ok: false, errors: ['No model provider session could be opened for this run (see the notification).'] };
    if (entry.executing) return { ok: false, errors: [`Run ${runId} is already running; its plan can no longer change.`] };
    try {
      const run = await entry.session.orchestrator.revisePlan(runId, plan);
      entry.relay.dispose();
      entry.run = run;
      entry.relay = this.deps.relay?.follow(run) ?? { dispose() {} };
      this.deps.store.attach(run);
      return { ok: true };
    } catch (err) {
      if (err instanceof ConfigError) return { ok: false, errors: err.issues.length ? err.issues : [err.message] };
      if (err instanceof CommandRefusedError) return { ok: false, errors: [err.message] };
      this.deps.log.error(`revising the plan of ${runId}: ${(err as Error).stack ?? String(err)}`);
      return { ok: false, errors: [`The plan could not be saved: ${(err as Error).message}`] };
    }
  }

  /** Plans a task, then waits for approval in the Summary view (or runs at once with autoApprovePlan). */
  async orchestrate(task: string, focus: string[] = [], pattern: PatternChoice = 'auto', from: { findings?: FindingsFile } = {}): Promise<void> {
    await this.planThenOffer('orchestrate a task', `Planning${pattern === 'auto' ? '' : ` (${pattern})`}: ${truncate(task, 60)}`,
      (orchestrator, signal) => orchestrator.plan({ task, focus, pattern, signal, ...(from.findings ? { findings: from.findings } : {}) }));
  }

  /**
   * Plans a run of a workflow file (no planner model call), then offers it for approval exactly
   * like a planned task: the same trust check, key prompt, errors, Summary and autoApprovePlan.
   */
  async orchestrateWorkflow(req: { workflow: string; params: Record<string, string> }): Promise<void> {
    await this.planThenOffer('run a workflow', `Planning workflow ${truncate(req.workflow, 60)}`,
      (orchestrator, signal) => orchestrator.planWorkflow({ workflow: req.workflow, params: req.params, signal }));
  }

  private async planThenOffer(action: string, title: string, plan: (orchestrator: Session['orchestrator'], signal: AbortSignal) => Promise<Run>): Promise<void> {
    if (!requireTrust(action)) return;
    const session = await openSession(this.deps);
    if (!session) return;
    let run: Run;
    try {
      run = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        (_progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          return plan(session.orchestrator, abort.signal);
        },
      );
    } catch (err) {
      await session.provider.dispose();
      this.reportPlanError(err);
      void this.deps.store.refresh();
      return;
    }
    this.track(run, session);
    this.planned.fire(run.id);
    if (session.settings.autoApprovePlan) await this.approve(run.id);
  }

  async approve(runId: string): Promise<void> {
    if (!requireTrust('run the plan')) return;
    // A plan this window did not make may have come with the workspace: its plan is the repository's.
    if (!this.active.has(runId)) {
      const origin = await this.originOf(runId);
      if (!origin || (!origin.local && !(await confirmForeign(origin, 'approve')))) return;
    }
    const entry = this.active.get(runId) ?? (await this.open(runId));
    if (!entry || entry.executing) return;
    if (!(await this.consentToCommand(entry.session, entry.run.pattern.runsVerifyCommand === true))) return;
    const { run } = entry;
    await this.execute(entry.session, run.id, run.plan.task, (onRun) => { onRun(run); return run.execute({ mode: 'fresh' }); });
  }

  /**
   * A plan that runs the repository's own check command runs only with the user's consent to that
   * exact command in this workspace: remembered once given (a changed command asks again), asked
   * in a modal otherwise, since a plan may be approved unseen (autoApprovePlan) or resumed later.
   * Declining leaves the run as it was.
   */
  private async consentToCommand(session: Session, runsChecks: boolean): Promise<boolean> {
    const command = session.orchestrator.workspaceCommand;
    if (!command || !runsChecks) return true;
    const { consent } = session.orchestrator;
    if (await consent.has(session.workspace, command.command)) return true;
    const allow = 'Run the Command';
    const choice = await vscode.window.showWarningMessage(
      `This plan runs \`${command.command}\` in each builder's worktree. The repository chose this command (${command.source}).`,
      { modal: true, detail: 'It runs on this machine with your account, without your API key in its environment. Allow it only if you trust the command; you are asked again if it changes. To choose your own check instead, set orchestration.verifyCommand in your user settings.' },
      allow,
    );
    if (choice !== allow) return false;
    await consent.grant(session.workspace, command.command);
    return true;
  }

  /**
   * Resumes a run from disk, or retries its failed agents. A run folder not created on this
   * machine (shipped in the repository, copied or moved) runs only after a modal warning naming
   * the folder and where it came from. The engine owns the run meanwhile: another window or
   * process executing it makes this a refusal naming that process.
   */
  async resume(runId: string, mode: Exclude<ExecuteMode, 'fresh'> = 'resume'): Promise<void> {
    await this.resumeChecked(runId, mode, mode === 'resume' ? 'resume the run' : 'retry failed agents');
  }

  /**
   * Approves a workflow stage waiting at its approval gate (approvals/<stage>.json), then resumes
   * the run exactly as Resume Run does: the same trust, origin and command-consent checks come
   * first, so a declined check approves nothing. The gate passes on resume and the stages after
   * it run; a refusal (no such gate) is shown and nothing runs.
   */
  async approveStage(runId: string, stageId: string): Promise<void> {
    await this.resumeChecked(runId, 'resume', `approve stage ${stageId}`, async (session) => {
      try {
        await session.orchestrator.approveGate(runId, stageId, userName());
        return true;
      } catch (err) {
        void this.deps.notices.error(`Could not approve stage ${stageId} of run ${runId}: ${(err as Error).message}`);
        return false;
      }
    });
  }

  /** Resume's checks, then `before` (false stops there), then the execution. */
  private async resumeChecked(
    runId: string, mode: Exclude<ExecuteMode, 'fresh'>, action: string, before?: (session: Session) => Promise<boolean>,
  ): Promise<void> {
    if (!requireTrust(action)) return;
    if (this.active.has(runId)) {
      void this.deps.notices.info(`Run ${runId} is already active in this window.`);
      return;
    }
    if (this.deps.store.get(runId)?.status === 'declined') {
      void this.deps.notices.info(`Run ${runId} was declined at approval, so there is nothing to resume. Orchestrate Task plans again.`);
      return;
    }
    const origin = await this.originOf(runId);
    if (!origin) return;
    if (!origin.local && !(await confirmForeign(origin, mode))) return;
    const session = await openSession(this.deps);
    if (!session) return;
    // A run the store does not know (yet) is asked about: consent is the safe side.
    const snap = this.deps.store.get(runId);
    if (!(await this.consentToCommand(session, !snap || patternNamed(patternOf(snap))?.runsVerifyCommand === true))
      || (before && !(await before(session)))) {
      await session.provider.dispose().catch(() => undefined);
      return;
    }
    const task = snap?.task ?? runId;
    await this.execute(session, runId, task, (onRun, signal) => session.orchestrator.resume(runId, { mode, signal, onRun, allowForeign: !origin.local }));
  }

  /** Where the run came from; undefined (after an error message) when its folder cannot be checked. */
  private async originOf(runId: string): Promise<RunOrigin | undefined> {
    const ws = this.deps.location.workspace();
    // Without a folder there is nothing to resume: openSession says so.
    if (!ws) return { local: true };
    try {
      return await (this.deps.originOf ?? ((id: string) => originOfRun(ws, this.deps.location.outputRoot(), id)))(runId);
    } catch (err) {
      void this.deps.notices.error(`Cannot run ${runId}: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** Cancels a running run, or declines a plan that is still awaiting approval. */
  async cancel(runId: string): Promise<void> {
    const entry = this.active.get(runId);
    if (entry?.executing) {
      entry.run.cancel();
      return;
    }
    if (entry || this.deps.store.get(runId)?.status === 'awaiting-approval') {
      await this.decline(runId);
      return;
    }
    void this.deps.notices.info(`Run ${runId} is not running in this window.`);
  }

  /**
   * Records a plan the user turned down as `declined`: nothing ran, and nothing offers to run it.
   * A plan left from an earlier window is declined on disk, without opening a model provider.
   */
  async decline(runId: string): Promise<void> {
    const entry = this.active.get(runId);
    if (entry?.executing) return;
    if (entry) {
      entry.run.ledger.setRunStatus('declined', DECLINED_REASON);
      await this.release(runId);
      return;
    }
    const dir = this.deps.store.runDir(runId);
    if (!dir || this.deps.store.get(runId)?.status !== 'awaiting-approval') return;
    try {
      const ledger = await Ledger.load(dir);
      ledger.setRunStatus('declined', DECLINED_REASON);
      await ledger.close();
    } catch (err) {
      void this.deps.notices.error(`Could not record run ${runId} as declined: ${(err as Error).message}`);
    }
    await this.deps.store.refresh();
  }

  private async open(runId: string): Promise<Active | undefined> {
    const session = await openSession(this.deps);
    if (!session) return undefined;
    try {
      return this.track(await session.orchestrator.open(runId), session);
    } catch (err) {
      await session.provider.dispose();
      void this.deps.notices.error(`Cannot open run ${runId}: ${(err as Error).message}`);
      return undefined;
    }
  }

  private track(run: Run, session: Session): Active {
    const entry: Active = { session, run, executing: false, relay: this.deps.relay?.follow(run) ?? { dispose() {} } };
    this.active.set(run.id, entry);
    this.deps.store.attach(run);
    return entry;
  }

  /**
   * Executes a run with its progress in the status bar (the window's progress and the run's own
   * item), never in a toast over the editor: Cancel Run stops it. `go` starts it and hands over
   * the Run it executes (`onRun`) before any agent starts, so the views follow it from the first event.
   */
  private async execute(
    session: Session, runId: string, task: string, go: (onRun: (run: Run) => void, signal: AbortSignal) => Promise<RunOutcome>,
  ): Promise<void> {
    // The Run that executed, for its end's notice (which gate waits, from its own ledger and plan).
    let ran: Run | undefined;
    try {
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `Orchestrating ${truncate(task, 30)}` },
        async (progress) => {
          const abort = new AbortController();
          let run: Run | undefined;
          const update = new Debouncer(() => {
            if (!run) return;
            const p = runProgress(run.ledger.agents);
            const batches = batchProgressText(batchProgress({ batches: [...run.ledger.batches] }));
            progress.report({ message: batches ? `${p.done}/${p.total} · ${batches}` : `${p.done}/${p.total}` });
          }, 250);
          let sub: { dispose(): void } | undefined;
          const onRun = (r: Run): void => {
            run = r;
            ran = r;
            const entry = this.active.get(r.id);
            if (entry && entry.run !== r) { entry.relay.dispose(); entry.run = r; entry.relay = this.deps.relay?.follow(r) ?? { dispose() {} }; this.deps.store.attach(r); }
            (entry ?? this.track(r, session)).executing = true;
            sub = r.ledger.onDidChange(() => update.schedule());
          };
          try {
            return await go(onRun, abort.signal);
          } finally {
            sub?.dispose();
            update.dispose();
          }
        },
      );
      this.reportOutcome(runId, outcome, session.provider.simulated, ran);
    } catch (err) {
      if (err instanceof CommandRefusedError) {
        // Another owner, or a run that cannot be resumed as it is: what to do is in the message.
        void this.deps.notices.warn(`Run ${runId} was not started here: ${err.message}`);
      } else if (err instanceof ConfigError) {
        void this.deps.notices.error(`Cannot run ${runId}: ${err.message}`);
      } else {
        this.deps.log.error(`run ${runId}: ${(err as Error).stack ?? String(err)}`);
        void this.deps.notices.error(`Run ${runId} stopped: ${(err as Error).message}`, 'Show Log').then((c) => { if (c) this.deps.log.show(); });
      }
    } finally {
      // A run refused before it started was never tracked: its provider is still to be closed.
      if (this.active.has(runId)) await this.release(runId);
      else await session.provider.dispose().catch(() => undefined);
    }
  }

  private async release(runId: string): Promise<void> {
    const entry = this.active.get(runId);
    if (!entry) return;
    this.active.delete(runId);
    entry.relay.dispose();
    await entry.run.ledger.flush().catch(() => undefined);
    this.deps.store.detach(runId);
    await entry.session.provider.dispose().catch(() => undefined);
  }

  private reportPlanError(err: unknown): void {
    if (err instanceof PlanError) {
      this.deps.log.error(`planning failed:\n  ${err.errors.join('\n  ')}`);
      void this.deps.notices.error(`The plan was not usable: ${err.errors.slice(0, 3).join('; ')}`, 'Show Log')
        .then((c) => { if (c) this.deps.log.show(); });
    } else if (err instanceof ConfigError) {
      void this.deps.notices.error(err.message);
    } else if ((err as Error)?.name === 'AbortError' || (err as { kind?: string })?.kind === 'aborted') {
      this.deps.notices.status('Planning cancelled.');
    } else {
      this.deps.log.error(`planning failed: ${(err as Error)?.stack ?? String(err)}`);
      void this.deps.notices.error(`Planning failed: ${(err as Error)?.message ?? String(err)}`, 'Show Log')
        .then((c) => { if (c) this.deps.log.show(); });
    }
  }

  /** The run's end: one notice (see Notices), naming the run, with at most two actions. */
  private reportOutcome(runId: string, o: RunOutcome, simulated: boolean, run?: Run): void {
    const waiting = o.status === 'partial' ? approvalsWaiting(run?.ledger.agents ?? this.deps.store.get(runId)?.agents ?? [], run?.plan)[0] : undefined;
    const open = (choice: string | undefined) => {
      if (choice === APPROVE_STAGE_ACTION && waiting) void vscode.commands.executeCommand(APPROVE_STAGE_COMMAND, runId, waiting.stage);
      if (choice === 'Open Summary') void vscode.commands.executeCommand('orchestration.openSummary', runId);
      if (choice === 'Retry Failed Agents') void vscode.commands.executeCommand('orchestration.retryFailed', runId);
      if (choice === 'Resume Run') void vscode.commands.executeCommand('orchestration.resumeRun', runId);
    };
    const snap = this.deps.store.get(runId);
    const name = `Run "${truncate(snap?.task ?? runId, 40)}"`;
    const cost = simulated ? `simulated, ${formatSpend(o.totals.costUsd, true)}` : formatCost(o.totals.costUsd);
    const key = snap?.endedAt ?? `${o.status}@${Date.now()}`;
    const end = (severity: Severity, text: string, actions: RunEnd['actions']) =>
      void this.deps.notices.runEnded(runId, { severity, text, actions, key }).then(open);
    switch (o.status) {
      case 'completed':
        end('info', `${name} completed (${cost}).`, ['Open Summary']);
        break;
      case 'partial':
        // A stage waiting for the user is not a gap to retry: the notice says what it waits for.
        if (waiting) {
          end('info', `${name} is waiting for your approval of stage ${waiting.stage}${waiting.message ? `: ${truncate(waiting.message, 120)}` : ''} (${cost}).`, [APPROVE_STAGE_ACTION, 'Open Summary']);
          break;
        }
        end('warning', `${name} finished with ${plural(o.gaps.length, 'gap')}: ${o.gaps.map((g) => g.agentId).join(', ')} (${cost}).`, ['Open Summary', 'Retry Failed Agents']);
        break;
      case 'cancelled':
        end('info', `${name} cancelled; files already written are kept (${cost}).`, ['Resume Run']);
        break;
      default:
        end('error', `${name} ${o.status}: ${o.reason ?? 'see the log'} (${cost}).`, ['Open Summary']);
    }
  }
}

/**
 * The modal warning before running a run folder not created on this machine: it names the
 * folder and where it came from, and says what going on means. True when the user goes on.
 */
async function confirmForeign(origin: Extract<RunOrigin, { local: false }>, mode: Exclude<ExecuteMode, 'fresh'> | 'approve'): Promise<boolean> {
  const [action, doing] = mode === 'resume' ? ['Resume Anyway', 'Resuming'] : mode === 'retry-failed' ? ['Retry Anyway', 'Retrying'] : ['Approve Anyway', 'Approving'];
  const choice = await vscode.window.showWarningMessage(
    origin.reason,
    {
      modal: true,
      detail: `${doing} it runs a plan written elsewhere, on your API key and at your cost, and writes into its folder. `
        + 'Read its plan.md first. Runs you start on this machine never ask this.',
    },
    action,
  );
  return choice === action;
}

/** Who approved, as the system knows them; nothing when it cannot say (a container without a passwd entry). */
function userName(): string | undefined {
  try {
    return os.userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts, approves, cancels, resumes and retries runs in this window. Each run owns one Session
 * (provider + orchestrator) from planning until it settles; the store follows its ledger meanwhile.
 */
import * as vscode from 'vscode';
import { CommandRefusedError, ConfigError, Ledger, PlanError, type AnyPlan, type ExecuteMode, type PatternChoice, type Run, type RunOutcome } from '../engine';
import { Debouncer } from './debounce';
import { Disposable, toDisposable } from './dispose';
import { formatCost, formatSpend, truncate } from './format';
import type { OrchestrationLog } from './log';
import type { RunStore } from './runStore';
import type { PlanPreview } from './planEditorModel';
import { openSession, type Session, type SessionDeps } from './session';
import type { TranscriptRelay } from './transcriptRelay';
import { requireTrust } from './trust';

interface Active { session: Session; run: Run; executing: boolean; relay: { dispose(): void } }

const DECLINED_REASON = 'the plan was declined at approval; nothing ran';

export class RunController extends Disposable {
  private readonly active = new Map<string, Active>();
  private readonly planned = this._register(new vscode.EventEmitter<string>());

  /** Fires with the run id when a plan is ready (the Summary view shows it for approval). */
  readonly onDidPlan = this.planned.event;

  constructor(private readonly deps: SessionDeps & { store: RunStore; log: Pick<OrchestrationLog, 'error' | 'show'>; relay?: TranscriptRelay }) {
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
  async orchestrate(task: string, focus: string[] = [], pattern: PatternChoice = 'auto'): Promise<void> {
    if (!requireTrust('orchestrate a task')) return;
    const session = await openSession(this.deps);
    if (!session) return;
    let run: Run;
    try {
      run = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Planning${pattern === 'auto' ? '' : ` (${pattern})`}: ${truncate(task, 60)}`, cancellable: true },
        (_progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          return session.orchestrator.plan({ task, focus, pattern, signal: abort.signal });
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
    const entry = this.active.get(runId) ?? (await this.open(runId));
    if (!entry || entry.executing) return;
    if (!(await this.consentToCommand(entry))) return;
    await this.execute(entry, 'fresh');
  }

  /**
   * A plan that runs the repository's own check command runs only with the user's consent to that
   * exact command in this workspace: remembered once given (a changed command asks again), asked
   * in a modal otherwise, since a plan may be approved unseen (autoApprovePlan) or resumed later.
   * Declining leaves the run as it was.
   */
  private async consentToCommand(entry: Active): Promise<boolean> {
    const command = entry.session.orchestrator.workspaceCommand;
    if (!command || !entry.run.pattern.runsVerifyCommand) return true;
    const { consent } = entry.session.orchestrator;
    if (await consent.has(entry.session.workspace, command.command)) return true;
    const allow = 'Run the Command';
    const choice = await vscode.window.showWarningMessage(
      `This plan runs \`${command.command}\` in each builder's worktree. The repository chose this command (${command.source}).`,
      { modal: true, detail: 'It runs on this machine with your account, without your API key in its environment. Allow it only if you trust the command; you are asked again if it changes. To choose your own check instead, set orchestration.verifyCommand in your user settings.' },
      allow,
    );
    if (choice !== allow) return false;
    await consent.grant(entry.session.workspace, command.command);
    return true;
  }

  async resume(runId: string, mode: Exclude<ExecuteMode, 'fresh'> = 'resume'): Promise<void> {
    if (!requireTrust(mode === 'resume' ? 'resume the run' : 'retry failed agents')) return;
    if (this.active.has(runId)) {
      void vscode.window.showInformationMessage(`Run ${runId} is already active in this window.`);
      return;
    }
    if (this.deps.store.get(runId)?.status === 'declined') {
      void vscode.window.showInformationMessage(`Run ${runId} was declined at approval, so there is nothing to resume. Orchestrate Task plans again.`);
      return;
    }
    const entry = await this.open(runId);
    if (!entry) return;
    if (!(await this.consentToCommand(entry))) {
      await this.release(runId);
      return;
    }
    await this.execute(entry, mode);
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
    void vscode.window.showInformationMessage(`Run ${runId} is not running in this window.`);
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
      void vscode.window.showErrorMessage(`Could not record run ${runId} as declined: ${(err as Error).message}`);
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
      void vscode.window.showErrorMessage(`Cannot open run ${runId}: ${(err as Error).message}`);
      return undefined;
    }
  }

  private track(run: Run, session: Session): Active {
    const entry: Active = { session, run, executing: false, relay: this.deps.relay?.follow(run) ?? { dispose() {} } };
    this.active.set(run.id, entry);
    this.deps.store.attach(run);
    return entry;
  }

  private async execute(entry: Active, mode: ExecuteMode): Promise<void> {
    const { run } = entry;
    entry.executing = true;
    try {
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Orchestrating: ${truncate(run.plan.task, 50)}`, cancellable: true },
        async (progress, token) => {
          const cancelled = token.onCancellationRequested(() => run.cancel());
          const simulated = entry.session.provider.simulated;
          let shown = 0;
          const update = new Debouncer(() => {
            const agents = run.ledger.agents;
            const settled = agents.filter((a) => ['completed', 'failed', 'cancelled', 'skipped'].includes(a.status)).length;
            const running = agents.filter((a) => a.status === 'running').length;
            const pct = agents.length ? (settled / agents.length) * 100 : 0;
            progress.report({ increment: pct - shown, message: `${settled}/${agents.length} agents · ${running} running · ${formatSpend(run.ledger.totals.costUsd, simulated)}` });
            shown = pct;
          }, 250);
          const sub = run.ledger.onDidChange(() => update.schedule());
          try {
            return await run.execute({ mode });
          } finally {
            sub.dispose();
            update.dispose();
            cancelled.dispose();
          }
        },
      );
      this.reportOutcome(run.id, outcome, entry.session.provider.simulated);
    } catch (err) {
      this.deps.log.error(`run ${run.id}: ${(err as Error).stack ?? String(err)}`);
      void vscode.window.showErrorMessage(`Run ${run.id} stopped: ${(err as Error).message}`, 'Show Log').then((c) => { if (c) this.deps.log.show(); });
    } finally {
      await this.release(run.id);
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
      void vscode.window.showErrorMessage(`The plan was not usable: ${err.errors.slice(0, 3).join('; ')}`, 'Show Log')
        .then((c) => { if (c) this.deps.log.show(); });
    } else if (err instanceof ConfigError) {
      void vscode.window.showErrorMessage(err.message);
    } else if ((err as Error)?.name === 'AbortError' || (err as { kind?: string })?.kind === 'aborted') {
      void vscode.window.showInformationMessage('Planning cancelled.');
    } else {
      this.deps.log.error(`planning failed: ${(err as Error)?.stack ?? String(err)}`);
      void vscode.window.showErrorMessage(`Planning failed: ${(err as Error)?.message ?? String(err)}`, 'Show Log')
        .then((c) => { if (c) this.deps.log.show(); });
    }
  }

  private reportOutcome(runId: string, o: RunOutcome, simulated: boolean): void {
    const open = (choice: string | undefined) => {
      if (choice === 'Open Summary') void vscode.commands.executeCommand('orchestration.openSummary', runId);
      if (choice === 'Retry Failed Agents') void vscode.commands.executeCommand('orchestration.retryFailed', runId);
      if (choice === 'Resume Run') void vscode.commands.executeCommand('orchestration.resumeRun', runId);
    };
    const cost = simulated ? `simulated, ${formatSpend(o.totals.costUsd, true)}` : formatCost(o.totals.costUsd);
    switch (o.status) {
      case 'completed':
        void vscode.window.showInformationMessage(`Run completed (${cost}).`, 'Open Summary').then(open);
        break;
      case 'partial': {
        const names = o.gaps.map((g) => g.agentId).join(', ');
        void vscode.window.showWarningMessage(`Run finished with ${o.gaps.length} gap(s): ${names} (${cost}).`, 'Open Summary', 'Retry Failed Agents').then(open);
        break;
      }
      case 'cancelled':
        void vscode.window.showInformationMessage(`Run cancelled; files already written are kept (${cost}).`, 'Resume Run').then(open);
        break;
      default:
        void vscode.window.showErrorMessage(`Run ${o.status}: ${o.reason ?? 'see the log'} (${cost}).`, 'Open Summary').then(open);
    }
  }
}

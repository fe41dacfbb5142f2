/**
 * Carries out the commands on one agent (stop, rerun, ask) and Add Worker. Each uses the session
 * of a run this window already holds, or opens one for the command and closes it after; while a
 * command runs agents, the store follows the run's ledger and the agent views its transcripts.
 * Refusals (the run executes elsewhere, is not finished, is busy with another command) come back
 * from the engine and are shown as they are: they say why and what to do.
 */
import * as vscode from 'vscode';
import { CommandRefusedError, ConfigError, type AgentCommandOptions, type Run, type RunOutcome } from '../../engine';
import type { AgentService, NewWorker } from '../commands/agentCommands';
import { Disposable, toDisposable } from '../dispose';
import { formatSpend, truncate } from '../format';
import type { OrchestrationLog } from '../log';
import type { RunController } from './runController';
import type { RunStore } from './runStore';
import { openSession, type Session, type SessionDeps } from './session';
import type { TranscriptRelay } from './transcriptRelay';
import { requireTrust } from '../trust';
import type { Notices, Severity } from '../notices';
import { plural } from '../../shared/words';

export interface AgentControllerDeps extends SessionDeps {
  store: RunStore;
  runs: RunController;
  relay: TranscriptRelay;
  log: Pick<OrchestrationLog, 'error' | 'warn' | 'show'>;
  notices: Notices;
  /** Opens a session for a command (tests supply a fake). */
  open?: (deps: SessionDeps) => Promise<Session | undefined>;
}

type Work<T> = (session: Session, opts: AgentCommandOptions & { signal: AbortSignal }) => Promise<T>;

export class AgentController extends Disposable implements AgentService {
  /** Runs a command of this controller is executing, with how to stop it (window closing). */
  private readonly busy = new Map<string, AbortController>();

  constructor(private readonly deps: AgentControllerDeps) {
    super();
    this._register(toDisposable(() => {
      for (const abort of this.busy.values()) abort.abort();
      this.busy.clear();
    }));
  }

  isActive(runId: string): boolean {
    return this.deps.runs.isActive(runId) || this.busy.has(runId);
  }

  isExecuting(runId: string): boolean {
    return this.deps.runs.isExecuting(runId) || this.busy.has(runId);
  }

  async stopAgent(runId: string, agentId: string): Promise<void> {
    // Stopping changes nothing but one agent's fate: it works on a run another process executes
    // too (through the run's control folder), so it needs no trust and no model.
    const shared = this.deps.runs.sessionOf(runId);
    const session = shared ?? (await (this.deps.open ?? openSession)(this.deps));
    if (!session) return;
    try {
      const r = await session.orchestrator.stopAgent(runId, agentId);
      if (r.ok) this.deps.notices.status(`${r.message}.`);
      else void this.deps.notices.warn(`Could not stop ${agentId}: ${r.message}.`);
    } catch (err) {
      this.report(`stop ${agentId}`, runId, err);
    } finally {
      if (!shared) await session.provider.dispose().catch(() => undefined);
    }
  }

  async rerunAgent(runId: string, agentId: string, instruction: string): Promise<void> {
    const outcome = await this.command(runId, `Rerunning ${agentId}`, `rerun ${agentId}`, (session, opts) =>
      session.orchestrator.rerunAgent(runId, agentId, { ...opts, ...(instruction ? { instruction } : {}) }));
    if (outcome) this.reportOutcome(runId, `Rerun of ${agentId}`, outcome);
  }

  async askAgent(runId: string, agentId: string, question: string): Promise<string | undefined> {
    const result = await this.command(runId, `Asking ${agentId}: ${truncate(question, 40)}`, `ask ${agentId}`, (session, opts) =>
      session.orchestrator.askAgent(runId, agentId, question, opts));
    return result?.file;
  }

  async addWorker(runId: string, worker: NewWorker): Promise<void> {
    const outcome = await this.command(runId, `Adding a worker to ${worker.group}`, 'add a worker', (session, opts) =>
      session.orchestrator.addWorker(runId, worker, opts));
    if (outcome) this.reportOutcome(runId, 'The added worker', outcome);
  }

  /**
   * Runs one command with its progress in the status bar. The run it executes is followed in the
   * store and relayed to the agent views, unless the window already follows it (a question to an
   * agent of a run this window executes shares that run).
   */
  private async command<T>(runId: string, title: string, what: string, work: Work<T>): Promise<T | undefined> {
    if (!requireTrust(what)) return undefined;
    if (this.busy.has(runId)) {
      void this.deps.notices.info(`Run ${runId} is busy with another command in this window; try again when it has finished.`);
      return undefined;
    }
    const shared = this.deps.runs.sessionOf(runId);
    const session = shared ?? (await (this.deps.open ?? openSession)(this.deps));
    if (!session) return undefined;
    const abort = new AbortController();
    this.busy.set(runId, abort);
    const followed: vscode.Disposable[] = [];
    let attached = false;
    const onRun = (run: Run): void => {
      followed.push(this.deps.relay.follow(run));
      if (!this.deps.store.isLive(run.id)) {
        this.deps.store.attach(run);
        attached = true;
      }
    };
    try {
      // In the status bar, not a toast: Stop Agent (or Cancel Run) stops what the command runs.
      return await vscode.window.withProgress<T>(
        { location: vscode.ProgressLocation.Window, title },
        () => work(session, { signal: abort.signal, onRun }),
      );
    } catch (err) {
      this.report(what, runId, err);
      return undefined;
    } finally {
      this.busy.delete(runId);
      for (const d of followed) d.dispose();
      if (attached) this.deps.store.detach(runId);
      if (!shared) await session.provider.dispose().catch(() => undefined);
      void this.deps.store.refresh();
    }
  }

  private report(what: string, runId: string, err: unknown): void {
    if (err instanceof CommandRefusedError) {
      void this.deps.notices.warn(`Cannot ${what}: ${err.message}`);
    } else if (err instanceof ConfigError) {
      void this.deps.notices.error(`Cannot ${what}: ${err.issues.length ? err.issues.join('; ') : err.message}`);
    } else if ((err as Error)?.name === 'AbortError' || (err as { kind?: string })?.kind === 'aborted') {
      this.deps.notices.status(`Cancelled: ${what} (run ${runId}).`);
    } else {
      this.deps.log.error(`${what} in run ${runId}: ${(err as Error)?.stack ?? String(err)}`);
      void this.deps.notices.error(`Could not ${what}: ${(err as Error)?.message ?? String(err)}`, 'Show Log').then((c) => { if (c) this.deps.log.show(); });
    }
  }

  private reportOutcome(runId: string, what: string, o: RunOutcome): void {
    const spent = formatSpend(o.totals.costUsd, this.deps.store.get(runId)?.simulated ?? false);
    const open = (c: string | undefined) => { if (c) void vscode.commands.executeCommand('orchestration.openSummary', runId); };
    // The run ends again after the command: one notice for this end, as for the run's first.
    const key = this.deps.store.get(runId)?.endedAt ?? `${o.status}@${Date.now()}`;
    const [severity, text]: [Severity, string] = o.status === 'completed' ? ['info', `${what} finished; the run is completed (${spent} in all).`]
      : o.status === 'partial' ? ['warning', `${what} finished; the run has ${plural(o.gaps.length, 'gap')}: ${o.gaps.map((g) => g.agentId).join(', ')} (${spent} in all).`]
      : ['warning', `${what} ended with the run ${o.status}${o.reason ? `: ${o.reason}` : ''}.`];
    void this.deps.notices.runEnded(runId, { severity, text, actions: ['Open Summary'], key }).then(open);
  }
}

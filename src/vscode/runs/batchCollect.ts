/**
 * Batches a cut-off run left at the API: when VS Code closed (or crashed) while a run waited on
 * Message Batches, their results are paid for and wait at the API. On start (and whenever a run
 * shows as interrupted later), such a run is resumed here so its batches are collected, and the
 * user is told which run and which batches. The engine's resume polls the recorded batch ids and
 * never submits a request whose batch is in the ledger, so nothing is paid twice.
 *
 * Automatic, because batch mode is made for closing the window: a user who comes back after the
 * batch's hour expects the results collected, not a button. The run's plan and its cost were
 * approved when it started, so going on spends nothing the user did not agree to. Where going on
 * would need a new decision it only asks, with a Resume Run button: a workspace in Restricted
 * Mode, a run folder not created on this machine (which always warns before it runs), or a
 * simulated run while the provider is now the real API (its requests would go there, at a price).
 * A simulated run on the simulated provider is collected like a real one: the simulator keeps
 * its batches in the user's state folder, so the next window's simulator answers for them.
 */
import * as vscode from 'vscode';
import { originOfRun, type LedgerSnapshot, type RunOrigin } from '../../engine';
import { OPEN_DASHBOARD_COMMAND } from '../commands/agentCommands';
import { plural } from '../../shared/words';
import { batchProgress } from './batchView';
import { Disposable } from '../dispose';
import { truncate } from '../format';
import type { RunLocation } from '../location';

export const RESUME_ACTION = 'Resume Run';
export const DASHBOARD_ACTION = 'Open Dashboard';

export interface BatchCollectDeps {
  store: { runs(): LedgerSnapshot[]; onDidChange(listener: () => void): { dispose(): void } };
  /** A run this window already plans or executes is left alone. */
  isActive(runId: string): boolean;
  /** Resumes the run (RunController.resume): collects its batches, then runs what is left. */
  resume(runId: string): Promise<void>;
  location: Pick<RunLocation, 'workspace' | 'outputRoot'>;
  notices: { info(text: string, ...actions: string[]): Promise<string | undefined> };
  /** Whether runs now go to the simulated provider. */
  simulatedProvider: () => boolean;
  /** Where the run came from (tests); by default the engine's check of its folder. */
  originOf?: (runId: string) => Promise<RunOrigin>;
}

/** The batch ids a notice names: the first three whole, the rest counted. */
export function namedBatches(ids: readonly string[]): string {
  const shown = ids.slice(0, 3).join(', ');
  return ids.length > 3 ? `${shown} and ${ids.length - 3} more` : shown;
}

export class BatchCollector extends Disposable {
  /** Runs already handled in this window: each is resumed or offered once, whatever comes of it. */
  private readonly handled = new Set<string>();
  /** The first look, over what the store holds already (its first read of the disk fires a change too). */
  readonly started: Promise<void>;

  constructor(private readonly deps: BatchCollectDeps) {
    super();
    this._register(deps.store.onDidChange(() => void this.check()));
    this.started = this.check();
  }

  /** Looks for cut-off runs with batches not collected; resolves once each found was resumed or offered. */
  async check(): Promise<void> {
    const found = this.deps.store.runs().filter((s) => s.status === 'interrupted' && !this.handled.has(s.runId)
      && !this.deps.isActive(s.runId) && batchProgress(s).inFlight.length > 0);
    for (const s of found) this.handled.add(s.runId);
    await Promise.all(found.map((s) => this.collect(s)));
  }

  private async collect(s: LedgerSnapshot): Promise<void> {
    const ids = batchProgress(s).inFlight.map((b) => b.id);
    const name = `Run "${truncate(s.task, 40)}" (${s.runId})`;
    const batches = `${plural(ids.length, 'Message Batch', 'Message Batches')} (${namedBatches(ids)})`;
    const why = !vscode.workspace.isTrusted ? 'Trust the workspace, then resume it: Restricted Mode runs nothing.'
      : s.simulated && !this.deps.simulatedProvider()
        ? 'It ran on the simulated provider, and the provider is now the Anthropic API: resuming sends what is left there, at a price.'
        : !(await this.local(s.runId))
          ? 'Its folder was not created on this machine, so it runs only once you say so.'
          : null;
    if (why) {
      const choice = await this.deps.notices.info(`${name} was cut off with ${batches} not collected. Their results wait at the API; Resume Run collects them and submits nothing again. ${why}`, RESUME_ACTION);
      if (choice === RESUME_ACTION) void vscode.commands.executeCommand('orchestration.resumeRun', s.runId);
      return;
    }
    void this.deps.notices.info(
      `${name} was cut off while ${batches} worked. Collecting their results now; nothing is submitted again.`,
      DASHBOARD_ACTION,
    ).then((choice) => { if (choice === DASHBOARD_ACTION) void vscode.commands.executeCommand(OPEN_DASHBOARD_COMMAND, s.runId); });
    await this.deps.resume(s.runId);
  }

  /** Created on this machine; a folder that cannot be checked counts as not. */
  private async local(runId: string): Promise<boolean> {
    const ws = this.deps.location.workspace();
    if (!ws) return false;
    try {
      const origin = await (this.deps.originOf ?? ((id: string) => originOfRun(ws, this.deps.location.outputRoot(), id)))(runId);
      return origin.local;
    } catch {
      return false;
    }
  }
}

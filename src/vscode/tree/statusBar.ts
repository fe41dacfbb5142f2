/** A status-bar item while runs are active here: running agents, done/total and cost; click opens the summary. */
import * as vscode from 'vscode';
import type { LedgerSnapshot } from '../../engine';
import { runProgress } from '../../engine/ledger/progress';
import { plural } from '../../shared/words';
import { agentBatchState, batchProgress, batchProgressText, countsText } from '../runs/batchView';
import { Debouncer } from '../debounce';
import { Disposable } from '../dispose';
import { formatCost } from '../format';
import type { RunStore } from '../runs/runStore';
import { SHOW_RUN_COMMAND } from './treeItems';

export function statusText(runs: LedgerSnapshot[]): { text: string; tooltip: string; runId: string } | undefined {
  const active = runs.filter((r) => r.status === 'running' || r.status === 'awaiting-approval' || r.status === 'planning');
  if (!active.length) return undefined;
  const running = active.filter((r) => r.status === 'running');
  if (!running.length) {
    return { text: '$(question) Plan awaiting approval', tooltip: 'Review and approve the plan in the Summary view', runId: active[0].runId };
  }
  // The one done/total every view shows: the plan's agents (no planner), completed ones done.
  const p = runProgress(running.flatMap((r) => r.agents));
  // Batches in flight: their requests answered so far, and the agents waiting on them are not "running".
  const batch = batchProgress({ batches: running.flatMap((r) => r.batches ?? []) });
  const inBatch = running.reduce((n, r) => n + r.agents.filter((a) => agentBatchState(a, r).kind === 'waiting').length, 0);
  const realtime = Math.max(0, p.active - inBatch);
  // A simulated run spends nothing: its cost is what the same run would cost, never added to money spent.
  const sum = (rs: LedgerSnapshot[]) => rs.reduce((n, r) => n + r.totals.costUsd, 0);
  const real = running.filter((r) => !r.simulated);
  const sim = running.filter((r) => r.simulated);
  const money = [real.length ? formatCost(sum(real)) : '', sim.length ? `would cost ${formatCost(sum(sim))}` : ''].filter(Boolean);
  const moneyNote = [real.length ? `${formatCost(sum(real))} spent so far` : '', sim.length ? `simulated: nothing spent, the same run would cost ${formatCost(sum(sim))}` : ''].filter(Boolean).join('; ');
  const runsNote = running.length > 1 ? ` in ${running.length} runs` : '';
  if (batch.inFlight.length) {
    const head = [realtime ? `${realtime} running` : '', batchProgressText(batch)].filter(Boolean).join(' · ');
    const batchNote = `${plural(inBatch, 'agent')} waiting in ${plural(batch.inFlight.length, 'Message Batch', 'Message Batches')} (${batch.answered} of ${plural(batch.total, 'request')} answered: `
      + `${batch.inFlight.map((b) => `${b.id} ${countsText(b.counts) || b.status}`).join('; ')})`;
    return {
      text: `$(cloud) ${head} · ${p.done}/${p.total} · ${money.join(' · ')}`,
      tooltip: `Orchestration: ${plural(realtime, 'agent')} running on the realtime path${runsNote}, ${batchNote}; ${p.done} of ${p.total} completed${p.failed ? `, ${p.failed} failed` : ''}; ${moneyNote}. Click for the Summary view.`,
      runId: running[0].runId,
    };
  }
  return {
    text: `$(loading~spin) ${p.active} running · ${p.done}/${p.total} · ${money.join(' · ')}`,
    tooltip: `Orchestration: ${plural(p.active, 'agent')} running${runsNote}, ${p.done} of ${p.total} completed${p.failed ? `, ${p.failed} failed` : ''}; ${moneyNote}. Click for the Summary view.`,
    runId: running[0].runId,
  };
}

export class RunStatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('orchestration.status', vscode.StatusBarAlignment.Left, 50));
  private readonly update = this._register(new Debouncer(() => this.render(), 200, 1000));

  constructor(private readonly store: RunStore) {
    super();
    this.item.name = 'Orchestration';
    this._register(store.onDidChange(() => this.update.schedule()));
    this.render();
  }

  private render(): void {
    const state = statusText(this.store.runs().filter((r) => this.store.isLive(r.runId)));
    if (!state) { this.item.hide(); return; }
    this.item.text = state.text;
    this.item.tooltip = state.tooltip;
    this.item.command = { command: SHOW_RUN_COMMAND, title: 'Show Run in Summary View', arguments: [state.runId] };
    this.item.show();
  }
}

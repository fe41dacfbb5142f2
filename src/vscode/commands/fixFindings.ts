/**
 * Fix Findings: a finished audit run (fan-out, panel, map-reduce) becomes a build. The user ticks
 * the findings to fix (critical and major ones ticked to start with), confirms the task, and the
 * build is planned like any Orchestrate Task run: scouts from the findings' files, then the plan
 * to approve. The engine lists the findings; this file only asks.
 */
import * as vscode from 'vscode';
import { CHANGE_PATTERN, DEFAULT_PATTERN, listRunFindings, type Finding } from '../../engine';
import { offersFindings } from './findingsOffer';
import { Disposable } from '../dispose';
import { formatAge, truncate } from '../format';
import type { RunLocation } from '../location';
import type { Notices } from '../notices';
import type { RunController } from '../runs/runController';
import type { RunStore } from '../runs/runStore';
import { requireTrust } from '../trust';

export const FIX_FINDINGS_COMMAND = 'orchestration.fixFindings';

/** What the user expects ticked: what blocks or matters (critical, major); everything when nothing is rated. */
export function preselected(findings: readonly Finding[]): Set<string> {
  const serious = findings.filter((f) => f.severity === 'critical' || f.severity === 'major');
  return new Set((serious.length ? serious : findings).map((f) => f.id));
}

export const fixTask = (runId: string): string => `Fix the selected findings from ${runId}`;

interface FindingPick extends vscode.QuickPickItem { finding: Finding }

export interface FixFindingsDeps {
  store: RunStore;
  controller: Pick<RunController, 'orchestrate' | 'isActive'>;
  location: RunLocation;
  notices: Notices;
}

export class FixFindings extends Disposable {
  constructor(private readonly deps: FixFindingsDeps) {
    super();
    this._register(vscode.commands.registerCommand(FIX_FINDINGS_COMMAND, (arg?: { runId?: string } | string) => this.run(arg)));
  }

  /** The whole flow for one run (from a tree node, a button's run id, or picked). */
  async run(arg?: { runId?: string } | string): Promise<void> {
    if (!requireTrust('fix findings')) return;
    const ws = this.deps.location.workspace();
    if (!ws) return;
    const runId = typeof arg === 'string' ? arg : arg?.runId ?? await this.pickRun();
    if (!runId) return;
    // A run this window executes is running whatever its pid says.
    const active = new Set(this.deps.controller.isActive(runId) ? [runId] : []);
    const listed = await listRunFindings(ws, this.deps.location.outputRoot(), runId, active);
    if (!listed.ok) { void this.deps.notices.warn(`Fix Findings: ${listed.reason}.`); return; }
    const { findings } = listed.run;
    const ticked = preselected(findings);
    const items: FindingPick[] = findings.map((f) => ({
      label: `${f.id}${f.severity ? ` · ${f.severity}` : ''}`,
      description: f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : undefined,
      detail: truncate(f.text, 200),
      picked: ticked.has(f.id),
      finding: f,
    }));
    const chosen = await vscode.window.showQuickPick(items, {
      title: `Fix Findings: ${findings.length} in run ${runId}`,
      placeHolder: 'Tick the findings to fix (critical and major ones are ticked)',
      canPickMany: true, matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: true,
    });
    if (!chosen?.length) return;
    const task = await vscode.window.showInputBox({
      title: 'Fix Findings: the build\'s task',
      prompt: `Builders fix ${chosen.length === 1 ? 'this finding' : `these ${chosen.length} findings`}; you approve the plan before anything runs.`,
      value: fixTask(runId), ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'Describe the task (it cannot be empty)'),
    });
    if (!task?.trim()) return;
    await this.deps.controller.orchestrate(task.trim(), [], CHANGE_PATTERN, {
      findings: {
        from: runId, pattern: listed.run.pattern, findings: chosen.map((c) => c.finding),
        notChosen: findings.filter((f) => !chosen.some((c) => c.finding.id === f.id)),
      },
    });
  }

  private async pickRun(): Promise<string | undefined> {
    const runs = this.deps.store.runs().filter(offersFindings);
    if (!runs.length) { void this.deps.notices.info('No finished fan-out, panel or map-reduce run has findings to fix.'); return undefined; }
    const now = Date.now();
    const pick = await vscode.window.showQuickPick(
      runs.map((r) => ({ label: truncate(r.task, 80), description: `${r.pattern ?? DEFAULT_PATTERN} · ${r.status} · ${formatAge(r.createdAt, now)}`, detail: r.runId, runId: r.runId })),
      { title: 'Fix the findings of which run?', matchOnDetail: true },
    );
    return pick?.runId;
  }
}

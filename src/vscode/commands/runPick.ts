/**
 * The run a palette command applies to when no run was given: the only one that fits, or the
 * user's pick among them (task, status and age; the id matched too). None fitting is the caller's
 * to say, in its own words.
 */
import * as vscode from 'vscode';
import type { LedgerSnapshot } from '../../engine';
import { formatAge, truncate } from '../format';

export async function pickRun(candidates: readonly LedgerSnapshot[], title: string, onNone: () => void): Promise<LedgerSnapshot | undefined> {
  if (!candidates.length) {
    onNone();
    return undefined;
  }
  if (candidates.length === 1) return candidates[0];
  const now = Date.now();
  const pick = await vscode.window.showQuickPick(
    candidates.map((r) => ({ label: truncate(r.task, 80), description: `${r.status} · ${formatAge(r.createdAt, now)}`, detail: r.runId, s: r })),
    { title, matchOnDetail: true },
  );
  return pick?.s;
}

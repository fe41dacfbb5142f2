/** Status badges on files under the output root: each agent's output file and each run folder. */
import * as vscode from 'vscode';
import { relativeInside, type AgentStatus, type RunStatus } from '../../engine';
import { Debouncer } from '../debounce';
import { Disposable } from '../dispose';
import type { RunLocation } from '../location';
import type { RunStore } from '../runs/runStore';

type Badge = { badge: string; color?: string };

// Completed files get a badge but no colour: a finished run should read calm, not all green.
const AGENT_BADGES: Partial<Record<AgentStatus, Badge>> = {
  running: { badge: '●', color: 'charts.blue' },
  verifying: { badge: '●', color: 'charts.blue' },
  retrying: { badge: '↻', color: 'charts.yellow' },
  completed: { badge: '✓' },
  failed: { badge: '✗', color: 'testing.iconFailed' },
  cancelled: { badge: '⊘' },
};

const RUN_BADGES: Partial<Record<RunStatus, Badge>> = {
  running: { badge: '●', color: 'charts.blue' },
  'awaiting-approval': { badge: '?', color: 'charts.blue' },
  completed: { badge: '✓' },
  partial: { badge: '!', color: 'list.warningForeground' },
  failed: { badge: '✗', color: 'testing.iconFailed' },
  cancelled: { badge: '⊘' },
  interrupted: { badge: '!', color: 'list.warningForeground' },
  declined: { badge: '×' },
};

function decoration(b: Badge | undefined, tooltip: string): vscode.FileDecoration | undefined {
  if (!b) return undefined;
  return new vscode.FileDecoration(b.badge, tooltip, b.color ? new vscode.ThemeColor(b.color) : undefined);
}

export class RunDecorations extends Disposable implements vscode.FileDecorationProvider {
  private readonly changed = this._register(new vscode.EventEmitter<undefined>());
  private readonly refresh = this._register(new Debouncer(() => this.changed.fire(undefined), 300, 1000));

  readonly onDidChangeFileDecorations = this.changed.event;

  constructor(private readonly store: RunStore, private readonly location: RunLocation) {
    super();
    this._register(vscode.window.registerFileDecorationProvider(this));
    this._register(store.onDidChange(() => this.refresh.schedule()));
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    const root = this.location.runsDir();
    if (!root || uri.scheme !== 'file') return undefined;
    const rel = relativeInside(root, uri.fsPath);
    if (!rel) return undefined;
    const [runId, ...rest] = rel.split('/');
    const snap = this.store.get(runId);
    if (!snap) return undefined;
    if (!rest.length) return decoration(RUN_BADGES[snap.status], `Run ${snap.status}`);
    const file = rest.join('/');
    const agent = snap.agents.find((a) => a.outputFile === file);
    return agent ? decoration(AGENT_BADGES[agent.status], `${agent.id} ${agent.status}`) : undefined;
  }
}

import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { activate } from '../../src/extension';
import { AGENT_VIEW_TYPE } from '../../src/vscode/panels/agent/agentView';
import { DASHBOARD_VIEW_TYPE } from '../../src/vscode/panels/dashboard/dashboardView';
import { PLAN_VIEW_TYPE } from '../../src/vscode/panels/plan/planEditorView';
import { commands, resetStub, Uri, window, workspace } from './vscode-stub';

/** The parts of the manifest these tests read. */
interface Manifest {
  activationEvents: string[];
  contributes: { commands: Array<{ command: string; title: string; category: string }>; views: Record<string, Array<{ id: string }>> };
  capabilities: { untrustedWorkspaces: { supported: boolean | string } };
}
const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as Manifest;

function context() {
  return {
    subscriptions: [] as Array<{ dispose(): void }>,
    extensionPath: '/ext',
    extensionUri: Uri.file('/ext'),
    secrets: { get: vi.fn(async () => undefined), store: vi.fn(), delete: vi.fn(), onDidChange: vi.fn(() => ({ dispose() {} })) },
  };
}

beforeEach(() => resetStub());

describe('activate', () => {
  it('registers every contributed command, and only those plus nothing hidden', () => {
    const ctx = context();
    activate(ctx as never);
    const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
    expect([...commands.registered.keys()].sort()).toEqual(contributed);
    expect(window.registerWebviewViewProvider).toHaveBeenCalledWith('orchestration.summary', expect.anything());
    expect(window.createTreeView).toHaveBeenCalledWith('orchestration.ledger', expect.anything());
    expect(window.createOutputChannel).toHaveBeenCalledWith('Orchestration', { log: true });
    // Every panel that can be restored after a reload has its serializer from activation on.
    expect([...window.serializers.keys()].sort()).toEqual([AGENT_VIEW_TYPE, DASHBOARD_VIEW_TYPE, PLAN_VIEW_TYPE].sort());
  });

  it('hands everything to context.subscriptions, each safe to dispose twice', () => {
    const ctx = context();
    activate(ctx as never);
    expect(ctx.subscriptions.length).toBeGreaterThanOrEqual(10);
    for (const d of ctx.subscriptions) { d.dispose(); d.dispose(); }
    expect(commands.registered.size).toBe(0);
  });

  it('contributes views, title-case commands under one category, and implicit activation but for restoring panels', () => {
    // VS Code derives activation from the contributions; a panel kept across a reload is the one
    // case it cannot, so each restorable panel's view type is named, and activate registers its serializer.
    expect(pkg.activationEvents).toEqual([DASHBOARD_VIEW_TYPE, AGENT_VIEW_TYPE, PLAN_VIEW_TYPE].map((t) => `onWebviewPanel:${t}`));
    expect(pkg.contributes.views.orchestration.map((v: { id: string }) => v.id)).toEqual(['orchestration.ledger', 'orchestration.summary']);
    for (const c of pkg.contributes.commands) {
      expect(c.category).toBe('Orchestration');
      for (const word of c.title.split(' ')) if (!['in', 'on', 'to'].includes(word)) expect(word[0], c.title).toBe(word[0].toUpperCase());
    }
    expect(pkg.capabilities.untrustedWorkspaces.supported).toBe('limited');
  });
});

describe('restricted mode', () => {
  it('refuses to orchestrate in an untrusted workspace, with an explanation, before asking for a task', async () => {
    workspace.isTrusted = false;
    const ctx = context();
    activate(ctx as never);
    await commands.registered.get('orchestration.orchestrateTask')!();
    expect(window.showInputBox).not.toHaveBeenCalled();
    expect(String(window.showWarningMessage.mock.calls[0]?.[0])).toMatch(/Restricted Mode/);
    for (const d of ctx.subscriptions) d.dispose();
  });
});

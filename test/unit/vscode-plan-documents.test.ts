/** The plan review shows a greenfield build's architecture.md and opens it for editing. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { PlanHostMessageSchema } from '../../src/shared/planProtocol';
import { RunLocation } from '../../src/vscode/location';
import { PlanEditors, type PlanService } from '../../src/vscode/panels/plan/planEditorView';
import { RunStore, type LiveRun } from '../../src/vscode/runs/runStore';
import { fakeRun, snapshot, tempRunFolder } from './vscode/fixtures';
import { resetStub, Uri, window, workspace, type PanelStub } from './vscode-stub';

const { ws, runId, runDir } = tempRunFolder('orch-plan-docs-', '# a1\n<!-- DONE -->\n');
afterAll(() => rmSync(ws, { recursive: true, force: true }));
const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };

const greenfield = {
  pattern: 'build', task: 'Build a small billing service with auth, API and a CLI', reason: '', focus: [], brief: '', greenfield: true,
  base: 'a'.repeat(40), scouts: [{ id: 's1', task: 'Find what exists already', scope: ['.'] }],
  builders: [{ id: 'b1', task: 'Implement the billing module', owns: ['src/billing/'], tier: 'sonnet' }], shared: ['package.json'],
};

function open(plan: Record<string, unknown>) {
  workspace.workspaceFolders = [{ uri: Uri.file(ws) }];
  const store = new RunStore(new RunLocation(), log);
  const live = fakeRun(snapshot({ status: 'awaiting-approval', pattern: 'build' }), runDir) as unknown as { plan: unknown };
  live.plan = plan;
  store.attach(live as unknown as LiveRun);
  const service: PlanService = {
    previewPlan: vi.fn(async () => undefined), revisePlan: vi.fn(async () => ({ ok: true as const })),
    approve: vi.fn(async () => undefined), decline: vi.fn(async () => undefined), isExecuting: () => false,
  };
  const editors = new PlanEditors({ extensionUri: Uri.file('/ext') as never, store, service, log, models: () => ({ haiku: 'h', sonnet: 's', opus: 'o' }) });
  return { store, editors };
}
const state = (p: PanelStub) => PlanHostMessageSchema.parse(p.posted.at(-1));

beforeEach(() => {
  resetStub(); vi.clearAllMocks();
  mkdirSync(runDir, { recursive: true });
  writeFileSync(path.join(runDir, 'architecture.md'), '# Architecture: billing\n\n## Modules\n\n### billing\n\nOwns: `src/billing/`\n\n<!-- DONE -->\n');
});

describe('the plan review of a greenfield build', () => {
  it('lists architecture.md with its outline, and "Edit architecture.md" opens that file in an editor', async () => {
    const { store, editors } = open(greenfield);
    await editors.show(runId);
    const p = window.panels.at(-1)!;
    await p.receive({ type: 'ready' });
    await vi.waitFor(() => expect(state(p).view?.documents).toHaveLength(1));
    expect(state(p).view!.documents[0]).toMatchObject({
      id: 'architecture', title: 'Architecture', path: path.join(runDir, 'architecture.md'), editLabel: 'Edit architecture.md',
      outline: ['Architecture: billing', '  Modules', '    billing'],
    });
    await p.receive({ type: 'openDocument', id: 'architecture' });
    expect(window.showTextDocument).toHaveBeenCalledWith(expect.objectContaining({ fsPath: path.join(runDir, 'architecture.md') }), expect.anything());
    expect(state(p).view!.note).toMatch(/save your edits before you approve/);
    // The webview names a document by id only: anything else opens nothing.
    await p.receive({ type: 'openDocument', id: 'plan' });
    expect(window.showTextDocument).toHaveBeenCalledTimes(1);
    editors.dispose(); store.dispose();
  });

  it('shows no documents for a build that is not greenfield', async () => {
    const { store, editors } = open({ ...greenfield, greenfield: false });
    await editors.show(runId);
    const p = window.panels.at(-1)!;
    await p.receive({ type: 'ready' });
    await vi.waitFor(() => expect(state(p).view).toBeTruthy());
    expect(state(p).view!.documents).toEqual([]);
    editors.dispose(); store.dispose();
  });
});

/**
 * Run Workflow through the real glue and engine: the command, the controller, a session on the
 * offline simulated provider (the real SDK over local HTTP), the store and the Ledger. The planned
 * workflow run must be a run like any other: awaiting approval in the store and the tree, then
 * executed on Approve.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { parseConfig } from '../../src/engine';
import { RunLocation } from '../../src/vscode/location';
import { Notices } from '../../src/vscode/notices';
import { RunController } from '../../src/vscode/runs/runController';
import { RunStore } from '../../src/vscode/runs/runStore';
import { ApiKeyStore } from '../../src/vscode/secrets';
import { LedgerTree } from '../../src/vscode/tree/ledgerTree';
import type { LedgerNode } from '../../src/vscode/tree/treeItems';
import { RUN_WORKFLOW_COMMAND } from '../../src/vscode/workflows/catalogItems';
import { CatalogModel, engineCatalogs } from '../../src/vscode/workflows/catalogModel';
import { WorkflowCommands } from '../../src/vscode/workflows/workflowCommands';
import { REVIEW_API_YAML } from '../fixtures/workflows';
import { commands, resetStub, Uri, window, workspace } from './vscode-stub';

const root = mkdtempSync(path.join(tmpdir(), 'orch-wfrun-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), show: vi.fn() };

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

beforeEach(() => { resetStub(); vi.clearAllMocks(); });

describe('Run Workflow, end to end on the simulated provider', () => {
  it('plans the workflow with the parameter given, shows it in the Ledger awaiting approval like any run, and runs it on Approve', async () => {
    const ws = path.join(root, 'ws');
    const home = path.join(root, 'home');
    mkdirSync(home, { recursive: true });
    write(path.join(ws, 'api', 'users.js'), 'export function getUser(req) { return db.users.find(req.params.id); }\n');
    write(path.join(ws, 'api', 'orders.js'), 'export function createOrder(req) { return db.orders.insert(req.body); }\n');
    write(path.join(ws, '.claude', 'agents', 'api-reviewer.md'), '---\nname: api-reviewer\ndescription: Reviews HTTP handlers for input validation and error handling\ntools: Read, Grep, Bash\nmodel: haiku\n---\nYou are a meticulous API reviewer. Cite file and line for every finding.\n');
    write(path.join(ws, '.orchestration', 'workflows', 'review-api.yaml'), REVIEW_API_YAML);
    workspace.workspaceFolders = [{ uri: Uri.file(ws) }];

    const location = new RunLocation();
    const notices = new Notices();
    const store = new RunStore(location, log);
    const controller = new RunController({
      store, log, location, notices, keys: new ApiKeyStore({ get: async () => undefined, store: async () => undefined, delete: async () => undefined, onDidChange: () => ({ dispose() {} }) }, {}),
      logger: log, promptsDir: path.join(__dirname, '../../prompts'),
      readSettings: () => ({ config: parseConfig({ provider: 'simulated' }), autoApprovePlan: false, simulatedLatencyMs: 0, ignored: [], workspaceCommand: null }),
    });
    const catalog = new CatalogModel(location, engineCatalogs(home), log, null);
    const tree = new LedgerTree(store, undefined, Date.now, undefined, catalog, home);
    const cmds = new WorkflowCommands({ catalog, launcher: controller, notices, home });
    const planned: string[] = [];
    controller.onDidPlan((id) => planned.push(id));
    try {
      window.showQuickPick.mockImplementation(async (items: unknown) => (items as Array<{ label: string }>).find((i) => i.label === 'review-api'));
      window.showInputBox.mockResolvedValueOnce('error handling');
      await commands.registered.get(RUN_WORKFLOW_COMMAND)!();
      expect(window.showErrorMessage).not.toHaveBeenCalled();
      expect(planned).toHaveLength(1);
      const runId = planned[0];
      const snap = store.get(runId)!;
      expect(snap.status).toBe('awaiting-approval');
      // One reviewer per API file, each as the user's agent definition, with the parameter in its task.
      const reviewers = snap.agents.filter((a) => a.agentDefinition === 'api-reviewer');
      expect(reviewers).toHaveLength(2);
      expect(reviewers.every((a) => a.task.includes('error handling'))).toBe(true);

      // The Ledger: the run first, its plan and groups under it; the Workflows and Agents nodes below.
      const top = await tree.getChildren();
      expect(top.map((n) => n.kind)).toEqual(['run', 'workflows', 'agents']);
      expect(tree.getTreeItem(top[0]).contextValue).toBe('run.awaiting-approval');
      const under = await tree.getChildren(top[0]);
      expect(under[0]).toEqual({ kind: 'plan', runId });
      const labels = (nodes: LedgerNode[]) => nodes.map((n) => tree.getTreeItem(n).label as string);
      expect(labels(under).join(' | ')).toMatch(/^Plan \| Stage review \(2 × api-reviewer\) \| Stage summary \| final$/);

      await controller.approve(runId);
      await store.refresh();
      expect(['completed', 'partial']).toContain(store.get(runId)?.status);
      expect(existsSync(path.join(ws, '.orchestration', runId, 'summary.md'))).toBe(true);
    } finally {
      cmds.dispose();
      tree.dispose();
      catalog.dispose();
      controller.dispose();
      store.dispose();
      notices.dispose();
    }
  });
});

/**
 * Run Workflow through the real glue and engine: the command, the controller, a session on the
 * offline simulated provider (the real SDK over local HTTP), the store and the Ledger. The planned
 * workflow run must be a run like any other: awaiting approval in the store and the tree, then
 * executed on Approve.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { parseConfig } from '../../src/engine';
import { truncate } from '../../src/vscode/format';
import { buildRunView, runActions } from '../../src/vscode/panels/summary/summaryModel';
import { RunLocation } from '../../src/vscode/location';
import { Notices } from '../../src/vscode/notices';
import { RunController } from '../../src/vscode/runs/runController';
import { RunStore } from '../../src/vscode/runs/runStore';
import { ApiKeyStore } from '../../src/vscode/secrets';
import { LedgerTree } from '../../src/vscode/tree/ledgerTree';
import type { LedgerNode } from '../../src/vscode/tree/treeItems';
import { ApproveStageCommand, APPROVE_AND_CONTINUE, OPEN_STAGE_FILES } from '../../src/vscode/commands/approveStage';
import { APPROVE_STAGE_ACTION, APPROVE_STAGE_COMMAND } from '../../src/vscode/runs/approvals';
import { RUN_WORKFLOW_COMMAND } from '../../src/vscode/workflows/catalogItems';
import { CatalogModel, engineCatalogs } from '../../src/vscode/workflows/catalogModel';
import { WorkflowCommands } from '../../src/vscode/workflows/workflowCommands';
import { REVIEW_API_WORKFLOW } from '../fixtures/reviewApiWorkflow';
import { commands, resetStub, Uri, window, workspace } from './vscode-stub';

const root = mkdtempSync(path.join(tmpdir(), 'orch-wfrun-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), show: vi.fn() };

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

beforeEach(() => { resetStub(); vi.clearAllMocks(); });

/** The real store and controller of a window whose provider is the simulated one (no key needed). */
function simulatedHost() {
  const location = new RunLocation();
  const notices = new Notices();
  const store = new RunStore(location, log);
  const controller = new RunController({
    store, log, location, notices, keys: new ApiKeyStore({ get: async () => undefined, store: async () => undefined, delete: async () => undefined, onDidChange: () => ({ dispose() {} }) }, {}),
    logger: log, promptsDir: path.join(__dirname, '../../prompts'),
    readSettings: () => ({ config: parseConfig({ provider: 'simulated' }), autoApprovePlan: false, simulatedLatencyMs: 0, ignored: [], workspaceCommand: null }),
  });
  return { location, notices, store, controller };
}

describe('Run Workflow, end to end on the simulated provider', () => {
  it('plans the workflow with the parameter given, shows it in the Ledger awaiting approval like any run, and runs it on Approve', async () => {
    const ws = path.join(root, 'ws');
    const home = path.join(root, 'home');
    mkdirSync(home, { recursive: true });
    write(path.join(ws, 'api', 'users.js'), 'export function getUser(req) { return db.users.find(req.params.id); }\n');
    write(path.join(ws, 'api', 'orders.js'), 'export function createOrder(req) { return db.orders.insert(req.body); }\n');
    write(path.join(ws, '.claude', 'agents', 'api-reviewer.md'), '---\nname: api-reviewer\ndescription: Reviews HTTP handlers for input validation and error handling\ntools: Read, Grep, Bash\nmodel: haiku\n---\nYou are a meticulous API reviewer. Cite file and line for every finding.\n');
    write(path.join(ws, '.orchestration', 'workflows', 'review-api.yaml'), REVIEW_API_WORKFLOW);
    workspace.workspaceFolders = [{ uri: Uri.file(ws) }];

    const { location, notices, store, controller } = simulatedHost();
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

/** The review stage behind an approval gate that says what to look at, then a summary. */
const GATED_YAML = `name: gated-review
description: Review the API, wait for your approval, then summarise
stages:
  - id: review
    tier: haiku
    each: { files: "api/**/*.js" }
    instructions: Review {{item}} for input validation.
    gates: [{ approval: "the reviews' findings, worst first" }]
  - id: summary
    dependsOn: [review]
    tier: sonnet
    instructions: Summarise the reviews, worst first.
`;

describe('Approve Stage, end to end on the simulated provider', () => {
  it('stops a workflow at its approval gate (partial, the row and gate marked, a notice with Approve Stage), then approves and resumes it to completed', async () => {
    const ws = path.join(root, 'gated');
    vi.stubEnv('ORCHESTRATION_STATE_DIR', path.join(root, 'state'));
    write(path.join(ws, 'api', 'users.js'), 'export function getUser(req) { return db.users.find(req.params.id); }\n');
    write(path.join(ws, 'api', 'orders.js'), 'export function createOrder(req) { return db.orders.insert(req.body); }\n');
    write(path.join(ws, '.orchestration', 'workflows', 'gated-review.yaml'), GATED_YAML);
    workspace.workspaceFolders = [{ uri: Uri.file(ws) }];

    const { notices, store, controller } = simulatedHost();
    const tree = new LedgerTree(store, undefined, Date.now);
    const approve = new ApproveStageCommand({ store, controller, notices });
    const planned: string[] = [];
    controller.onDidPlan((id) => planned.push(id));
    try {
      await controller.orchestrateWorkflow({ workflow: 'gated-review', params: {} });
      const runId = planned[0];
      expect(runId).toBeDefined();
      await controller.approve(runId);
      await store.refresh();
      const snap = store.get(runId)!;
      expect(snap.status).toBe('partial');
      expect(snap.agents.find((a) => a.id === 'summary')?.status).toBe('skipped');

      // The Ledger: the run row carries `.approval` (Approve Stage inline), the gate reads as waiting, not done.
      const [runNode] = await tree.getChildren();
      expect(tree.getTreeItem(runNode).contextValue).toBe('run.partial.approval');
      const groups = await tree.getChildren(runNode);
      const reviewGroup = groups.find((n) => n.kind === 'group' && n.groupId === 'review')!;
      const gateNode = (await tree.getChildren(reviewGroup)).find((n) => n.kind === 'agent' && n.agentId === 'review-approval')!;
      const gate = tree.getTreeItem(gateNode);
      expect(gate.description).toMatch(/^needs approval · /);
      expect((gate.iconPath as { id: string }).id).toBe('question');
      expect(tree.getTreeItem(reviewGroup).iconPath).toMatchObject({ id: 'question' });

      // The Summary's state: the stage, the gate's words, and the Approve Stage action.
      const view = buildRunView(snap, await store.plan(runId), null, runActions(snap, controller.isExecuting(runId)));
      expect(view.approvals).toEqual([{ stage: 'review', message: "the reviews' findings, worst first" }]);
      expect(view.actions.approveStage).toBe(true);

      // The run's end says what it waits for, with Approve Stage first.
      const notice = window.showInformationMessage.mock.calls.find((c) => String(c[0]).includes('waiting for your approval'));
      expect(notice?.[0]).toMatch(/^Run "Workflow gated-review: .*" is waiting for your approval of stage review: the reviews' findings, worst first \(simulated/);
      expect(notice?.slice(1)).toEqual([APPROVE_STAGE_ACTION, 'Open Summary']);

      // Open the Stage's Files: the reviewers' files open, nothing is approved, and a notice offers Approve Stage again.
      window.showInformationMessage.mockImplementation(async (...args: unknown[]) => {
        const opts = args[1] as { modal?: boolean } | undefined;
        if (opts?.modal) return OPEN_STAGE_FILES;
        return String(args[0]).includes('Its files are open') ? APPROVE_STAGE_ACTION : undefined;
      });
      await commands.registered.get(APPROVE_STAGE_COMMAND)!(runNode);
      const modal = window.showInformationMessage.mock.calls.find((c) => (c[1] as { modal?: boolean } | undefined)?.modal);
      expect(modal?.[0]).toBe(`Approve stage review of "${truncate(snap.task, 60)}"?`);
      expect((modal?.[1] as { detail: string }).detail).toMatch(/^Look at: the reviews' findings, worst first\n\nIts files: stages\/review-1\.md, stages\/review-2\.md/);
      expect(modal?.slice(2)).toEqual([APPROVE_AND_CONTINUE, OPEN_STAGE_FILES]);
      const opened = window.showTextDocument.mock.calls.map((c) => path.relative(path.join(ws, '.orchestration', runId), (c[0] as { fsPath: string }).fsPath));
      expect(opened).toEqual([path.join('stages', 'review-1.md'), path.join('stages', 'review-2.md')]);
      expect(existsSync(path.join(ws, '.orchestration', runId, 'approvals', 'review.json'))).toBe(false);
      expect(commands.executeCommand).toHaveBeenCalledWith(APPROVE_STAGE_COMMAND, runId, 'review');

      // Approve and Continue: the approval is written and the run resumes to completed, as Resume Run would.
      window.showInformationMessage.mockImplementation(async (...args: unknown[]) => ((args[1] as { modal?: boolean } | undefined)?.modal ? APPROVE_AND_CONTINUE : undefined));
      await commands.registered.get(APPROVE_STAGE_COMMAND)!(runId, 'review');
      await store.refresh();
      const approval = JSON.parse(readFileSync(path.join(ws, '.orchestration', runId, 'approvals', 'review.json'), 'utf8')) as { stage: string };
      expect(approval.stage).toBe('review');
      const after = store.get(runId)!;
      expect(after.status).toBe('completed');
      expect(after.agents.find((a) => a.id === 'summary')?.status).toBe('completed');
      expect(tree.getTreeItem((await tree.getChildren())[0]).contextValue).toBe('run.completed');
    } finally {
      vi.unstubAllEnvs();
      approve.dispose();
      tree.dispose();
      controller.dispose();
      store.dispose();
      notices.dispose();
    }
  });
});

/** Composition root: builds each object once and hands it to VS Code for disposal. No logic here. */
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { AgentCommands } from './vscode/commands/agentCommands';
import { ApproveStageCommand } from './vscode/commands/approveStage';
import { BatchCollector } from './vscode/runs/batchCollect';
import { AgentController } from './vscode/runs/agentController';
import { AgentPanels } from './vscode/panels/agent/agentView';
import { APPLY_CHANGES_COMMAND, ChangeCommands, DISCARD_CHANGES_COMMAND } from './vscode/changes/changeCommands';
import { SHIP_TO_BRANCH_COMMAND, ShipCommands } from './vscode/changes/shipCommand';
import { ChangeDocuments } from './vscode/changes/changeDocuments';
import { OPEN_CHANGE_DIFF_COMMAND } from './vscode/changes/changeItems';
import { ChangeSets } from './vscode/changes/changeSets';
import { Commands } from './vscode/commands/commands';
import { DashboardPanels } from './vscode/panels/dashboard/dashboardView';
import { RunDecorations } from './vscode/tree/decorations';
import { LedgerTree } from './vscode/tree/ledgerTree';
import { Lessons } from './vscode/commands/lessons';
import { FixFindings } from './vscode/commands/fixFindings';
import { McpProvider } from './vscode/mcpProvider';
import { RunLocation } from './vscode/location';
import { OrchestrationLog, RunEventLog } from './vscode/log';
import { PlanEditors } from './vscode/panels/plan/planEditorView';
import { RunController } from './vscode/runs/runController';
import { RunStore } from './vscode/runs/runStore';
import { RunWatcher } from './vscode/runs/runWatcher';
import { ApiKeyStore } from './vscode/secrets';
import { Notices } from './vscode/notices';
import { RunStatusBar } from './vscode/tree/statusBar';
import { readAutoApprove, readModels, simulatedProviderSetting } from './vscode/settings';
import { SummaryView } from './vscode/panels/summary/summaryView';
import { TranscriptRelay } from './vscode/runs/transcriptRelay';
import { CatalogModel, engineCatalogs } from './vscode/workflows/catalogModel';
import { WorkflowCommands } from './vscode/workflows/workflowCommands';

export function activate(context: vscode.ExtensionContext): void {
  const location = new RunLocation();
  const log = new OrchestrationLog();
  context.subscriptions.push(log);
  const store = new RunStore(location, log);
  context.subscriptions.push(store);
  const eventLog = new RunEventLog(store.onDidEvent, log);
  context.subscriptions.push(eventLog);
  const watcher = new RunWatcher(store, location);
  context.subscriptions.push(watcher);
  const notices = new Notices();
  context.subscriptions.push(notices);
  const keys = new ApiKeyStore(context.secrets, process.env, notices);
  context.subscriptions.push(keys);
  const relay = new TranscriptRelay();
  context.subscriptions.push(relay);
  const sessionDeps = { store, log, location, keys, logger: log, promptsDir: path.join(context.extensionPath, 'prompts'), relay, notices };
  const controller = new RunController(sessionDeps);
  context.subscriptions.push(controller);
  const agentController = new AgentController({ ...sessionDeps, runs: controller });
  context.subscriptions.push(agentController);
  const agents = new AgentPanels({ extensionUri: context.extensionUri, store, relay, isExecuting: (id) => agentController.isExecuting(id), log });
  context.subscriptions.push(agents);
  const dashboards = new DashboardPanels({ extensionUri: context.extensionUri, store, log, showAgent: (runId, agentId) => agents.show(runId, agentId) });
  context.subscriptions.push(dashboards);
  const planEditors = new PlanEditors({
    extensionUri: context.extensionUri, store, service: controller, log, models: readModels, autoApprove: readAutoApprove,
    onApproved: (runId) => dashboards.show(runId),
  });
  context.subscriptions.push(planEditors);
  context.subscriptions.push(controller.onDidPlan((runId) => void planEditors.planned(runId)));
  const changes = new ChangeSets(store);
  context.subscriptions.push(changes);
  const summary = new SummaryView(context.extensionUri, store, controller, log, {
    changes, drafts: planEditors,
    changeCommands: { apply: APPLY_CHANGES_COMMAND, discard: DISCARD_CHANGES_COMMAND, openDiff: OPEN_CHANGE_DIFF_COMMAND, ship: SHIP_TO_BRANCH_COMMAND },
  });
  context.subscriptions.push(summary);
  const catalog = new CatalogModel(location, engineCatalogs(), log);
  context.subscriptions.push(catalog);
  const tree = new LedgerTree(store, summary.onDidShowRun, Date.now, changes, catalog);
  context.subscriptions.push(tree);
  context.subscriptions.push(tree.onDidSelectRun((runId) => summary.select(runId)));
  const statusBar = new RunStatusBar(store);
  context.subscriptions.push(statusBar);
  const decorations = new RunDecorations(store, location);
  context.subscriptions.push(decorations);
  const commands = new Commands({ store, controller, summary, keys, location, state: context.workspaceState, notices, catalog });
  context.subscriptions.push(commands);
  context.subscriptions.push(new WorkflowCommands({ catalog, launcher: controller, notices }));
  context.subscriptions.push(new ApproveStageCommand({ store, controller, notices }));
  const agentCommands = new AgentCommands({
    store, service: agentController,
    showAgent: (runId, agentId) => agents.show(runId, agentId),
    showDashboard: (runId) => dashboards.show(runId),
    reviewPlan: (runId) => planEditors.show(runId),
  });
  context.subscriptions.push(agentCommands);
  context.subscriptions.push(new ChangeDocuments(() => location.workspace(), (runId) => store.runDir(runId)));
  context.subscriptions.push(new ChangeCommands({ store, controller, location, changes, notices }));
  context.subscriptions.push(new FixFindings({ store, controller, location, notices }));
  context.subscriptions.push(new ShipCommands({ store, controller, location, changes, notices }));
  context.subscriptions.push(new McpProvider({ extensionPath: context.extensionPath, location, keys }));
  context.subscriptions.push(new Lessons({ store, location, notices }));
  context.subscriptions.push(new BatchCollector({
    store, location, notices, isActive: (runId) => controller.isActive(runId), resume: (runId) => controller.resume(runId), simulatedProvider: () => simulatedProviderSetting(),
  }));
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}

/**
 * The Ledger view: runs → plan, the pattern's groups (domains, stages, reduce levels, rounds) with
 * their agents, then the run-level agents (final, consensus). A group too big to list at once is
 * paged (PAGE_SIZE agents a node). Below the runs, the workspace's Workflows and the Agents
 * definitions found (when there are any). The provider only maps store and catalog state to items
 * (treeItems.ts, catalogItems.ts); refreshes are debounced so a busy fleet never floods the sidebar.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { Debouncer } from '../debounce';
import { Disposable, toDisposable } from '../dispose';
import type { RunStore } from '../runs/runStore';
import { PLANNER_ROLE, producesChanges } from '../../engine';
import { groupAgents, groupsOf, PAGE_SIZE, patternOf, runLevelAgents, viewOf } from '../runs/runShape';
import { agentBatchState } from '../runs/batchView';
import { agentItem, groupItem, pageItem, planItem, runItem, type LedgerNode, type RunNode } from './treeItems';
import { catalogChildren, catalogItem, catalogParent, catalogRoots } from '../workflows/catalogItems';
import type { CatalogSource } from '../workflows/catalogModel';
import { changeFileItem, changesItem } from '../changes/changeItems';
import type { ChangeSets } from '../changes/changeSets';

export const LEDGER_VIEW = 'orchestration.ledger';

function isRunNode(node: LedgerNode): node is RunNode {
  return 'runId' in node;
}

export class LedgerTree extends Disposable implements vscode.TreeDataProvider<LedgerNode> {
  private readonly changed = this._register(new vscode.EventEmitter<LedgerNode | undefined>());
  private readonly refresh = this._register(new Debouncer(() => this.changed.fire(undefined), 150, 600));
  private readonly selected = this._register(new vscode.EventEmitter<string>());
  private readonly view: vscode.TreeView<LedgerNode>;
  /**
   * The run the Summary showed that the Ledger has not selected yet: the view was hidden (the user
   * in the Explorer), or the store did not know the run yet (it was just planned). Tried again when
   * either changes, until the reveal lands or the user selects something.
   */
  private pendingReveal: string | undefined;

  readonly onDidChangeTreeData = this.changed.event;
  /** The run of what the user selected: the run itself or anything below it. */
  readonly onDidSelectRun = this.selected.event;

  /** `reveals` fires run ids to show expanded and selected: the run the Summary view was asked to show. */
  constructor(
    private readonly store: RunStore,
    reveals?: vscode.Event<string>,
    private readonly now: () => number = Date.now,
    /** Build runs' proposed changes (the Changes node); absent in tests of other patterns. */
    private readonly changes?: ChangeSets,
    /** The workspace's workflows and agent definitions (the Workflows and Agents nodes); absent in tests of runs. */
    private readonly catalog?: CatalogSource,
    /** Where the user's home is, to show `~/.claude/agents` (tests pass their own). */
    private readonly home: string | null = os.homedir(),
  ) {
    super();
    if (changes) this._register(changes.onDidChange(() => this.refresh.schedule()));
    if (catalog) this._register(catalog.onDidChange(() => this.refresh.schedule()));
    this.view = this._register(vscode.window.createTreeView(LEDGER_VIEW, { treeDataProvider: this, showCollapseAll: true }));
    this._register(this.store.onDidChange(() => {
      this.refresh.schedule();
      if (this.pendingReveal) void this.reveal(this.pendingReveal);
    }));
    this._register(this.view.onDidChangeSelection((e) => {
      // Whatever is selected now (the user's pick or the reveal itself) wins over a reveal still to come.
      this.pendingReveal = undefined;
      // A workflow or an agent definition belongs to no run: the Summary stays where it is.
      const node = e.selection[0];
      if (node && isRunNode(node)) this.selected.fire(node.runId);
    }));
    if (reveals) this._register(reveals((runId) => void this.reveal(runId)));
    this._register(this.view.onDidChangeVisibility((e) => {
      if (e.visible && this.pendingReveal) void this.reveal(this.pendingReveal);
    }));
    // Ages ("5 min ago") go stale without ledger events; a slow tick keeps a visible tree honest.
    const tick = setInterval(() => { if (this.view.visible) this.refresh.schedule(); }, 30_000);
    this._register(toDisposable(() => clearInterval(tick)));
  }

  getTreeItem(node: LedgerNode): vscode.TreeItem {
    if (!isRunNode(node)) {
      const c = this.catalog?.current();
      return catalogItem(c, node, { workspace: c?.workspace, home: this.home });
    }
    const s = this.store.get(node.runId);
    if (!s) return new vscode.TreeItem('(run removed)');
    const now = this.now();
    switch (node.kind) {
      case 'run': return runItem(s, now);
      case 'plan': return planItem(s, this.store.runDir(s.runId), this.store.cachedPlan(s.runId));
      case 'group': {
        const plan = this.store.cachedPlan(s.runId);
        const groups = groupsOf(s, plan);
        const index = groups.findIndex((g) => g.id === node.groupId);
        const brief = plan ? viewOf(patternOf(s, plan)).groupBrief?.(plan, node.groupId) : undefined;
        return groupItem(s, groups[index] ?? { id: node.groupId, label: node.groupId }, Math.max(index, 0), brief, plan);
      }
      case 'page': return pageItem(s, node.groupId, node.page);
      case 'changes': case 'changeFile': {
        const cs = this.changes?.peek(s.runId);
        if (!cs) return new vscode.TreeItem('Changes');
        if (node.kind === 'changes') return changesItem(s.runId, cs);
        const file = cs.files.find((f) => f.path === node.path);
        return file ? changeFileItem(s.runId, cs, file) : new vscode.TreeItem(node.path);
      }
      case 'agent': {
        const a = s.agents.find((x) => x.id === node.agentId);
        return a ? agentItem(a, s.runId, now, s.status, s.simulated, patternOf(s, this.store.cachedPlan(s.runId)), agentBatchState(a, s)) : new vscode.TreeItem(node.agentId);
      }
    }
  }

  async getChildren(node?: LedgerNode): Promise<LedgerNode[]> {
    // Runs first: they are what the view is for (and the first rows e2e and users look at).
    if (!node) return [...this.store.runs().map((s): LedgerNode => ({ kind: 'run', runId: s.runId })), ...catalogRoots(this.catalog?.current())];
    if (!isRunNode(node)) return catalogChildren(this.catalog?.current(), node);
    const s = this.store.get(node.runId);
    if (!s) return [];
    if (node.kind === 'run') {
      const plan = await this.store.plan(s.runId);
      const children: LedgerNode[] = [{ kind: 'plan', runId: s.runId }];
      for (const g of groupsOf(s, plan)) children.push({ kind: 'group', runId: s.runId, groupId: g.id });
      for (const a of runLevelAgents(s)) children.push({ kind: 'agent', runId: s.runId, agentId: a.id });
      if (producesChanges(s.pattern) && await this.changes?.load(s.runId)) children.push({ kind: 'changes', runId: s.runId });
      return children;
    }
    if (node.kind === 'changes') {
      return (this.changes?.peek(s.runId)?.files ?? []).map((f) => ({ kind: 'changeFile', runId: s.runId, path: f.path }));
    }
    if (node.kind === 'group') {
      const agents = groupAgents(s, node.groupId);
      if (agents.length > PAGE_SIZE) {
        return Array.from({ length: Math.ceil(agents.length / PAGE_SIZE) }, (_, page) => ({ kind: 'page', runId: s.runId, groupId: node.groupId, page }));
      }
      return agents.map((a) => ({ kind: 'agent', runId: s.runId, agentId: a.id }));
    }
    if (node.kind === 'page') {
      return groupAgents(s, node.groupId).slice(node.page * PAGE_SIZE, (node.page + 1) * PAGE_SIZE)
        .map((a) => ({ kind: 'agent', runId: s.runId, agentId: a.id }));
    }
    return [];
  }

  /** Stable parents so `reveal` works; ids are unique per run. */
  getParent(node: LedgerNode): LedgerNode | undefined {
    if (!isRunNode(node)) return catalogParent(this.catalog?.current(), node);
    if (node.kind === 'run') return undefined;
    if (node.kind === 'page') return { kind: 'group', runId: node.runId, groupId: node.groupId };
    if (node.kind === 'changeFile') return { kind: 'changes', runId: node.runId };
    if (node.kind === 'agent') {
      const s = this.store.get(node.runId);
      const a = s?.agents.find((x) => x.id === node.agentId);
      if (s && a?.domain && a.role !== PLANNER_ROLE) {
        const agents = groupAgents(s, a.domain);
        if (agents.length <= PAGE_SIZE) return { kind: 'group', runId: node.runId, groupId: a.domain };
        return { kind: 'page', runId: node.runId, groupId: a.domain, page: Math.floor(agents.indexOf(a) / PAGE_SIZE) };
      }
    }
    return { kind: 'run', runId: node.runId };
  }

  /**
   * Shows a run expanded and selected, after the pending refresh so the view already knows the node.
   * Otherwise a click on the row selected before would change no selection, and the Summary would
   * stay on the other run.
   */
  private async reveal(runId: string): Promise<void> {
    this.pendingReveal = runId;
    if (!this.view.visible || !this.store.get(runId)) return;
    this.refresh.flush();
    // A node the view cannot resolve yet rejects; the run stays pending for the next store change.
    const landed = await this.view.reveal({ kind: 'run', runId }, { expand: true, select: true, focus: false }).then(() => true, () => false);
    if (landed && this.pendingReveal === runId) this.pendingReveal = undefined;
  }
}

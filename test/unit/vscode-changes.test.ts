/** The build run's Changes in VS Code: tree items, diff documents from git, Apply and Discard, against a real repository. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { branchName, readChangeSet, type ChangeSet } from '../../src/engine/git';
import { ChangeCommands } from '../../src/vscode/changes/changeCommands';
import { CHANGE_SCHEME, ChangeDocuments, changeUri, parseChangeUri } from '../../src/vscode/changes/changeDocuments';
import { changeFileItem, changesItem, changesLabel, OPEN_CHANGE_DIFF_COMMAND } from '../../src/vscode/changes/changeItems';
import { ChangeSets } from '../../src/vscode/changes/changeSets';
import { LedgerTree } from '../../src/vscode/tree/ledgerTree';
import { RunLocation } from '../../src/vscode/location';
import { RunStore } from '../../src/vscode/runs/runStore';
import type { LedgerNode } from '../../src/vscode/tree/treeItems';
import { Notices } from '../../src/vscode/notices';
import { agent, snapshot } from './vscode/fixtures';
import { builtRepo, gitT as git } from './vscode/gitFixtures';
import { commands, resetStub, Uri, window, workspace } from './vscode-stub';

const RUN = '20261202-101500-abcd';
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** A repository with one builder's committed change (orders.js edited, notes.md added), assembled and recorded as a build run would. */
async function builtRun(): Promise<{ ws: string; runDir: string; wt: string; cs: ChangeSet }> {
  const { ws, wt, runDir, cs } = await builtRepo(RUN, 'orch-chg', dirs, { 'notes.md': '# Notes\n' });
  writeFileSync(path.join(runDir, 'ledger.json'), JSON.stringify(snapshot({
    runId: RUN, pattern: 'build', status: 'completed', workspace: ws, task: 'Document the orders API',
    agents: [agent({ id: 'b1', role: 'builder', domain: 'builders', outputFile: 'builders/b1.md', changes: { files: ['src/orders.js', 'notes.md'], added: 2, removed: 0 } })],
    groups: [{ id: 'builders', label: 'Builders (1)' }],
  })));
  return { ws, runDir, wt, cs };
}

const silent = { info() {}, warn() {}, error() {} };
beforeEach(() => { resetStub(); vi.clearAllMocks(); });

describe('Changes tree items', () => {
  it('labels the change by state with files and lines, and opens a file\'s diff on click', async () => {
    const { cs } = await builtRun();
    expect(changesLabel(cs)).toBe('Changes (2 files, +2 −0)');
    expect(changesLabel({ ...cs, state: 'applied' })).toBe('Changes applied (2 files, +2 −0)');
    const item = changesItem(RUN, cs);
    expect(item.contextValue).toBe('changes.proposed');
    expect(String((item.tooltip as { value: string }).value)).toMatch(/Nothing has been written to your working tree/);
    const orders = cs.files.find((f) => f.path === 'src/orders.js')!;
    const file = changeFileItem(RUN, cs, orders);
    expect(file.label).toBe('orders.js');
    expect(file.description).toBe('src · +1 −0');
    expect(file.contextValue).toBe('changeFile.proposed');
    expect(file.command).toEqual({ command: OPEN_CHANGE_DIFF_COMMAND, title: 'Open Diff', arguments: [RUN, 'src/orders.js'] });
    expect(changeFileItem(RUN, cs, cs.files.find((f) => f.path === 'notes.md')!).iconPath).toMatchObject({ id: 'diff-added' });
  });

  it('shows Changes under a build run in the Ledger, with one child per file', async () => {
    const { ws } = await builtRun();
    workspace.workspaceFolders = [{ uri: Uri.file(ws) }];
    const store = new RunStore(new RunLocation(), silent);
    await store.refresh();
    const changes = new ChangeSets(store);
    const tree = new LedgerTree(store, undefined, Date.now, changes);
    const children = await tree.getChildren({ kind: 'run', runId: RUN });
    expect(children.map((c) => c.kind)).toContain('changes');
    const node = children.find((c) => c.kind === 'changes')!;
    expect(tree.getTreeItem(node).label).toBe('Changes (2 files, +2 −0)');
    const files = await tree.getChildren(node);
    expect(files).toEqual([{ kind: 'changeFile', runId: RUN, path: 'notes.md' }, { kind: 'changeFile', runId: RUN, path: 'src/orders.js' }]);
    expect(tree.getParent(files[0])).toEqual({ kind: 'changes', runId: RUN });
    tree.dispose(); changes.dispose(); store.dispose();
  });
});

describe('diff documents', () => {
  it('serves the base and the proposed side from git objects; an added file has an empty base', async () => {
    const { ws, runDir } = await builtRun();
    const docs = new ChangeDocuments(() => ws, () => runDir);
    const provider = workspace.providers.get(CHANGE_SCHEME)!;
    const read = (side: 'base' | 'proposed', p: string) => provider.provideTextDocumentContent(changeUri(side, RUN, p)) as Promise<string>;
    expect(await read('base', 'src/orders.js')).toBe('export function list() {}\n');
    expect(await read('proposed', 'src/orders.js')).toBe('/** Orders. */\nexport function list() {}\n');
    expect(await read('base', 'notes.md')).toBe('');
    expect(parseChangeUri(changeUri('proposed', RUN, 'a/b c.js') as never)).toEqual({ side: 'proposed', runId: RUN, repoPath: 'a/b c.js' });
    docs.dispose();
  });
});

describe('Apply and Discard', () => {
  function setup(ws: string) {
    workspace.workspaceFolders = [{ uri: Uri.file(ws) }];
    const store = new RunStore(new RunLocation(), silent);
    const changes = new ChangeSets(store);
    const controller = { isActive: vi.fn(() => false) };
    const cmds = new ChangeCommands({ store, controller, location: new RunLocation(), changes, notices: new Notices() });
    return { store, changes, controller, cmds, run: (id: string, ...args: unknown[]) => commands.registered.get(id)!(...args) };
  }

  it('opens VS Code\'s diff editor between the two sides', async () => {
    const { ws } = await builtRun();
    const { run, cmds, store, changes } = setup(ws);
    await run(OPEN_CHANGE_DIFF_COMMAND, RUN, 'src/orders.js');
    expect(commands.executeCommand).toHaveBeenCalledWith('vscode.diff', expect.objectContaining({ scheme: CHANGE_SCHEME, fsPath: `/base/${RUN}/src/orders.js` }),
      expect.objectContaining({ fsPath: `/proposed/${RUN}/src/orders.js` }), `orders.js (base ↔ proposed by run ${RUN})`, { preview: true });
    cmds.dispose(); changes.dispose(); store.dispose();
  });

  it('applies one file from its node, then the rest from the Changes node; never commits', async () => {
    const { ws, runDir, wt } = await builtRun();
    workspace.settings = { worktreesDir: wt };
    const { run, cmds, store, changes } = setup(ws);
    await store.refresh();
    const head = git(ws, 'rev-parse', 'HEAD');
    await run('orchestration.applyChanges', { kind: 'changeFile', runId: RUN, path: 'src/orders.js' } satisfies LedgerNode);
    expect(readFileSync(path.join(ws, 'src/orders.js'), 'utf8')).toMatch(/Orders/);
    // A confirmation sits in the status bar for a while, not over the editor.
    expect(window.setStatusBarMessage).toHaveBeenCalledWith('Applied 1 file to your working tree (not committed); 1 still proposed.', expect.any(Number));
    expect(window.showInformationMessage).not.toHaveBeenCalled();
    await run('orchestration.applyChanges', { kind: 'changes', runId: RUN } satisfies LedgerNode);
    expect(readFileSync(path.join(ws, 'notes.md'), 'utf8')).toBe('# Notes\n');
    expect((await readChangeSet(runDir))!.state).toBe('applied');
    expect(git(ws, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(ws, 'branch', '--list')).toBe('* main\n');
    // Discard after everything was applied asks nothing and says there was nothing to discard.
    window.showWarningMessage.mockClear();
    await run('orchestration.discardChanges', RUN);
    expect(window.showWarningMessage).not.toHaveBeenCalled();
    expect(window.setStatusBarMessage).toHaveBeenLastCalledWith(`Nothing to discard: all 2 files of run ${RUN} were already applied.`, expect.any(Number));
    expect((await readChangeSet(runDir))!.state).toBe('applied');
    cmds.dispose(); changes.dispose(); store.dispose();
  });

  it('refuses over uncommitted edits naming the file, and refuses while the run is still running', async () => {
    const { ws, wt } = await builtRun();
    workspace.settings = { worktreesDir: wt };
    const { run, cmds, store, changes, controller } = setup(ws);
    await store.refresh();
    writeFileSync(path.join(ws, 'src/orders.js'), 'mine\n');
    await run('orchestration.applyChanges', RUN);
    expect(window.showErrorMessage).toHaveBeenCalledWith(expect.stringMatching(/^Apply refused: .*src\/orders\.js/s));
    expect(readFileSync(path.join(ws, 'src/orders.js'), 'utf8')).toBe('mine\n');
    controller.isActive.mockReturnValue(true);
    await run('orchestration.applyChanges', RUN);
    expect(window.showWarningMessage).toHaveBeenCalledWith(`Run ${RUN} is still running; apply its changes when it has finished.`);
    cmds.dispose(); changes.dispose(); store.dispose();
  });

  it('discards after a modal confirmation: worktrees and branches gone, files untouched', async () => {
    const { ws, runDir, wt } = await builtRun();
    workspace.settings = { worktreesDir: wt };
    const { run, cmds, store, changes } = setup(ws);
    await store.refresh();
    window.showWarningMessage.mockResolvedValueOnce(undefined);
    await run('orchestration.discardChanges', RUN);
    expect(git(ws, 'branch', '--list')).toContain(branchName(RUN, 'b1'));
    window.showWarningMessage.mockResolvedValueOnce('Discard');
    await run('orchestration.discardChanges', RUN);
    expect(window.showWarningMessage).toHaveBeenCalledWith(`Discard the changes of run ${RUN}?`, expect.objectContaining({ modal: true }), 'Discard');
    expect(window.setStatusBarMessage).toHaveBeenLastCalledWith(expect.stringMatching(new RegExp(`^Discarded 2 proposed file changes of run ${RUN} and its \\d+ worktrees? and \\d+ branch(es)?; your working tree was not touched\\.$`)), expect.any(Number));
    expect(git(ws, 'branch', '--list')).toBe('* main\n');
    expect(git(ws, 'worktree', 'list').trim().split('\n')).toHaveLength(1);
    expect(readFileSync(path.join(ws, 'src/orders.js'), 'utf8')).toBe('export function list() {}\n');
    expect((await readChangeSet(runDir))!.state).toBe('discarded');
    cmds.dispose(); changes.dispose(); store.dispose();
  });
});

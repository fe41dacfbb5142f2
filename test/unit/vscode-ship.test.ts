/** Ship to Branch in VS Code: branch name, the message in an editor, Ship / Cancel, Push…, against a real repository. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { markCreatedHere } from '../../src/engine/ledger/origin';
import { SHIP_FILE, TALLY_FILE } from '../../src/engine/pipelineFiles';
import { SHIP_MESSAGE_FILE } from '../../src/engine/commands/ship';
import { ChangeSets } from '../../src/vscode/changes/changeSets';
import { CANCEL_BUTTON, PUSH_BUTTON, SHIP_BUTTON, SHIP_INPUT_TITLE, SHIP_TO_BRANCH_COMMAND, ShipCommands } from '../../src/vscode/changes/shipCommand';
import { RunLocation } from '../../src/vscode/location';
import { Notices } from '../../src/vscode/notices';
import { RunStore } from '../../src/vscode/runs/runStore';
import type { LedgerNode } from '../../src/vscode/tree/treeItems';
import { agent, snapshot } from './vscode/fixtures';
import { builtRepo, gitT as git } from './vscode/gitFixtures';
import { commands, resetStub, Uri, window, workspace } from './vscode-stub';

const RUN = '20261207-101500-abcd';
const tmp = (p: string) => mkdtempSync(path.join(os.tmpdir(), p));
const dirs: string[] = [];
const savedGlobal = process.env.GIT_CONFIG_GLOBAL;
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  if (savedGlobal === undefined) delete process.env.GIT_CONFIG_GLOBAL; else process.env.GIT_CONFIG_GLOBAL = savedGlobal;
});

/** A finished build as the engine leaves it: b1's change assembled and recorded, approved by r-b1, made on this machine. */
async function finishedBuild(): Promise<{ ws: string; runDir: string; wt: string; base: string }> {
  const { ws, wt, runDir, base } = await builtRepo(RUN, 'orch-ship', dirs);
  mkdirSync(path.join(runDir, 'reviews'), { recursive: true });
  writeFileSync(path.join(runDir, 'plan.json'), JSON.stringify({
    pattern: 'build', task: 'Document the orders API', brief: '', scouts: [], base,
    builders: [{ id: 'b1', task: 'Add a doc comment to src/orders.js', owns: ['src/orders.js'], tier: 'haiku' }],
  }));
  writeFileSync(path.join(runDir, 'reviews', 'b1.json'), JSON.stringify({ verdict: 'approve', summary: 'One doc comment, nothing else.', reasons: [], revised: false }));
  writeFileSync(path.join(runDir, 'ledger.json'), JSON.stringify(snapshot({
    runId: RUN, pattern: 'build', status: 'completed', workspace: ws, task: 'Document the orders API',
    agents: [agent({ id: 'b1', role: 'builder', domain: 'builders', outputFile: 'builders/b1.md' })],
    groups: [{ id: 'builders', label: 'Builders (1)' }],
  })));
  expect(await markCreatedHere({ dir: runDir, runId: RUN, workspace: ws })).toBe(true);
  return { ws, runDir, wt, base };
}

function setup(ws: string) {
  workspace.workspaceFolders = [{ uri: Uri.file(ws) }];
  const store = new RunStore(new RunLocation(), { info() {}, warn() {}, error() {} });
  const changes = new ChangeSets(store);
  const cmds = new ShipCommands({ store, controller: { isActive: vi.fn(() => false) }, location: new RunLocation(), changes, notices: new Notices() });
  return { dispose: () => { cmds.dispose(); changes.dispose(); store.dispose(); }, ship: (arg: unknown) => commands.registered.get(SHIP_TO_BRANCH_COMMAND)!(arg) };
}

/** What the notifications answer, by the start of their text. */
function answer(by: Array<[RegExp, string | undefined]>): void {
  window.showInformationMessage.mockImplementation(async (...args: unknown[]) => by.find(([re]) => re.test(String(args[0])))?.[1]);
}

beforeEach(() => {
  resetStub();
  vi.clearAllMocks();
  const cfg = path.join(tmp('orch-ship-cfg-'), 'gitconfig');
  writeFileSync(cfg, '[user]\n\tname = Grace Hopper\n\temail = grace@example.invalid\n');
  process.env.GIT_CONFIG_GLOBAL = cfg;
});

describe('Ship to Branch (VS Code)', () => {
  it('asks for the branch (default orchestration/<runId>, checked as typed), opens the message to edit, ships on Ship, then pushes on Push…', async () => {
    const { ws, runDir, wt, base } = await finishedBuild();
    workspace.settings = { worktreesDir: wt };
    const remote = tmp('orch-ship-remote-');
    dirs.push(remote);
    git(remote, 'init', '-q', '--bare');
    git(ws, 'remote', 'add', 'origin', remote);
    writeFileSync(path.join(ws, 'src/orders.js'), 'my unsaved work\n');
    const status = git(ws, 'status', '--porcelain');
    const { ship, dispose } = setup(ws);

    let validate: ((v: string) => Promise<string | null>) | undefined;
    window.showInputBox.mockImplementation(async (opts?: unknown) => {
      const o = opts as { title: string; value: string; validateInput: (v: string) => Promise<string | null> };
      expect(o.title).toBe(SHIP_INPUT_TITLE);
      expect(o.value).toBe(`orchestration/${RUN}`);
      validate = o.validateInput;
      return 'ship/orders-docs';
    });
    // The user edits the message in the editor and saves it.
    window.showTextDocument.mockImplementation(async (...args: unknown[]) => {
      const file = (args[0] as Uri).fsPath;
      expect(file).toBe(path.join(runDir, SHIP_MESSAGE_FILE));
      expect(readFileSync(file, 'utf8')).toMatch(/^Document the orders API\n\n[\s\S]*- b1: Add a doc comment to src\/orders\.js/);
      writeFileSync(file, 'Document the orders API\n\nReviewed and edited by Grace.\n');
      return undefined;
    });
    window.showQuickPick.mockImplementation(async (...args: unknown[]) => (args[0] as string[])[0]);
    answer([[/^Edit the commit message/, SHIP_BUTTON], [/^Shipped run/, PUSH_BUTTON], [/^Pushed/, undefined]]);

    await ship({ kind: 'changes', runId: RUN } satisfies LedgerNode);
    expect(await validate!('bad..name')).toMatch(/not a valid git branch name/);
    expect(await validate!('main')).toBe('A branch named main already exists');
    // The run's own branches make room for the default name, so it is offered as valid.
    expect(await validate!(`orchestration/${RUN}`)).toBeNull();

    expect(git(ws, 'rev-parse', 'ship/orders-docs^').trim()).toBe(base);
    expect(git(ws, 'log', '-1', '--format=%B%an', 'ship/orders-docs')).toBe('Document the orders API\n\nReviewed and edited by Grace.\nGrace Hopper\n');
    expect(git(ws, 'rev-parse', 'HEAD').trim()).toBe(base);
    expect(git(ws, 'status', '--porcelain')).toBe(status);
    const infos = window.showInformationMessage.mock.calls;
    expect(infos[0].slice(1)).toEqual([SHIP_BUTTON, CANCEL_BUTTON]);
    expect(String(infos[1][0])).toMatch(/^Shipped run \S+: 1 file in one commit [0-9a-f]{12} on the new branch ship\/orders-docs/);
    expect(infos[1].slice(1)).toEqual([PUSH_BUTTON]);
    expect(window.showQuickPick).toHaveBeenCalledWith(['origin'], { title: 'Push ship/orders-docs to which remote?' });
    expect(String(infos[2][0])).toMatch(/^Pushed ship\/orders-docs to origin\. git said: .*ship\/orders-docs -> ship\/orders-docs/);
    expect(git(remote, 'rev-parse', 'refs/heads/ship/orders-docs')).toBe(git(ws, 'rev-parse', 'ship/orders-docs'));
    expect(JSON.parse(readFileSync(path.join(runDir, SHIP_FILE), 'utf8'))).toMatchObject({ branch: 'ship/orders-docs', pushedTo: 'origin', headMoved: false });

    // Again: it says where it went, and makes nothing.
    window.showInputBox.mockClear();
    answer([]);
    await ship(RUN);
    expect(window.showInputBox).not.toHaveBeenCalled();
    expect(String(window.showInformationMessage.mock.calls.at(-1)![0])).toMatch(/^Run \S+ was already shipped: branch ship\/orders-docs, commit [0-9a-f]{12}, pushed to origin\./);
    dispose();
  });

  it('Cancel makes nothing, and nothing is pushed without Push…', async () => {
    const { ws, runDir } = await finishedBuild();
    const { ship, dispose } = setup(ws);
    window.showInputBox.mockImplementation(async (opts?: unknown) => (opts as { value: string }).value);
    answer([[/^Edit the commit message/, CANCEL_BUTTON]]);
    await ship(RUN);
    expect(git(ws, 'branch', '--list', `orchestration/${RUN}`)).toBe('');
    expect(existsSync(path.join(runDir, SHIP_FILE))).toBe(false);
    expect(window.setStatusBarMessage).toHaveBeenCalledWith(expect.stringMatching(/^Ship cancelled: nothing was made/), expect.any(Number));

    // Ship, and dismiss the result: the branch is made, nothing pushed, no remote asked for.
    answer([[/^Edit the commit message/, SHIP_BUTTON]]);
    await ship(RUN);
    expect(git(ws, 'branch', '--list', `orchestration/${RUN}`)).toContain(`orchestration/${RUN}`);
    expect(window.showQuickPick).not.toHaveBeenCalled();
    expect(JSON.parse(readFileSync(path.join(runDir, SHIP_FILE), 'utf8'))).toMatchObject({ pushedTo: null });
    dispose();
  });

  it('refuses by name before asking anything: a critical finding', async () => {
    const { ws, runDir } = await finishedBuild();
    mkdirSync(path.join(runDir, 'harden'), { recursive: true });
    writeFileSync(path.join(runDir, TALLY_FILE), JSON.stringify({
      enabled: true, critical: 1, major: 0, minor: 0,
      findings: [{ id: 'h-security-1', severity: 'critical', concern: 'security', file: 'src/orders.js', line: 1, text: 'Orders leak', owner: 'b1', status: 'open' }],
    }));
    const { ship, dispose } = setup(ws);
    await ship(RUN);
    expect(window.showInputBox).not.toHaveBeenCalled();
    expect(String(window.showWarningMessage.mock.calls[0][0])).toMatch(/^Cannot ship run \S+: Hardening found 1 critical finding: h-security-1 \(src\/orders\.js:1\): Orders leak/);
    dispose();
  });
});

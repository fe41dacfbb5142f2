import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { LedgerTree } from '../../src/vscode/tree/ledgerTree';
import { RunLocation } from '../../src/vscode/location';
import { RunStore, type LiveRun } from '../../src/vscode/runs/runStore';
import type { LedgerNode } from '../../src/vscode/tree/treeItems';
import { CATALOG_REREAD_MS, CatalogModel, engineCatalogs, type Catalogs } from '../../src/vscode/workflows/catalogModel';
import { OPEN_CATALOG_FILE_COMMAND, RUN_WORKFLOW_COMMAND, type CatalogNode } from '../../src/vscode/workflows/catalogItems';
import { STARTER_WORKFLOW, WorkflowCommands } from '../../src/vscode/workflows/workflowCommands';
import { fakeRun, NOW, snapshot } from './vscode/fixtures';
import { commands, EventEmitter, MarkdownString, resetStub, ThemeIcon, Uri, window, workspace } from './vscode-stub';

const silent = { info() {}, warn() {}, error() {} };
const root = mkdtempSync(path.join(tmpdir(), 'orch-wf-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const REVIEW_API = `# .orchestration/workflows/review-api.yaml
name: review-api
description: Review every API module for one concern, then summarise
params:
  concern: { description: What to look for, default: input validation }
  audience: { description: Who reads the summary }
stages:
  - id: review
    agent: api-reviewer            # .claude/agents/api-reviewer.md
    tier: haiku
    each: { files: "api/**/*.js" }
    instructions: Review {{item}} for {{params.concern}}.
  - id: summary
    dependsOn: [review]
    tier: sonnet
    instructions: Summarise the reviews for {{params.audience}}, worst first.
    hooks: [sanity-check]
`;

const BROKEN = `name: broken-review
description: The same with a typo
stages:
  - id: review
    instructions: Review the code.
  - id: summary
    dependsOn: [sumary]
    instructions: Summarise {{stages.nope}}.
`;

const API_REVIEWER = `---
name: api-reviewer
description: Reviews HTTP handlers for input validation and error handling
tools: Read, Grep, Bash
model: haiku
---
You are a meticulous API reviewer. Cite file and line for every finding.
`;

function write(file: string, text: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** A workspace with two workflows (one broken) and agent definitions in all three places, one shadowed, one broken. */
function fixture(name: string) {
  const ws = path.join(root, name, 'ws');
  const home = path.join(root, name, 'home');
  const files = {
    reviewApi: write(path.join(ws, '.orchestration', 'workflows', 'review-api.yaml'), REVIEW_API),
    broken: write(path.join(ws, '.orchestration', 'workflows', 'broken-review.yaml'), BROKEN),
    reviewer: write(path.join(ws, '.claude', 'agents', 'api-reviewer.md'), API_REVIEWER),
    homeReviewer: write(path.join(home, '.claude', 'agents', 'api-reviewer.md'), API_REVIEWER.replace('model: haiku', 'model: opus')),
    writer: write(path.join(home, '.claude', 'agents', 'doc-writer.md'), '---\nname: doc-writer\ndescription: Writes module docs\nmodel: inherit\n---\nWrite plainly.\n'),
    bad: write(path.join(ws, '.orchestration', 'agents', 'bad.md'), '---\nname: Bad Name\ndescription: x\n---\nbody\n'),
  };
  return { ws, home, files };
}

async function catalogsOf(ws: string, home: string): Promise<Catalogs> {
  return { workspace: ws, ...(await engineCatalogs(home)(ws, '.orchestration')) };
}

/** A CatalogSource over fixed catalogs, whose change the test fires. */
function source(c: Catalogs | undefined) {
  const changed = new EventEmitter<void>();
  return { current: () => c, onDidChange: changed.event, fire: () => changed.fire() };
}

function treeOf(c: Catalogs | undefined, home: string, runs = 1) {
  const store = new RunStore(new RunLocation(), silent);
  for (let i = 0; i < runs; i++) store.attach(fakeRun(snapshot({ runId: `20250601-11550${i}-ab12` })) as unknown as LiveRun);
  const src = source(c);
  const tree = new LedgerTree(store, undefined, () => NOW, undefined, src, home);
  return { tree, store, src, dispose: () => { tree.dispose(); store.dispose(); } };
}

const label = (t: LedgerTree, n: LedgerNode) => t.getTreeItem(n).label;
const tooltip = (t: LedgerTree, n: LedgerNode) => (t.getTreeItem(n).tooltip as unknown as MarkdownString).value;

beforeEach(() => { resetStub(); vi.clearAllMocks(); });

describe('the Workflows node', () => {
  it('comes after the runs, lists each workflow with its description, and opens its file on click', async () => {
    const { ws, home, files } = fixture('valid');
    const c = await catalogsOf(ws, home);
    const { tree, dispose } = treeOf(c, home, 2);
    const top = await tree.getChildren();
    // Runs stay the first rows: the Workflows and Agents nodes come below them.
    expect(top.map((n) => n.kind)).toEqual(['run', 'run', 'workflows', 'agents']);
    const wfRoot = top[2];
    const rootItem = tree.getTreeItem(wfRoot);
    expect(rootItem).toMatchObject({ label: 'Workflows', description: '1 valid · 1 not valid', contextValue: 'workflows', id: 'catalog/workflows' });
    const [valid] = await tree.getChildren(wfRoot);
    expect(tree.getParent(valid)).toEqual(wfRoot);
    const item = tree.getTreeItem(valid);
    expect(item).toMatchObject({ label: 'review-api', description: 'Review every API module for one concern, then summarise', contextValue: 'workflowFile' });
    expect(item.command).toEqual({ command: OPEN_CATALOG_FILE_COMMAND, title: 'Open File', arguments: [files.reviewApi] });
    const tip = tooltip(tree, valid);
    // Parameters in declaration order, with defaults or "required"; stages with agent, tier, fan-out, order and hooks; the file.
    expect(tip.indexOf('concern')).toBeLessThan(tip.indexOf('audience'));
    expect(tip).toContain('What to look for (default: input validation)');
    expect(tip).toContain('Who reads the summary (required)');
    expect(tip).toContain('review · @api\\-reviewer · haiku · one agent per file of api/\\*\\*/\\*\\.js');
    expect(tip).toContain('summary · sonnet · after review · hooks: sanity\\-check');
    expect(tip).toContain('\\.orchestration/workflows/review\\-api\\.yaml');
    dispose();
  });

  it('shows a file that is not valid with an error icon, file:line:col and what was expected, and opens it at that place', async () => {
    const { ws, home, files } = fixture('invalid');
    const c = await catalogsOf(ws, home);
    const { tree, dispose } = treeOf(c, home);
    const wfRoot = (await tree.getChildren()).find((n) => n.kind === 'workflows')!;
    const invalid = (await tree.getChildren(wfRoot)).find((n) => n.kind === 'workflowError')!;
    const e = c.workflows.errors[0];
    expect(e).toMatchObject({ file: files.broken, line: 7, name: 'broken-review' });
    const item = tree.getTreeItem(invalid);
    expect(item.label).toBe('broken-review');
    // One row per file: its first problem, the rest counted here and listed in the tooltip.
    expect(c.workflows.errors.map((x) => x.line)).toEqual([7, 8]);
    expect(item.description).toBe(`broken-review.yaml:7:${e.column} — ${e.message} (+1 more)`);
    expect(item.description).toMatch(/^broken-review\.yaml:7:\d+ — .*"sumary"/);
    expect(item.description).toContain('review, summary');
    expect((item.iconPath as unknown as ThemeIcon).id).toBe('error');
    expect(item.contextValue).toBe('workflowFile.invalid');
    expect(item.command).toEqual({ command: OPEN_CATALOG_FILE_COMMAND, title: 'Open File', arguments: [files.broken, 7, e.column] });
    expect(tooltip(tree, invalid)).toContain('\\.orchestration/workflows/broken\\-review\\.yaml');
    expect(tooltip(tree, invalid)).toContain(`- 8:${c.workflows.errors[1].column} — `);
    dispose();
  });

  it('is absent, like the Agents node, when there is nothing to show, so an empty Ledger keeps its welcome', async () => {
    const ws = path.join(root, 'empty');
    mkdirSync(ws, { recursive: true });
    const c = await catalogsOf(ws, path.join(root, 'no-home'));
    const { tree, dispose } = treeOf(c, root, 0);
    expect(await tree.getChildren()).toEqual([]);
    dispose();
  });

  it('never tells the Summary to switch runs when a workflow or an agent definition is selected', async () => {
    const { ws, home } = fixture('select');
    const { tree, dispose } = treeOf(await catalogsOf(ws, home), home);
    const selected: string[] = [];
    tree.onDidSelectRun((id) => selected.push(id));
    const view = vi.mocked(window.createTreeView).mock.results.at(-1)!.value as { select(...n: unknown[]): void };
    const [run, wfRoot] = await tree.getChildren();
    view.select(wfRoot);
    view.select((await tree.getChildren(wfRoot))[0]);
    view.select(run);
    expect(selected).toEqual([(run as { runId: string }).runId]);
    dispose();
  });

  it('refreshes when the catalog changes', async () => {
    const { ws, home } = fixture('refresh');
    const { tree, src, dispose } = treeOf(await catalogsOf(ws, home), home);
    const fired = vi.fn();
    tree.onDidChangeTreeData(fired);
    src.fire();
    await vi.waitFor(() => expect(fired).toHaveBeenCalled());
    dispose();
  });
});

describe('the Agents node', () => {
  it('groups the definitions by the folder they came from, in order of precedence, with shadowed and broken files', async () => {
    const { ws, home, files } = fixture('agents');
    const c = await catalogsOf(ws, home);
    const { tree, dispose } = treeOf(c, home);
    const agents = (await tree.getChildren()).find((n) => n.kind === 'agents')!;
    expect(tree.getTreeItem(agents)).toMatchObject({ label: 'Agents', description: '2 definitions · 1 shadowed · 1 not valid', contextValue: 'agents' });
    const sources = await tree.getChildren(agents);
    expect(sources.map((s) => label(tree, s))).toEqual(['.claude/agents', '~/.claude/agents', '.orchestration/agents']);
    expect(sources.map((s) => tree.getTreeItem(s).description)).toEqual(['1 definition', '1 definition · 1 shadowed', '0 definitions · 1 not valid']);

    const [wsDefs, homeDefs, orchDefs] = await Promise.all(sources.map((s) => tree.getChildren(s)));
    const reviewer = tree.getTreeItem(wsDefs[0]);
    expect(reviewer).toMatchObject({ label: 'api-reviewer', contextValue: 'agentDefinition' });
    expect(reviewer.description).toBe('haiku · Read, Grep, Bash · Reviews HTTP handlers for input validation and error handling');
    expect(reviewer.command).toEqual({ command: OPEN_CATALOG_FILE_COMMAND, title: 'Open File', arguments: [files.reviewer] });
    expect(tooltip(tree, wsDefs[0])).toContain('Tools: Read, Grep, Bash');
    expect(tree.getParent(wsDefs[0])).toEqual(sources[0]);

    expect(homeDefs.map((n) => [label(tree, n), tree.getTreeItem(n).description, tree.getTreeItem(n).contextValue])).toEqual([
      ['doc-writer', 'tier from the plan · the role\'s tools · Writes module docs', 'agentDefinition'],
      ['api-reviewer', 'shadowed by .claude/agents/api-reviewer.md', 'agentDefinition.shadowed'],
    ]);
    expect(tree.getTreeItem(homeDefs[1]).command?.arguments).toEqual([files.homeReviewer]);

    const bad = tree.getTreeItem(orchDefs[0]);
    const err = c.agents.errors[0];
    expect(bad).toMatchObject({ label: 'bad', contextValue: 'agentDefinition.invalid', description: `bad.md:${err.line}:${err.column} — ${err.message}` });
    expect((bad.iconPath as unknown as ThemeIcon).id).toBe('error');
    expect(bad.command?.arguments).toEqual([files.bad, err.line, err.column]);
    dispose();
  });
});

describe('Run Workflow', () => {
  function setup(c: Catalogs | undefined) {
    const launcher = { orchestrateWorkflow: vi.fn(async () => undefined) };
    const catalog = { load: vi.fn(async () => c) };
    const cmds = new WorkflowCommands({ catalog, launcher, notices: { error: window.showErrorMessage, info: window.showInformationMessage }, home: null });
    return { launcher, catalog, cmds, run: (...args: unknown[]) => commands.registered.get(RUN_WORKFLOW_COMMAND)!(...args) };
  }

  it('picks a workflow, asks its parameters in order with their descriptions and defaults, then plans it with the values', async () => {
    const { ws, home } = fixture('run');
    const { launcher, cmds, run } = setup(await catalogsOf(ws, home));
    window.showQuickPick.mockImplementation(async (items: unknown) => (items as Array<{ label: string }>).find((i) => i.label === 'review-api'));
    const boxes: Array<{ title: string; prompt: string; value: string; validateInput(v: string): string | undefined }> = [];
    window.showInputBox.mockImplementation(async (o: unknown) => {
      const box = o as (typeof boxes)[number];
      boxes.push(box);
      return box.prompt === 'What to look for' ? 'error handling' : 'the team lead';
    });
    await run();
    const items = window.showQuickPick.mock.calls[0][0] as Array<{ label: string; description: string; detail: string }>;
    expect(items.map((i) => i.label)).toEqual(['review-api', '$(error) broken-review']);
    expect(items[0]).toMatchObject({ description: 'Review every API module for one concern, then summarise', detail: '.orchestration/workflows/review-api.yaml' });
    // A broken file is listed once, with its first problem, so the user learns why it cannot run.
    expect(items[1].detail).toMatch(/^broken-review\.yaml:7:\d+ — .* \(\+1 more\)$/);
    expect(boxes.map((b) => [b.title, b.prompt, b.value])).toEqual([
      ['Run Workflow review-api: concern (1/2)', 'What to look for', 'input validation'],
      ['Run Workflow review-api: audience (2/2)', 'Who reads the summary', ''],
    ]);
    expect(launcher.orchestrateWorkflow).toHaveBeenCalledWith({ workflow: 'review-api', params: { concern: 'error handling', audience: 'the team lead' } });
    cmds.dispose();
  });

  it('refuses an empty value in place for a parameter without a default, and takes the default for one emptied', async () => {
    const { ws, home } = fixture('empty-param');
    const { launcher, cmds, run } = setup(await catalogsOf(ws, home));
    window.showInputBox.mockImplementation(async (o: unknown) => {
      const box = o as { prompt: string; validateInput(v: string): string | undefined };
      if (box.prompt === 'Who reads the summary') {
        expect(box.validateInput('  ')).toBe('audience has no default: give it a value');
        expect(box.validateInput('x'.repeat(2_001))).toMatch(/at most 2,000 characters/);
        expect(box.validateInput('me')).toBeUndefined();
        return 'me';
      }
      expect(box.validateInput('')).toBeUndefined();
      return '';
    });
    await run('review-api');
    expect(window.showQuickPick).not.toHaveBeenCalled();
    expect(launcher.orchestrateWorkflow).toHaveBeenCalledWith({ workflow: 'review-api', params: { concern: 'input validation', audience: 'me' } });
    cmds.dispose();
  });

  it('runs nothing when Escape dismisses the pick or any parameter', async () => {
    const { ws, home } = fixture('escape');
    const { launcher, cmds, run } = setup(await catalogsOf(ws, home));
    await run();
    expect(window.showInputBox).not.toHaveBeenCalled();
    window.showQuickPick.mockImplementation(async (items: unknown) => (items as unknown[])[0]);
    window.showInputBox.mockResolvedValueOnce('error handling').mockResolvedValueOnce(undefined);
    await run();
    expect(window.showInputBox).toHaveBeenCalledTimes(2);
    expect(launcher.orchestrateWorkflow).not.toHaveBeenCalled();
    cmds.dispose();
  });

  it('takes the workflow from its tree node', async () => {
    const { ws, home } = fixture('node');
    const c = await catalogsOf(ws, home);
    const { launcher, cmds, run } = setup(c);
    window.showInputBox.mockResolvedValue('x');
    await run({ kind: 'workflowFile', found: c.workflows.workflows[0] } satisfies CatalogNode);
    expect(window.showQuickPick).not.toHaveBeenCalled();
    expect(launcher.orchestrateWorkflow).toHaveBeenCalledWith({ workflow: 'review-api', params: { concern: 'x', audience: 'x' } });
    cmds.dispose();
  });

  it('refuses a workflow that is not valid with its error, and Open File lands on the problem', async () => {
    const { ws, home, files } = fixture('refuse');
    const c = await catalogsOf(ws, home);
    const { launcher, cmds, run } = setup(c);
    window.showQuickPick.mockImplementation(async (items: unknown) => (items as Array<{ label: string }>).find((i) => i.label.includes('broken-review')));
    window.showErrorMessage.mockResolvedValueOnce('Open File');
    await run();
    const e = c.workflows.errors[0];
    expect(window.showErrorMessage).toHaveBeenCalledWith(`Workflow "broken-review" is not valid, so nothing ran: .orchestration/workflows/broken-review.yaml:7:${e.column}: ${e.message} (and 1 more in the file)`, 'Open File');
    expect(window.showTextDocument).toHaveBeenCalledWith(expect.objectContaining({ fsPath: files.broken }), expect.objectContaining({ selection: { start: { line: 6, character: e.column - 1 }, end: { line: 6, character: e.column - 1 } } }));
    expect(launcher.orchestrateWorkflow).not.toHaveBeenCalled();
    // By name too (the tree, a test): the same refusal, never a run.
    await run('broken-review');
    expect(window.showErrorMessage).toHaveBeenCalledTimes(2);
    await run('no-such-flow');
    expect(window.showErrorMessage).toHaveBeenLastCalledWith('No workflow named "no-such-flow" in .orchestration/workflows; found review-api.');
    expect(launcher.orchestrateWorkflow).not.toHaveBeenCalled();
    cmds.dispose();
  });

  it('refuses in Restricted Mode before reading anything, with the same explanation as Orchestrate Task', async () => {
    const { catalog, launcher, cmds, run } = setup(undefined);
    workspace.isTrusted = false;
    await run();
    expect(catalog.load).not.toHaveBeenCalled();
    expect(launcher.orchestrateWorkflow).not.toHaveBeenCalled();
    expect(window.showWarningMessage).toHaveBeenCalledWith(expect.stringMatching(/^Cannot run a workflow\. Orchestration is disabled in Restricted Mode/), 'Manage Workspace Trust');
    cmds.dispose();
  });

  it('offers to create a starter workflow when there is none, which then loads as valid', async () => {
    const ws = path.join(root, 'starter');
    mkdirSync(ws, { recursive: true });
    const c = await catalogsOf(ws, path.join(root, 'no-home'));
    const { cmds, run } = setup(c);
    window.showInformationMessage.mockResolvedValueOnce('Create Workflow');
    await run();
    const file = path.join(ws, '.orchestration', 'workflows', 'review-and-summarise.yaml');
    expect(readFileSync(file, 'utf8')).toBe(STARTER_WORKFLOW);
    expect(window.showTextDocument).toHaveBeenCalledWith(expect.objectContaining({ fsPath: file }), { preview: true });
    const again = await catalogsOf(ws, path.join(root, 'no-home'));
    expect(again.workflows.errors).toEqual([]);
    expect(again.workflows.workflows.map((w) => w.workflow.name)).toEqual(['review-and-summarise']);
    cmds.dispose();
  });

  it('opens a file at a line and column from the tree', async () => {
    const { cmds } = setup(undefined);
    await commands.registered.get(OPEN_CATALOG_FILE_COMMAND)!('/ws/a.yaml', 7, 5);
    expect(window.showTextDocument).toHaveBeenCalledWith(Uri.file('/ws/a.yaml'), { preview: true, selection: { start: { line: 6, character: 4 }, end: { line: 6, character: 4 } } });
    cmds.dispose();
  });
});

describe('CatalogModel', () => {
  it('reads again, debounced, when a watched file changes, and stops watching once disposed', async () => {
    const { ws, home } = fixture('watch');
    workspace.workspaceFolders = [{ uri: Uri.file(ws) }];
    const watchers: Array<{ pattern: { base: Uri; pattern: string }; change: EventEmitter<Uri>; dispose: ReturnType<typeof vi.fn> }> = [];
    workspace.createFileSystemWatcher = vi.fn((pattern: unknown) => {
      const change = new EventEmitter<Uri>();
      const w = { pattern: pattern as { base: Uri; pattern: string }, change, dispose: vi.fn(), onDidCreate: change.event, onDidChange: change.event, onDidDelete: change.event };
      watchers.push(w);
      return w;
    }) as never;
    const loader = vi.fn(engineCatalogs(home));
    const model = new CatalogModel(new RunLocation(), loader, silent, home);
    const changed = vi.fn();
    model.onDidChange(changed);
    expect(watchers.map((w) => [w.pattern.base.fsPath, w.pattern.pattern])).toEqual([
      [ws, '.orchestration/workflows/**'], [ws, '.orchestration/agents/**'], [ws, '.claude/agents/**'], [home, '.claude/agents/**'],
    ]);
    await vi.waitFor(() => expect(model.current()?.workflows.workflows.map((w) => w.workflow.name)).toEqual(['review-api']));
    const reads = loader.mock.calls.length;

    // A burst of saves is one read; the fixed file moves from the errors to the workflows.
    write(path.join(ws, '.orchestration', 'workflows', 'broken-review.yaml'), BROKEN.replace('[sumary]', '[review]').replace('{{stages.nope}}', '{{stages.review}}'));
    for (let i = 0; i < 5; i++) watchers[0].change.fire(Uri.file(path.join(ws, '.orchestration', 'workflows', 'broken-review.yaml')));
    await vi.waitFor(() => expect(model.current()?.workflows.workflows.map((w) => w.workflow.name).sort()).toEqual(['broken-review', 'review-api']));
    expect(loader.mock.calls.length).toBe(reads + 1);
    expect(model.current()?.workflows.errors).toEqual([]);
    expect(changed).toHaveBeenCalled();

    model.dispose();
    model.dispose();
    expect(watchers.every((w) => w.dispose.mock.calls.length === 1)).toBe(true);
  });
});

describe('CatalogModel without watcher events', () => {
  it('reads again every few seconds, so a file the watcher never reported still shows, and announces only a change', async () => {
    const { ws, home } = fixture('poll');
    workspace.workspaceFolders = [{ uri: Uri.file(ws) }];
    const quiet = new EventEmitter<Uri>();
    workspace.createFileSystemWatcher = vi.fn(() => ({ dispose: vi.fn(), onDidCreate: quiet.event, onDidChange: quiet.event, onDidDelete: quiet.event })) as never;
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] });
    try {
      const loader = vi.fn(engineCatalogs(home));
      const model = new CatalogModel(new RunLocation(), loader, silent, home);
      const changed = vi.fn();
      model.onDidChange(changed);
      await vi.advanceTimersByTimeAsync(1_500);
      await vi.waitFor(() => expect(model.current()?.workflows.workflows.map((w) => w.workflow.name)).toEqual(['review-api']));
      expect(changed).toHaveBeenCalledTimes(1);
      // Nothing changed on disk: the periodic read announces nothing (the tree is not redrawn).
      await vi.advanceTimersByTimeAsync(CATALOG_REREAD_MS + 1_500);
      await vi.waitFor(() => expect(loader.mock.calls.length).toBeGreaterThanOrEqual(2));
      expect(changed).toHaveBeenCalledTimes(1);
      // A fixed file no watcher reported: the next periodic read finds it.
      write(path.join(ws, '.orchestration', 'workflows', 'broken-review.yaml'), BROKEN.replace('[sumary]', '[review]').replace('{{stages.nope}}', '{{stages.review}}'));
      await vi.advanceTimersByTimeAsync(CATALOG_REREAD_MS + 1_500);
      await vi.waitFor(() => expect(model.current()?.workflows.workflows.map((w) => w.workflow.name).sort()).toEqual(['broken-review', 'review-api']));
      expect(changed).toHaveBeenCalledTimes(2);
      model.dispose();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the context menus of the new nodes (package.json when clauses)', () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as {
    contributes: { menus: Record<string, Array<{ command: string; when?: string; group?: string }>> };
  };
  // The same test VS Code makes: `viewItem =~ /re/` or `viewItem == x` against the item's contextValue.
  const offeredOn = (contextValue: string) => pkg.contributes.menus['view/item/context']
    .filter((m) => [...(m.when ?? '').matchAll(/viewItem =~ \/(.+?)\/(?= |\)|$)/g)].some(([, re]) => new RegExp(re.replace(/\\\\/g, '\\')).test(contextValue))
      || [...(m.when ?? '').matchAll(/viewItem == (\S+)/g)].some(([, v]) => v === contextValue))
    .map((m) => `${m.command}@${m.group?.startsWith('inline') ? 'inline' : 'menu'}`);

  it('offers Run Workflow inline on the Workflows node and each valid workflow, and no run or agent command on any of them', () => {
    expect(offeredOn('workflows')).toEqual([`${RUN_WORKFLOW_COMMAND}@inline`, `${RUN_WORKFLOW_COMMAND}@menu`]);
    expect(offeredOn('workflowFile')).toEqual([`${RUN_WORKFLOW_COMMAND}@inline`, `${RUN_WORKFLOW_COMMAND}@menu`]);
    for (const cv of ['workflowFile.invalid', 'agents', 'agentSource', 'agentDefinition', 'agentDefinition.shadowed', 'agentDefinition.invalid']) {
      expect(offeredOn(cv), cv).toEqual([]);
    }
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { patternNamed, type LedgerSnapshot } from '../../src/engine';
import { HostMessageSchema } from '../../src/shared/protocol';
import { LedgerTree } from '../../src/vscode/tree/ledgerTree';
import { RunLocation } from '../../src/vscode/location';
import { ArtifactReader, handoffSummary, NO_ARTIFACTS, parseConversation, parseSelection, parseTally } from '../../src/vscode/panels/summary/patternArtifacts';
import { RunStore, type LiveRun } from '../../src/vscode/runs/runStore';
import { groupsOf, PAGE_SIZE } from '../../src/vscode/runs/runShape';
import { buildRunView, runActions } from '../../src/vscode/panels/summary/summaryModel';
import type { LedgerNode, RunNode } from '../../src/vscode/tree/treeItems';
import { planItem } from '../../src/vscode/tree/treeItems';
import { agent, fakeRun, NOW, snapshot } from './vscode/fixtures';
import { mapReduceSnapshot, panelSnapshot, pipelineSnapshot, planner, supervisorSnapshot, tallyJson } from './vscode/patternFixtures';
import { MarkdownString, resetStub, ThemeIcon } from './vscode-stub';

const silent = { info() {}, warn() {}, error() {} };
const ws = mkdtempSync(path.join(tmpdir(), 'orch-pat-'));
afterAll(() => rmSync(ws, { recursive: true, force: true }));
beforeEach(() => resetStub());

function tree(s: LedgerSnapshot) {
  const store = new RunStore(new RunLocation(), silent);
  store.attach(fakeRun(s) as unknown as LiveRun);
  const t = new LedgerTree(store, undefined, () => NOW);
  return { t, store, dispose: () => { t.dispose(); store.dispose(); } };
}

const labelOf = (t: LedgerTree, n: LedgerNode) => t.getTreeItem(n).label;

describe('the Ledger tree per pattern', () => {
  it('shows a pipeline\'s stages in order between the Plan and the final step, never the planner as a row', async () => {
    const { t, dispose } = tree(pipelineSnapshot());
    const [run] = await t.getChildren();
    const children = await t.getChildren(run);
    expect(children.map((c) => labelOf(t, c))).toEqual(['Plan', '1. Research', '2. Outline', '3. Draft', '4. Review', 'final']);
    expect(children.some((c) => c.kind === 'agent' && c.agentId === 'planner')).toBe(false);
    const draft = t.getTreeItem(children[3]);
    expect(draft.description).toBe('0/1 · 1 failed');
    expect((draft.iconPath as unknown as ThemeIcon).id).toBe('error');
    expect(t.getTreeItem(children[4]).description).toBe('0/1 · 1 skipped');
    dispose();
  });

  it('puts the planner\'s record on the Plan node: pattern, shape, tokens and cost, and the reason in the tooltip', () => {
    const s = pipelineSnapshot();
    const item = planItem(s, '/ws/.orchestration/r');
    expect(item.description).toBe('pipeline · 4 stages · planner 2.1k tok · ≈$0.010');
    const tip = (item.tooltip as unknown as MarkdownString).value;
    expect(tip).toContain('pattern `pipeline`');
    expect(tip).toContain('Each step needs the previous one\\.');
    expect(tip).toMatch(/Planner: completed/);
    // While the planner still plans, the Plan node spins; a failed planner shows as failed.
    const planning = { ...s, status: 'planning' as const, agents: [planner({ status: 'running', endedAt: null })] };
    expect((planItem(planning, undefined).iconPath as unknown as ThemeIcon).id).toBe('loading~spin');
    const failed = { ...s, status: 'failed' as const, agents: [planner({ status: 'failed', error: 'no plan' })] };
    expect((planItem(failed, undefined).iconPath as unknown as ThemeIcon).id).toBe('error');
    expect((planItem(failed, undefined).tooltip as unknown as MarkdownString).value).toContain('no plan');
  });

  it('pages a map of 250 partitions 50 at a time, with counts, and finds an agent\'s page for reveal', async () => {
    const { t, dispose } = tree(mapReduceSnapshot(250));
    const [run] = await t.getChildren() as RunNode[];
    const children = await t.getChildren(run);
    expect(children.map((c) => labelOf(t, c))).toEqual(['Plan', 'Map: 250 partitions', 'Reduce level 1: 16 reducers', 'Reduce level 2: 1 reducer', 'final']);
    expect(t.getTreeItem(children[0]).description).toMatch(/^map-reduce · 250 mappers · 2 reduce levels · /);
    const map = children[1];
    expect(t.getTreeItem(map).description).toBe('240/250');
    const pages = await t.getChildren(map);
    expect(pages).toHaveLength(5);
    expect(pages.every((p) => p.kind === 'page')).toBe(true);
    expect(pages.map((p) => labelOf(t, p))).toEqual(['m1 – m50', 'm51 – m100', 'm101 – m150', 'm151 – m200', 'm201 – m250']);
    expect(t.getTreeItem(pages[4]).description).toBe('40/50');
    const rows = await t.getChildren(pages[4]);
    expect(rows).toHaveLength(PAGE_SIZE);
    expect(rows[0]).toEqual({ kind: 'agent', runId: run.runId, agentId: 'm201' });
    expect(t.getParent({ kind: 'agent', runId: run.runId, agentId: 'm120' })).toEqual({ kind: 'page', runId: run.runId, groupId: 'map', page: 2 });
    expect(t.getParent(pages[2])).toEqual(map);
    // A group of at most PAGE_SIZE lists its agents directly.
    const reduce = await t.getChildren(children[2]);
    expect(reduce.map((n) => n.kind)).toEqual(Array(16).fill('agent'));
    expect(t.getParent(reduce[0])).toEqual(children[2]);
    dispose();
  });

  it('groups a supervisor\'s agents by round and a panel\'s experts, with the consensus after the groups', async () => {
    const sup = tree(supervisorSnapshot());
    const [r1] = await sup.t.getChildren();
    expect((await sup.t.getChildren(r1)).map((c) => labelOf(sup.t, c))).toEqual(['Plan', 'Round 1', 'Round 2']);
    sup.dispose();
    const panel = tree(panelSnapshot());
    const [r2] = await panel.t.getChildren();
    const children = await panel.t.getChildren(r2);
    expect(children.map((c) => labelOf(panel.t, c))).toEqual(['Plan', 'Experts (3)', 'consensus']);
    panel.dispose();
  });

  it('falls back to the agents\' domain ids for a ledger written before groups existed', () => {
    const s = snapshot();
    expect(groupsOf(s).map((g) => g.label)).toEqual(['Domain a', 'Domain b']);
    const old = { ...pipelineSnapshot(), groups: undefined };
    expect(groupsOf(old).map((g) => g.id)).toEqual(['research', 'outline', 'draft', 'review']);
  });
});

const view = (s: LedgerSnapshot, art = NO_ARTIFACTS, written: string[] = []) =>
  HostMessageSchema.parse({ type: 'state', run: buildRunView(s, undefined, null, runActions(s, false), new Set(written), art) }).run!;

describe('the Summary model per pattern', () => {
  it('shows the pattern, the planner\'s reason and what planning cost', () => {
    const run = view(pipelineSnapshot());
    expect(run.pattern).toBe('pipeline');
    expect(run.patternReason).toBe('Each step needs the previous one.');
    expect(run.planner).toEqual({ status: 'completed', model: 'claude-haiku-5-5', tokens: 2100, costUsd: 0.0099 });
    expect(run.groups.flatMap((g) => g.agents.map((a) => a.id))).not.toContain('planner');
    // Planned without a model (a workflow, from its file): no "Planned by <model>: 0 tokens" line.
    const fromFile = pipelineSnapshot();
    fromFile.agents = fromFile.agents.map((a) => (a.role === 'planner' ? { ...a, requests: 0, usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, costUsd: 0 } : a));
    expect(view(fromFile).planner).toBeNull();
  });

  it('pipeline: stages in order with their handoff summaries, the failed stage and the skipped ones named', () => {
    const handoffs = new Map([['research', 'Found **3** modules.'], ['outline', 'Outlined them.']]);
    const run = view(pipelineSnapshot(), { ...NO_ARTIFACTS, handoffs }, ['handoffs/research.md', 'handoffs/outline.md']);
    expect(run.card?.kind).toBe('handoffs');
    if (run.card?.kind !== 'handoffs') return;
    expect(run.card.stages.map((st) => [st.id, st.name, st.status, st.handoff, st.handoffWritten])).toEqual([
      ['research', 'Research', 'completed', 'Found **3** modules.', true],
      ['outline', 'Outline', 'completed', 'Outlined them.', true],
      ['draft', 'Draft', 'failed', null, false],
      ['review', 'Review', 'skipped', null, false],
    ]);
    expect(run.card.failed).toBe('Draft');
    expect(run.card.skipped).toEqual(['Review']);
    expect(run.final?.status).toBe('skipped');
  });

  it('map-reduce: mappers done/total, each reduce level, excluded files by reason; big groups send a page of agents', () => {
    const selection = parseSelection({
      version: 1, selectedFiles: 250, mappers: Array(250).fill({}), reducers: [],
      excluded: Array.from({ length: 9 }, (_, i) => ({ path: `big${i}.bin`, reason: i < 6 ? 'binary' : 'too-large', detail: '' })),
    });
    const run = view(mapReduceSnapshot(250), { ...NO_ARTIFACTS, selection });
    if (run.card?.kind !== 'progress') throw new Error(`expected a map-reduce card, got ${run.card?.kind}`);
    expect(run.card.mappers).toEqual({ done: 240, failed: 0, total: 250 });
    expect(run.card.levels).toEqual([{ level: 1, done: 0, failed: 0, total: 16 }, { level: 2, done: 0, failed: 0, total: 1 }]);
    expect(run.card.selectedFiles).toBe(250);
    expect(run.card.excluded).toBe(9);
    expect(run.card.excludedByReason).toEqual([{ reason: 'binary', count: 6 }, { reason: 'too-large', count: 3 }]);
    expect(run.card.excludedSample).toHaveLength(8);
    const map = run.groups[0];
    expect([map.total, map.agents.length, map.more]).toEqual([250, PAGE_SIZE, 200]);
  });

  it('supervisor: one row per round with the workers it spawned and its prompt tokens from conversation.json', () => {
    const rounds = parseConversation({
      version: 1,
      rounds: [{ round: 1, messages: [], promptTokens: 4200, lastPromptTokens: 5000, returnTokens: 0, outcome: { kind: 'spawned', toolUseId: 't', otherResults: [], workers: [{}, {}] } }],
    });
    const run = view(supervisorSnapshot(), { ...NO_ARTIFACTS, rounds });
    if (run.card?.kind !== 'rounds') throw new Error('expected a supervisor card');
    expect(run.card.rounds).toEqual([
      { round: 1, status: 'completed', spawned: 2, workersDone: 1, promptTokens: 4200, returnTokens: 0, outcome: 'spawned' },
      { round: 2, status: 'pending', spawned: 0, workersDone: 0, promptTokens: null, returnTokens: null, outcome: null },
    ]);
  });

  it('panel: the consensus is the final answer; the verdict table comes from the tally, dissent and gaps marked', () => {
    const before = view(panelSnapshot());
    expect(before.final?.id).toBe('consensus');
    expect(before.others).toEqual([]);
    if (before.card?.kind !== 'verdicts') throw new Error('expected a panel card');
    expect(before.card.tally).toBeNull();
    expect(before.card.experts).toEqual({ done: 2, total: 3 });
    const run = view(panelSnapshot(), { ...NO_ARTIFACTS, tally: parseTally(tallyJson) }, ['experts/e1.md']);
    if (run.card?.kind !== 'verdicts' || !run.card.tally) throw new Error('expected a tally');
    expect(run.card.tally.line).toBe(tallyJson.line);
    expect(run.card.tally.experts.map((e) => [e.id, e.verdict, e.dissent, e.gap, e.written])).toEqual([
      ['e1', 'yes', false, null, true], ['e2', 'conditional', true, null, false], ['e3', null, false, 'failed', false],
    ]);
  });

  it('fan-out keeps its coordinator summaries and has no pattern card', () => {
    const s = snapshot({ agents: [planner(), ...snapshot().agents] });
    const run = view(s);
    expect(run.card).toBeNull();
    expect(run.groups[1].coordinator?.returned).toContain('**Fix**');
    expect(run.groups[0].agents.map((a) => a.id)).toEqual(['a1', 'a2']);
  });
});

describe('pattern files on disk', () => {
  it('reads the Summary section of a handoff the engine wrote', () => {
    const text = '# Research\n\n## Summary\nFound three modules.\nAll typed.\n\n## State\nx\n\n## Next action\ny\n\n## Artifacts\nNone\n\n<!-- DONE -->\n';
    expect(handoffSummary(text)).toBe('Found three modules.\nAll typed.');
    expect(handoffSummary('# no summary here')).toBeNull();
  });

  it('rejects malformed files instead of showing made-up numbers', () => {
    expect(parseTally({ line: 'x' })).toBeNull();
    expect(parseSelection({ selectedFiles: -1, mappers: [], excluded: [] })).toBeNull();
    expect(parseConversation({ rounds: [{ round: 0 }] })).toBeNull();
  });

  it('reads a run\'s files per pattern and re-reads one only after it changed', async () => {
    const dir = path.join(ws, 'run');
    mkdirSync(path.join(dir, 'handoffs'), { recursive: true });
    mkdirSync(path.join(dir, 'panel'), { recursive: true });
    writeFileSync(path.join(dir, 'handoffs', 'research.md'), '# R\n\n## Summary\nFirst.\n\n## State\ns\n');
    writeFileSync(path.join(dir, 'panel', 'tally.json'), '{ not json');
    const reader = new ArtifactReader();
    const pipe = await reader.read(dir, pipelineSnapshot(), patternNamed('pipeline')?.view.card);
    expect([...pipe.handoffs]).toEqual([['research', 'First.']]);
    expect((await reader.read(dir, panelSnapshot(), patternNamed('panel')?.view.card)).tally).toBeNull();
    writeFileSync(path.join(dir, 'panel', 'tally.json'), JSON.stringify(tallyJson));
    expect((await reader.read(dir, panelSnapshot(), patternNamed('panel')?.view.card)).tally?.answered).toBe(2);
    expect((await reader.read(dir, snapshot(), patternNamed('fan-out')?.view.card))).toBe(NO_ARTIFACTS);
    expect(agent().id).toBe('a1');
  });
});

import { describe, expect, it } from 'vitest';
import type { AgentRecord, AgentStatus, EngineEvent, LedgerSnapshot } from '../../src/engine';
import { DashboardViewSchema } from '../../src/shared/dashboardProtocol';
import { buildDashboard, density, distinctLabels, LANE_PAGE, ROW_LIMIT, RUN_LANE, segmentsOf, TransitionLog } from '../../src/vscode/panels/dashboard/dashboardModel';
import { buildLedger, doneThrough, finding, integrationFile, shipFile, tallyFile } from './vscode/buildFixtures';
import { agent, NOW, snapshot } from './vscode/fixtures';

const T0 = NOW - 60_000;
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
let seq = 0;
const ev = (id: string, status: AgentStatus, s: number): EngineEvent => ({ seq: ++seq, t: at(s), type: 'agent', id, status });

function log(...events: EngineEvent[]): TransitionLog {
  const l = new TransitionLog();
  for (const e of events) l.add(e);
  return l;
}

describe('timeline segments', () => {
  it('turns an agent\'s transitions into queued, running and verifying bars that end where the next state starts', () => {
    const l = log(ev('a1', 'queued', 0), ev('a1', 'running', 2), ev('a1', 'verifying', 10), ev('a1', 'completed', 11));
    const segs = segmentsOf(agent({ id: 'a1' }), l.of('a1'), NOW);
    expect(segs).toEqual([
      { s: 'queued', a: T0, b: T0 + 2000 },
      { s: 'running', a: T0 + 2000, b: T0 + 10_000 },
      { s: 'verifying', a: T0 + 10_000, b: T0 + 11_000 },
    ]);
  });

  it('shows a retry as its own bar between two runs', () => {
    const l = log(ev('b1', 'queued', 0), ev('b1', 'running', 1), ev('b1', 'retrying', 5), ev('b1', 'queued', 6), ev('b1', 'running', 7), ev('b1', 'failed', 9));
    expect(segmentsOf(agent({ id: 'b1', status: 'failed' }), l.of('b1'), NOW).map((s) => s.s)).toEqual(['queued', 'running', 'retrying', 'queued', 'running']);
  });

  it('ends a still-open bar at "now" while live, and at the agent\'s end once the ledger says it settled', () => {
    const l = log(ev('a2', 'queued', 0), ev('a2', 'running', 1));
    expect(segmentsOf(agent({ id: 'a2', status: 'running', endedAt: null }), l.of('a2'), NOW).at(-1)).toEqual({ s: 'running', a: T0 + 1000, b: NOW });
    const settled = agent({ id: 'a2', status: 'completed', endedAt: at(30) });
    expect(segmentsOf(settled, l.of('a2'), NOW).at(-1)?.b).toBe(T0 + 30_000);
  });

  it('falls back to the ledger\'s timestamps for a run without events', () => {
    const a = agent({ queuedAt: at(0), startedAt: at(4), endedAt: at(20) });
    expect(segmentsOf(a, [], NOW)).toEqual([{ s: 'queued', a: T0, b: T0 + 4000 }, { s: 'running', a: T0 + 4000, b: T0 + 20_000 }]);
    expect(segmentsOf(agent({ status: 'pending', queuedAt: null, startedAt: null, endedAt: null }), [], NOW)).toEqual([]);
  });

  it('counts each event once however often it arrives, in event order', () => {
    const first = ev('a1', 'queued', 0);
    const second = ev('a1', 'running', 1);
    const third = ev('a1', 'completed', 5);
    const l = new TransitionLog();
    expect(l.add(third)).toBe(true);
    expect(l.add(first)).toBe(true);
    expect(l.add(third)).toBe(false);
    l.add(second);
    l.add({ seq: ++seq, t: at(1), type: 'usage', id: 'a1', model: 'm', usage: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 }, costUsd: 0 });
    expect(l.of('a1').map((t) => t.status)).toEqual(['queued', 'running', 'completed']);
    expect(l.size).toBe(3);
  });
});

describe('buildDashboard', () => {
  it('groups agents as the pattern does, with the run-level agents last, on one time axis', () => {
    const s = snapshot();
    const l = log(ev('a1', 'queued', 0), ev('a1', 'running', 1), ev('a1', 'completed', 40), ev('a2', 'queued', 0), ev('a2', 'running', 10));
    const v = buildDashboard(s, undefined, l, { now: NOW });
    expect(DashboardViewSchema.parse(v)).toEqual(v);
    expect(v.lanes.map((x) => x.id)).toEqual(['a', 'b', RUN_LANE]);
    expect(v.lanes[0].rows.map((r) => r.id)).toEqual(['a1', 'a2', 'coord-a']);
    expect(v.live).toBe(true);
    expect(v.startedAt).toBe(at(0));
    expect(v.spanMs).toBe(60_000);
    const a2 = v.lanes[0].rows[1];
    expect(a2.segments).toEqual([{ s: 'queued', a: 0, b: 10_000 }, { s: 'running', a: 10_000, b: 60_000 }]);
  });

  it('sums spend by model and by role to the run\'s totals, most expensive first', () => {
    const s = snapshot({
      agents: [
        agent({ id: 'planner', role: 'planner', domain: null, tier: 'sonnet', modelReported: 'claude-sonnet-5-5', costUsd: 0.05 }),
        agent({ id: 'a1', costUsd: 0.01 }),
        agent({ id: 'a2', costUsd: 0.02 }),
        agent({ id: 'coord-a', role: 'coordinator', tier: 'sonnet', modelReported: 'claude-sonnet-5-5', costUsd: 0.1 }),
      ],
    });
    const v = buildDashboard(s, undefined, new TransitionLog(), { now: NOW });
    expect(v.byModel.map((r) => [r.key, r.agents])).toEqual([['claude-sonnet-5-5', 2], ['claude-haiku-5-5', 2]]);
    expect(v.byModel[0].costUsd).toBeCloseTo(0.15);
    expect(v.byRole.map((r) => r.key)).toEqual(['coordinator', 'planner', 'worker']);
    const sum = v.byRole.reduce((n, r) => n + r.costUsd, 0);
    expect(sum).toBeCloseTo(s.agents.reduce((n, a) => n + a.costUsd, 0));
    expect(v.byRole.find((r) => r.key === 'worker')?.tokens.input).toBe(5000);
    // The planner is spend, not one of the agents the run runs.
    expect(v.agents).toBe(3);
    expect(v.byStatus).toEqual({ completed: 3 });
  });

  it('compares the parent\'s context with the flat baseline only where the pattern measures it', () => {
    expect(buildDashboard(snapshot(), undefined, new TransitionLog(), { now: NOW }).context).toEqual({ parent: 1900, flat: 140_000 });
    const before = snapshot({ totals: { ...snapshot().totals, parentContextTokens: 0, flatBaselineTokens: 0 } });
    expect(buildDashboard(before, undefined, new TransitionLog(), { now: NOW }).context).toEqual({ parent: 0, flat: 0 });
    const pipeline = snapshot({ pattern: 'pipeline', totals: { ...snapshot().totals, parentContextTokens: 0, flatBaselineTokens: 0 } });
    expect(buildDashboard(pipeline, undefined, new TransitionLog(), { now: NOW }).context).toBeNull();
  });

  it('stops the clock for a run that is not live: an interrupted run\'s open bars end at its last record', () => {
    const s = snapshot({ status: 'interrupted', updatedAt: at(30), agents: [agent({ id: 'a2', status: 'running', endedAt: null })] });
    const v = buildDashboard(s, undefined, log(ev('a2', 'queued', 0), ev('a2', 'running', 5)), { now: NOW });
    expect(v.live).toBe(false);
    expect(v.lanes[0].rows.find((r) => r.id === 'a2')).toMatchObject({ status: 'interrupted', segments: [{ s: 'queued', a: 0, b: 5000 }, { s: 'running', a: 5000, b: 30_000 }] });
    expect(v.spanMs).toBe(30_000);
  });

  it('names the gaps', () => {
    const s = snapshot({ status: 'partial', gaps: [{ agentId: 'b1', outputFile: 'workers/b1.md', reason: 'no sentinel after 2 attempts' }] });
    expect(buildDashboard(s, undefined, new TransitionLog(), { now: NOW }).gaps).toEqual([{ agentId: 'b1', reason: 'no sentinel after 2 attempts' }]);
  });
});

/** A finished fan-out of `n` workers in `groups` domains, each worker queued, running and verifying once. */
function fleet(n: number, groups: number): { s: LedgerSnapshot; l: TransitionLog } {
  const l = new TransitionLog();
  const agents: AgentRecord[] = [];
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  for (let i = 0; i < n; i++) {
    const d = letters[i % groups];
    const id = `${d}${Math.floor(i / groups) + 1}`;
    agents.push(agent({ id, domain: d, status: i % 97 === 0 ? 'failed' : 'completed', outputFile: `workers/${id}.md` }));
    const start = (i % 50) * 2;
    l.add(ev(id, 'queued', start));
    l.add(ev(id, 'running', start + 1));
    l.add(ev(id, 'verifying', start + 30));
    l.add(ev(id, i % 97 === 0 ? 'failed' : 'completed', start + 31));
  }
  const idle = { status: 'pending' as const, queuedAt: null, startedAt: null, endedAt: null };
  for (let g = 0; g < groups; g++) agents.push(agent({ id: `coord-${letters[g]}`, role: 'coordinator', domain: letters[g], outputFile: `synthesis/${letters[g]}.md`, ...idle }));
  agents.push(agent({ id: 'final', role: 'final', domain: null, outputFile: 'summary.md', ...idle }));
  const s = snapshot({ status: 'completed', endedAt: at(200), agents, groups: Array.from({ length: groups }, (_, g) => ({ id: letters[g], label: `Domain ${letters[g]}` })) });
  return { s, l };
}

describe('a fleet of 1,000 agents', () => {
  const { s, l } = fleet(1000, 5);

  it('folds every big group into a density strip instead of 1,000 rows', () => {
    const v = buildDashboard(s, undefined, l, { now: NOW });
    const big = v.lanes.filter((x) => x.id !== RUN_LANE);
    expect(big).toHaveLength(5);
    for (const lane of big) {
      expect(lane.total).toBe(201);
      expect(lane.aggregated).toBe(true);
      expect(lane.rows).toEqual([]);
      expect(lane.density?.running).toHaveLength(v.bins);
      expect(lane.byStatus.completed + (lane.byStatus.failed ?? 0)).toBe(200);
      expect(lane.byStatus.pending).toBe(1);
    }
    expect(v.lanes.flatMap((x) => x.rows)).toHaveLength(1);
    // Small enough to post once a second.
    expect(JSON.stringify(DashboardViewSchema.parse(v)).length).toBeLessThan(40_000);
  });

  it('keeps each agent\'s time in the strip: agent-seconds running add up to the fleet\'s', () => {
    const v = buildDashboard(s, undefined, l, { now: NOW });
    const binSeconds = v.spanMs / 1000 / v.bins;
    const running = v.lanes.reduce((n, lane) => n + (lane.density?.running.reduce((a, b) => a + b, 0) ?? 0), 0) * binSeconds;
    expect(running).toBeCloseTo(1000 * 29, -1);
    expect(Math.max(...v.lanes.map((x) => x.density?.peak ?? 0))).toBeGreaterThan(1);
  });

  it('unfolds one group a page at a time', () => {
    const v = buildDashboard(s, undefined, l, { now: NOW, expanded: new Map([['b', 2]]) });
    const b = v.lanes.find((x) => x.id === 'b')!;
    expect(b.expanded).toBe(true);
    expect(b.pages).toBe(Math.ceil(201 / LANE_PAGE));
    expect(b.page).toBe(2);
    expect(b.first).toBe(2 * LANE_PAGE);
    expect(b.rows).toHaveLength(LANE_PAGE);
    expect(b.rows[0].id).toBe(s.agents.filter((a) => a.domain === 'b' && a.role === 'worker')[2 * LANE_PAGE].id);
    // A page past the end shows the last one.
    const last = buildDashboard(s, undefined, l, { now: NOW, expanded: new Map([['b', 99]]) }).lanes.find((x) => x.id === 'b')!;
    expect(last.page).toBe(last.pages - 1);
    expect(last.rows.at(-1)?.id).toBe('coord-b');
  });

  it('lists a group of up to ROW_LIMIT agents row by row', () => {
    const small = fleet(ROW_LIMIT * 2, 2);
    const v = buildDashboard(small.s, undefined, small.l, { now: NOW });
    // ROW_LIMIT workers and a coordinator: one more than the limit, so folded; one fewer worker is not.
    expect(v.lanes[0].aggregated).toBe(true);
    const smaller = fleet(ROW_LIMIT * 2 - 2, 2);
    expect(buildDashboard(smaller.s, undefined, smaller.l, { now: NOW }).lanes[0].aggregated).toBe(false);
  });
});

describe('density', () => {
  it('averages agents per state over each slice, splitting a bar across the slices it spans', () => {
    const d = density([
      { segments: [{ s: 'running', a: 0, b: 1500 }], settled: null, settledAt: null },
      { segments: [{ s: 'queued', a: 500, b: 1000 }], settled: null, settledAt: null },
    ], 2000, 2);
    expect(d.running).toEqual([1, 0.5]);
    expect(d.queued).toEqual([0.5, 0]);
  });

  it('counts the most agents at one moment as whole agents, never an average', () => {
    // Two agents overlap for 100 ms of a 1 s slice: the slice averages 1.1, the moment holds 2.
    const d = density([
      { segments: [{ s: 'running', a: 0, b: 600 }], settled: null, settledAt: null },
      { segments: [{ s: 'queued', a: 0, b: 500 }, { s: 'running', a: 500, b: 1000 }], settled: null, settledAt: null },
    ], 1000, 1);
    expect(d.running).toEqual([1.1]);
    expect(d.peak).toBe(2);
    // Queued then running back to back is one agent at a time, not two.
    expect(d.queuedPeak).toBe(1);
  });

  it('puts each settled agent under its outcome from the end of its last bar on', () => {
    const d = density([
      { segments: [{ s: 'running', a: 0, b: 1000 }], settled: 'completed', settledAt: 1000 },
      { segments: [{ s: 'queued', a: 0, b: 2000 }], settled: 'cancelled', settledAt: 2000 },
      { segments: [], settled: 'skipped', settledAt: 3000 },
    ], 4000, 4);
    expect(d.completed).toEqual([0, 1, 1, 1]);
    expect(d.cancelled).toEqual([0, 0, 1, 1]);
    expect(d.skipped).toEqual([0, 0, 0, 1]);
    expect(d.failed).toEqual([0, 0, 0, 0]);
  });
});

describe('row labels', () => {
  it('drops the words every agent of a role in the group shares, and keeps the full task for the tooltip', () => {
    const tasks = ['Inventory entry points and secrets in packages/pkg-001', 'Inventory entry points and secrets in packages/pkg-002'];
    const agents = tasks.map((task, i) => agent({ id: `b${i + 1}`, task, scope: [`packages/pkg-00${i + 1}`] }));
    const coord = agent({ id: 'coord-b', role: 'coordinator', task: 'Synthesise domain b (packages)' });
    const labels = distinctLabels([...agents, coord]);
    expect(labels.get('b1')).toBe('packages/pkg-001');
    expect(labels.get('b2')).toBe('packages/pkg-002');
    expect(labels.get('coord-b')).toBe('Synthesise domain b (packages)');
  });

  it('keeps a short shared word, and shows the scope when the tasks are the same', () => {
    const review = distinctLabels([agent({ id: 'a1', task: 'Review auth' }), agent({ id: 'a2', task: 'Review billing' })]);
    expect([review.get('a1'), review.get('a2')]).toEqual(['Review auth', 'Review billing']);
    const same = distinctLabels([agent({ id: 'a1', task: 'Audit this folder', scope: ['src/a'] }), agent({ id: 'a2', task: 'Audit this folder', scope: ['src/b'] })]);
    expect([same.get('a1'), same.get('a2')]).toEqual(['src/a', 'src/b']);
  });

  it('sends rows with the distinguishing label and the whole task', () => {
    const { s, l } = fleet(60, 2);
    const v = buildDashboard(s, undefined, l, { now: NOW, expanded: new Map([['a', 0]]) });
    const row = v.lanes[0].rows[0];
    expect(row.task).toBe(s.agents.find((a) => a.id === row.id)!.task);
    expect(row.label.length).toBeLessThanOrEqual(row.task.length);
  });
});

describe('counts', () => {
  it('takes done/total from runProgress: completed of the plan\'s agents, the planner left out', () => {
    const s = snapshot({
      agents: [
        agent({ id: 'planner', role: 'planner', domain: null }),
        agent({ id: 'a1', status: 'completed' }), agent({ id: 'a2', status: 'failed' }), agent({ id: 'a3', status: 'cancelled' }),
        agent({ id: 'a4', status: 'running', endedAt: null }),
      ],
    });
    const v = buildDashboard(s, undefined, new TransitionLog(), { now: NOW });
    expect(v.progress).toEqual({ done: 1, total: 4, active: 1, waiting: 0, failed: 1, cancelled: 1, skipped: 0 });
  });
});

describe('the board and the pipeline in the dashboard', () => {
  it('gives a build run a board that moves as the ledger changes, and the pipeline\'s outcome from its files', () => {
    const planned = buildDashboard(buildLedger({}, { status: 'awaiting-approval' }), undefined, new TransitionLog(), { now: NOW });
    expect(DashboardViewSchema.parse(planned)).toEqual(planned);
    expect(planned.board?.cards.map((c) => [c.id, c.column])).toEqual([['b1', 'plan'], ['b2', 'plan']]);
    expect(planned.actions).toEqual({ showSummary: true, shipToBranch: false });

    const working = buildDashboard(buildLedger({ b1: { status: 'running', endedAt: null }, b2: { status: 'verifying', endedAt: null } }), undefined, new TransitionLog(), { now: NOW });
    expect(working.board?.cards.map((c) => [c.id, c.column, c.state])).toEqual([['b1', 'code', 'active'], ['b2', 'check', 'active']]);

    const files = { integration: integrationFile('passed'), tally: tallyFile([finding({ severity: 'major', status: 'fixed' })]), ship: shipFile() };
    const done = buildDashboard(buildLedger(doneThrough('assemble'), { status: 'completed' }), undefined, new TransitionLog(), {
      now: NOW, files, written: new Set(['checks/integration-0.log']),
    });
    expect(DashboardViewSchema.parse(done)).toEqual(done);
    expect(done.board?.cards.map((c) => [c.id, c.column, c.state])).toEqual([['b1', 'ship', 'done'], ['b2', 'ship', 'done']]);
    expect(done.board?.cards[1].findings).toEqual({ critical: 0, major: 1, minor: 0 });
    expect(done.pipeline?.integration).toMatchObject({ state: 'passed', log: 'checks/integration-0.log' });
    expect(done.pipeline?.harden).toMatchObject({ state: 'done', major: 1 });
    expect(done.pipeline?.ship).toMatchObject({ state: 'shipped', branch: 'orchestration/20250601-115500-ab12' });
    // A finished build offers Ship to Branch (the command says by name what would refuse it).
    expect(done.actions).toEqual({ showSummary: true, shipToBranch: true });
  });

  it('stops a builder that failed its check in Check, from its transitions', () => {
    const l = log(ev('b1', 'queued', 0), ev('b1', 'running', 1), ev('b1', 'verifying', 20), ev('b1', 'failed', 25));
    const v = buildDashboard(buildLedger({ b1: { status: 'failed', error: 'exit 1' } }), undefined, l, { now: NOW });
    expect(v.board?.cards[0]).toMatchObject({ column: 'check', state: 'blocked', blocked: { kind: 'check-failed', reason: 'The check failed: exit 1' } });
  });

  it('has neither a board nor a pipeline for a run without builders', () => {
    const v = buildDashboard(snapshot(), undefined, new TransitionLog(), { now: NOW });
    expect(v.board).toBeNull();
    expect(v.pipeline).toBeNull();
  });
});

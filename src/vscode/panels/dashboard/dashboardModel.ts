/**
 * Builds the run dashboard's state: a timeline of every agent from its `agent` events (or, for
 * ledgers without events, its timestamps), grouped as the pattern groups them, with big groups
 * folded into density strips; spend by model and by role; the parent's context against the flat
 * baseline; the gaps. Pure (no vscode), so it is unit-tested and benchmarked directly.
 */
import { mayOfferShip, type AgentRecord, type AgentStatus, type AnyPlan, type EngineEvent, type LedgerSnapshot, type Usage } from '../../../engine';
import { runProgress } from '../../../engine/ledger/progress';
import { offersFindings } from '../../commands/findingsOffer';
import {
  FLIGHT_STATES, SETTLED_STATES, type BatchView, type DashboardView, type Density, type FlightState, type Lane, type Segment, type SettledState, type SpendRow, type TimelineRow,
} from '../../../shared/dashboardProtocol';
import { buildBoard } from './boardModel';
import { batchAnswered, batchTotal, shortBatchId } from '../../runs/batchView';
import { NO_PIPELINE_FILES, pipelineView, type PipelineFiles } from './boardPipeline';
import { groupAgents, groupLabel, groupsOf, isInFlight, patternOf, runLevelAgents, shownStatus, startedByOf, viewOf } from '../../runs/runShape';

/** A lane with more agents than this is drawn as a density strip until the user unfolds it. */
export const ROW_LIMIT = 24;
/** An unfolded big lane lists this many rows a page. */
export const LANE_PAGE = 50;
/** Slices of the time axis a density strip averages over. */
export const DENSITY_BINS = 120;
/** The lane of agents outside any group (final synthesis, consensus, a single agent). */
export const RUN_LANE = '(run)';

export interface Transition { seq: number; t: number; status: AgentStatus }

/**
 * Every agent's status changes, each event once however many times it is seen (the live stream and
 * events.jsonl overlap), kept in event order.
 */
export class TransitionLog {
  private readonly seen = new Set<number>();
  private readonly byAgent = new Map<string, Transition[]>();

  /** Adds an event if it is an agent transition not seen before; true when it changed the log. */
  add(e: EngineEvent): boolean {
    if (e.type !== 'agent' || this.seen.has(e.seq)) return false;
    const t = Date.parse(e.t);
    if (!Number.isFinite(t)) return false;
    this.seen.add(e.seq);
    const list = this.byAgent.get(e.id) ?? [];
    const tr = { seq: e.seq, t, status: e.status };
    // Almost always in order; a file read that lands after live events inserts behind them.
    let i = list.length;
    while (i > 0 && list[i - 1].seq > e.seq) i--;
    list.splice(i, 0, tr);
    this.byAgent.set(e.id, list);
    return true;
  }

  of(agentId: string): readonly Transition[] {
    return this.byAgent.get(agentId) ?? [];
  }

  get size(): number {
    return this.seen.size;
  }
}

const FLIGHT: ReadonlySet<string> = new Set(FLIGHT_STATES);
const SETTLED: ReadonlySet<AgentStatus> = new Set(SETTLED_STATES);
const SETTLED_OUTCOMES: ReadonlySet<string> = SETTLED;

interface AbsSegment { s: FlightState; a: number; b: number }

const parse = (iso: string | null): number | null => {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
};

/**
 * An agent's bars in wall-clock ms. From its transitions when there are any: each in-flight state
 * lasts until the next transition; one still open ends at `openEnd` (now, while the run is live).
 * Without events, the ledger's timestamps give a queued bar and one running bar.
 */
export function segmentsOf(a: AgentRecord, transitions: readonly Transition[], openEnd: number): AbsSegment[] {
  const out: AbsSegment[] = [];
  if (transitions.length) {
    let open: { s: FlightState; a: number } | null = null;
    for (const tr of transitions) {
      if (open && tr.t >= open.a) out.push({ s: open.s, a: open.a, b: tr.t });
      open = FLIGHT.has(tr.status) ? { s: tr.status as FlightState, a: tr.t } : null;
    }
    if (open) {
      // The ledger may already say the agent settled (its closing event not read yet): end there.
      const end = SETTLED.has(a.status) ? (parse(a.endedAt) ?? openEnd) : openEnd;
      out.push({ s: open.s, a: open.a, b: Math.max(open.a, end) });
    }
    return out;
  }
  const queued = parse(a.queuedAt);
  const started = parse(a.startedAt);
  const ended = parse(a.endedAt);
  if (queued !== null && started !== null && queued < started) out.push({ s: 'queued', a: queued, b: started });
  if (started !== null) out.push({ s: 'running', a: started, b: Math.max(started, ended ?? openEnd) });
  else if (queued !== null && !SETTLED.has(a.status)) out.push({ s: 'queued', a: queued, b: Math.max(queued, openEnd) });
  return out;
}

function countBy(keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

const tokensOf = (u: Usage): number => u.input + u.output + u.cacheRead + u.cacheWrite;
const round2 = (x: number): number => Math.round(x * 100) / 100;

function spend(agents: readonly AgentRecord[], key: (a: AgentRecord) => string): SpendRow[] {
  const rows = new Map<string, SpendRow>();
  for (const a of agents) {
    const k = key(a);
    const r = rows.get(k) ?? { key: k, costUsd: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, agents: 0 };
    r.costUsd += a.costUsd;
    r.tokens.input += a.usage.input;
    r.tokens.output += a.usage.output;
    r.tokens.cacheRead += a.usage.cacheRead;
    r.tokens.cacheWrite += a.usage.cacheWrite;
    r.agents++;
    rows.set(k, r);
  }
  return [...rows.values()].sort((x, y) => y.costUsd - x.costUsd || tokensOf(y.tokens) - tokensOf(x.tokens) || x.key.localeCompare(y.key));
}

/** One agent of a density strip: its bars, and how and when (ms on the axis) it ended, if it has. */
export interface DensityInput { segments: readonly Segment[]; settled: SettledState | null; settledAt: number | null }

/** The most segments of `states` open at one moment (a segment ending where the next begins counts once). */
function mostAtOnce(agents: readonly DensityInput[], states: ReadonlySet<FlightState>): number {
  const edges: [number, number][] = [];
  for (const { segments } of agents) for (const { s, a, b } of segments) if (states.has(s) && b > a) edges.push([a, 1], [b, -1]);
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (now += d));
  return most;
}

const AT_WORK: ReadonlySet<FlightState> = new Set(['running', 'verifying', 'retrying']);
const QUEUED: ReadonlySet<FlightState> = new Set(['queued']);

/**
 * Time-averaged agents per state in each of `bins` slices of [0, span): the in-flight states from
 * their bars, and each settled agent under its outcome from the end of its last bar on. The peaks
 * are whole agents at one moment, not averages, so a label never says "1.9 at work".
 */
export function density(agents: readonly DensityInput[], spanMs: number, bins: number): Density {
  const zeros = (): number[] => new Array<number>(bins).fill(0);
  const d: Record<FlightState | SettledState, number[]> = {
    queued: zeros(), running: zeros(), verifying: zeros(), retrying: zeros(),
    completed: zeros(), failed: zeros(), cancelled: zeros(), skipped: zeros(),
  };
  const width = Math.max(spanMs, 1) / bins;
  const add = (into: number[], a: number, b: number): void => {
    if (b <= a) return;
    const first = Math.min(bins - 1, Math.max(0, Math.floor(a / width)));
    const last = Math.min(bins - 1, Math.floor((b - 1e-9) / width));
    for (let k = first; k <= last; k++) {
      const overlap = Math.min(b, (k + 1) * width) - Math.max(a, k * width);
      if (overlap > 0) into[k] += overlap / width;
    }
  };
  const end = width * bins;
  for (const agent of agents) {
    for (const { s, a, b } of agent.segments) add(d[s], a, b);
    if (agent.settled) {
      const from = agent.segments.length ? Math.max(...agent.segments.map((x) => x.b)) : (agent.settledAt ?? end);
      // Settled at the very end of the axis still shows in the last slice.
      add(d[agent.settled], Math.min(from, end - width / 2), end);
    }
  }
  const out = Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.map(round2)])) as Record<FlightState | SettledState, number[]>;
  return { ...out, peak: mostAtOnce(agents, AT_WORK), queuedPeak: mostAtOnce(agents, QUEUED) };
}

const words = (s: string): string[] => s.split(/\s+/).filter(Boolean);
/** Shared words shorter than this stay in the label: "Review …" still reads as part of each task. */
const BOILERPLATE_CHARS = 12;

/**
 * What tells each agent from the others of its role in one group: its task without the words at
 * the start and the end that they all share ("Inventory entry points and secrets in …"), or its
 * scope when nothing else differs. One agent of its role keeps its whole task.
 */
export function distinctLabels(agents: readonly Pick<AgentRecord, 'id' | 'role' | 'task' | 'scope'>[]): Map<string, string> {
  const byRole = new Map<string, (typeof agents)[number][]>();
  for (const a of agents) {
    const same = byRole.get(a.role);
    if (same) same.push(a);
    else byRole.set(a.role, [a]);
  }
  const out = new Map<string, string>();
  for (const same of byRole.values()) {
    const split = same.map((a) => words(a.task));
    let pre = 0;
    let suf = 0;
    if (same.length > 1) {
      const [first] = split;
      const shortest = Math.min(...split.map((w) => w.length));
      while (pre < shortest && split.every((w) => w[pre] === first[pre])) pre++;
      while (suf < shortest - pre && split.every((w) => w[w.length - 1 - suf] === first[first.length - 1 - suf])) suf++;
      if (first.slice(0, pre).join(' ').length < BOILERPLATE_CHARS) pre = 0;
      if (first.slice(first.length - suf).join(' ').length < BOILERPLATE_CHARS) suf = 0;
    }
    same.forEach((a, i) => {
      const rest = split[i].slice(pre, split[i].length - suf).join(' ');
      out.set(a.id, (rest || a.scope.join(', ') || a.task).slice(0, 300));
    });
  }
  return out;
}

export interface DashboardOptions {
  now: number;
  /** Big lanes the user unfolded, with the page shown. */
  expanded?: ReadonlyMap<string, number>;
  bins?: number;
  rowLimit?: number;
  pageSize?: number;
  /** A build's integration.json, harden/tally.json and ship.json, as the host read them. */
  files?: PipelineFiles;
  /** Run-relative files known to exist (the integration log is linked only then). */
  written?: ReadonlySet<string>;
}

/** The dashboard's state for one run. `transitions` holds what events.jsonl and the live stream said. */
export function buildDashboard(s: LedgerSnapshot, plan: AnyPlan | undefined, transitions: TransitionLog, opts: DashboardOptions): DashboardView {
  const { now } = opts;
  const bins = opts.bins ?? DENSITY_BINS;
  const rowLimit = opts.rowLimit ?? ROW_LIMIT;
  const pageSize = opts.pageSize ?? LANE_PAGE;
  const expanded = opts.expanded ?? new Map<string, number>();
  const pattern = patternOf(s, plan);
  const live = s.status === 'running' || s.status === 'planning' || s.agents.some((a) => isInFlight(a, s.status) && a.status !== 'queued');
  // A run that is not live ends its open bars where its record ends, not at a clock that keeps going.
  const stillEnd = parse(s.endedAt) ?? parse(s.updatedAt) ?? now;
  const openEnd = live ? now : stillEnd;

  const groups = groupsOf(s, plan).map((g, i) => ({ id: g.id, label: groupLabel(pattern, g, i), agents: groupAgents(s, g.id) }));
  const runLevel = runLevelAgents(s);
  if (runLevel.length) groups.push({ id: RUN_LANE, label: 'Run', agents: runLevel });

  const abs = new Map<string, AbsSegment[]>();
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const g of groups) {
    for (const a of g.agents) {
      const segs = segmentsOf(a, transitions.of(a.id), openEnd);
      abs.set(a.id, segs);
      for (const seg of segs) { t0 = Math.min(t0, seg.a); t1 = Math.max(t1, seg.b); }
    }
  }
  const started = Number.isFinite(t0);
  if (!started) t0 = parse(s.startedAt) ?? now;
  if (live) t1 = Math.max(t1, now);
  const spanMs = Math.max(1000, Math.round((Number.isFinite(t1) ? t1 : t0) - t0));
  const rel = (a: AgentRecord): Segment[] => (abs.get(a.id) ?? []).map((x) => ({ s: x.s, a: Math.round(x.a - t0), b: Math.round(x.b - t0) }));
  const labels = new Map<string, string>();
  for (const g of groups) for (const [id, label] of distinctLabels(g.agents)) labels.set(id, label);
  const row = (a: AgentRecord): TimelineRow => ({
    id: a.id, label: labels.get(a.id) ?? a.task.slice(0, 300), task: a.task.slice(0, 2000), role: a.role, status: shownStatus(a, s.status), tier: a.tier,
    model: a.modelReported ?? a.modelRequested, attempts: a.attempts, costUsd: a.costUsd, tokens: tokensOf(a.usage), segments: rel(a),
  });

  const densityInput = (a: AgentRecord, segments: Segment[]): DensityInput => {
    const st = shownStatus(a, s.status);
    const ended = parse(a.endedAt);
    return { segments, settled: SETTLED_OUTCOMES.has(st) ? st as SettledState : null, settledAt: ended === null ? null : ended - t0 };
  };
  const lanes: Lane[] = groups.map((g) => {
    const byStatus = countBy(g.agents.map((a) => shownStatus(a, s.status)));
    const aggregated = g.agents.length > rowLimit;
    const pages = aggregated ? Math.ceil(g.agents.length / pageSize) : 1;
    const open = aggregated && expanded.has(g.id);
    const page = open ? Math.min(Math.max(0, expanded.get(g.id) ?? 0), pages - 1) : 0;
    const shown = !aggregated ? g.agents : open ? g.agents.slice(page * pageSize, (page + 1) * pageSize) : [];
    return {
      id: g.id, label: g.label, total: g.agents.length, byStatus, aggregated, expanded: open,
      rows: shown.map(row), first: open ? page * pageSize : 0, page, pages,
      density: aggregated ? density(g.agents.map((a) => densityInput(a, rel(a))), spanMs, bins) : null,
    };
  });

  const files = opts.files ?? NO_PIPELINE_FILES;
  const pipeline = pipelineView(s, files, opts.written);
  const board = buildBoard(s, files, { history: transitions, labels, pipeline });

  const t = s.totals;
  // The planner's record counts in spend (role planner), not among the agents the run runs.
  const counted = s.agents.filter((a) => a.role !== 'planner');
  return {
    runId: s.runId, task: s.task, status: s.status, pattern, simulated: s.simulated, fixFindings: !live && offersFindings(s), startedBy: startedByOf(s), live,
    startedAt: started ? new Date(t0).toISOString() : null, spanMs, bins, lanes,
    agents: counted.length,
    progress: (({ done, total, active, waiting, failed, cancelled, skipped }) => ({ done, total, active, waiting, failed, cancelled, skipped }))(runProgress(s.agents)),
    byStatus: countBy(counted.map((a) => shownStatus(a, s.status))),
    costUsd: t.costUsd, usage: { ...t.usage },
    byModel: spend(s.agents, (a) => a.modelReported ?? a.modelRequested),
    byRole: spend(s.agents, (a) => a.role),
    // A pattern that measures it does so when its final step runs; the others never do.
    context: t.flatBaselineTokens > 0 || viewOf(pattern).measuresParentContext ? { parent: t.parentContextTokens, flat: t.flatBaselineTokens } : null,
    estimate: s.estimate,
    gaps: s.gaps.map((g) => ({ agentId: g.agentId, reason: g.reason.slice(0, 2000) })),
    board, pipeline,
    actions: { showSummary: true, shipToBranch: !live && mayOfferShip(s) },
    ...batchViews(s),
  };
}

/** A run holds a batch per round of retries at most, so this many is every batch in practice. */
export const BATCHES_SHOWN = 100;

/** The run's batches for the dashboard: the newest BATCHES_SHOWN, oldest first, with the rest counted. */
export function batchViews(s: Pick<LedgerSnapshot, 'batches'>): { batches: BatchView[]; batchesMore: number } {
  const all = s.batches ?? [];
  const shown = all.slice(-BATCHES_SHOWN);
  return {
    batchesMore: all.length - shown.length,
    batches: shown.map((b) => ({
      id: b.id.slice(0, 200), short: shortBatchId(b.id).slice(0, 40), status: b.status, submittedAt: b.submittedAt.slice(0, 40),
      requests: batchTotal(b), answered: batchAnswered(b), counts: { ...b.counts },
      notes: b.notes.slice(-50).map((n) => n.slice(0, 500)),
    })),
  };
}

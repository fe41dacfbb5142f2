import pLimit, { type LimitFunction } from 'p-limit';
import { TIERS, type Tier } from '../types';

export interface ScheduleNode {
  id: string;
  tier: Tier;
  dependsOn: string[];
  /** Higher runs first among ready nodes: nodes that unblock others shorten the critical path. */
  priority: number;
  /** Depth in the graph (workers 0, coordinators 1, final 2): waves mode runs one depth at a time. */
  depth: number;
  /**
   * Its work waits in a Message Batch rather than on a connection, so it holds no slot of the
   * caps: it starts as soon as it is ready (batch mode's thousands of mappers in one batch).
   */
  unbounded?: boolean;
}

/** What the scheduler asks right before dispatching a node. */
export type Admission = { run: true } | { run: false; reason: string };

export interface ScheduleOptions {
  maxConcurrent: number;
  tierCaps: Record<Tier, number>;
  mode: 'continuous' | 'waves';
  signal: AbortSignal;
  /** Runs one node until it has settled. Must not throw; the outcome lives in the ledger. */
  run(id: string, signal: AbortSignal): Promise<void>;
  /** Called just before a node would start: the failure breaker, the budget and terminal stops say no here. */
  admit(id: string): Admission;
  /** A node will not run (its admission was refused or the run was aborted before it started). */
  skip(id: string, reason: string, cancelled: boolean): void;
  /** A node entered the ready queue. */
  queued?(id: string): void;
  /**
   * Receives, before any node starts, the way to add nodes while the graph runs (a supervisor's
   * workers and its next round). Added nodes obey the same caps, priorities and abort; a dependency
   * that has already settled counts as met, an unknown one is ignored, as in the initial list.
   */
  grow?(add: (nodes: ScheduleNode[]) => void): void;
}

export interface ScheduleStats {
  peakOverall: number;
  peakByTier: Record<Tier, number>;
}

/**
 * Runs a dependency graph under a global cap and per-tier caps. Continuous mode starts a ready
 * node the moment a slot frees; waves mode reproduces classic batch-and-verify (a batch of up to
 * `maxConcurrent` nodes of one depth, then wait for the whole batch) for comparison.
 *
 * Ordering is ours (priority, then plan order); p-limit holds the hard caps as an invariant, so a
 * bug in the ordering can delay work but never exceed a cap. Ready nodes wait in one sorted queue
 * per tier, so starting a node looks at three queue heads, not at every ready node: the work per
 * event does not grow with the size of the graph.
 */
export async function schedule(nodes: ScheduleNode[], opts: ScheduleOptions): Promise<ScheduleStats> {
  const global = pLimit(opts.maxConcurrent);
  const tierLimits: Record<Tier, LimitFunction> = {
    haiku: pLimit(opts.tierCaps.haiku), sonnet: pLimit(opts.tierCaps.sonnet), opus: pLimit(opts.tierCaps.opus),
  };
  const order = new Map(nodes.map((n, i) => [n.id, i]));
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const settledIds = new Set<string>();
  /** Wires a node's dependencies; those already settled are met. */
  const link = (n: ScheduleNode): void => {
    const deps = n.dependsOn.filter((d) => byId.has(d) && !settledIds.has(d));
    waitingOn.set(n.id, deps.length);
    for (const d of deps) {
      const list = dependents.get(d);
      if (list) list.push(n.id); else dependents.set(d, [n.id]);
    }
  };
  for (const n of nodes) link(n);
  /** Runs before `b`: higher priority first, then plan order. */
  const before = (a: ScheduleNode, b: ScheduleNode): boolean =>
    a.priority !== b.priority ? a.priority > b.priority : order.get(a.id)! < order.get(b.id)!;
  const ready: Record<Tier, ScheduleNode[]> = { haiku: [], sonnet: [], opus: [] };
  let readyCount = 0;
  /** Ready unbounded nodes, started by the next pump whatever the caps. */
  const readyUnbounded: ScheduleNode[] = [];
  const enqueue = (n: ScheduleNode): void => {
    if (n.unbounded) {
      readyUnbounded.push(n);
      opts.queued?.(n.id);
      return;
    }
    const q = ready[n.tier];
    let lo = 0;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(q[mid], n)) lo = mid + 1; else hi = mid;
    }
    q.splice(lo, 0, n);
    readyCount++;
    opts.queued?.(n.id);
  };
  const dequeue = (tier: Tier, i = 0): ScheduleNode => {
    readyCount--;
    return ready[tier].splice(i, 1)[0];
  };

  const runningByTier: Record<Tier, number> = { haiku: 0, sonnet: 0, opus: 0 };
  const stats: ScheduleStats = { peakOverall: 0, peakByTier: { haiku: 0, sonnet: 0, opus: 0 } };
  let running = 0;
  let settled = 0;
  let total = nodes.length;
  let done = false;
  for (const n of nodes) if (waitingOn.get(n.id) === 0) enqueue(n);

  return new Promise<ScheduleStats>((resolve) => {
    const finishIfDone = (): void => { if (!done && settled === total) { done = true; resolve(stats); } };

    const settle = (id: string): void => {
      settled++;
      settledIds.add(id);
      for (const dep of dependents.get(id) ?? []) {
        const left = waitingOn.get(dep)! - 1;
        waitingOn.set(dep, left);
        if (left === 0) enqueue(byId.get(dep)!);
      }
    };

    const tierFree = (t: Tier): boolean => runningByTier[t] < opts.tierCaps[t];

    /** Admits and starts one node, or skips it (which may make others ready). */
    const dispatch = (n: ScheduleNode): void => {
      const admission = opts.admit(n.id);
      if (admission.run) { start(n); return; }
      opts.skip(n.id, admission.reason, false);
      settle(n.id);
    };

    /** The best head among the tiers that have a free slot. */
    const nextContinuous = (): Tier | null => {
      let best: Tier | null = null;
      for (const t of TIERS) {
        const head = ready[t][0];
        if (head && tierFree(t) && (best === null || before(head, ready[best][0]))) best = t;
      }
      return best;
    };

    /** Starts a batch of the shallowest ready depth, best first, as far as the caps allow. */
    const startWave = (): void => {
      let depth = Infinity;
      for (const t of TIERS) for (const n of ready[t]) depth = Math.min(depth, n.depth);
      const batch = TIERS.flatMap((t) => ready[t].filter((n) => n.depth === depth))
        .sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
      for (const n of batch) {
        if (running >= opts.maxConcurrent) break;
        if (!tierFree(n.tier)) continue;
        dequeue(n.tier, ready[n.tier].indexOf(n));
        dispatch(n);
      }
    };

    const pump = (): void => {
      if (opts.signal.aborted) {
        // Nothing new starts; every node not yet started is skipped as cancelled, dependents included.
        while (readyCount > 0 || readyUnbounded.length > 0) {
          const t = TIERS.find((x) => ready[x].length > 0);
          const n = t ? dequeue(t) : readyUnbounded.shift()!;
          opts.skip(n.id, 'run cancelled', true);
          settle(n.id);
        }
        finishIfDone();
        return;
      }
      // A refused admission settles a node at once and can make more ready: drain until none is.
      while (readyUnbounded.length > 0) dispatch(readyUnbounded.shift()!);
      if (opts.mode === 'waves') {
        // A refused admission settles nodes at once, which can make a new depth ready: repeat until a batch runs.
        while (running === 0 && readyCount > 0) startWave();
      } else {
        while (running < opts.maxConcurrent) {
          const t = nextContinuous();
          if (t === null) break;
          dispatch(dequeue(t));
        }
      }
      finishIfDone();
    };

    const start = (n: ScheduleNode): void => {
      if (n.unbounded) {
        void opts.run(n.id, opts.signal).catch(() => undefined).finally(() => {
          settle(n.id);
          pump();
        });
        return;
      }
      running++;
      runningByTier[n.tier]++;
      stats.peakOverall = Math.max(stats.peakOverall, running);
      stats.peakByTier[n.tier] = Math.max(stats.peakByTier[n.tier], runningByTier[n.tier]);
      void tierLimits[n.tier](() => global(() => opts.run(n.id, opts.signal)))
        .catch(() => undefined) // run() records its own failure; a throw here must not stall the graph
        .finally(() => {
          running--;
          runningByTier[n.tier]--;
          settle(n.id);
          pump();
        });
    };

    opts.grow?.((added) => {
      // Only a running node adds nodes, so the graph cannot have finished; after it has, that is a bug.
      if (done) throw new Error(`schedule: cannot add ${added.map((n) => n.id).join(', ')}: the graph has finished`);
      for (const n of added) {
        if (byId.has(n.id)) throw new Error(`schedule: node ${n.id} already exists`);
        byId.set(n.id, n);
        order.set(n.id, order.size);
      }
      for (const n of added) link(n);
      total += added.length;
      for (const n of added) if (waitingOn.get(n.id) === 0) enqueue(n);
      pump();
    });
    opts.signal.addEventListener('abort', () => pump(), { once: true });
    pump();
  });
}

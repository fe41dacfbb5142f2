import pLimit, { type LimitFunction } from 'p-limit';
import type { Tier } from './types';

export interface ScheduleNode {
  id: string;
  tier: Tier;
  dependsOn: string[];
  /** Higher runs first among ready nodes: nodes that unblock others shorten the critical path. */
  priority: number;
  /** Depth in the graph (workers 0, coordinators 1, final 2): waves mode runs one depth at a time. */
  depth: number;
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
 * bug in the ordering can delay work but never exceed a cap.
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
  for (const n of nodes) {
    const deps = n.dependsOn.filter((d) => byId.has(d));
    waitingOn.set(n.id, deps.length);
    for (const d of deps) dependents.set(d, [...(dependents.get(d) ?? []), n.id]);
  }
  const ready: ScheduleNode[] = nodes.filter((n) => waitingOn.get(n.id) === 0);
  for (const n of ready) opts.queued?.(n.id);
  const runningByTier: Record<Tier, number> = { haiku: 0, sonnet: 0, opus: 0 };
  const stats: ScheduleStats = { peakOverall: 0, peakByTier: { haiku: 0, sonnet: 0, opus: 0 } };
  let running = 0;
  let settled = 0;

  return new Promise<ScheduleStats>((resolve) => {
    const finishIfDone = (): void => { if (settled === nodes.length) resolve(stats); };

    const settle = (id: string): void => {
      settled++;
      for (const dep of dependents.get(id) ?? []) {
        const left = waitingOn.get(dep)! - 1;
        waitingOn.set(dep, left);
        if (left === 0) { ready.push(byId.get(dep)!); opts.queued?.(dep); }
      }
    };

    const canStart = (n: ScheduleNode): boolean =>
      running < opts.maxConcurrent && runningByTier[n.tier] < opts.tierCaps[n.tier];

    const pump = (): void => {
      if (opts.signal.aborted) {
        // Nothing new starts; every node not yet started is skipped as cancelled, dependents included.
        while (ready.length) {
          const n = ready.shift()!;
          opts.skip(n.id, 'run cancelled', true);
          settle(n.id);
        }
        finishIfDone();
        return;
      }
      if (opts.mode === 'waves' && running > 0) return;
      ready.sort((a, b) => b.priority - a.priority || order.get(a.id)! - order.get(b.id)!);
      const depth = opts.mode === 'waves' ? Math.min(...ready.map((n) => n.depth)) : Infinity;
      for (let i = 0; i < ready.length;) {
        const n = ready[i]!;
        if (n.depth > depth || !canStart(n)) { i++; continue; }
        ready.splice(i, 1);
        const admission = opts.admit(n.id);
        if (!admission.run) {
          opts.skip(n.id, admission.reason, false);
          settle(n.id);
          continue;
        }
        start(n);
      }
      finishIfDone();
    };

    const start = (n: ScheduleNode): void => {
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

    opts.signal.addEventListener('abort', () => pump(), { once: true });
    pump();
  });
}

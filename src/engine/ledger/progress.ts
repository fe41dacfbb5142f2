import { AGENT_STATUSES, type AgentRecord, type AgentStatus } from '../types';
import { PLANNER_ID } from './ledger';

/**
 * How far a run is, counted once for every view: the tree, the status bar, the dashboard, the
 * Summary, toasts and the CLI all show `done/total` from here, so they agree.
 * - `total` is the plan's agents: the planner is left out (it made the plan; it is not part of it),
 *   so a plan of 16 workers + 5 coordinators + 1 summary reads n/22 everywhere.
 * - `done` is completed agents only; failed, cancelled and skipped are counted apart, never as done.
 * - `settled` is every agent that will not run again without Resume or Retry.
 */
export interface Progress {
  done: number;
  total: number;
  settled: number;
  /** Running or verifying its output. */
  active: number;
  /** Pending, queued or waiting to retry. */
  waiting: number;
  failed: number;
  cancelled: number;
  skipped: number;
  byStatus: Record<AgentStatus, number>;
}

export function runProgress(agents: Iterable<Pick<AgentRecord, 'id' | 'status'>>): Progress {
  const byStatus = Object.fromEntries(AGENT_STATUSES.map((s) => [s, 0])) as Record<AgentStatus, number>;
  let total = 0;
  for (const a of agents) {
    if (a.id === PLANNER_ID) continue;
    byStatus[a.status]++;
    total++;
  }
  const { completed, failed, cancelled, skipped } = byStatus;
  return {
    done: completed, total, settled: completed + failed + cancelled + skipped,
    active: byStatus.running + byStatus.verifying,
    waiting: byStatus.pending + byStatus.queued + byStatus.retrying,
    failed, cancelled, skipped, byStatus,
  };
}

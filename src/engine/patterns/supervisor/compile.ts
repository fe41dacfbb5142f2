import type { Config } from '../../config';
import type { AgentGroup, AgentRecord } from '../../types';
import { agentRecord, type Compiled } from '../pattern';
import type { SupervisorPlan, WorkerOrder } from './plan';

/** A worker as ordered, with the id the engine gave it (`w1`, `w2` … across the run). */
export type SpawnedWorker = WorkerOrder & { id: string };

export const supervisorId = (round: number): string => `sup-${round}`;
export const roundGroup = (round: number): AgentGroup => ({ id: `r${round}`, label: `Round ${round}` });
/** The round a supervisor record belongs to (`sup-3` → 3), or null for another id. */
export const roundOf = (id: string): number | null => {
  const m = /^sup-(\d+)$/.exec(id);
  return m ? Number(m[1]) : null;
};

/** The record of one supervisor round; round N > 1 waits for the workers round N − 1 spawned. */
export function supervisorRecord(config: Config, plan: SupervisorPlan, round: number, waitsFor: string[]): AgentRecord {
  return agentRecord(config, {
    id: supervisorId(round), role: 'supervisor', domain: roundGroup(round).id, tier: plan.tier,
    task: round === 1 ? 'Round 1: plan the first workers' : `Round ${round}: read the returns of ${waitsFor.join(', ')} and decide the next step`,
    scope: [], dependsOn: waitsFor, outputFile: `supervisor/round-${round}.md`,
  });
}

/**
 * The records one `spawn_workers` call creates: the workers (ids numbered across the run, each
 * depending on the round that spawned it) and the next round, which waits for all of them.
 */
export function spawnRecords(config: Config, plan: SupervisorPlan, round: number, orders: readonly SpawnedWorker[]): AgentRecord[] {
  const workers = orders.map((o) => agentRecord(config, {
    id: o.id, role: 'worker', domain: roundGroup(round).id, tier: o.tier, task: o.task, scope: o.scope,
    dependsOn: [supervisorId(round)], outputFile: `workers/${o.id}.md`,
  }));
  return [...workers, supervisorRecord(config, plan, round + 1, workers.map((w) => w.id))];
}

/** A supervisor run starts as its first round alone; the rest of the graph is spawned as it runs. */
export function compileSupervisor(plan: SupervisorPlan, config: Config): Compiled {
  return { agents: [supervisorRecord(config, plan, 1, [])], groups: [roundGroup(1)] };
}

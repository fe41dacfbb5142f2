import type { Config } from '../../config';
import type { Plan } from './plan';
import { ZERO_USAGE, type AgentRecord, type AgentRole, type Tier } from '../../types';

export const FINAL_ID = 'final';
export const coordinatorId = (domain: string): string => `coord-${domain}`;

/**
 * Compiles a plan into agent records with explicit dependencies: tiered fan-out, i.e. each
 * domain's workers → that domain's coordinator → the final synthesis. Other shapes (pipeline,
 * panel, map-reduce) would be further functions producing records for the same scheduler.
 */
export function compileTieredFanOut(plan: Plan, config: Config): AgentRecord[] {
  const agents: AgentRecord[] = [];
  const coordinators: string[] = [];
  for (const d of plan.domains) {
    const workerIds: string[] = [];
    for (const w of d.workers) {
      agents.push(record(w.id, 'worker', d.id, w.tier, w.task, w.scope, [], `workers/${w.id}.md`, config));
      workerIds.push(w.id);
    }
    const cid = coordinatorId(d.id);
    coordinators.push(cid);
    agents.push(record(cid, 'coordinator', d.id, 'sonnet', `Synthesise domain ${d.id} (${d.name})`, [], workerIds, `synthesis/${d.id}.md`, config));
  }
  agents.push(record(FINAL_ID, 'final', null, 'sonnet', 'Write the final summary from the coordinator reports', [], coordinators, 'summary.md', config));
  return agents;
}

function record(
  id: string, role: AgentRole, domain: string | null, tier: Tier, task: string, scope: string[],
  dependsOn: string[], outputFile: string, config: Config,
): AgentRecord {
  return {
    id, role, domain, tier, task, scope, dependsOn,
    modelRequested: config.models[tier], modelReported: null,
    status: 'pending', attempts: 0, queuedAt: null, startedAt: null, endedAt: null,
    usage: { ...ZERO_USAGE }, costUsd: 0, requests: 0, toolCalls: 0,
    outputFile, returned: null, returnTokens: 0, error: null,
  };
}

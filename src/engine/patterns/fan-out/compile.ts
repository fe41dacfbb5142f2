import type { Config } from '../../config';
import type { AgentGroup, AgentRecord } from '../../types';
import { agentRecord, withDefinition, type Compiled } from '../pattern';
import type { FanOutPlan } from './plan';

export const FINAL_ID = 'final';
export const coordinatorId = (domain: string): string => `coord-${domain}`;

/**
 * Tiered fan-out as agent records with explicit dependencies: each domain's workers → that
 * domain's coordinator → the final synthesis.
 */
export function compileFanOut(plan: FanOutPlan, config: Config): Compiled {
  const agents: AgentRecord[] = [];
  const groups: AgentGroup[] = [];
  const coordinators: string[] = [];
  for (const d of plan.domains) {
    groups.push({ id: d.id, label: d.name });
    const workerIds: string[] = [];
    for (const w of d.workers) {
      agents.push(withDefinition(agentRecord(config, {
        id: w.id, role: 'worker', domain: d.id, tier: w.tier, task: w.task, scope: w.scope, dependsOn: [], outputFile: `workers/${w.id}.md`,
      }), w.agent));
      workerIds.push(w.id);
    }
    const cid = coordinatorId(d.id);
    coordinators.push(cid);
    agents.push(agentRecord(config, {
      id: cid, role: 'coordinator', domain: d.id, tier: 'sonnet', task: `Synthesise domain ${d.id} (${d.name})`,
      scope: [], dependsOn: workerIds, outputFile: `synthesis/${d.id}.md`,
    }));
  }
  agents.push(agentRecord(config, {
    id: FINAL_ID, role: 'final', domain: null, tier: 'sonnet', task: 'Write the final summary from the coordinator reports',
    scope: [], dependsOn: coordinators, outputFile: 'summary.md',
  }));
  return { agents, groups };
}

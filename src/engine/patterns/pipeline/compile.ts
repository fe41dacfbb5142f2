import type { Config } from '../../config';
import type { AgentRecord } from '../../types';
import { agentRecord, type Compiled } from '../pattern';
import type { PipelinePlan } from './plan';

export const FINAL_ID = 'final';
export const stageFile = (id: string): string => `stages/${id}.md`;
export const handoffFile = (id: string): string => `handoffs/${id}.md`;

/**
 * A pipeline as a chain: each stage depends on the one before it only, and the final step on the
 * last stage only. Agents come in chain order (retry-failed relies on dependency order); each
 * stage is its own group, so views show the steps in order.
 */
export function compilePipeline(plan: PipelinePlan, config: Config): Compiled {
  const agents: AgentRecord[] = plan.stages.map((s, i) => agentRecord(config, {
    id: s.id, role: 'stage', domain: s.id, tier: s.tier, task: s.task, scope: s.scope,
    dependsOn: i === 0 ? [] : [plan.stages[i - 1].id], outputFile: stageFile(s.id),
  }));
  const last = plan.stages[plan.stages.length - 1];
  agents.push(agentRecord(config, {
    id: FINAL_ID, role: 'final', domain: null, tier: 'sonnet', task: `Write the final summary from the last stage's handoff (${last.id})`,
    scope: [], dependsOn: [last.id], outputFile: 'summary.md',
  }));
  return { agents, groups: plan.stages.map((s) => ({ id: s.id, label: s.name })) };
}

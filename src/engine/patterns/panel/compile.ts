import type { Config } from '../../config';
import type { AgentRecord } from '../../types';
import { agentRecord, withDefinition, type Compiled } from '../pattern';
import type { PanelPlan } from './plan';

export const CONSENSUS_ID = 'consensus';
export const EXPERTS_GROUP = 'experts';
/** The engine's tally of the verdicts, relative to the run folder (the UI's verdict table reads it). */
export const TALLY_FILE = 'panel/tally.json';

/**
 * The panel as agent records: every expert independent (no dependencies, so none waits for or
 * sees another), then the consensus, which depends on all of them and writes summary.md.
 */
export function compilePanel(plan: PanelPlan, config: Config): Compiled {
  const agents: AgentRecord[] = plan.experts.map((e) => withDefinition(agentRecord(config, {
    id: e.id, role: 'expert', domain: EXPERTS_GROUP, tier: e.tier, task: `${e.perspective} — ${e.task}`,
    scope: e.scope, dependsOn: [], outputFile: `experts/${e.id}.md`,
  }), e.agent));
  agents.push(agentRecord(config, {
    id: CONSENSUS_ID, role: 'consensus', domain: null, tier: 'sonnet',
    task: `Weigh the ${plan.experts.length} experts' verdicts and write the panel's answer to: ${plan.question}`,
    scope: [], dependsOn: plan.experts.map((e) => e.id), outputFile: 'summary.md',
  }));
  return { agents, groups: [{ id: EXPERTS_GROUP, label: `Experts (${plan.experts.length})` }] };
}

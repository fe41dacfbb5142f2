import type { Config } from '../../config';
import { CHANGES_PATCH } from '../../git';
import type { AgentGroup, AgentRecord } from '../../types';
import { agentRecord, type Compiled } from '../pattern';
import type { BuildPlan } from './plan';

export const SCOUTS_GROUP = 'scouts';
export const BUILDERS_GROUP = 'builders';
export const REVIEWS_GROUP = 'reviews';
export const ASSEMBLE_ID = 'assemble';

export const reviewerId = (builderId: string): string => `r-${builderId}`;
export const builderOfReviewer = (reviewerIdValue: string): string => reviewerIdValue.replace(/^r-/, '');
export const builderPatch = (builderId: string): string => `changes/${builderId}.patch`;
export const checksLog = (builderId: string): string => `checks/${builderId}.log`;

/**
 * A builder's task as plans and views show it: led by the findings it fixes (`Fixes F1, F3: …`),
 * so plan.md, the CLI's plan and the plan review say which finding each builder addresses.
 */
export const builderTask = (b: Pick<BuildPlan['builders'][number], 'task' | 'addresses'>): string =>
  (b.addresses?.length ? `Fixes ${b.addresses.join(', ')}: ${b.task}` : b.task);

/** The scouts alone: what runs before the planner assigns files to builders. */
export function compileScouts(plan: BuildPlan, config: Config): Compiled {
  const agents = plan.scouts.map((s) => agentRecord(config, {
    id: s.id, role: 'scout', domain: SCOUTS_GROUP, tier: 'haiku', task: s.task, scope: s.scope, dependsOn: [],
    outputFile: `scouts/${s.id}.md`,
  }));
  return { agents, groups: [scoutsGroup(plan)] };
}

const scoutsGroup = (plan: BuildPlan): AgentGroup => ({ id: SCOUTS_GROUP, label: `Scouts (${plan.scouts.length})` });

/**
 * The whole build: the scouts (already run when the plan is shown), one builder per owned file
 * set, a reviewer per builder, and the engine's assembly of approved branches into changes.patch
 * and summary.md. Builders depend on nothing that is still to run, so they all start at once.
 */
export function compileBuild(plan: BuildPlan, config: Config): Compiled {
  const agents: AgentRecord[] = [...compileScouts(plan, config).agents];
  for (const b of plan.builders) {
    agents.push(agentRecord(config, {
      id: b.id, role: 'builder', domain: BUILDERS_GROUP, tier: b.tier, task: builderTask(b), scope: b.owns, dependsOn: [],
      outputFile: `builders/${b.id}.md`,
    }));
  }
  for (const b of plan.builders) {
    agents.push(agentRecord(config, {
      id: reviewerId(b.id), role: 'reviewer', domain: REVIEWS_GROUP, tier: 'sonnet',
      task: `Review ${b.id}'s change: ${b.task}`, scope: b.owns, dependsOn: [b.id], outputFile: `reviews/${b.id}.md`,
    }));
  }
  agents.push(agentRecord(config, {
    id: ASSEMBLE_ID, role: 'final', domain: null, tier: 'haiku',
    task: `Merge the approved builders' branches into ${CHANGES_PATCH} for you to apply`,
    scope: [], dependsOn: plan.builders.flatMap((b) => [b.id, reviewerId(b.id)]), outputFile: 'summary.md',
  }));
  const groups: AgentGroup[] = [scoutsGroup(plan)];
  if (plan.builders.length) {
    groups.push({ id: BUILDERS_GROUP, label: `Builders (${plan.builders.length})` }, { id: REVIEWS_GROUP, label: `Reviews (${plan.builders.length})` });
  }
  return { agents, groups };
}

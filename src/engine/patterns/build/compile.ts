import type { Config } from '../../config';
import { CHANGES_PATCH } from '../../git';
import type { AgentGroup, AgentRecord } from '../../types';
import { agentRecord, withDefinition, type Compiled } from '../pattern';
import { HARDEN_CONCERNS, hardenerId } from '../../pipelineFiles';
import { architectAgent, designGroup } from './architect';
import type { BuildPlan } from './plan';
import { SCAFFOLD_ID, scaffoldAgent } from './scaffold';

export const SCOUTS_GROUP = 'scouts';
export const BUILDERS_GROUP = 'builders';
export const REVIEWS_GROUP = 'reviews';
export const ASSEMBLE_ID = 'assemble';
/** The engine's check on the assembled tree (role `integration`). */
export const INTEGRATION_AGENT_ID = 'integration';
/** The fixer's step after it (role `fixer`); it fails when the check still fails ("integration failed"). */
export const FIX_ID = 'fix';
export const HARDENERS_GROUP = 'harden';
export { hardenerId };

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
 * set, a reviewer per builder, then the pipeline on the combined change: the integration check
 * on the assembled tree, the fixer's rounds, the hardeners (when `harden` is on, in parallel) and
 * the engine's last step (changes.patch, harden/tally.json, summary.md). Builders depend on
 * nothing that is still to run, so they all start at once.
 */
export function compileBuild(plan: BuildPlan, config: Config): Compiled {
  const green = greenfieldStage(plan, config);
  const agents: AgentRecord[] = [...compileScouts(plan, config).agents, ...green.agents];
  for (const b of plan.builders) {
    agents.push(withDefinition(agentRecord(config, {
      id: b.id, role: 'builder', domain: BUILDERS_GROUP, tier: b.tier, task: builderTask(b), scope: b.owns, dependsOn: green.builderDeps,
      outputFile: `builders/${b.id}.md`,
    }), b.agent));
  }
  for (const b of plan.builders) {
    agents.push(agentRecord(config, {
      id: reviewerId(b.id), role: 'reviewer', domain: REVIEWS_GROUP, tier: 'sonnet',
      task: `Review ${b.id}'s change: ${b.task}`, scope: b.owns, dependsOn: [b.id], outputFile: `reviews/${b.id}.md`,
    }));
  }
  agents.push(agentRecord(config, {
    id: INTEGRATION_AGENT_ID, role: 'integration', domain: null, tier: 'haiku',
    task: config.verifyCommand
      ? `Merge the approved builders' branches into the integration branch and run \`${config.verifyCommand}\` on the assembled tree`
      : 'Merge the approved builders\' branches into the integration branch and run the check command (verifyCommand) on the assembled tree, when one is set',
    scope: [], dependsOn: plan.builders.flatMap((b) => [b.id, reviewerId(b.id)]), outputFile: 'integration.md',
  }));
  agents.push(agentRecord(config, {
    id: FIX_ID, role: 'fixer', domain: null, tier: 'sonnet',
    task: `If the check fails on the assembled tree, repair it by editing only the files the change touched (at most ${config.fixRounds} rounds)`,
    scope: [], dependsOn: [INTEGRATION_AGENT_ID], outputFile: 'fix.md',
  }));
  const hardeners = config.harden ? HARDEN_CONCERNS.map(hardenerId) : [];
  for (const concern of config.harden ? HARDEN_CONCERNS : []) {
    agents.push(agentRecord(config, {
      id: hardenerId(concern), role: 'hardener', domain: HARDENERS_GROUP, tier: 'sonnet',
      task: `Audit the combined change for ${concern}: findings with severity critical, major or minor`,
      scope: [], dependsOn: [FIX_ID], outputFile: `harden/${hardenerId(concern)}.md`,
    }));
  }
  agents.push(agentRecord(config, {
    id: ASSEMBLE_ID, role: 'final', domain: null, tier: 'haiku',
    task: `${config.harden ? 'Hardening on: major findings go back to their builder once; ' : 'Hardening off (setting harden); '}`
      + `write ${CHANGES_PATCH} from the integration branch for you to apply`,
    scope: [], dependsOn: [INTEGRATION_AGENT_ID, FIX_ID, ...hardeners], outputFile: 'summary.md',
  }));
  const groups: AgentGroup[] = [scoutsGroup(plan), ...green.groups];
  if (plan.builders.length) {
    groups.push({ id: BUILDERS_GROUP, label: `Builders (${plan.builders.length})` }, { id: REVIEWS_GROUP, label: `Reviews (${plan.builders.length})` });
  }
  if (hardeners.length) groups.push({ id: HARDENERS_GROUP, label: `Harden (${hardeners.length})` });
  return { agents, groups };
}

/**
 * Greenfield's nodes (issue 17 item 5): the architect (already run before approval, like the
 * scouts) and the scaffold, which every builder depends on and branches from. Empty otherwise.
 */
function greenfieldStage(plan: BuildPlan, config: Config): { agents: AgentRecord[]; groups: AgentGroup[]; builderDeps: string[] } {
  if (!plan.greenfield) return { agents: [], groups: [], builderDeps: [] };
  const agents = [architectAgent(plan, config)];
  if (plan.builders.length) agents.push(scaffoldAgent(plan, config));
  return { agents, groups: [designGroup()], builderDeps: plan.builders.length ? [SCAFFOLD_ID] : [] };
}

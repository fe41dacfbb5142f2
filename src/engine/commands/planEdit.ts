/**
 * Plan editing before approval (the plan review panel): an edited plan is checked exactly as a
 * planned one is (the pattern's schema, its checks against the settings, the focus and the real
 * workspace, and compiling it), then either only estimated (preview) or put in place of the old
 * one (revise), with the planner's record kept.
 */
import * as path from 'node:path';
import { applyDefinitions, roleToolsOf, RUN_DEFINITIONS_FILE, runDefinitionsJson } from '../agents/catalog';
import { ConfigError, ignoreOptionsOf } from '../config';
import { writeFileAtomic } from '../files';
import { estimateRun, markBatched } from '../ledger/estimate';
import { PLANNER_ID } from '../ledger/ledger';
import { PlanInputError, type Compiled } from '../patterns/pattern';
import { validatePlan, type AnyPattern, type AnyPlan } from '../patterns/registry';
import { renderPlanMarkdown } from '../plan/planMarkdown';
import { scopeExistsSync } from '../plan/workspace';
import type { Run } from '../execution/run';
import type { AgentRecord, CostEstimate } from '../types';
import { withClaimedRun } from './agent';
import { CommandRefusedError } from './claim';
import type { CommandHost } from './host';

export type PlanPreview =
  | { ok: true; estimate: CostEstimate; agents: AgentRecord[] }
  | { ok: false; errors: string[] };

type Checked =
  | { ok: true; plan: AnyPlan; pattern: AnyPattern; compiled: Compiled; estimate: CostEstimate; usedDefinitions: string }
  | { ok: false; errors: string[] };

/**
 * Checks an edited plan against the run's own: the pattern, task and focus stay what they were
 * (missing ones are taken from it); everything else is validated and compiled as at planning.
 */
async function checkEdit(host: CommandHost, original: AnyPlan, edited: unknown): Promise<Checked> {
  if (typeof edited !== 'object' || edited === null || Array.isArray(edited)) return { ok: false, errors: ['plan: expected a JSON object'] };
  const input = { ...(edited as Record<string, unknown>) };
  const errors: string[] = [];
  for (const key of ['pattern', 'task', 'focus'] as const) {
    if (input[key] === undefined) { input[key] = original[key]; continue; }
    if (JSON.stringify(input[key]) !== JSON.stringify(original[key])) {
      errors.push(`plan.${key}: a revision keeps the run's ${key} (${JSON.stringify(original[key])}); got ${JSON.stringify(input[key])}. Start a new task to change it`);
    }
  }
  if (errors.length) return { ok: false, errors };
  const { workspace, config } = host;
  const definitions = (await host.agentDefinitions?.())?.definitions;
  const ctx = {
    config, focus: original.focus, scopeExists: scopeExistsSync(workspace, config.outputRoot, ignoreOptionsOf(config)),
    ...(definitions ? { agentDefinitions: definitions } : {}),
  };
  const check = validatePlan(input, ctx);
  if (!check.ok) return check;
  let compiled: Compiled;
  try {
    compiled = await check.pattern.compile(check.plan, { workspace, config });
  } catch (err) {
    if (err instanceof PlanInputError) return { ok: false, errors: err.errors };
    throw err;
  }
  if (definitions) applyDefinitions(compiled.agents, definitions, config, roleToolsOf(check.pattern));
  markBatched(compiled.agents, config, check.pattern);
  const usedDefinitions = definitions ? runDefinitionsJson(compiled.agents, definitions) : '';
  return { ok: true, plan: check.plan, pattern: check.pattern, compiled, estimate: estimateRun(compiled.agents, config, check.pattern), usedDefinitions };
}

export async function previewPlan(host: CommandHost, runId: string, plan: unknown): Promise<PlanPreview> {
  const run = await host.open(runId);
  try {
    const checked = await checkEdit(host, run.plan, plan);
    return checked.ok ? { ok: true, estimate: checked.estimate, agents: checked.compiled.agents } : checked;
  } finally {
    run.transcripts.dispose();
  }
}

export async function revisePlan(host: CommandHost, runId: string, plan: unknown): Promise<Run> {
  await withClaimedRun(host, runId, 'revise-plan', 'revising its plan', async (run) => {
    if (run.ledger.status !== 'awaiting-approval') {
      throw new CommandRefusedError(`Run ${runId} is ${run.ledger.status}; only a plan awaiting approval can be revised`);
    }
    const checked = await checkEdit(host, run.plan, plan);
    if (!checked.ok) throw new ConfigError(`The revised plan of run ${runId} is invalid; nothing was changed:\n  ${checked.errors.join('\n  ')}`, checked.errors);
    const { compiled, estimate } = checked;
    await writeFileAtomic(path.join(run.dir, 'plan.json'), JSON.stringify(checked.plan, null, 2));
    for (const [name, content] of Object.entries(compiled.artifacts ?? {})) await writeFileAtomic(path.join(run.dir, name), content);
    // The definitions the revised plan assigns, as they are now: what its agents will run with.
    if (checked.usedDefinitions) await writeFileAtomic(path.join(run.dir, RUN_DEFINITIONS_FILE), checked.usedDefinitions);
    const before = run.ledger.agents.filter((a) => a.id !== PLANNER_ID).length;
    run.ledger.replacePlanned(compiled.agents, estimate, { pattern: checked.pattern.name, patternReason: checked.plan.reason, groups: compiled.groups });
    run.ledger.recordCommand('revise-plan', null, `plan revised (revision ${run.ledger.planRevision}): ${before} → ${compiled.agents.length} agents`);
    await writeFileAtomic(path.join(run.dir, 'plan.md'), renderPlanMarkdown(run.ledger.snapshot()));
    await run.ledger.flush();
    // Revising runs nothing; approving the result is where a foreign plan is warned about.
  }, { allowForeign: true });
  // The command's Run closed its ledger with the lock; the revised Run reads it back from disk.
  return host.open(runId);
}

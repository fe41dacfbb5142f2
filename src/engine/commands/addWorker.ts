/**
 * Add Worker: one more leaf in a finished run (a fan-out worker, a map-reduce mapper, a panel
 * expert). The pattern says how the leaf fits (Pattern.addLeaf); the engine validates the plan
 * with it as it validates a planned one, records it, runs it, and re-runs what summarises it.
 */
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError, formatIssues, ignoreOptionsOf } from '../config';
import { writeFileAtomic } from '../files';
import type { LeafRequest } from '../patterns/pattern';
import { validatePlan } from '../patterns/registry';
import { renderPlanMarkdown } from '../plan/planMarkdown';
import { scopeExistsSync } from '../plan/workspace';
import type { RunOutcome } from '../execution/run';
import { TIERS } from '../types';
import { requireFinished, withClaimedRun } from './agent';
import { CommandRefusedError } from './claim';
import type { AgentCommandOptions, CommandHost } from './host';

const LeafRequestSchema = z.object({
  group: z.string().trim().min(1, 'group names the domain (or map, or experts) the worker joins').max(80),
  task: z.string().trim().min(8, 'task must say what to do (8+ characters)').max(600),
  scope: z.array(z.string().trim().min(1)).max(200),
  tier: z.enum(TIERS),
  perspective: z.string().trim().min(2).max(80).optional(),
}).strict();

export async function addWorker(host: CommandHost, runId: string, leaf: LeafRequest, opts: AgentCommandOptions): Promise<RunOutcome> {
  const parsed = LeafRequestSchema.safeParse(leaf);
  if (!parsed.success) {
    const issues = formatIssues(parsed.error, 'request');
    throw new ConfigError(`The worker to add is invalid:\n  ${issues.join('\n  ')}`, issues);
  }
  const request = parsed.data;
  return withClaimedRun(host, runId, 'add-worker', 'adding a worker', async (run, lock) => {
    requireFinished(run, 'adding a worker');
    const pattern = run.pattern;
    if (!pattern.addLeaf) throw new CommandRefusedError(`The ${pattern.name} pattern has no worker a user can add`);
    const { workspace, config } = host;
    const planning = { config, focus: run.plan.focus, scopeExists: scopeExistsSync(workspace, config.outputRoot, ignoreOptionsOf(config)) };
    const added = await pattern.addLeaf(run.plan, request, { ...planning, workspace, runDir: run.dir, agents: run.ledger.agents, groups: run.groups });
    if (!added.ok) throw new ConfigError(`The worker cannot be added to run ${runId}:\n  ${added.errors.join('\n  ')}`, added.errors);
    // The same checks as a planned worker: bounds, ids, scopes that exist inside the focus.
    const check = validatePlan(added.plan, planning);
    if (!check.ok) throw new ConfigError(`The worker cannot be added to run ${runId}:\n  ${check.errors.join('\n  ')}`, check.errors);
    const { agent } = added;
    await writeFileAtomic(path.join(run.dir, 'plan.json'), JSON.stringify(check.plan, null, 2));
    for (const [name, content] of Object.entries(added.artifacts ?? {})) await writeFileAtomic(path.join(run.dir, name), content);
    run.ledger.addAgents([agent], added.groups ?? []);
    if (added.groups?.length) run.ledger.upsertGroups(added.groups);
    for (const d of added.dependents) run.ledger.setDependsOn(d.id, d.dependsOn);
    run.ledger.recordCommand('add-worker', agent.id, `added ${agent.role} ${agent.id} (${agent.tier}, ${agent.scope.join(', ') || 'no scope'}): ${agent.task}`);
    await writeFileAtomic(path.join(run.dir, 'plan.md'), renderPlanMarkdown(run.ledger.snapshot()));
    await run.ledger.flush();
    const grown = host.makeRun(run.id, run.dir, check.plan, run.ledger);
    grown.holdLock(lock);
    opts.onRun?.(grown);
    try {
      return await grown.rerun([agent.id], opts.signal ? { signal: opts.signal } : {});
    } finally {
      grown.transcripts.dispose();
    }
  }, { allowForeign: opts.allowForeign });
}

import { statSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { costOf, formatIssues } from '../../config';
import { repoInfo } from '../../git';
import { plannerAgentsBlock } from '../../agents/catalog';
import { PLANNER_ID } from '../../ledger/ledger';
import type { ModelRequest, ToolDefinition } from '../../model/client';
import { PlanError } from '../../plan/planError';
import { sendRecorded } from '../../transcripts/record';
import type { ApprovalContext, Compiled } from '../pattern';
import { compileBuild, compileScouts } from './compile';
import { scoutFindings } from './findings';
import { isGreenfieldRepo, runArchitect } from './architect';
import {
  BuilderSpecSchema, isOwnedFolder, MAX_OWNED, ownedEntry, ownedKey, sharedErrors, validateBuilders, type BuildPlan, type BuilderSpec,
} from './plan';

export const ASSIGN_TOOL = 'plan_builders';
const AssignSchema = z.object({
  builders: z.array(BuilderSpecSchema),
  /** Greenfield: the files the scaffold writes alone (manifest, shared types); empty otherwise. */
  shared: z.array(z.string().trim().min(1)).max(MAX_OWNED).default([]),
});
type Assigned = { builders: BuilderSpec[]; shared: string[] };
let assignTool: ToolDefinition | null = null;
function toolOf(): ToolDefinition {
  if (!assignTool) {
    const schema = z.toJSONSchema(AssignSchema, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
    delete schema.$schema;
    assignTool = { name: ASSIGN_TOOL, description: 'Submit the builders: each owns a disjoint set of files and makes one part of the change.', input_schema: schema };
  }
  return assignTool;
}

/**
 * Build's work before approval: the scouts run (cheap, read-only, in parallel), then the planner
 * reads only their reports and assigns builders disjoint sets of files. The builders start from
 * the workspace's HEAD as it is now, recorded in the plan as `base`.
 *
 * Greenfield (the planner said `greenfield`, or the repository holds next to nothing to change:
 * `isGreenfieldRepo`): after the scouts, the architect writes architecture.md and the planner
 * assigns each builder a module's folder from it, plus the shared files the scaffold writes.
 */
export async function scoutThenAssign(plan: BuildPlan, ctx: ApprovalContext): Promise<{ plan: BuildPlan; compiled: Compiled }> {
  const repo = await repoInfo(ctx.workspace);
  const scouts = compileScouts(plan, ctx.config);
  await ctx.runAgents(plan, scouts.agents, scouts.groups);
  const reports = await scoutFindings(ctx.runDir, ctx.ledger, plan);
  const greenfield = plan.greenfield || await isGreenfieldRepo(ctx.workspace, plan.focus);
  if (greenfield && !plan.greenfield) ctx.ledger.log('info', 'greenfield: the repository has next to nothing to change, so an architect designs the new code first');
  const staged: BuildPlan = { ...plan, greenfield, shared: [] };
  const architecture = greenfield ? await runArchitect(ctx, staged) : null;
  const { builders, shared } = await askForBuilders(ctx, staged, reports, architecture);
  const final: BuildPlan = { ...staged, builders, shared, base: repo.head };
  return { plan: final, compiled: compileBuild(final, ctx.config) };
}

/**
 * Owned paths that exist as folders: a builder owns files (a greenfield builder may own a folder
 * as "dir/"). A stat each, a few per builder, once per plan.
 */
function folderErrorsSync(ctx: ApprovalContext, builders: readonly BuilderSpec[], greenfield: boolean): string[] {
  const errors: string[] = [];
  for (const b of builders) {
    for (const f of b.owns) {
      if (greenfield && isOwnedFolder(f.trim())) continue;
      try {
        if (statSync(path.join(ctx.workspace, ownedKey(f))).isDirectory()) errors.push(`Builder "${b.id}" owns "${f}", which is a folder; list the files in it instead`);
      } catch { /* a file to create */ }
    }
  }
  return errors;
}

/** Asks the planner for the builders through a forced tool, re-asking with the validation errors like the first plan. */
async function askForBuilders(ctx: ApprovalContext, plan: BuildPlan, reports: string, architecture: string | null): Promise<Assigned> {
  const { config, prompts } = ctx;
  // Builders only: the scouts' reports are the bulk of this prompt, so the block's share is of them.
  const system = prompts.render('build/assign', { agents: plannerAgentsBlock(ctx.planning.agentDefinitions ?? [], { task: `${plan.task} ${plan.brief}`, promptChars: reports.length + plan.task.length }) });
  let errors: string[] = [];
  for (let attempt = 0; attempt <= config.planRetries; attempt++) {
    const user = prompts.render('build/assign-user', {
      task: plan.task, brief: plan.brief || '(none)',
      focus: plan.focus.length ? `Focus: builders may own files only inside ${plan.focus.join(', ')}.\n` : '',
      reports,
      architecture: architecture === null ? '' : `\n# The approved architecture (architecture.md)\n${architecture.replace(/^(#+ )/gm, '##$1')}\n`,
      feedback: errors.length ? `\n# Validation errors\nYour previous answer was rejected. Fix every one of these:\n${errors.map((e) => `- ${e}`).join('\n')}\n` : '',
    });
    const req: ModelRequest = {
      model: config.models.sonnet,
      system: [{ type: 'text', text: system }],
      messages: [{ role: 'user', content: [{ type: 'text', text: user }] }],
      tools: [toolOf()], toolChoice: { type: 'tool', name: ASSIGN_TOOL },
      maxTokens: config.maxTokensPerResponse, signal: ctx.signal, timeoutMs: config.requestTimeoutMs,
    };
    const t = ctx.transcript;
    if (attempt === 0) t?.begin({ model: req.model, system, shared: null, prompt: user, instruction: null });
    const res = await sendRecorded(ctx.policy, req, config.tierCaps.sonnet, t, attempt + 1, (n) => ctx.ledger.countRedactions(PLANNER_ID, n));
    const cost = costOf(config.prices, res.model, res.usage) ?? 0;
    ctx.ledger.addUsage(PLANNER_ID, res.model, res.usage, cost);
    t?.usage(res.usage, cost, res.stopReason, res.model);
    const call = res.content.find((b) => b.type === 'tool_use' && b.name === ASSIGN_TOOL);
    if (!call || call.type !== 'tool_use') { errors = [`Expected a call to ${ASSIGN_TOOL}`]; continue; }
    const parsed = AssignSchema.safeParse(call.input);
    if (!parsed.success) { errors = formatIssues(parsed.error); continue; }
    const folders = architecture !== null;
    const builders = parsed.data.builders.map((b) => ({ ...b, owns: b.owns.map((f) => ownedEntry(f.trim(), folders)) }));
    const shared = folders ? parsed.data.shared.map(ownedKey) : [];
    errors = [...validateBuilders(builders, ctx.planning), ...folderErrorsSync(ctx, builders, folders), ...(folders ? sharedErrors(shared, builders, ctx.planning) : [])];
    if (errors.length === 0) return { builders, shared };
  }
  throw new PlanError(`The planner did not assign valid builders after ${config.planRetries + 1} attempts:\n  ${errors.join('\n  ')}`, errors);
}

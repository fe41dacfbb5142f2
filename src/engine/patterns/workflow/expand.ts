/**
 * A workflow file resolved at launch into a workflow run's plan: the stages in dependency order,
 * each with its tier decided (the stage's, else its agent definition's model, else sonnet) and
 * its `each: {files}` globs expanded — over the same guarded walk map-reduce selects files with,
 * so the run's ignores, secrets and focus apply — into one item per file.
 */
import * as path from 'node:path';
import { ignoreOptionsOf, type Config } from '../../config';
import type { AgentDefinition } from '../../agents/definition';
import type { Tier } from '../../types';
import { stageOrder } from '../../workflows';
import type { FoundWorkflow } from '../../workflows/schema';
import { selectFiles } from '../map-reduce/select';
import { PlanInputError } from '../pattern';
import { EACH_MAX, type WorkflowPlan, type WorkflowStagePlan } from './plan';

export interface WorkflowLaunch {
  workspace: string;
  config: Config;
  /** Workspace folders the run is confined to (normalised, '/'-separated); empty: all. */
  focus: readonly string[];
  /** The user's agent definitions: a stage without a tier takes its agent's model. */
  definitions: readonly Pick<AgentDefinition, 'name' | 'tier'>[];
}

/** Each file of an `each` is read by its agent with the tools, which bound what it reads: no size limit here. */
const NO_SIZE_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * The plan of a run of `found` with these (resolved) parameters. Throws PlanInputError naming
 * the stage, its line and its globs when an `each` matches no file or too many, and for
 * `each: {items}`, which this version does not run yet.
 */
export async function planFromWorkflow(found: FoundWorkflow, params: Readonly<Record<string, string>>, launch: WorkflowLaunch): Promise<WorkflowPlan> {
  const wf = found.workflow;
  const source = path.relative(launch.workspace, found.source).split(path.sep).join('/');
  const byId = new Map(wf.stages.map((s) => [s.id, s]));
  const errors: string[] = [];
  const stages: WorkflowStagePlan[] = [];
  for (const id of stageOrder(wf)) {
    const s = byId.get(id)!;
    const line = found.stageLines[id];
    const at = `Stage "${id}" (${source}${line ? `:${line}` : ''})`;
    const tier: Tier = s.tier ?? launch.definitions.find((d) => d.name === s.agent)?.tier ?? 'sonnet';
    let items: string[] | null = null;
    let each: WorkflowStagePlan['each'];
    if (s.each && 'items' in s.each) {
      errors.push(`${at}: \`each: { items: ${s.each.items} }\` is not supported yet; fan out over files (\`each: { files: "<glob>" }\`) or give the stage one agent`);
      continue;
    }
    if (s.each) {
      const globs = Array.isArray(s.each.files) ? s.each.files : [s.each.files];
      each = { files: globs };
      try {
        const selection = await selectFiles({
          workspace: launch.workspace, outputRoot: launch.config.outputRoot, ignore: ignoreOptionsOf(launch.config),
          include: globs, exclude: [], focus: launch.focus, maxFileTokens: NO_SIZE_LIMIT,
        });
        items = selection.selected.map((f) => f.path);
      } catch (err) {
        if (!(err instanceof PlanInputError)) throw err;
        items = [];
      }
      if (items.length === 0) {
        errors.push(`${at}: \`each: { files: ${globs.map((g) => JSON.stringify(g)).join(', ')} }\` matches no file${launch.focus.length ? ` inside the focus (${launch.focus.join(', ')})` : ''} that the run may read; fix the glob or add the files`);
        continue;
      }
      if (items.length > EACH_MAX) {
        errors.push(`${at}: \`each: { files: ${globs.map((g) => JSON.stringify(g)).join(', ')} }\` matches ${items.length} files; at most ${EACH_MAX} agents per stage are allowed (narrow the glob)`);
        continue;
      }
    }
    stages.push({
      id, ...(s.agent ? { agent: s.agent } : {}), tier, instructions: s.instructions, scope: s.scope ?? [],
      ...(each ? { each } : {}), items, dependsOn: s.dependsOn, gates: s.gates, hooks: s.hooks, ...(line ? { line } : {}),
    });
  }
  if (errors.length) throw new PlanInputError(errors);
  const shown = Object.entries(params).map(([k, v]) => `${k}=${v.length > 60 ? `${v.slice(0, 59)}…` : v}`).join(', ');
  return {
    pattern: 'workflow', task: `Workflow ${wf.name}${shown ? ` (${shown})` : ''}: ${wf.description}`,
    reason: `Planned from the workflow file ${source}, without the planner.`, focus: [...launch.focus],
    workflow: { name: wf.name, description: wf.description, source }, params: { ...params }, stages,
  };
}

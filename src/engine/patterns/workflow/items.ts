/**
 * A stage over the items another stage returned (`each: { items: <stage> }`). A stage returns
 * items as a `## Items` list in its file — one `- item` a line (backticks around an item are
 * dropped) — the lists of all its agents joined in order, duplicates dropped. They exist only
 * once it has run, so the fan-out is an engine step of its own, the expander
 * (`<stage>-items`): it reads them, keeps them in the run folder (items/<stage>.json, which
 * every later step and a resume read), compiles the workflow again with them and spawns the
 * agents that are new — the stage's agents, its gates, the stages after it and the final step
 * once every fan-out is known.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { applyDefinitions } from '../../agents/catalog';
import { readTextOrNull, writeFileAtomic } from '../../files';
import { readRunJson } from '../../pipelineFiles';
import { WORKER_TOOL_NAMES } from '../../tools/tools';
import { SENTINEL, type AgentRecord, type AgentRole } from '../../types';
import { outputPath } from '../kit';
import type { AttemptResult, RoleContext } from '../pattern';
import { compileWorkflow, itemsSourceOf, type KnownItems } from './compile';
import { stageFiles, stageNamed, stageOfAgent } from './handoffs';
import { EACH_MAX, type WorkflowPlan } from './plan';

type Ctx = RoleContext<WorkflowPlan>;

export const VERDICT_TOOL = 'submit_verdict';
export const LESSONS_TOOL = 'propose_lessons';

/** The tools of each workflow role (what an agent definition's `tools` is intersected with). */
export const roleTools = (role: AgentRole): readonly string[] =>
  role === 'auditor' ? [VERDICT_TOOL] : role === 'reflector' ? [LESSONS_TOOL] : role === 'gate' || role === 'expander' ? [] : WORKER_TOOL_NAMES;

/** Characters of one item at most. */
const ITEM_MAX_CHARS = 500;

/** Where a stage's items are kept once its source stage returned them. */
export const itemsFile = (stageId: string): string => `items/${stageId}.json`;

const ItemsFileSchema = z.object({
  stage: z.string(),
  from: z.string(),
  items: z.array(z.string().min(1).max(ITEM_MAX_CHARS)).min(1).max(EACH_MAX),
});

/** The items every `each: {items}` stage of the plan has so far (read back from the run folder, untrusted). */
export async function knownItems(runDir: string, plan: WorkflowPlan): Promise<KnownItems> {
  const known: Record<string, string[]> = {};
  for (const s of plan.stages) {
    if (!itemsSourceOf(s)) continue;
    const parsed = await readRunJson(runDir, itemsFile(s.id), ItemsFileSchema);
    if (parsed?.stage === s.id) known[s.id] = parsed.items;
  }
  return known;
}

/** The `## Items` list of a stage file: one item a line, outside code fences. */
export function itemsInFile(text: string): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const at = lines.findIndex((l) => /^#{2,3}\s+items\s*$/i.test(l.trim()));
  if (at < 0) return [];
  const items: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (/^#{1,6}\s/.test(l.trim()) || l.trim() === SENTINEL) break;
    const m = /^\s*(?:[-*+]|\d+[.)])\s+(.+?)\s*$/.exec(l);
    if (m) items.push(m[1].replace(/^`(.+)`$/, '$1').trim());
  }
  return items.filter(Boolean);
}

/** The agent definitions a plan's stages and review gates name (agents.json keeps them for agents added later). */
export function definitionsNamed(plan: Pick<WorkflowPlan, 'stages'>): string[] {
  const names = plan.stages.flatMap((s) => [
    ...(s.agent ? [s.agent] : []),
    ...s.gates.flatMap((g) => (typeof g === 'object' && 'review' in g ? [g.review] : [])),
  ]);
  return [...new Set(names)];
}

/**
 * The expander of a stage over returned items: no model. Reads the `## Items` lists of its source
 * stage's files, keeps them, and spawns the agents the workflow has with them that the run does
 * not have yet. No item, or more than the bound, blocks the stages after it (they are skipped,
 * saying why). Its file is written last, so a file with the sentinel proves the spawn happened.
 */
export async function attemptExpander(ctx: Ctx, agent: AgentRecord): Promise<AttemptResult> {
  const stage = stageOfAgent(ctx, agent);
  const source = stageNamed(ctx.plan, itemsSourceOf(stage) ?? '');
  if (!source) throw new Error(`${agent.id}: stage ${stage.id} fans out over no stage's items`);
  const found: string[] = [];
  for (const file of stageFiles(ctx, source)) found.push(...itemsInFile((await readTextOrNull(file)) ?? ''));
  const items = [...new Set(found.map((i) => (i.length > ITEM_MAX_CHARS ? i.slice(0, ITEM_MAX_CHARS) : i)))];
  const spawnWith = async (items: readonly string[] | null): Promise<number> => {
    const compiled = compileWorkflow(ctx.plan, ctx.config, { ...await knownItems(ctx.runDir, ctx.plan), [stage.id]: items });
    const fresh = compiled.agents.filter((a) => !ctx.ledger.get(a.id));
    // Tiers were decided from the file; a definition adds its tool notes, as at planning.
    applyDefinitions(fresh, [...(ctx.agentDefinitions?.values() ?? [])].map((d) => ({ ...d, tier: null })), ctx.config, roleTools);
    if (fresh.length) ctx.spawn(fresh, compiled.groups);
    return fresh.length;
  };
  const write = async (lines: string[], returned: string): Promise<AttemptResult> => {
    await writeFileAtomic(outputPath(ctx, agent), [`# Items of stage ${stage.id}`, '', ...lines, '', SENTINEL, ''].join('\n'));
    return { ok: true, returned };
  };
  // Blocked: what follows is still laid out (the stage as one agent), so each of it is skipped
  // with the reason and the final step says so, rather than the run ending with nothing to show.
  if (items.length === 0 || items.length > EACH_MAX) await spawnWith(null);
  if (items.length === 0) {
    return write([`Stage ${source.id} returned no items (a \`## Items\` list in its file).`],
      `Blocked: stage ${source.id} returned no items for stage ${stage.id} (a \`## Items\` list in its file, one item a line)`);
  }
  if (items.length > EACH_MAX) {
    return write([`Stage ${source.id} returned ${items.length} items; at most ${EACH_MAX} are allowed.`],
      `Blocked: stage ${source.id} returned ${items.length} items for stage ${stage.id}; at most ${EACH_MAX} agents per stage are allowed`);
  }
  await fsp.mkdir(path.join(ctx.runDir, 'items'), { recursive: true });
  await writeFileAtomic(path.join(ctx.runDir, itemsFile(stage.id)), `${JSON.stringify({ stage: stage.id, from: source.id, items }, null, 2)}\n`);
  const added = await spawnWith(items);
  ctx.ledger.log('info', `${agent.id}: stage ${stage.id} fans out over ${items.length} items of stage ${source.id}; ${added} agents added (not in the plan's estimate)`);
  return write([`From stage ${source.id}:`, '', ...items.map((i) => `- ${i}`)], `Expanded: ${items.length} items of stage ${source.id}`);
}

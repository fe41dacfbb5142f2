/**
 * A stage's handoff, what `{{stages.<id>}}` stands for and what the stages after it and the final
 * step read: one line per agent of the stage — its file (workspace-relative, so an agent may open
 * it with read_file), its item, and its one-sentence return — never the files' contents. Bounded,
 * so a stage of a hundred agents costs the next one a few thousand tokens, not its files.
 */
import * as path from 'node:path';
import { readTextOrNull } from '../../files';
import type { AgentRecord } from '../../types';
import type { RoleContext } from '../pattern';
import { itemOf, stageAgentIds } from './compile';
import type { WorkflowPlan, WorkflowStagePlan } from './plan';

/** Characters of one stage's handoff at most; the lines past it are counted, not shown. */
export const HANDOFF_MAX_CHARS = 12_000;

type Ctx = RoleContext<WorkflowPlan>;

export const stageNamed = (plan: WorkflowPlan, id: string): WorkflowStagePlan | undefined => plan.stages.find((s) => s.id === id);

/** The stage an agent belongs to (its group). */
export const stageOfAgent = (ctx: Ctx, agent: AgentRecord): WorkflowStagePlan => {
  const s = agent.domain ? stageNamed(ctx.plan, agent.domain) : undefined;
  if (!s) throw new Error(`${agent.id} belongs to no stage of workflow ${ctx.plan.workflow.name}`);
  return s;
};

const rel = (ctx: Ctx, abs: string): string => path.relative(ctx.workspace, abs).split(path.sep).join('/');

/** A stage's agents' output files, absolute. */
export const stageFiles = (ctx: Ctx, s: WorkflowStagePlan): string[] =>
  stageAgentIds(s).map((id) => path.join(ctx.runDir, ctx.ledger.get(id)?.outputFile ?? `stages/${id}.md`));

/** The handoff of a stage as text (see the file's comment). */
export function handoffOf(ctx: Ctx, s: WorkflowStagePlan): string {
  const lines: string[] = [];
  let used = 0;
  const ids = stageAgentIds(s);
  for (const [i, id] of ids.entries()) {
    const a = ctx.ledger.get(id);
    const item = itemOf(s, id);
    const state = a?.status === 'completed' ? (a.returned ?? 'Done.') : `(${a?.status ?? 'missing'}${a?.error ? `: ${a.error}` : ''})`;
    const line = `- ${rel(ctx, path.join(ctx.runDir, a?.outputFile ?? `stages/${id}.md`))}${item ? ` (${item})` : ''}: ${state.replace(/\s+/g, ' ')}`;
    if (used + line.length > HANDOFF_MAX_CHARS) {
      lines.push(`- … and ${ids.length - i} more agents of stage ${s.id} (their files are in stages/)`);
      break;
    }
    lines.push(line);
    used += line.length + 1;
  }
  return lines.join('\n');
}

/** Every stage's handoff by id, as renderTemplate takes `stages` (those not yet run say so). */
export function handoffsFor(ctx: Ctx): Record<string, string> {
  return Object.fromEntries(ctx.plan.stages.map((s) => [s.id, handoffOf(ctx, s)]));
}

/** Most characters of one output file an auditor or reflector is sent. */
const FILE_EXCERPT = 12_000;
/** Most characters of all of them. */
const FILES_TOTAL = 80_000;

/** A stage's output files as `<file>` blocks for a single-turn reader (an auditor), each and all bounded. */
export async function stageOutputsBlock(ctx: Ctx, s: WorkflowStagePlan): Promise<string> {
  const blocks: string[] = [];
  let room = FILES_TOTAL;
  for (const file of stageFiles(ctx, s)) {
    const text = await readTextOrNull(file);
    if (text === null) { blocks.push(`<file path="${rel(ctx, file)}" missing="true"/>`); continue; }
    const cut = Math.min(FILE_EXCERPT, room);
    blocks.push(`<file path="${rel(ctx, file)}">\n${text.length > cut ? `${text.slice(0, cut)}\n[cut at ${cut} characters]` : text}\n</file>`);
    room = Math.max(0, room - cut);
  }
  return blocks.join('\n\n');
}

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { readTextOrNull, writeFileAtomic } from '../../files';
import { converse } from '../../run/converse';
import { trimToSentence } from '../../text';
import { toolDefinitions } from '../../tools/tools';
import { SENTINEL, type AgentRecord } from '../../types';
import { conversationBase, outputPath, relToWorkspace, retryNote, toolContext, verifyOutput, writeFinalSummary } from '../kit';
import type { AttemptResult, RoleContext } from '../pattern';
import { handoffFile } from './compile';
import { extractHandoff, HANDOFF_MAX_WORDS, renderHandoff } from './handoff';
import type { PipelinePlan, StageSpec } from './plan';

type Ctx = RoleContext<PipelinePlan>;

const stageOf = (ctx: Ctx, id: string): StageSpec => ctx.plan.stages.find((s) => s.id === id)!;
const titleOf = (s: StageSpec): string => `Handoff from ${s.id} (${s.name})`;

/** The plan's stages as a list (names and tasks only: what the chain is, never what earlier stages wrote). */
const stageList = (ctx: Ctx): string => ctx.plan.stages.map((s) => `- ${s.id}: ${s.name} — ${s.task}`).join('\n');

/**
 * A completed stage's handoff as the next step reads it: handoffs/<id>.md, which the engine wrote
 * when it verified the stage. Rebuilt from the stage's own file when missing (a crash between the
 * two writes), so resume never strands the next stage. A string says why there is no handoff.
 */
async function handoffOf(ctx: Ctx, stage: StageSpec, agent: AgentRecord): Promise<{ text: string; file: string } | string> {
  const file = path.join(ctx.runDir, handoffFile(stage.id));
  const stored = await readTextOrNull(file);
  if (stored !== null) return { text: stored, file };
  const own = await readTextOrNull(path.join(ctx.runDir, agent.outputFile));
  const check = own === null ? null : extractHandoff(own);
  if (!check?.ok) return `the handoff of stage ${stage.id} is missing (${check ? check.error : `${agent.outputFile} is gone`})`;
  const text = renderHandoff(titleOf(stage), check.handoff);
  await writeFileAtomic(file, text);
  return { text, file };
}

/** Drops the sentinel and the title line, so the handoff reads as one section of a prompt. */
const handoffBody = (text: string): string =>
  text.split('\n').filter((l) => l.trim() !== SENTINEL && !/^# /.test(l)).join('\n').trim();

/**
 * A stage: given the run task, the list of stages and only the previous stage's handoff; does its
 * step with the read-only tools; writes stages/<id>.md ending with the fixed-format handoff. The
 * engine checks the handoff and writes handoffs/<id>.md, the one thing the next stage will get.
 */
export async function attemptStage(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const stage = stageOf(ctx, agent.id);
  const out = outputPath(ctx, agent);
  const ownHandoff = path.join(ctx.runDir, handoffFile(stage.id));
  // A handoff left by an earlier attempt or run must not outlive the work it summarised.
  await fsp.rm(ownHandoff, { force: true });

  let previous = `# Previous handoff\nNone: this is the first stage. Start from the run task and your scope.`;
  const prevId = agent.dependsOn[0];
  if (prevId) {
    const got = await handoffOf(ctx, stageOf(ctx, prevId), ctx.ledger.get(prevId)!);
    if (typeof got === 'string') return { ok: false, error: got };
    previous = `# ${titleOf(stageOf(ctx, prevId))}\n${handoffBody(got.text)}`;
  }
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system: ctx.prompts.render('pipeline/stage', { maxWords: HANDOFF_MAX_WORDS }),
    sharedBlock: ctx.prompts.render('pipeline/stage-shared', { task: ctx.plan.task, stageList: stageList(ctx) }),
    userBlock: ctx.prompts.render('pipeline/stage-user', {
      agentId: agent.id, stageName: stage.name, agentTask: agent.task,
      scope: agent.scope.length ? agent.scope.join(', ') : '(none: work from the handoff below)',
      outputFile: relToWorkspace(ctx, out), retryNote: retryNote(previousError), previousHandoff: previous,
    }),
    tools: toolDefinitions(),
    toolCtx: toolContext(ctx, agent),
  });
  ctx.ledger.transition(agent.id, 'verifying');
  const sentence = trimToSentence(result.text);
  if (/^failed\b/i.test(sentence)) return { ok: false, error: `the stage reported: ${sentence}` };
  const rel = relToWorkspace(ctx, out);
  const problem = await verifyOutput(out, rel);
  if (problem) return { ok: false, error: problem };
  const check = extractHandoff((await readTextOrNull(out)) ?? '');
  if (!check.ok) return { ok: false, error: `${rel}: ${check.error}` };
  await writeFileAtomic(ownHandoff, renderHandoff(titleOf(stage), check.handoff));
  return { ok: true, returned: sentence || 'Done.' };
}

/**
 * The final step: sees the list of stages and the last stage's handoff only — never a stage file —
 * and writes summary.md. Records what it was sent next to what reading every stage file would cost.
 */
export async function attemptFinal(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const lastId = agent.dependsOn[0];
  const last = stageOf(ctx, lastId);
  const got = await handoffOf(ctx, last, ctx.ledger.get(lastId)!);
  if (typeof got === 'string') return { ok: false, error: got };
  const stages = ctx.plan.stages.map((s) => `- ${s.id}: ${s.name} (${ctx.ledger.get(s.id)?.status ?? 'unknown'}) — ${s.task}`).join('\n');
  const system = ctx.prompts.render('pipeline/final', {});
  const user = ctx.prompts.render('pipeline/final-user', {
    task: ctx.plan.task, stageList: stages, lastStage: `${last.id}: ${last.name}`, handoff: handoffBody(got.text),
  }) + (previousError ? `\n(Previous attempt failed: ${previousError})\n` : '');
  return writeFinalSummary(ctx, agent, signal, {
    system, user, baselinePrompt: system + stages + ctx.plan.task,
    files: ctx.plan.stages.map((s) => path.join(ctx.runDir, ctx.ledger.get(s.id)!.outputFile)),
  });
}

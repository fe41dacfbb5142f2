/**
 * What runs after a stage: its sanity check and review gates (an auditor's pass/block through a
 * forced, zod-checked tool), its approval and check gates (engine steps, no model), and its
 * reflect hook (lessons proposed for memory.md, accepted by the user, never written silently).
 *
 * A gate that blocks or waits still completes — it did its job — and its return says why; the
 * role's `holds` reads that return, so the stages after it are skipped with the reason, the run
 * ends partial saying so, and a resumed run holds them back again (an approval given meanwhile
 * lets them through: a waiting approval gate's file has no sentinel, so resume runs it again).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../config';
import { writeFileAtomic } from '../../files';
import type { ToolDefinition } from '../../model/client';
import { systemBlocks } from '../../run/converse';
import { readRunJson } from '../../pipelineFiles';
import { SENTINEL, type AgentRecord } from '../../types';
import { renderTemplate } from '../../workflows';
import { runCheck } from '../build/checks';
import { conversationBase, forcedToolCall, outputPath } from '../kit';
import type { AttemptResult, RoleContext } from '../pattern';
import { gateSteps } from './compile';
import { handoffsFor, stageOfAgent, stageOutputsBlock } from './handoffs';
import { knownItems } from './items';
import type { WorkflowPlan, WorkflowStagePlan } from './plan';

type Ctx = RoleContext<WorkflowPlan>;

import { LESSONS_TOOL, VERDICT_TOOL } from './items';

export const VerdictSchema = z.object({
  verdict: z.enum(['pass', 'block']),
  /** One or two sentences: why the stage's output may go on, or what is wrong with it. */
  reason: z.string().trim().min(1).max(600),
});

export const LessonsSchema = z.object({
  /** Lessons later runs should keep in mind, one line each; none when the stage taught nothing new. */
  lessons: z.array(z.string().trim().min(8).max(300)).max(5).default([]),
});

/** What a reflector keeps (reflections/<id>.json): the memory's lessons read it back (memory/lessons.ts). */
export const reflectionJson = (id: string): string => `reflections/${id}.json`;

const toolOf = (name: string, description: string, schema: z.ZodType): ToolDefinition => {
  const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  delete json.$schema;
  return { name, description, input_schema: json };
};
const verdictTool = toolOf(VERDICT_TOOL, "Submit your verdict on the stage's output: pass lets the stages after it run, block stops them.", VerdictSchema);
const lessonsTool = toolOf(LESSONS_TOOL, 'Propose lessons from this stage for the project memory (the user decides which to keep).', LessonsSchema);

const PASSED = 'Passed: ';
const BLOCKED = 'Blocked: ';
const WAITING = 'Waiting: ';
const APPROVED = 'Approved: ';

/** The gate of a step id, from the stage's plan. */
function stepOf(s: WorkflowStagePlan, id: string): ReturnType<typeof gateSteps>[number] {
  const step = gateSteps(s).find((g) => g.id === id);
  if (!step) throw new Error(`${id} is not a gate of stage ${s.id}`);
  return step;
}

/** Why a completed gate holds back the stages after it (the `holds` of the auditor and gate roles). */
export function gateHolds(agent: Pick<AgentRecord, 'id' | 'domain' | 'returned'>): string | null {
  const r = agent.returned ?? '';
  if (r.startsWith(BLOCKED)) return `stage ${agent.domain} was blocked by ${agent.id}: ${r.slice(BLOCKED.length)}`;
  if (r.startsWith(WAITING)) return r.slice(WAITING.length);
  return null;
}

async function finishGate(ctx: Ctx, agent: AgentRecord, title: string, lines: string[], returned: string, done = true): Promise<AttemptResult> {
  await writeFileAtomic(outputPath(ctx, agent), [`# ${title}`, '', ...lines, '', ...(done ? [SENTINEL, ''] : [])].join('\n'));
  return { ok: true, returned };
}

/**
 * A sanity check (hook) or a review gate: one forced `submit_verdict` call over the stage's
 * instructions and its output files (bounded excerpts). A review gate runs as the agent the gate
 * names: its definition's body follows the role's system block.
 */
export async function attemptAuditor(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const stage = stageOfAgent(ctx, agent);
  const step = stepOf(stage, agent.id);
  const base = conversationBase(ctx, agent, signal);
  const system = ctx.prompts.render('workflow/auditor', {});
  const user = ctx.prompts.render('workflow/auditor-user', {
    agentId: agent.id, stageId: stage.id, kind: step.kind === 'sanity' ? 'sanity check' : 'review',
    instructions: renderTemplate(stage.instructions, { params: ctx.plan.params, item: '(each agent its own item)', stages: handoffsFor(ctx, await knownItems(ctx.runDir, ctx.plan)) }),
    outputs: await stageOutputsBlock(ctx, stage),
    retryNote: previousError ? `\n(Your previous attempt failed: ${previousError})\n` : '',
  }) + (base.instruction ? `\n\n# The user's instruction\n${base.instruction}\n` : '');
  const cache = ctx.config.promptCaching ? { cache_control: { type: 'ephemeral' as const } } : {};
  const parsed = await forcedToolCall(ctx, agent, signal, {
    system: systemBlocks({ system, ...(base.definition ? { definition: base.definition } : {}) }, cache),
    content: [{ type: 'text', text: user }], tool: verdictTool, schema: VerdictSchema, who: 'auditor',
    transcript: { system, shared: null, prompt: user, instruction: base.instruction ?? null },
  });
  ctx.ledger.transition(agent.id, 'verifying');
  if (!parsed.ok) return parsed;
  const { verdict, reason } = parsed.input;
  const what = step.kind === 'sanity' ? 'Sanity check' : `Review by ${agent.agentDefinition ?? 'a reviewer'}`;
  return finishGate(ctx, agent, `${what} of stage ${stage.id}`, [`Verdict: **${verdict}**`, '', reason],
    `${verdict === 'pass' ? PASSED : BLOCKED}${reason.replace(/\s+/g, ' ')}`);
}

/** The file the user's approval of a stage writes (`Orchestrator.approveGate`, `orchestrate approve`). */
export const approvalFile = (stageId: string): string => `approvals/${stageId}.json`;

export const ApprovalSchema = z.object({ stage: z.string(), approvedAt: z.string(), by: z.string().max(200).optional() });

/**
 * An approval gate or a check gate: engine steps with no model. An approval passes once the
 * user approved the stage (its approval file exists); until then it waits, and the run ends
 * partial saying how to approve. A check runs the workflow's command in the workspace — only
 * ever after the user consented to that exact command (the run refuses to start otherwise) —
 * and passes on exit code 0.
 */
export async function attemptGate(ctx: Ctx, agent: AgentRecord, _previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const stage = stageOfAgent(ctx, agent);
  const step = stepOf(stage, agent.id);
  const gate = step.gate;
  if (step.kind === 'approval') {
    const what = gate && typeof gate === 'object' && 'approval' in gate ? gate.approval : `the output of stage ${stage.id}`;
    const approval = await readRunJson(ctx.runDir, approvalFile(stage.id), ApprovalSchema);
    if (approval) {
      return finishGate(ctx, agent, `Approval of stage ${stage.id}`, [`Approved ${approval.approvedAt}${approval.by ? ` by ${approval.by}` : ''}.`, '', `What was to be looked at: ${what}`],
        `${APPROVED}stage ${stage.id} approved ${approval.approvedAt}`);
    }
    const how = `waiting for approval of stage ${stage.id} (${what}): run \`orchestrate approve ${ctx.runId} ${stage.id}\`, then resume the run`;
    return finishGate(ctx, agent, `Approval of stage ${stage.id}`, [`Waiting for your approval: ${what}.`, '', `Approve with \`orchestrate approve ${ctx.runId} ${stage.id}\`, then resume the run.`],
      `${WAITING}${how}`, false);
  }
  const command = gate && typeof gate === 'object' && 'check' in gate ? gate.check : null;
  if (!command) throw new Error(`${agent.id} is neither an approval nor a check gate`);
  const logRel = `checks/${agent.id}.log`;
  await fsp.mkdir(path.join(ctx.runDir, 'checks'), { recursive: true });
  const r = await runCheck({ command, cwd: ctx.workspace, timeoutMs: ctx.config.verifyTimeoutMs, logFile: path.join(ctx.runDir, logRel), signal });
  if (r.redactions) ctx.ledger.countRedactions(agent.id, r.redactions);
  const verdict = r.timedOut ? `timed out after ${Math.round(ctx.config.verifyTimeoutMs / 1000)} s` : `exited ${r.code ?? 'without a code (killed)'}`;
  const lastLine = r.tail.trim().split('\n').pop()?.slice(0, 200) ?? '';
  return finishGate(ctx, agent, `Check after stage ${stage.id}`, [`\`${command}\` ${verdict} in ${r.ms} ms; the output is in ${logRel}.`, '', '```', r.tail.slice(-2_000), '```'],
    r.ok ? `${PASSED}\`${command}\` exited 0` : `${BLOCKED}\`${command}\` ${verdict}${lastLine ? ` (${lastLine})` : ''}`);
}


/**
 * A reflect hook: one forced `propose_lessons` call over the stage's outputs. The lessons go to
 * reflections/<id>.json, which the run's end turns into proposals for memory.md (the user
 * accepts or drops each; nothing is written there before).
 */
export async function attemptReflector(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const stage = stageOfAgent(ctx, agent);
  const base = conversationBase(ctx, agent, signal);
  const system = ctx.prompts.render('workflow/reflector', {});
  const user = ctx.prompts.render('workflow/reflector-user', {
    agentId: agent.id, stageId: stage.id,
    instructions: renderTemplate(stage.instructions, { params: ctx.plan.params, item: '(each agent its own item)', stages: handoffsFor(ctx, await knownItems(ctx.runDir, ctx.plan)) }),
    outputs: await stageOutputsBlock(ctx, stage),
    retryNote: previousError ? `\n(Your previous attempt failed: ${previousError})\n` : '',
  });
  const parsed = await forcedToolCall(ctx, agent, signal, {
    system: [{ type: 'text', text: system }], content: [{ type: 'text', text: user }], tool: lessonsTool, schema: LessonsSchema,
    who: 'reflector', transcript: { system, shared: null, prompt: user, instruction: base.instruction ?? null },
  });
  if (!parsed.ok) return parsed;
  const { lessons } = parsed.input;
  await writeFileAtomic(path.join(ctx.runDir, reflectionJson(agent.id)), `${JSON.stringify({ stage: stage.id, lessons }, null, 2)}\n`);
  return finishGate(ctx, agent, `Lessons from stage ${stage.id}`, lessons.length ? lessons.map((l) => `- ${l}`) : ['No new lessons.'],
    lessons.length ? `Proposed ${lessons.length} lesson${lessons.length === 1 ? '' : 's'} for memory.md.` : 'No new lessons.');
}

/**
 * Records the user's approval of a stage (approvals/<stage>.json): the stage's approval gate
 * passes when the run resumes. Returns the file written; refuses a plan that is not a workflow's
 * and a stage that has no approval gate, naming the stages that do.
 */
export async function approveStage(runDir: string, plan: { pattern: string } & Record<string, unknown>, stageId: string, now: Date, by?: string): Promise<string> {
  if (plan.pattern !== 'workflow') throw new ConfigError(`This run is a ${plan.pattern} run: only a workflow's stages have approval gates`);
  const stages = (plan as unknown as WorkflowPlan).stages;
  const gated = stages.filter((s) => s.gates.some((g) => g === 'approval' || (typeof g === 'object' && 'approval' in g))).map((s) => s.id);
  if (!gated.includes(stageId)) {
    throw new ConfigError(`Stage "${stageId}" has no approval gate; ${gated.length ? `the stages that have one: ${gated.join(', ')}` : 'no stage of this workflow has one'}`);
  }
  const file = path.join(runDir, approvalFile(stageId));
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify({ stage: stageId, approvedAt: now.toISOString(), ...(by ? { by } : {}) } satisfies z.infer<typeof ApprovalSchema>, null, 2)}\n`);
  return file;
}

/** An approval gate that completed waiting for the user: a front end offers to approve its stage. */
export function isWaitingApproval(a: Pick<AgentRecord, 'role' | 'domain' | 'returned' | 'status'>): boolean {
  return a.role === 'gate' && a.status === 'completed' && !!a.domain && (a.returned ?? '').startsWith(WAITING);
}

/**
 * The stages of a run waiting for the user's approval (their approval gate completed waiting), in
 * ledger order: what a front end offers to approve (`Orchestrator.approveGate`, then resume).
 */
export function waitingApprovals(agents: readonly Pick<AgentRecord, 'role' | 'domain' | 'returned' | 'status'>[]): string[] {
  return agents.filter(isWaitingApproval).map((a) => a.domain!);
}

/** A stage waiting for the user's approval, with what a front end shows before approving it. */
export interface WaitingApproval {
  stage: string;
  /** The gate's own words on what to look at (`{ approval: "…" }`); null for a bare `approval`. */
  message: string | null;
  /** The stage's files to look at first (run-relative): its agents' outputs, then its earlier gates', in ledger order. */
  files: string[];
}

/**
 * The waiting approvals of a run, one per stage, with the gate's message from the run's plan
 * (none when the plan is missing or not a workflow's) and the files of the stage's completed agents.
 */
export function approvalsWaiting(
  agents: readonly Pick<AgentRecord, 'id' | 'role' | 'domain' | 'returned' | 'status' | 'outputFile'>[],
  plan?: { pattern: string },
): WaitingApproval[] {
  const stages = plan?.pattern === 'workflow' && Array.isArray((plan as Partial<WorkflowPlan>).stages) ? (plan as WorkflowPlan).stages : [];
  const out = new Map<string, WaitingApproval>();
  for (const gate of agents.filter(isWaitingApproval)) {
    const stage = gate.domain!;
    if (out.has(stage)) continue;
    const s = stages.find((x) => x.id === stage);
    const step = s ? gateSteps(s).find((g) => g.id === gate.id) : undefined;
    const message = step?.gate && typeof step.gate === 'object' && 'approval' in step.gate ? step.gate.approval : null;
    const files = agents.filter((a) => a.domain === stage && a.status === 'completed' && !isWaitingApproval(a)).map((a) => a.outputFile);
    out.set(stage, { stage, message, files });
  }
  return [...out.values()];
}

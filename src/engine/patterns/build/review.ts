import * as path from 'node:path';
import { z } from 'zod';
import { pathExists, readTextOrNull, writeFileAtomic } from '../../files';
import type { ToolDefinition } from '../../model/client';
import { estimateTokens } from '../../text';
import { SENTINEL, type AgentRecord } from '../../types';
import { forcedToolCall } from '../kit';
import type { AttemptResult, RoleContext } from '../pattern';
import { builderSpec, reviseBuilder } from './builder';
import { builderOfReviewer, builderPatch } from './compile';
import type { BuildPlan } from './plan';

type Ctx = RoleContext<BuildPlan>;

export const REVIEW_TOOL = 'submit_review';
/** How much of a builder's patch a reviewer reads; a longer one is cut with a note (the files list stays whole). */
const PATCH_CHARS = 60_000;

export const ReviewSchema = z.object({
  verdict: z.enum(['approve', 'changes_requested']),
  /** One or two sentences: what the change does and whether it does what the builder was asked. */
  summary: z.string().trim().min(1).max(800),
  /** Each concrete problem, with file and line where possible; empty when approving. */
  reasons: z.array(z.string().trim().min(1).max(800)).max(20).default([]),
});
export type Review = z.infer<typeof ReviewSchema>;

/** What the engine keeps of a review (reviews/<builder>.json): the assembly merges only `approve`. */
export const StoredReviewSchema = ReviewSchema.extend({ revised: z.boolean() });
export type StoredReview = z.infer<typeof StoredReviewSchema>;

export const reviewJson = (builderId: string): string => `reviews/${builderId}.json`;
/** The review that asked for changes, kept when the builder revises (its presence means the one revision was used). */
const firstReviewFile = (builderId: string): string => `reviews/${builderId}-1.md`;

const reviewTool: ToolDefinition = (() => {
  const schema = z.toJSONSchema(ReviewSchema, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  delete schema.$schema;
  return { name: REVIEW_TOOL, description: 'Submit your verdict on the change: approve, or changes_requested with every reason.', input_schema: schema };
})();

/** A review stored by a reviewer of this run, or null when there is none (yet) or it is unreadable. */
export async function readReview(runDir: string, builderId: string): Promise<StoredReview | null> {
  const text = await readTextOrNull(path.join(runDir, reviewJson(builderId)));
  if (text === null) return null;
  try {
    const parsed = StoredReviewSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch { return null; }
}

/**
 * A reviewer: reads its builder's diff and the builder's part of the plan, and submits a
 * structured verdict. Changes requested → the builder gets one more attempt with the review, then
 * it is reviewed again. A builder still rejected is marked failed with the reasons (a named gap)
 * and its change stays out of changes.patch.
 */
export async function attemptReviewer(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const builderId = builderOfReviewer(agent.id);
  const builder = ctx.ledger.get(builderId);
  if (!builder) throw new Error(`Reviewer ${agent.id}: builder ${builderId} is not in the ledger`);
  let review = await reviewOnce(ctx, agent, builderId, previousError, signal);
  if (!review.ok) return review;
  let revised = await pathExists(path.join(ctx.runDir, firstReviewFile(builderId)));
  if (review.review.verdict === 'changes_requested' && !revised) {
    await writeFileAtomic(path.join(ctx.runDir, firstReviewFile(builderId)), reviewMarkdown(builderId, review.review, false));
    revised = true;
    ctx.ledger.log('info', `${agent.id}: changes requested; ${builderId} gets one more attempt with the review`);
    ctx.ledger.transition(builderId, 'running', { attempts: builder.attempts + 1 });
    let again: AttemptResult;
    try {
      again = await reviseBuilder(ctx, builder, reviewText(review.review), signal);
    } catch (err) {
      signal.throwIfAborted();
      again = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    if (!again.ok) {
      await rejectBuilder(ctx, builderId, `its revision after ${agent.id}'s review failed: ${again.error}`);
      await storeReview(ctx, builderId, review.review, revised);
      return { ok: true, returned: `Changes requested; ${builderId}'s revision failed, so its change is left out.` };
    }
    ctx.ledger.setReturn(builderId, again.returned, estimateTokens(again.returned));
    ctx.ledger.transition(builderId, 'completed', { error: null });
    review = await reviewOnce(ctx, agent, builderId, null, signal);
    if (!review.ok) return review;
  }
  await storeReview(ctx, builderId, review.review, revised);
  if (review.review.verdict === 'changes_requested') {
    await rejectBuilder(ctx, builderId, `changes requested by ${agent.id}: ${review.review.summary}`);
    return { ok: true, returned: `Changes requested after the revision: ${review.review.summary}`.slice(0, 200) };
  }
  return { ok: true, returned: `Approved: ${review.review.summary}`.slice(0, 200) };
}

async function storeReview(ctx: Ctx, builderId: string, review: Review, revised: boolean): Promise<void> {
  await writeFileAtomic(path.join(ctx.runDir, reviewJson(builderId)), JSON.stringify({ ...review, revised } satisfies StoredReview, null, 2));
  await writeFileAtomic(path.join(ctx.runDir, `reviews/${builderId}.md`), reviewMarkdown(builderId, review, revised));
}

/**
 * A builder whose change will not be assembled: failed with the reason (a named gap), and its
 * report loses the sentinel, so resume and retry-failed give it another go instead of trusting it.
 */
export async function rejectBuilder(ctx: Ctx, builderId: string, reason: string): Promise<void> {
  const a = ctx.ledger.get(builderId);
  if (!a) return;
  ctx.ledger.transition(builderId, 'failed', { error: reason });
  const file = path.join(ctx.runDir, a.outputFile);
  const text = (await readTextOrNull(file)) ?? `# Builder ${builderId}\n`;
  await writeFileAtomic(file, `${text.replace(SENTINEL, '').trimEnd()}\n\n## Not in changes.patch\n\n${reason}\n`);
}

type ReviewOutcome = { ok: true; review: Review } | { ok: false; error: string };

/** One review request: the builder's task, owned files and patch in; a forced `submit_review` call out. */
async function reviewOnce(ctx: Ctx, agent: AgentRecord, builderId: string, previousError: string | null, signal: AbortSignal): Promise<ReviewOutcome> {
  const spec = builderSpec(ctx, builderId);
  const patch = await readTextOrNull(path.join(ctx.runDir, builderPatch(builderId)));
  if (patch === null) return { ok: false, error: `${builderPatch(builderId)} is missing: the builder's change cannot be reviewed` };
  const diff = patch.length > PATCH_CHARS ? `${patch.slice(0, PATCH_CHARS)}\n[diff cut at ${PATCH_CHARS} characters]` : patch;
  const user = ctx.prompts.render('build/reviewer-user', {
    task: ctx.plan.task, brief: ctx.plan.brief || '(none)', builderId, builderTask: spec.task,
    owns: spec.owns.map((f) => `- ${f}`).join('\n'), diff,
    retryNote: previousError ? `\n(Your previous attempt failed: ${previousError})\n` : '',
  });
  const system = ctx.prompts.render('build/reviewer', {});
  const parsed = await forcedToolCall(ctx, agent, signal, {
    system: [{ type: 'text', text: system }], content: [{ type: 'text', text: user }], tool: reviewTool, schema: ReviewSchema,
    who: 'reviewer', transcript: { system, shared: null, prompt: user, instruction: null },
  });
  if (!parsed.ok) return parsed;
  if (parsed.input.verdict === 'changes_requested' && parsed.input.reasons.length === 0) {
    return { ok: false, error: 'changes_requested needs at least one reason the builder can act on' };
  }
  return { ok: true, review: parsed.input };
}

const reviewText = (r: Review): string => [r.summary, ...r.reasons.map((x) => `- ${x}`)].join('\n');

function reviewMarkdown(builderId: string, r: Review, revised: boolean): string {
  return [
    `# Review of ${builderId}`, '',
    `Verdict: **${r.verdict === 'approve' ? 'approve' : 'changes requested'}**${revised ? ' (after one revision)' : ''}`, '',
    r.summary, '', ...(r.reasons.length ? ['## Reasons', '', ...r.reasons.map((x) => `- ${x}`), ''] : []), SENTINEL, '',
  ].join('\n');
}

import * as path from 'node:path';
import { ignoreOptionsOf } from '../../config';
import { readTextOrNull, writeFileAtomic } from '../../files';
import { scopeExistsSync } from '../../plan/workspace';
import { converse, type ToolResultBlock } from '../../run/converse';
import { estimateTokens, trimToSentence } from '../../text';
import { SENTINEL, type AgentRecord } from '../../types';
import { attemptReportingAgent, conversationBase } from '../kit';
import type { AttemptResult, RoleContext } from '../pattern';
import { roundGroup, roundOf, spawnRecords } from './compile';
import type { SupervisorPlan } from './plan';
import { historyBefore, loadState, saveRound, type RoundOutcome, type RoundState } from './state';
import { FINISH_TOOL, SPAWN_TOOL, SUPERVISOR_TOOLS, type RoundEnd, type SpawnStanding } from './tools';

type Ctx = RoleContext<SupervisorPlan>;

const NUDGE = `Reply by calling ${SPAWN_TOOL} or ${FINISH_TOOL}; a reply without a tool call does nothing.`;

/** A worker: reads its scope with the tools, writes workers/<id>.md, returns one sentence to its supervisor. */
export function attemptWorker(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  return attemptReportingAgent(ctx, agent, previousError, signal, {
    system: ctx.prompts.render('supervisor/worker', {}),
    user: (outputFile, retry) => ctx.prompts.render('supervisor/worker-user', {
      task: ctx.plan.task, agentId: agent.id, agentTask: agent.task, scope: agent.scope.join(', '), outputFile, retryNote: retry,
    }),
  });
}

/**
 * One supervisor round: the conversation so far (from supervisor/conversation.json) plus the
 * returns of the workers the last round spawned, then requests on the agent loop (converse) until
 * the supervisor calls spawn_workers (the engine adds the workers and the next round, which waits
 * for them) or finish (the engine writes summary.md). Either call ends the attempt, so a supervisor
 * waiting for its workers holds no slot: the next round's record resumes the conversation. The
 * context grows by the returns only; each round records its prompt tokens. A round already decided
 * before an interruption is not asked again.
 */
export async function attemptSupervisor(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const round = roundOf(agent.id);
  if (round === null) throw new Error(`supervisor record ${agent.id}: expected an id like sup-1`);
  const state = await loadState(ctx.runDir);
  const decided = state.rounds.find((r) => r.round === round);
  if (decided) {
    ctx.ledger.log('info', `${agent.id}: round ${round} was decided before the interruption; its decision stands`);
    return apply(ctx, agent, decided);
  }
  const previous = state.rounds.find((r) => r.round === round - 1);
  if (round > 1 && previous?.outcome.kind !== 'spawned') {
    return { ok: false, error: `supervisor/conversation.json has no round ${round - 1} that spawned workers, so round ${round} has nothing to wake on` };
  }
  const opening = previous ? returnsMessage(ctx, round, previous, previousError) : firstMessage(ctx, previousError);
  const exists = scopeExistsSync(ctx.workspace, ctx.config.outputRoot, ignoreOptionsOf(ctx.config));
  const standing = (): SpawnStanding => ({ round, spawned: workersSpawned(ctx), tokensUsed: tokensUsed(ctx), runBudget: runBudget(ctx) });
  const result = await converse<RoundEnd>({
    ...conversationBase(ctx, agent, signal),
    // A round's prompt is its task or its returns; the user's Rerun instruction is not added to it.
    instruction: null,
    system: ctx.prompts.render('supervisor/supervisor', {}),
    userBlock: 'text' in opening ? opening.text : '',
    ...('results' in opening ? { resume: { history: historyBefore(state, round), results: opening.results } } : {}),
    tools: SUPERVISOR_TOOLS.bind({ limits: ctx.plan.limits, focus: ctx.plan.focus, exists, standing }),
    toolChoice: 'any',
    nudge: NUDGE,
    onResponse: (turn, promptTokens) => { if (turn === 1) logGrowth(ctx, agent, round, promptTokens, previous, opening.returnTokens); },
    turnLimitMessage: `turn limit of ${ctx.config.maxTurns} reached in round ${round} before the supervisor called ${SPAWN_TOOL} or ${FINISH_TOOL}`,
  });
  // With a nudge the loop ends only through a tool or at the turn limit (which throws).
  const ended = result.ended;
  if (!ended) throw new Error(`${agent.id}: the conversation ended without ${SPAWN_TOOL} or ${FINISH_TOOL}`);
  const outcome: RoundOutcome = ended.value.kind === 'spawned'
    ? { kind: 'spawned', toolUseId: ended.toolUseId, otherResults: ended.results, workers: ended.value.workers }
    : { kind: 'finished', summary: ended.value.summary };
  const entry: RoundState = {
    round, messages: ended.messages, promptTokens: result.firstPromptTokens, lastPromptTokens: result.lastPromptTokens, returnTokens: opening.returnTokens, outcome,
  };
  // Written before the records are added: whatever the crash point, a resume finds the decision and replays it.
  await saveRound(ctx.runDir, state, entry);
  return apply(ctx, agent, entry);
}

/**
 * Carries out a decided round: adds the workers and the next round (those not in the ledger yet),
 * or writes summary.md; then the round's own file. Safe to repeat after an interruption.
 */
async function apply(ctx: Ctx, agent: AgentRecord, entry: RoundState): Promise<AttemptResult> {
  const { round, outcome } = entry;
  let decision: string;
  let returned: string;
  if (outcome.kind === 'spawned') {
    const records = spawnRecords(ctx.config, ctx.plan, round, outcome.workers);
    const missing = records.filter((r) => !ctx.ledger.get(r.id));
    if (missing.length) ctx.spawn(missing, [roundGroup(round), roundGroup(round + 1)]);
    await ctx.ledger.flush();
    decision = `## Spawned\n\n${outcome.workers.map((w) => `- **${w.id}** (${w.tier}, ${w.scope.join(', ')}): ${w.task}`).join('\n')}\n\nRound ${round + 1} wakes on their returns.`;
    returned = `Round ${round}: spawned ${outcome.workers.map((w) => w.id).join(', ')}.`;
  } else {
    await writeFileAtomic(path.join(ctx.runDir, 'summary.md'), `${outcome.summary.trimEnd()}\n\n${SENTINEL}\n`);
    await recordParentContext(ctx, entry);
    decision = '## Finished\n\nThe summary is in [summary.md](../summary.md).';
    returned = trimToSentence(outcome.summary.replace(/^[>#].*$/gm, ''), 200) || `Round ${round}: finished.`;
  }
  const growth = `Context: ${entry.promptTokens} prompt tokens when this round woke; the returns it woke on were ${entry.returnTokens} tokens.`;
  await writeFileAtomic(path.join(ctx.runDir, agent.outputFile), `# Supervisor round ${round}\n\n${growth}\n\n${decision}\n\n${SENTINEL}\n`);
  return { ok: true, returned };
}

/** Round 1 opens with the task, the brief, the areas and the limits. */
function firstMessage(ctx: Ctx, previousError: string | null): { text: string; returnTokens: number } {
  const { plan } = ctx;
  const text = ctx.prompts.render('supervisor/supervisor-user', {
    task: plan.task, brief: plan.brief, areas: plan.areas.map((a) => `- ${a}`).join('\n'),
    rounds: plan.limits.rounds, perRound: plan.limits.perRound, workers: plan.limits.workers, tokens: plan.limits.tokens,
    focus: plan.focus.length ? `Focus: only paths inside ${plan.focus.join(', ')}.\n` : '',
    retryNote: previousError ? `(Your previous attempt at this round failed: ${previousError})` : '',
  });
  return { text, returnTokens: 0 };
}

/**
 * Round N opens with the result of round N − 1's spawn_workers call: each worker's one-sentence
 * return (or why it has none) and where the run stands against the limits. Nothing else is added.
 */
function returnsMessage(ctx: Ctx, round: number, previous: RoundState, previousError: string | null): { results: ToolResultBlock[]; returnTokens: number } {
  if (previous.outcome.kind !== 'spawned') throw new Error('returnsMessage needs a round that spawned workers');
  const lines = previous.outcome.workers.map((w) => {
    const a = ctx.ledger.get(w.id);
    if (!a) return `- ${w.id}: missing from the ledger`;
    return a.status === 'completed' ? `- ${w.id} (${a.outputFile}): ${a.returned ?? 'Done.'}` : `- ${w.id} (${a.status}): ${a.error ?? 'no return'}`;
  });
  const { limits } = ctx.plan;
  const text = ctx.prompts.render('supervisor/returns', {
    round, previous: round - 1, returns: lines.join('\n'), spawned: workersSpawned(ctx),
    workers: limits.workers, rounds: limits.rounds, tokensUsed: tokensUsed(ctx), tokens: limits.tokens,
    retryNote: previousError ? `(Your previous attempt at this round failed: ${previousError})` : '',
  });
  const results: ToolResultBlock[] = [...previous.outcome.otherResults as ToolResultBlock[], { type: 'tool_result', tool_use_id: previous.outcome.toolUseId, content: text }];
  return { results, returnTokens: estimateTokens(lines.join('\n')) };
}

function logGrowth(ctx: Ctx, agent: AgentRecord, round: number, promptTokens: number, previous: RoundState | undefined, returnTokens: number): void {
  const growth = previous ? ` (+${promptTokens - previous.promptTokens} since round ${round - 1} woke; the returns are ${returnTokens} tokens)` : '';
  ctx.ledger.log('info', `${agent.id}: round ${round} woke with ${promptTokens} prompt tokens${growth}`);
}

function workersSpawned(ctx: Ctx): number {
  return ctx.ledger.agents.filter((a) => a.role === 'worker').length;
}

/** Tokens the run has used, every agent included (the planner too: it is the same budget). */
function tokensUsed(ctx: Ctx): number {
  const u = ctx.ledger.totals.usage;
  return u.input + u.output + u.cacheRead + u.cacheWrite;
}

/** The run-wide budget of the settings, when already spent (the engine also refuses to start agents then). */
function runBudget(ctx: Ctx): string | null {
  const { maxCostUsd, maxTokens } = ctx.config;
  const t = ctx.ledger.totals;
  if (maxCostUsd !== null && t.costUsd >= maxCostUsd) return `the run's cost cap is reached ($${t.costUsd.toFixed(4)} of $${maxCostUsd}, setting maxCostUsd)`;
  if (maxTokens !== null && tokensUsed(ctx) >= maxTokens) return `the run's token cap is reached (${tokensUsed(ctx)} of ${maxTokens}, setting maxTokens)`;
  return null;
}

/**
 * What the supervisor was last sent, next to what it would have read had it read every worker's
 * file instead of its return (the run totals' parent context and flat baseline).
 */
async function recordParentContext(ctx: Ctx, entry: RoundState): Promise<void> {
  const state = await loadState(ctx.runDir);
  const first = state.rounds.find((r) => r.round === 1) ?? entry;
  let files = 0;
  for (const w of ctx.ledger.agents.filter((a) => a.role === 'worker')) {
    files += estimateTokens((await readTextOrNull(path.join(ctx.runDir, w.outputFile)).catch(() => null)) ?? '');
  }
  ctx.ledger.patchTotals({ parentContextTokens: entry.lastPromptTokens, flatBaselineTokens: first.promptTokens + files });
}

import * as path from 'node:path';
import { ignoreOptionsOf } from '../../config';
import { readTextOrNull, writeFileAtomic } from '../../files';
import { ModelError, type ChatMessage, type ContentBlock } from '../../model/client';
import { scopeExists } from '../../plan/workspace';
import { withRollingBreakpoint } from '../../run/converse';
import { sendRecorded } from '../../transcripts/record';
import { estimateTokens, trimToSentence } from '../../text';
import { SENTINEL, type AgentRecord } from '../../types';
import { attemptReportingAgent, conversationBase } from '../kit';
import type { AttemptResult, RoleContext } from '../pattern';
import { roundGroup, roundOf, spawnRecords, type SpawnedWorker } from './compile';
import type { SupervisorPlan } from './plan';
import { historyBefore, loadState, saveRound, type RoundOutcome, type RoundState, type ToolResultBlock } from './state';
import { checkFinish, checkSpawn, FINISH_TOOL, SPAWN_TOOL, SUPERVISOR_TOOLS } from './tools';

type Ctx = RoleContext<SupervisorPlan>;

const EPHEMERAL = { type: 'ephemeral' } as const;
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
 * returns of the workers the last round spawned, then requests until the supervisor calls
 * spawn_workers (the engine adds the workers and the next round, which waits for them) or finish
 * (the engine writes summary.md). The context grows by the returns only; each round records its
 * prompt tokens. A round already decided before an interruption is not asked again.
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
  const history = historyBefore(state, round);
  const added: ChatMessage[] = [opening.message];
  const system = [{ type: 'text' as const, text: ctx.prompts.render('supervisor/supervisor', {}), ...(ctx.config.promptCaching ? { cache_control: EPHEMERAL } : {}) }];
  const base = conversationBase(ctx, agent, signal);
  const exists = scopeExists(ctx.workspace, ctx.config.outputRoot, ignoreOptionsOf(ctx.config));
  let promptTokens = 0;
  const t = base.transcript;
  t?.begin({ model: agent.modelRequested, system: system[0].text, shared: null, prompt: openingText(opening.message), instruction: null });

  for (let turn = 1; turn <= ctx.config.maxTurns; turn++) {
    const messages = [...history, ...added];
    const res = await sendRecorded(ctx.policy, {
      model: agent.modelRequested, system, messages: ctx.config.promptCaching ? withRollingBreakpoint(messages) : messages,
      tools: [...SUPERVISOR_TOOLS], toolChoice: { type: 'any' }, maxTokens: base.maxTokens, signal, timeoutMs: base.requestTimeoutMs,
    }, base.cap, t, turn, (n) => ctx.ledger.countRedactions(agent.id, n));
    const cost = ctx.price(res.model, res.usage);
    ctx.ledger.addUsage(agent.id, res.model, res.usage, cost);
    t?.usage(res.usage, cost, res.stopReason, res.model);
    const lastPromptTokens = res.usage.input + res.usage.cacheRead + res.usage.cacheWrite;
    if (turn === 1) {
      promptTokens = lastPromptTokens;
      logGrowth(ctx, agent, round, promptTokens, previous, opening.returnTokens);
    }
    added.push({ role: 'assistant', content: res.content });
    const uses = res.content.filter((b): b is Extract<ContentBlock, { type: 'tool_use' }> => b.type === 'tool_use');
    if (uses.length === 0) {
      added.push({ role: 'user', content: [{ type: 'text', text: NUDGE }] });
      continue;
    }
    const results: ToolResultBlock[] = [];
    let outcome: RoundOutcome | null = null;
    for (const use of uses) {
      signal.throwIfAborted();
      if (outcome) {
        const skipped = `not run: the round had already ended with ${outcome.kind === 'spawned' ? SPAWN_TOOL : FINISH_TOOL}`;
        results.push({ type: 'tool_result', tool_use_id: use.id, content: skipped, is_error: true });
        t?.toolResult(use.id, false, skipped);
        continue;
      }
      const decision = decide(ctx, round, use, exists);
      ctx.ledger.recordTool(agent.id, use.name, decision.ok, decision.ok ? undefined : decision.error.slice(0, 200));
      if (decision.ok) {
        outcome = decision.outcome;
        t?.toolResult(use.id, true, outcome.kind === 'spawned' ? `spawned ${outcome.workers.map((w) => w.id).join(', ')}` : 'finished: the engine writes summary.md');
      } else {
        results.push({ type: 'tool_result', tool_use_id: use.id, content: decision.error, is_error: true });
        t?.toolResult(use.id, false, decision.error);
      }
    }
    if (outcome) {
      if (outcome.kind === 'spawned') outcome.otherResults = results;
      const entry: RoundState = { round, messages: added, promptTokens, lastPromptTokens, returnTokens: opening.returnTokens, outcome };
      // Written before the records are added: whatever the crash point, a resume finds the decision and replays it.
      await saveRound(ctx.runDir, state, entry);
      return apply(ctx, agent, entry);
    }
    added.push({ role: 'user', content: results });
  }
  const limit = new ModelError(`turn limit of ${ctx.config.maxTurns} reached in round ${round} before the supervisor called ${SPAWN_TOOL} or ${FINISH_TOOL}`, 'invalid');
  t?.error(limit.message, false);
  throw limit;
}

/** The text a round opens with, for its transcript (the task, or the returns it woke on). */
function openingText(message: ChatMessage): string {
  return message.content.map((b) => (b.type === 'text' ? b.text : b.type === 'tool_result' ? b.content : '')).filter(Boolean).join('\n\n');
}

type Decision = { ok: true; outcome: RoundOutcome } | { ok: false; error: string };

/** What one tool call decides: a round outcome, or a refusal the supervisor reads and answers. */
function decide(ctx: Ctx, round: number, use: Extract<ContentBlock, { type: 'tool_use' }>, exists: (p: string) => boolean): Decision {
  if (use.name === FINISH_TOOL) {
    const summary = checkFinish(use.input);
    return summary.ok ? { ok: true, outcome: { kind: 'finished', summary: summary.value } } : summary;
  }
  if (use.name !== SPAWN_TOOL) return { ok: false, error: `unknown tool ${use.name}; the tools are ${SPAWN_TOOL} and ${FINISH_TOOL}` };
  const spawned = ctx.ledger.agents.filter((a) => a.role === 'worker').length;
  const checked = checkSpawn(use.input, ctx.plan.limits, { round, spawned, tokensUsed: tokensUsed(ctx), runBudget: runBudget(ctx) }, { focus: ctx.plan.focus, exists });
  if (!checked.ok) return checked;
  const workers: SpawnedWorker[] = checked.value.map((o, i) => ({ ...o, id: `w${spawned + i + 1}` }));
  return { ok: true, outcome: { kind: 'spawned', toolUseId: use.id, otherResults: [], workers } };
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
function firstMessage(ctx: Ctx, previousError: string | null): { message: ChatMessage; returnTokens: number } {
  const { plan } = ctx;
  const text = ctx.prompts.render('supervisor/supervisor-user', {
    task: plan.task, brief: plan.brief, areas: plan.areas.map((a) => `- ${a}`).join('\n'),
    rounds: plan.limits.rounds, perRound: plan.limits.perRound, workers: plan.limits.workers, tokens: plan.limits.tokens,
    focus: plan.focus.length ? `Focus: only paths inside ${plan.focus.join(', ')}.\n` : '',
    retryNote: previousError ? `(Your previous attempt at this round failed: ${previousError})` : '',
  });
  return { message: { role: 'user', content: [{ type: 'text', text }] }, returnTokens: 0 };
}

/**
 * Round N opens with the result of round N − 1's spawn_workers call: each worker's one-sentence
 * return (or why it has none) and where the run stands against the limits. Nothing else is added.
 */
function returnsMessage(ctx: Ctx, round: number, previous: RoundState, previousError: string | null): { message: ChatMessage; returnTokens: number } {
  if (previous.outcome.kind !== 'spawned') throw new Error('returnsMessage needs a round that spawned workers');
  const lines = previous.outcome.workers.map((w) => {
    const a = ctx.ledger.get(w.id);
    if (!a) return `- ${w.id}: missing from the ledger`;
    return a.status === 'completed' ? `- ${w.id} (${a.outputFile}): ${a.returned ?? 'Done.'}` : `- ${w.id} (${a.status}): ${a.error ?? 'no return'}`;
  });
  const { limits } = ctx.plan;
  const text = ctx.prompts.render('supervisor/returns', {
    round, previous: round - 1, returns: lines.join('\n'), spawned: ctx.ledger.agents.filter((a) => a.role === 'worker').length,
    workers: limits.workers, rounds: limits.rounds, tokensUsed: tokensUsed(ctx), tokens: limits.tokens,
    retryNote: previousError ? `(Your previous attempt at this round failed: ${previousError})` : '',
  });
  const content: ContentBlock[] = [...previous.outcome.otherResults as ToolResultBlock[], { type: 'tool_result', tool_use_id: previous.outcome.toolUseId, content: text }];
  return { message: { role: 'user', content }, returnTokens: estimateTokens(lines.join('\n')) };
}

function logGrowth(ctx: Ctx, agent: AgentRecord, round: number, promptTokens: number, previous: RoundState | undefined, returnTokens: number): void {
  const growth = previous ? ` (+${promptTokens - previous.promptTokens} since round ${round - 1} woke; the returns are ${returnTokens} tokens)` : '';
  ctx.ledger.log('info', `${agent.id}: round ${round} woke with ${promptTokens} prompt tokens${growth}`);
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

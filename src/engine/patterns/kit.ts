/**
 * Building blocks every pattern's roles use: the agent loop's common parameters, the retry note,
 * the verification of an output file, and workspace-relative paths for prompts.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import { formatIssues, ignoreOptionsOf } from '../config';
import { endsWithSentinel, readTextOrNull, writeFileAtomic } from '../files';
import type { Ledger } from '../ledger/ledger';
import type { ChatMessage, ModelRequest, ModelResponse, ToolDefinition } from '../model/client';
import { workspaceOverview } from '../plan/workspace';
import { converse, type ConversationParams } from '../run/converse';
import { estimateTokens, trimToSentence } from '../text';
import { sendRecorded } from '../transcripts/record';
import { guardPathSync } from '../tools/pathGuard';
import { toolDefinitions, type ToolContext } from '../tools/tools';
import { SENTINEL, type AgentRecord } from '../types';
import type { AttemptResult, RoleContext } from './pattern';

/** A path as the model sees it: relative to the workspace, '/'-separated. */
export const relToWorkspace = (ctx: RoleContext, abs: string): string => path.relative(ctx.workspace, abs).split(path.sep).join('/');

/** The agent's output file, absolute. */
export const outputPath = (ctx: RoleContext, agent: AgentRecord): string => path.join(ctx.runDir, agent.outputFile);

/** The parameters of converse() that come from the agent and the run rather than from the role. */
export function conversationBase(ctx: RoleContext, agent: AgentRecord, signal: AbortSignal):
  Omit<ConversationParams, 'system' | 'userBlock' | 'tools' | 'toolCtx'> {
  return {
    agentId: agent.id,
    model: agent.modelRequested,
    cap: ctx.config.tierCaps[agent.tier],
    maxTurns: ctx.config.maxTurns,
    maxTokens: ctx.config.maxTokensPerResponse,
    requestTimeoutMs: ctx.config.requestTimeoutMs,
    caching: ctx.config.promptCaching,
    signal,
    policy: ctx.policy,
    ledger: ctx.ledger,
    price: ctx.price,
    ...(ctx.transcripts ? { transcript: ctx.transcripts.agent(agent.id) } : {}),
    instruction: ctx.instructions?.[agent.id] ?? null,
    ...definitionOf(ctx, agent),
  };
}

/** The agent's definition as converse takes it; an agent whose definition the run lost fails rather than run without it. */
function definitionOf(ctx: RoleContext, agent: AgentRecord): Pick<ConversationParams, 'definition'> {
  if (!agent.agentDefinition) return {};
  const def = ctx.agentDefinitions?.get(agent.agentDefinition);
  if (!def) throw new Error(`its agent definition "${agent.agentDefinition}" is not in the run's agents.json`);
  return { definition: { name: def.name, body: def.body, tools: def.tools } };
}

/**
 * The workspace tools' context for an agent: its own output file, the run's ignore rules, and the
 * run's focus (the tools refuse paths outside it). `extra` adds what a role may read besides.
 */
export function toolContext(ctx: RoleContext, agent: AgentRecord, extra: Partial<ToolContext> = {}): ToolContext {
  return {
    workspace: ctx.workspace, outputRoot: ctx.config.outputRoot, ownOutputFile: outputPath(ctx, agent),
    ...ignoreOptionsOf(ctx.config), ...(ctx.plan.focus.length ? { focus: ctx.plan.focus } : {}), ...extra,
  };
}

/** Lines of workspace tree an agent's prompt shows at most (the planner's shows up to 400). */
const AGENT_OVERVIEW_ENTRIES = 200;

const overviews = new WeakMap<Ledger, Promise<string>>();

/**
 * The run-wide block of an agent that explores the workspace with tools: the workspace overview,
 * inside the run's focus. Made once per run (per ledger) and reused, so every agent's prompt holds
 * the same bytes and the prefix up to it is cached once for the run, whatever changes on disk.
 */
export function runContextBlock(ctx: RoleContext): Promise<string> {
  let block = overviews.get(ctx.ledger);
  if (!block) {
    block = workspaceOverview(ctx.workspace, {
      outputRoot: ctx.config.outputRoot, ...ignoreOptionsOf(ctx.config), maxEntries: AGENT_OVERVIEW_ENTRIES,
      ...(ctx.plan.focus.length ? { focus: ctx.plan.focus } : {}),
    }).then((overview) => ctx.prompts.render('workspace', { overview: overview.trimEnd() }));
    // A failed walk is not kept: the next agent tries again rather than every agent failing.
    void block.catch(() => overviews.delete(ctx.ledger));
    overviews.set(ctx.ledger, block);
  }
  return block;
}

/** The prompts of a worker-like agent; `user` gets the output file and the retry note. */
export interface WorkerPrompts {
  system: string;
  /** Text every agent of the role shares across the run (the workspace overview): cached first. */
  run?: string;
  /** Text every agent of a group shares (run task, domain brief): placed next and cached. */
  shared?: string;
  user(outputFile: string, retryNote: string): string;
  /** Run-folder files it may read besides the workspace (a workflow stage: the files of the stages it follows). */
  extraReadable?: string[];
}

/**
 * The attempt every pattern's worker-like agent makes: read its scope with the read tools (inside
 * the run's focus), write its own output file, return one sentence. A reply that starts with
 * `Failed.` or an output file without the sentinel fails the attempt with that reason.
 */
export async function attemptReportingAgent(
  ctx: RoleContext, agent: AgentRecord, previousError: string | null, signal: AbortSignal, prompts: WorkerPrompts,
): Promise<AttemptResult> {
  const out = outputPath(ctx, agent);
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system: prompts.system,
    ...(prompts.run ? { runBlock: prompts.run } : {}),
    ...(prompts.shared ? { sharedBlock: prompts.shared } : {}),
    userBlock: prompts.user(relToWorkspace(ctx, out), retryNote(previousError)),
    tools: toolDefinitions(),
    toolCtx: toolContext(ctx, agent, prompts.extraReadable?.length ? { extraReadable: prompts.extraReadable } : {}),
  });
  ctx.ledger.transition(agent.id, 'verifying');
  const sentence = trimToSentence(result.text);
  if (/^failed\b/i.test(sentence)) return { ok: false, error: `the ${agent.role} reported: ${sentence}` };
  const problem = await verifyOutput(out, relToWorkspace(ctx, out));
  return problem ? { ok: false, error: problem } : { ok: true, returned: sentence || 'Done.' };
}

/** What the next attempt is told about the last one. */
export function retryNote(previousError: string | null): string {
  return previousError
    ? `\nYour previous attempt failed: ${previousError}\nFix that this time; your file must end with the exact line ${SENTINEL}.\n`
    : '';
}

/** Why an output file does not prove the work was done, or null when it does. */
export async function verifyOutput(file: string, what: string): Promise<string | null> {
  const text = await readTextOrNull(file);
  if (text === null) return `${what} was never written (write_output was not called)`;
  if (!endsWithSentinel(text)) return `${what} does not end with the line ${SENTINEL}`;
  return null;
}

const attr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Files packed into a prompt for an agent that gets its input inline and needs no tools (a mapper,
 * a batched expert): each read through the path guard again (a file may have become a symlink to
 * a secret since planning), whole, as `<file path="…">` blocks, cut once `roomChars` is spent. A
 * file that cannot be read is a block saying why, and is listed in `unreadable` ("path: why").
 */
export function packFilesSync(ctx: RoleContext, paths: readonly string[], roomChars: number): { blocks: string[]; unreadable: string[] } {
  const guard = { workspace: ctx.workspace, outputRoot: ctx.config.outputRoot, secretFiles: ctx.config.secretFiles };
  let room = roomChars;
  const blocks: string[] = [];
  const unreadable: string[] = [];
  for (const rel of paths) {
    let text: string;
    try {
      // Whole and synchronous, as read_file reads files of this size: one syscall each way.
      text = readFileSync(guardPathSync(guard, rel).abs, 'utf8');
    } catch (err) {
      unreadable.push(`${rel}: ${message(err)}`);
      blocks.push(`<file path="${attr(rel)}" unreadable="${attr(message(err))}"/>`);
      continue;
    }
    // A file that grew since planning is cut, so no agent goes over its budget.
    if (text.length > room) text = `${text.slice(0, room)}\n[cut: the file grew past this agent's budget after planning]`;
    room = Math.max(0, room - text.length);
    blocks.push(`<file path="${attr(rel)}">\n${text}\n</file>`);
  }
  return { blocks, unreadable };
}

/** One forced tool call: what to send, and how the answer is read. */
export interface ForcedCall<S extends z.ZodType> {
  system: ModelRequest['system'];
  /** The user turn's content (a cached shared block first, when there is one). */
  content: ChatMessage['content'];
  tool: ToolDefinition;
  schema: S;
  /** Who answers, for the error when no call comes ("the reviewer did not call submit_review"). */
  who: string;
  /** What the transcript shows as the prompt (the user's instruction only when the prompt carries it). */
  transcript: { system: string; shared: string | null; prompt: string; instruction: string | null };
  /** Wraps the send (a hardener waits for the first auditor to write the shared prefix). */
  around?: (send: () => Promise<ModelResponse>) => Promise<ModelResponse>;
}

/**
 * An agent that answers through one tool it must call (a reviewer's verdict, an auditor's
 * findings, a reflector's lessons): the request recorded in its transcript, priced on its record,
 * and the call's input checked with the tool's zod schema. A missing or invalid call fails the
 * attempt with what was wrong, so the retry is told.
 */
export async function forcedToolCall<S extends z.ZodType>(
  ctx: RoleContext, agent: AgentRecord, signal: AbortSignal, call: ForcedCall<S>,
): Promise<{ ok: true; input: z.output<S> } | { ok: false; error: string }> {
  const base = conversationBase(ctx, agent, signal);
  const t = base.transcript;
  t?.begin({ model: agent.modelRequested, ...call.transcript });
  const send = (): Promise<ModelResponse> => sendRecorded(ctx.policy, {
    model: agent.modelRequested, system: call.system,
    messages: [{ role: 'user', content: call.content }],
    tools: [call.tool], toolChoice: { type: 'tool', name: call.tool.name },
    maxTokens: base.maxTokens, signal, timeoutMs: base.requestTimeoutMs,
  }, base.cap, t, 1, (n) => ctx.ledger.countRedactions(agent.id, n));
  const res = await (call.around ? call.around(send) : send());
  const cost = ctx.price(res.model, res.usage);
  ctx.ledger.addUsage(agent.id, res.model, res.usage, cost);
  t?.usage(res.usage, cost, res.stopReason, res.model);
  const used = res.content.find((b) => b.type === 'tool_use' && b.name === call.tool.name);
  if (!used || used.type !== 'tool_use') return { ok: false, error: `the ${call.who} did not call ${call.tool.name}` };
  const parsed = call.schema.safeParse(used.input);
  if (!parsed.success) return { ok: false, error: `${call.tool.name} input was invalid: ${formatIssues(parsed.error).join('; ')}` };
  return { ok: true, input: parsed.data };
}

/**
 * A final step that writes summary.md from what its prompt holds (handoffs, never the work
 * itself), tool-less, and records what it was sent next to what reading every file of `files`
 * with `baselinePrompt` would have cost instead (the parent-context measure).
 */
export async function writeFinalSummary(
  ctx: RoleContext, agent: AgentRecord, signal: AbortSignal,
  p: { system: string; user: string; baselinePrompt: string; files: readonly string[] },
): Promise<AttemptResult> {
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system: p.system, userBlock: p.user, tools: [], toolCtx: null, caching: false,
  });
  if (!result.text) return { ok: false, error: 'the final summary was empty' };
  await writeFileAtomic(outputPath(ctx, agent), `${result.text.trimEnd()}\n\n${SENTINEL}\n`);
  let fileTokens = 0;
  for (const f of p.files) fileTokens += estimateTokens((await readTextOrNull(f).catch(() => null)) ?? '');
  ctx.ledger.patchTotals({ parentContextTokens: result.lastPromptTokens, flatBaselineTokens: estimateTokens(p.baselinePrompt) + fileTokens });
  return { ok: true, returned: trimToSentence(result.text.replace(/^[>#].*$/gm, ''), 200) || 'Wrote the summary.' };
}

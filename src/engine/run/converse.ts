import { createHash } from 'node:crypto';
import type { Ledger } from '../ledger/ledger';
import { ModelError, type ChatMessage, type ContentBlock, type ToolDefinition } from '../model/client';
import type { RequestPolicy } from '../model/requests';
import { BATCH_PRICE_FACTOR } from '../config';
import { executeTool, type ToolContext } from '../tools/tools';
import { isToolEnd, type AgentTools, type ToolReply } from '../tools/toolSet';
import { estimateTokens } from '../text';
import { sendRecorded } from '../transcripts/record';
import type { AgentTranscript } from '../transcripts/writer';
import type { Usage } from '../types';
import { intersectTools } from '../agents/tools';

export type ToolResultBlock = Extract<ContentBlock, { type: 'tool_result' }>;
type ToolUseBlock = Extract<ContentBlock, { type: 'tool_use' }>;

/**
 * A conversation a tool ended (`ConversationResult.ended`), taken up again: `history` is sent as it
 * is, and the first new message is `results`, which answer the last assistant message's tool calls
 * (the ending call's among them). An agent suspended this way holds no slot while it waits: its
 * attempt has returned, and a later attempt resumes it.
 */
export interface Resume {
  history: ChatMessage[];
  results: ToolResultBlock[];
}

export interface ConversationParams<E = never> {
  agentId: string;
  model: string;
  /** The agent's tier cap, the ceiling for the per-model request gate. */
  cap: number;
  system: string;
  /**
   * Text every agent of the role shares across the whole run (the workspace overview):
   * placed first after the system and cached, so one agent's first request writes it and every
   * other agent of the role reads it.
   */
  runBlock?: string;
  /** Text every agent of a group shares (domain brief): placed after the run block and cached. */
  sharedBlock?: string;
  /** The agent's own part of the first message (its assignment). Not sent when resuming. */
  userBlock: string;
  /**
   * The agent's tools: definitions of the workspace tools, run with `toolCtx`; or a role's own tool
   * set bound to this agent (`ToolSet.bind`), whose tools may end the loop.
   */
  tools: ToolDefinition[] | AgentTools<E>;
  /** Where the workspace tools run; unused with a bound tool set. */
  toolCtx?: ToolContext | null;
  /** `any` makes every reply call a tool (for an agent that ends only through one); default `auto`. */
  toolChoice?: 'auto' | 'any';
  /**
   * When set, a reply without a tool call does not end the loop: it is answered with this text and
   * the agent is asked again. Without it such a reply is the agent's answer.
   */
  nudge?: string;
  /** Opens with a conversation a tool ended earlier instead of the first message (userBlock and instruction unsent). */
  resume?: Resume;
  /** Called after each response is accounted, with its prompt tokens (input + cache read + cache write). */
  onResponse?(turn: number, promptTokens: number): void;
  /** The error when the turn limit is hit; by default it says the agent did not finish. */
  turnLimitMessage?: string;
  maxTurns: number;
  maxTokens: number;
  requestTimeoutMs: number;
  caching: boolean;
  signal: AbortSignal;
  policy: RequestPolicy;
  ledger: Ledger;
  price(model: string, usage: Usage): number;
  /** Where this attempt is recorded (transcripts/<agentId>.jsonl). */
  transcript?: AgentTranscript;
  /** The user's extra instruction (Rerun Agent), added after the agent's own prompt. */
  instruction?: string | null;
  /**
   * The user's agent definition this agent runs as (`.claude/agents/<name>.md`): its body is a
   * system block of its own after the role's, and its `tools` narrow the role's (never widen them).
   */
  definition?: { name: string; body: string; tools: readonly string[] | null };
}

export interface ConversationResult<E = never> {
  text: string;
  /** Prompt tokens of the first request as the API counted them (input + cache read + cache write). */
  firstPromptTokens: number;
  /** Prompt tokens of the last request as the API counted them. */
  lastPromptTokens: number;
  /** Set when a tool call ended the loop (see `ToolEnd`). */
  ended?: Ended<E>;
}

/** How a tool ended the loop, and the conversation to keep should the agent be resumed. */
export interface Ended<E> {
  value: E;
  /** The call that ended it: its result is the first of a `Resume`'s results. */
  toolUseId: string;
  /** Results of the reply's other calls (those after the ending one were not run), not yet sent. */
  results: ToolResultBlock[];
  /** What this attempt added to the conversation, its opening message first, the ending reply last. */
  messages: ChatMessage[];
}

const EPHEMERAL = { type: 'ephemeral' } as const;

/**
 * One agent attempt: request → tool calls → tool results → … until the model answers without
 * tools, a tool ends the loop, or the turn limit is hit. Requests are stateless (the whole
 * conversation is re-sent), so any Messages-compatible endpoint works; prompt caching makes the
 * re-sent prefix cheap. Every role's agents run on this one loop; what differs is the tool set.
 */
export async function converse<E = never>(p: ConversationParams<E>): Promise<ConversationResult<E>> {
  const userBlock = withInstruction(p.userBlock, p.instruction);
  const cached = p.caching ? { cache_control: EPHEMERAL } : {};
  const system = systemBlocks(p, cached);
  const opening = p.resume ? { role: 'user' as const, content: [...p.resume.results] } : firstMessage(p, userBlock);
  const history = p.resume?.history ?? [];
  const added: ChatMessage[] = [opening];
  // The role's tools, narrowed by the agent's definition when it has one.
  const definitions = toolsOf(p, Array.isArray(p.tools) ? p.tools : p.tools.definitions());
  const offered = new Set(definitions.map((d) => d.name));
  const tools = Array.isArray(p.tools) ? workspaceTools(p.tools, p.toolCtx) : p.tools;
  // An agent with tools sends a second request, which reads the whole first prompt back when its
  // tail is a breakpoint too; a single request would only pay the write for nothing.
  const rolling = p.caching && definitions.length > 0;
  const shared = [p.runBlock, p.sharedBlock].filter((b): b is string => !!b).join('\n\n');
  const prefix = p.caching && !p.resume ? sharedPrefixKey(p, definitions) : undefined;
  const t = p.transcript;
  const systemText = system.map((b) => b.text).join('\n\n');
  t?.begin(p.resume
    ? { model: p.model, system: systemText, shared: null, prompt: openingText(opening), instruction: null }
    : { model: p.model, system: systemText, shared: shared || null, prompt: userBlock, instruction: p.instruction ?? null });
  let firstPromptTokens = 0;

  for (let turn = 1; turn <= p.maxTurns; turn++) {
    const messages = [...history, ...added];
    const res = await sendRecorded(p.policy, {
      model: p.model,
      system,
      messages: rolling ? withRollingBreakpoint(messages) : messages,
      // Only the first turn's prefix is shared with other agents; later turns extend this agent's own.
      ...(turn === 1 && prefix ? { sharedPrefix: prefix } : {}),
      ...(definitions.length ? { tools: definitions, toolChoice: { type: p.toolChoice ?? 'auto' } } : {}),
      maxTokens: p.maxTokens,
      signal: p.signal,
      timeoutMs: p.requestTimeoutMs,
    }, p.cap, t, turn, (n) => p.ledger.countRedactions(p.agentId, n));
    const cost = p.price(res.model, res.usage) * (res.batched ? BATCH_PRICE_FACTOR : 1);
    if (!res.accounted) p.ledger.addUsage(p.agentId, res.model, res.usage, cost);
    t?.usage(res.usage, cost, res.stopReason, res.model);
    const lastPromptTokens = res.usage.input + res.usage.cacheRead + res.usage.cacheWrite;
    if (turn === 1) firstPromptTokens = lastPromptTokens;
    p.onResponse?.(turn, lastPromptTokens);
    const toolUses = res.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
    const text = res.content.filter((b) => b.type === 'text').map((b) => (b as { text: string }).text).join('\n').trim();
    if (toolUses.length === 0) {
      if (p.nudge === undefined) return { text, firstPromptTokens, lastPromptTokens };
      added.push({ role: 'assistant', content: res.content }, { role: 'user', content: [{ type: 'text', text: p.nudge }] });
      continue;
    }
    if (!tools) throw recorded(t, new ModelError(`model called tool ${toolUses[0].name} but this agent has no tools`, 'invalid'));

    added.push({ role: 'assistant', content: res.content.map(compactEcho) });
    const results: ToolResultBlock[] = [];
    let ended: { value: E; toolUseId: string; by: string } | null = null;
    for (const use of toolUses) {
      p.signal.throwIfAborted();
      if (ended) {
        const skipped = `not run: the round had already ended with ${ended.by}`;
        results.push({ type: 'tool_result', tool_use_id: use.id, content: skipped, is_error: true });
        t?.toolResult(use.id, false, skipped);
        continue;
      }
      // An agent running as a definition is refused any tool it was not offered (withheld, or one
      // it asked for that no role has, like Bash), naming what it has; otherwise the tool set answers.
      const r: ToolReply<E> = p.definition && !offered.has(use.name)
        ? { content: `Tool ${use.name} is not available to this agent; use only ${[...offered].join(', ') || 'no tools'}.`, isError: true }
        : await tools.call(use.name, use.input);
      if (isToolEnd(r)) {
        p.ledger.recordTool(p.agentId, use.name, true, undefined);
        t?.toolResult(use.id, true, r.note);
        ended = { value: r.end, toolUseId: use.id, by: use.name };
        continue;
      }
      // The one place tool results go back to the model: file contents, search hits and listings
      // from an untrusted workspace are redacted here, and counted on the agent.
      const content = p.ledger.redactFor(p.agentId, r.content);
      p.ledger.recordTool(p.agentId, use.name, !r.isError, r.isError ? content.slice(0, 200) : undefined);
      t?.toolResult(use.id, !r.isError, content);
      results.push({ type: 'tool_result', tool_use_id: use.id, content, ...(r.isError ? { is_error: true } : {}) });
    }
    if (ended) {
      return { text, firstPromptTokens, lastPromptTokens, ended: { value: ended.value, toolUseId: ended.toolUseId, results, messages: added } };
    }
    added.push({ role: 'user', content: results });
  }
  throw recorded(t, new ModelError(p.turnLimitMessage ?? `turn limit of ${p.maxTurns} reached before the agent finished`, 'invalid'));
}

/**
 * The first message. Cache order is tools → system → messages, so the prefix shared by the most
 * agents comes first and the agent's own assignment last: breakpoints at the system, the run
 * block and the group block, plus the rolling one at the tail, are the four the API allows.
 */
function firstMessage(p: ConversationParams<unknown>, userBlock: string): ChatMessage {
  const content: ContentBlock[] = [];
  const cached = p.caching ? { cache_control: EPHEMERAL } : {};
  if (p.runBlock) content.push({ type: 'text', text: p.runBlock, ...cached });
  if (p.sharedBlock) content.push({ type: 'text', text: p.sharedBlock, ...cached });
  content.push({ type: 'text', text: userBlock });
  return { role: 'user', content };
}

/** The workspace tools as defined for the agent, run with its context; none when it has no context. */
function workspaceTools(definitions: ToolDefinition[], ctx: ToolContext | null | undefined): AgentTools | null {
  if (!ctx) return null;
  return { definitions: () => definitions, call: (name, input) => executeTool(name, input, ctx) };
}

/** The text a resumed conversation opens with, for its transcript. */
function openingText(message: ChatMessage): string {
  return message.content.map((b) => (b.type === 'text' ? b.text : b.type === 'tool_result' ? b.content : '')).filter(Boolean).join('\n\n');
}

/** Below the smallest prefix any model caches, holding siblings back would buy nothing. */
const MIN_CACHED_PREFIX_TOKENS = 1024;

/**
 * The key of the prefix an agent's first request shares with its role's other agents: tools,
 * system and the run block (or the group block when there is no run block), or undefined when
 * that prefix is too short to be cached at all.
 */
function sharedPrefixKey(p: ConversationParams<unknown>, tools: readonly ToolDefinition[]): string | undefined {
  const block = p.runBlock ?? p.sharedBlock;
  if (!block) return undefined;
  const text = `${JSON.stringify(tools)}\n${p.system}\n${p.definition ? `${p.definition.body}\n` : ''}${block}`;
  if (estimateTokens(text) < MIN_CACHED_PREFIX_TOKENS) return undefined;
  return createHash('sha256').update(text).digest('hex');
}

/** The heading of an agent definition's system block. */
export const definitionHeading = (name: string): string => `# Your agent definition: ${name}`;

/**
 * The system blocks: the role's, then the definition's when the agent has one. The role's block
 * stays first and byte-identical, so every agent of the role shares it; the definition's follows
 * as its own block, shared by every agent of that definition. It takes the system breakpoint
 * (the API finds the role's prefix from it too), so a request still carries at most four.
 */
export function systemBlocks(p: Pick<ConversationParams<unknown>, 'system' | 'definition'>, cached: object): Array<{ type: 'text'; text: string; cache_control?: { type: 'ephemeral' } }> {
  if (!p.definition) return [{ type: 'text', text: p.system, ...cached }];
  return [
    { type: 'text', text: p.system },
    { type: 'text', text: `${definitionHeading(p.definition.name)}\n${p.definition.body}`, ...cached },
  ];
}

/** The role's tools, narrowed to what the agent's definition asks for. */
export function toolsOf(p: Pick<ConversationParams<unknown>, 'definition'>, tools: ToolDefinition[]): ToolDefinition[] {
  if (!p.definition) return tools;
  const allowed = new Set(intersectTools(tools.map((t) => t.name), p.definition.tools));
  return tools.filter((t) => allowed.has(t.name));
}

/** The agent's prompt with the user's extra instruction (Rerun Agent) after it. */
export function withInstruction(userBlock: string, instruction: string | null | undefined): string {
  const extra = instruction?.trim();
  return extra ? `${userBlock.trimEnd()}\n\n# Instruction from the user\nThe user reran you with this instruction; follow it:\n${extra}\n` : userBlock;
}

/** Notes an error that ends the attempt in its transcript, and hands it back to be thrown. */
function recorded(t: AgentTranscript | undefined, err: ModelError): ModelError {
  t?.error(err.message, false);
  return err;
}

/** Characters of a written report the conversation keeps when it is sent back to the agent. */
export const ECHO_KEEP_CHARS = 2_000;

/**
 * The agent's `write_output` call as later turns send it back: the report is in its file already,
 * and every later request would re-send all of it (the largest uncached part of a worker's prompt,
 * 3–6k tokens, written to the cache by the turn after and read by none). Its head (title, summary,
 * first findings) stays, so the agent still knows what it wrote when it sums it up or appends.
 */
export function compactEcho(block: ContentBlock): ContentBlock {
  if (block.type !== 'tool_use' || block.name !== 'write_output') return block;
  const input = block.input as Record<string, unknown>;
  const content = input.content;
  if (typeof content !== 'string' || content.length <= ECHO_KEEP_CHARS + 200) return block;
  const head = content.slice(0, ECHO_KEEP_CHARS);
  const note = `\n[… ${(content.length - head.length).toLocaleString('en-US')} more characters, written to the file as given; not repeated here]`;
  return { ...block, input: { ...input, content: head + note } };
}

/**
 * Marks the last block of the conversation as a cache breakpoint (on a copy), so each turn reads
 * the previous turn's prefix from the cache and writes only the new tail (the first turn included:
 * the second reads all of it back). With the system, run and group breakpoints that makes the four
 * the API allows.
 */
export function withRollingBreakpoint(messages: ChatMessage[]): ChatMessage[] {
  if (messages.length === 0) return messages;
  const last = messages[messages.length - 1];
  const blocks = last.content.slice();
  const tail = blocks[blocks.length - 1];
  if (tail.type === 'text' || tail.type === 'tool_result') blocks[blocks.length - 1] = { ...tail, cache_control: EPHEMERAL };
  return [...messages.slice(0, -1), { ...last, content: blocks }];
}

import { createHash } from 'node:crypto';
import type { Ledger } from '../ledger/ledger';
import { ModelError, type ChatMessage, type ContentBlock, type ToolDefinition } from '../model/client';
import type { RequestPolicy } from '../model/requests';
import { BATCH_PRICE_FACTOR } from '../config';
import { executeTool, type ToolContext } from '../tools/tools';
import { estimateTokens } from '../text';
import { sendRecorded } from '../transcripts/record';
import type { AgentTranscript } from '../transcripts/writer';
import type { Usage } from '../types';
import { intersectTools } from '../agents/tools';

export interface ConversationParams {
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
  userBlock: string;
  tools: ToolDefinition[];
  toolCtx: ToolContext | null;
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

export interface ConversationResult {
  text: string;
  /** Prompt tokens of the last request as the API counted them (input + cache read + cache write). */
  lastPromptTokens: number;
}

const EPHEMERAL = { type: 'ephemeral' } as const;

/**
 * One agent attempt: request → tool calls → tool results → … until the model answers without
 * tools or the turn limit is hit. Requests are stateless (the whole conversation is re-sent), so
 * any Messages-compatible endpoint works; prompt caching makes the re-sent prefix cheap.
 */
export async function converse(p: ConversationParams): Promise<ConversationResult> {
  const userBlock = withInstruction(p.userBlock, p.instruction);
  // Cache order is tools → system → messages, so the prefix shared by the most agents comes first
  // and the agent's own assignment last: breakpoints at the system, the run block and the group
  // block, plus the rolling one at the tail, are the four the API allows.
  const first: ContentBlock[] = [];
  const cached = p.caching ? { cache_control: EPHEMERAL } : {};
  if (p.runBlock) first.push({ type: 'text', text: p.runBlock, ...cached });
  if (p.sharedBlock) first.push({ type: 'text', text: p.sharedBlock, ...cached });
  first.push({ type: 'text', text: userBlock });
  const messages: ChatMessage[] = [{ role: 'user', content: first }];
  const system = systemBlocks(p, cached);
  const tools = toolsOf(p);
  const offered = new Set(tools.map((t) => t.name));
  // An agent with tools sends a second request, which reads the whole first prompt back when its
  // tail is a breakpoint too; a single request would only pay the write for nothing.
  const rolling = p.caching && tools.length > 0;
  const shared = [p.runBlock, p.sharedBlock].filter((b): b is string => !!b).join('\n\n');
  const prefix = p.caching ? sharedPrefixKey(p, tools) : undefined;
  const t = p.transcript;
  t?.begin({ model: p.model, system: system.map((b) => b.text).join('\n\n'), shared: shared || null, prompt: userBlock, instruction: p.instruction ?? null });

  for (let turn = 1; turn <= p.maxTurns; turn++) {
    const res = await sendRecorded(p.policy, {
      model: p.model,
      system,
      messages: rolling ? withRollingBreakpoint(messages) : messages,
      // Only the first turn's prefix is shared with other agents; later turns extend this agent's own.
      ...(turn === 1 && prefix ? { sharedPrefix: prefix } : {}),
      ...(tools.length ? { tools, toolChoice: { type: 'auto' as const } } : {}),
      maxTokens: p.maxTokens,
      signal: p.signal,
      timeoutMs: p.requestTimeoutMs,
    }, p.cap, t, turn, (n) => p.ledger.countRedactions(p.agentId, n));
    const cost = p.price(res.model, res.usage) * (res.batched ? BATCH_PRICE_FACTOR : 1);
    if (!res.accounted) p.ledger.addUsage(p.agentId, res.model, res.usage, cost);
    t?.usage(res.usage, cost, res.stopReason, res.model);
    const toolUses = res.content.filter((b): b is Extract<ContentBlock, { type: 'tool_use' }> => b.type === 'tool_use');
    const text = res.content.filter((b) => b.type === 'text').map((b) => (b as { text: string }).text).join('\n').trim();
    const lastPromptTokens = res.usage.input + res.usage.cacheRead + res.usage.cacheWrite;
    if (toolUses.length === 0) return { text, lastPromptTokens };
    if (!p.toolCtx) throw recorded(t, new ModelError(`model called tool ${toolUses[0].name} but this agent has no tools`, 'invalid'));

    messages.push({ role: 'assistant', content: res.content.map(compactEcho) });
    const results: ContentBlock[] = [];
    for (const use of toolUses) {
      p.signal.throwIfAborted();
      // A tool the request did not offer (one a definition withheld) is refused, never run.
      const r = offered.has(use.name)
        ? await executeTool(use.name, use.input, p.toolCtx)
        : { content: `Tool ${use.name} is not available to this agent; use only ${[...offered].join(', ') || 'no tools'}.`, isError: true };
      // The one place tool results go back to the model: file contents, search hits and listings
      // from an untrusted workspace are redacted here, and counted on the agent.
      const content = p.ledger.redactFor(p.agentId, r.content);
      p.ledger.recordTool(p.agentId, use.name, !r.isError, r.isError ? content.slice(0, 200) : undefined);
      t?.toolResult(use.id, !r.isError, content);
      results.push({ type: 'tool_result', tool_use_id: use.id, content, ...(r.isError ? { is_error: true } : {}) });
    }
    messages.push({ role: 'user', content: results });
  }
  throw recorded(t, new ModelError(`turn limit of ${p.maxTurns} reached before the agent finished`, 'invalid'));
}

/** Below the smallest prefix any model caches, holding siblings back would buy nothing. */
const MIN_CACHED_PREFIX_TOKENS = 1024;

/**
 * The key of the prefix an agent's first request shares with its role's other agents: tools,
 * system and the run block (or the group block when there is no run block), or undefined when
 * that prefix is too short to be cached at all.
 */
function sharedPrefixKey(p: ConversationParams, tools: readonly ToolDefinition[]): string | undefined {
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
export function systemBlocks(p: Pick<ConversationParams, 'system' | 'definition'>, cached: object): Array<{ type: 'text'; text: string; cache_control?: { type: 'ephemeral' } }> {
  if (!p.definition) return [{ type: 'text', text: p.system, ...cached }];
  return [
    { type: 'text', text: p.system },
    { type: 'text', text: `${definitionHeading(p.definition.name)}\n${p.definition.body}`, ...cached },
  ];
}

/** The role's tools, narrowed to what the agent's definition asks for. */
export function toolsOf(p: Pick<ConversationParams, 'tools' | 'definition'>): ToolDefinition[] {
  if (!p.definition) return p.tools;
  const allowed = new Set(intersectTools(p.tools.map((t) => t.name), p.definition.tools));
  return p.tools.filter((t) => allowed.has(t.name));
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

import type { CacheControlParam, ParsedRequest, RequestBlock, RequestMessage, RequestTool, ToolChoice } from './types';

export type ParseResult = { ok: true; request: ParsedRequest } | { ok: false; message: string };

/**
 * Validates a POST /v1/messages body the way the real API does for the fields the simulator uses,
 * and normalises it (string content → one text block). Errors name the field that was wrong.
 */
export function parseMessagesBody(raw: string, beta: boolean): ParseResult {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { ok: false, message: 'Request body is not valid JSON' };
  }
  if (!isRecord(body)) return { ok: false, message: 'Request body must be a JSON object' };
  const { model, max_tokens: maxTokens, messages, system, tools, tool_choice: toolChoice, stream } = body;
  if (typeof model !== 'string' || !model) return { ok: false, message: 'model: Field required' };
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
    return { ok: false, message: `max_tokens: expected a positive integer, got ${JSON.stringify(maxTokens)}` };
  }
  if (!Array.isArray(messages) || messages.length === 0) return { ok: false, message: 'messages: at least one message is required' };

  const parsedMessages: RequestMessage[] = [];
  for (const [i, m] of messages.entries()) {
    if (!isRecord(m) || (m.role !== 'user' && m.role !== 'assistant')) {
      return { ok: false, message: `messages.${i}.role: expected "user" or "assistant"` };
    }
    const content = parseContent(m.content, `messages.${i}.content`);
    if (typeof content === 'string') return { ok: false, message: content };
    parsedMessages.push({ role: m.role, content });
  }

  const parsedSystem: ParsedRequest['system'] = [];
  if (typeof system === 'string') parsedSystem.push({ type: 'text', text: system });
  else if (Array.isArray(system)) {
    for (const [i, b] of system.entries()) {
      if (!isRecord(b) || b.type !== 'text' || typeof b.text !== 'string') {
        return { ok: false, message: `system.${i}: expected a text block` };
      }
      parsedSystem.push(withCache<ParsedRequest['system'][number]>({ type: 'text', text: b.text }, b));
    }
  } else if (system !== undefined) return { ok: false, message: 'system: expected a string or an array of text blocks' };

  const parsedTools: RequestTool[] = [];
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return { ok: false, message: 'tools: expected an array' };
    for (const [i, t] of tools.entries()) {
      if (!isRecord(t) || typeof t.name !== 'string' || !isRecord(t.input_schema)) {
        return { ok: false, message: `tools.${i}: expected {name, input_schema}` };
      }
      const tool: RequestTool = { name: t.name, input_schema: t.input_schema };
      if (typeof t.description === 'string') tool.description = t.description;
      parsedTools.push(withCache(tool, t));
    }
  }

  let choice: ToolChoice | null = null;
  if (isRecord(toolChoice)) {
    if (toolChoice.type === 'tool' && typeof toolChoice.name === 'string') {
      if (!parsedTools.some((t) => t.name === toolChoice.name)) {
        return { ok: false, message: `tool_choice.name: no tool named "${toolChoice.name}" in tools` };
      }
      choice = { type: 'tool', name: toolChoice.name };
    } else if (toolChoice.type === 'auto' || toolChoice.type === 'any' || toolChoice.type === 'none') {
      choice = { type: toolChoice.type };
    } else return { ok: false, message: 'tool_choice: expected {type: auto|any|none|tool}' };
  }

  const breakpoints = countBreakpoints(parsedTools, parsedSystem, parsedMessages);
  if (breakpoints > 4) {
    return { ok: false, message: `A maximum of 4 blocks with cache_control may be provided. Found ${breakpoints}.` };
  }

  return {
    ok: true,
    request: {
      model, maxTokens, stream: stream === true, beta, body,
      system: parsedSystem, messages: parsedMessages, tools: parsedTools, toolChoice: choice,
    },
  };
}

function parseContent(content: unknown, where: string): RequestBlock[] | string {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return `${where}: expected a string or an array of blocks`;
  const out: RequestBlock[] = [];
  for (const [i, b] of content.entries()) {
    if (!isRecord(b) || typeof b.type !== 'string') return `${where}.${i}: expected a content block with a type`;
    if (b.type === 'text') {
      if (typeof b.text !== 'string') return `${where}.${i}.text: expected a string`;
      out.push(withCache<RequestBlock>({ type: 'text', text: b.text }, b));
    } else if (b.type === 'tool_use') {
      if (typeof b.id !== 'string' || typeof b.name !== 'string') return `${where}.${i}: tool_use needs id and name`;
      out.push(withCache<RequestBlock>({ type: 'tool_use', id: b.id, name: b.name, input: b.input ?? {} }, b));
    } else if (b.type === 'tool_result') {
      if (typeof b.tool_use_id !== 'string') return `${where}.${i}.tool_use_id: expected a string`;
      const resultContent = toolResultContent(b.content);
      if (resultContent === null) return `${where}.${i}.content: expected a string or text blocks`;
      const block: RequestBlock = { type: 'tool_result', tool_use_id: b.tool_use_id, content: resultContent };
      if (b.is_error === true) block.is_error = true;
      out.push(withCache(block, b));
    } else {
      out.push(withCache<RequestBlock>({ type: 'other', raw: b }, b));
    }
  }
  return out;
}

function toolResultContent(c: unknown): string | Array<{ type: 'text'; text: string }> | null {
  if (c === undefined) return '';
  if (typeof c === 'string') return c;
  if (!Array.isArray(c)) return null;
  const out: Array<{ type: 'text'; text: string }> = [];
  for (const part of c) {
    if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') out.push({ type: 'text', text: part.text });
  }
  return out;
}

function withCache<T extends { cache_control?: CacheControlParam }>(block: T, raw: Record<string, unknown>): T {
  const cc = raw.cache_control;
  if (isRecord(cc) && cc.type === 'ephemeral') {
    block.cache_control = cc.ttl === '1h' || cc.ttl === '5m' ? { type: 'ephemeral', ttl: cc.ttl } : { type: 'ephemeral' };
  }
  return block;
}

function countBreakpoints(tools: RequestTool[], system: ParsedRequest['system'], messages: RequestMessage[]): number {
  let n = 0;
  for (const t of tools) if (t.cache_control) n++;
  for (const s of system) if (s.cache_control) n++;
  for (const m of messages) for (const b of m.content) if (b.cache_control) n++;
  return n;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

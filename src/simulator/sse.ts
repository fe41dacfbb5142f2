import { canonicalJson, countTokens } from './cache';
import type { PromptUsage, ReplyBlock, StopReason, WireBlock, WireMessage, WireUsage } from './types';

/** Text deltas are cut to this many characters, tool input JSON too, so clients really accumulate. */
const CHUNK_CHARS = 64;

export function wireUsage(prompt: PromptUsage, outputTokens: number): WireUsage {
  return {
    input_tokens: prompt.input,
    output_tokens: outputTokens,
    cache_creation_input_tokens: prompt.cacheWrite,
    cache_read_input_tokens: prompt.cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: prompt.cacheWrite, ephemeral_1h_input_tokens: 0 },
    server_tool_use: null,
    service_tier: 'standard',
    inference_geo: null,
    output_tokens_details: null,
    speed: null,
  };
}

export function toWireBlocks(content: ReplyBlock[], newToolId: () => string): WireBlock[] {
  return content.map((b) => b.type === 'text'
    ? { type: 'text', text: b.text, citations: null }
    : { type: 'tool_use', id: b.id ?? newToolId(), name: b.name, input: b.input, caller: { type: 'direct' } });
}

/** Output tokens of a reply: the estimate of its serialised content, at least 1 like the real API. */
export function outputTokensOf(content: WireBlock[]): number {
  return Math.max(1, content.reduce((n, b) => n + countTokens(b.type === 'text' ? b.text : canonicalJson(b.input)), 0));
}

export function defaultStopReason(content: WireBlock[]): StopReason {
  return content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
}

export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** message_start (with empty content and the prompt usage) and the ping the real API sends after it. */
export function streamHead(msg: WireMessage): string[] {
  const start: WireMessage = {
    ...msg,
    content: [],
    stop_reason: null,
    usage: { ...msg.usage, output_tokens: Math.min(1, msg.usage.output_tokens) },
  };
  return [sseEvent('message_start', { type: 'message_start', message: start }), sseEvent('ping', { type: 'ping' })];
}

/** content_block_start, the deltas and content_block_stop of one block. */
export function streamBlock(block: WireBlock, index: number): string[] {
  const out: string[] = [];
  if (block.type === 'text') {
    out.push(sseEvent('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '', citations: null } }));
    for (const piece of chunks(block.text)) {
      out.push(sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } }));
    }
  } else {
    const { input, ...head } = block;
    out.push(sseEvent('content_block_start', { type: 'content_block_start', index, content_block: { ...head, input: {} } }));
    for (const piece of chunks(JSON.stringify(input))) {
      out.push(sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } }));
    }
  }
  out.push(sseEvent('content_block_stop', { type: 'content_block_stop', index }));
  return out;
}

/** message_delta (stop reason and cumulative usage) and message_stop. */
export function streamTail(msg: WireMessage): string[] {
  const { output_tokens, input_tokens, cache_creation_input_tokens, cache_read_input_tokens } = msg.usage;
  return [
    sseEvent('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: msg.stop_reason, stop_sequence: null, stop_details: null, container: null },
      usage: { output_tokens, input_tokens, cache_creation_input_tokens, cache_read_input_tokens, server_tool_use: null, output_tokens_details: null },
    }),
    sseEvent('message_stop', { type: 'message_stop' }),
  ];
}

export function errorBody(type: string, message: string, requestId: string): Record<string, unknown> {
  return { type: 'error', error: { type, message }, request_id: requestId };
}

export function streamError(type: string, message: string, requestId: string): string {
  return sseEvent('error', errorBody(type, message, requestId));
}

function chunks(s: string): string[] {
  if (s.length === 0) return [];
  const out: string[] = [];
  for (let i = 0; i < s.length; i += CHUNK_CHARS) out.push(s.slice(i, i + CHUNK_CHARS));
  return out;
}

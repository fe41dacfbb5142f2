/**
 * Wire shapes of the simulated Messages API, written out here rather than imported so the simulator
 * stays free of the SDK (only the engine's anthropic.ts imports it). They match what
 * `@anthropic-ai/sdk` 1.x sends and accumulates.
 */

export interface CacheControlParam { type: 'ephemeral'; ttl?: '5m' | '1h' }

/** A request content block, as sent by a client (only the fields the simulator reads are typed). */
export type RequestBlock =
  | { type: 'text'; text: string; cache_control?: CacheControlParam }
  | { type: 'tool_use'; id: string; name: string; input: unknown; cache_control?: CacheControlParam }
  | { type: 'tool_result'; tool_use_id: string; content: string | Array<{ type: 'text'; text: string }>; is_error?: boolean; cache_control?: CacheControlParam }
  | { type: 'other'; raw: Record<string, unknown>; cache_control?: CacheControlParam };

export interface RequestMessage {
  role: 'user' | 'assistant';
  content: RequestBlock[];
}

export interface RequestTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
  cache_control?: CacheControlParam;
}

export type ToolChoice = { type: 'auto' } | { type: 'any' } | { type: 'none' } | { type: 'tool'; name: string };

/** A validated, normalised POST /v1/messages body (string content becomes one text block). */
export interface ParsedRequest {
  model: string;
  maxTokens: number;
  stream: boolean;
  system: Array<{ type: 'text'; text: string; cache_control?: CacheControlParam }>;
  messages: RequestMessage[];
  tools: RequestTool[];
  toolChoice: ToolChoice | null;
  /** True for the beta flavour of the call (`?beta=true` or an `anthropic-beta` header). */
  beta: boolean;
  /** The JSON body exactly as received. */
  body: Record<string, unknown>;
}

/** A block the simulated model answers with; a tool_use without an id gets one from the server. */
export type ReplyBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id?: string; name: string; input: Record<string, unknown> };

/** What a handler tells the server to do with one request. */
export type Reply =
  | { kind: 'message'; content: ReplyBlock[]; stopReason?: StopReason; model?: string; outputTokens?: number }
  | { kind: 'error'; status: number; type: string; message: string; headers?: Record<string, string> }
  /**
   * The stream starts, `afterBlocks` blocks of `content` are streamed whole, then `event: error`.
   * A non-streaming request gets the equivalent JSON error instead (529 for overloaded_error).
   */
  | { kind: 'midstream-error'; afterBlocks?: number; type?: string; content?: ReplyBlock[] }
  /** Never answers, not even headers; resolves only when the client disconnects or the server closes. */
  | { kind: 'hang' }
  /**
   * Headers, then silence: 200 with the stream's headers and its first `afterEvents` events
   * (message_start, ping; default both), then nothing, the connection held open until the client
   * gives up or the server closes. A non-streaming request gets the JSON headers alone.
   */
  | { kind: 'stall'; afterEvents?: number }
  /** 200 with a body that is not valid JSON (or an SSE stream whose data is not). */
  | { kind: 'malformed' };

export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'refusal' | 'pause_turn';

export interface HandlerContext {
  /** Aborted when the client disconnects or the server closes. */
  signal: AbortSignal;
  requestId: string;
  /** 1-based arrival order of this request since the last resetStats(). */
  index: number;
}

export type Handler = (req: ParsedRequest, ctx: HandlerContext) => Reply | Promise<Reply>;

export interface WireUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  server_tool_use: null;
  service_tier: 'standard';
  inference_geo: null;
  output_tokens_details: null;
  speed: null;
}

export type WireBlock =
  | { type: 'text'; text: string; citations: null }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown>; caller: { type: 'direct' } };

export interface WireMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: WireBlock[];
  stop_reason: StopReason | null;
  stop_sequence: null;
  stop_details: null;
  container: null;
  diagnostics: null;
  usage: WireUsage;
}

/** The prompt-token split of one request, as the cache emulation computed it. */
export interface PromptUsage {
  input: number;
  cacheRead: number;
  cacheWrite: number;
}

/** One request as the server saw it; `request` only when `keepRequests` is on. */
export interface RequestRecord {
  id: string;
  model: string;
  stream: boolean;
  arrivedAt: number;
  status: number | null;
  outcome: 'message' | 'error' | 'rate-limited' | 'midstream-error' | 'hang' | 'stall' | 'malformed' | 'aborted' | 'invalid' | 'batch';
  usage: PromptUsage | null;
  request?: ParsedRequest;
}

export interface ServerStats {
  totalRequests: number;
  requestsByModel: Record<string, number>;
  inFlight: number;
  maxInFlight: number;
  inFlightByModel: Record<string, number>;
  maxInFlightByModel: Record<string, number>;
  rateLimited: number;
  requests: RequestRecord[];
}

/**
 * The model-client interface the engine talks to. `anthropic.ts` is the only implementation that
 * imports the SDK; everything else in the engine sees these plain shapes.
 */
import type { Usage } from '../types';

export interface CacheControl { type: 'ephemeral' }

export type ContentBlock =
  | { type: 'text'; text: string; cache_control?: CacheControl }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content: string; is_error?: boolean; cache_control?: CacheControl };

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

export interface ToolDefinition {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  cache_control?: CacheControl;
}

export interface ModelRequest {
  model: string;
  system: Array<{ type: 'text'; text: string; cache_control?: CacheControl }>;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  toolChoice?: { type: 'auto' } | { type: 'any' } | { type: 'tool'; name: string };
  maxTokens: number;
  signal: AbortSignal;
  /** Time limit for the response headers. */
  timeoutMs: number;
  /** Longest silence between stream events once the headers are in; a longer one is a transient error. */
  idleTimeoutMs?: number;
  /**
   * Each piece of the assistant's text as it streams in (for a live view). Called synchronously
   * from the stream loop: keep it cheap. A retried request streams its text again from the start.
   */
  onText?: (delta: string) => void;
  /**
   * Identifies the cached prompt prefix this request shares with other agents' first requests
   * (tools, system, run context). Not sent: the policy sends the first request with a given prefix
   * alone and holds the others until its answer is in, so they read the prefix it wrote.
   */
  sharedPrefix?: string;
  /** Called once the response has begun (its headers are in): the API's cache entry exists from then. */
  onResponseStart?: () => void;
}

export interface ModelResponse {
  model: string;                         // the model the API reports
  content: Array<Extract<ContentBlock, { type: 'text' } | { type: 'tool_use' }>>;
  stopReason: string | null;
  usage: Usage;
  /** Rate-limit headers of the response, for adaptive concurrency. */
  rateLimit?: RateLimitInfo;
  /** Answered through a Message Batch: priced at the batch rate. */
  batched?: boolean;
  /**
   * Its usage is in the ledger already: a batch's answers are recorded when the results file is
   * read, so one collected after Cancel Run counts once, and once again never when a resume uses it.
   */
  accounted?: boolean;
}

export interface RateLimitInfo {
  requestsRemaining?: number;
  tokensRemaining?: number;
  resetAt?: number;                      // epoch ms: the request limit is full again
  tokensResetAt?: number;                // epoch ms: the input-token limit is full again
}

/** How a failed request should be treated. */
export type ModelErrorKind = 'transient' | 'terminal' | 'invalid' | 'aborted';

/** The error every ModelClient throws, already classified. */
export class ModelError extends Error {
  constructor(
    message: string,
    readonly kind: ModelErrorKind,
    readonly status: number | null = null,
    readonly retryAfterMs: number | null = null,
    /** True for 429/529: the server asked us to slow down, so concurrency should shrink. */
    readonly slowDown = false,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

export interface ModelClient {
  create(req: ModelRequest): Promise<ModelResponse>;
  /** The Message Batches operations; absent on clients that have none (batch mode then stays off). */
  batches?: BatchClient;
}

/** One request of a batch: a single-turn ModelRequest without the per-call transport fields. */
export interface BatchItem {
  /** `<agentId>#<attempt>`: unique in the batch, and tells which agent an answer belongs to. */
  customId: string;
  request: Omit<ModelRequest, 'signal' | 'timeoutMs' | 'idleTimeoutMs' | 'onText'>;
}

export interface BatchCounts {
  processing: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/** A batch as the API reports it. */
export interface BatchState {
  id: string;
  status: 'in_progress' | 'canceling' | 'ended';
  counts: BatchCounts;
  createdAt: string;
  expiresAt: string;
  endedAt: string | null;
}

/** One line of a batch's results file. */
export type BatchResult =
  | { customId: string; kind: 'succeeded'; response: ModelResponse }
  | { customId: string; kind: 'errored'; error: string }
  | { customId: string; kind: 'canceled' | 'expired' };

export interface BatchClient {
  create(items: BatchItem[], signal: AbortSignal): Promise<BatchState>;
  retrieve(id: string, signal: AbortSignal): Promise<BatchState>;
  /**
   * The results file, a line at a time as it streams in. A file that ends in the middle of a line
   * throws a transient ModelError after the complete lines were yielded.
   */
  results(id: string, signal: AbortSignal): AsyncIterable<BatchResult>;
  cancel(id: string, signal: AbortSignal): Promise<BatchState>;
  list(signal: AbortSignal): Promise<BatchState[]>;
}

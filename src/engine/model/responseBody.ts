/**
 * The body of one streamed response, read through a reader the request itself holds, so that an
 * abort closes the connection and the bytes that come are bounded.
 *
 * Why not leave the abort to fetch: fetch follows the request's signal through the `Request` it
 * builds, and once the headers are in nothing refers to that Request any more; Node's fetch links
 * it to our signal only weakly, so after a garbage collection the abort reaches nothing and the
 * socket stays open until the server gives up (minutes). Cancelling our own reader closes the
 * connection whatever the collector has done: undici destroys the socket of a cancelled body.
 */
import { ModelError } from './client';

/**
 * Streamed text and tool input per response is capped at this many characters per `max_tokens`.
 * A token is about 4 characters of English text, and a single one rarely covers more than 16 (a
 * run of spaces, a long identifier); 8 × 4 leaves room for any real response, while a runaway
 * stream stops at 262,144 characters for the default 8,192 tokens instead of filling memory.
 */
export const TEXT_CHARS_PER_TOKEN = 32;

/**
 * The backstop on the raw bytes of a response, its server-sent-event framing and JSON escaping
 * included: a delta event carries ~110 bytes of framing, and the API sends at least one token an
 * event. This also bounds what carries no text (one endless line, events of unknown types).
 */
export const STREAM_BYTES_PER_TOKEN = 256;

/** The text cap of a response with this `max_tokens`, and the error that names it. */
export function textCap(maxTokens: number): number {
  return maxTokens * TEXT_CHARS_PER_TOKEN;
}

export function textTooLong(maxTokens: number): ModelError {
  return new ModelError(
    `response too long: more than ${textCap(maxTokens).toLocaleString('en-US')} characters of text and tool input streamed for max_tokens ${maxTokens} `
    + `(the cap is ${TEXT_CHARS_PER_TOKEN} characters a token); the request was aborted and is not retried`,
    'invalid',
  );
}

function bytesTooLong(maxTokens: number): ModelError {
  return new ModelError(
    `response too long: more than ${(maxTokens * STREAM_BYTES_PER_TOKEN).toLocaleString('en-US')} bytes streamed for max_tokens ${maxTokens} `
    + `(the cap is ${STREAM_BYTES_PER_TOKEN} bytes a token, event framing included); the request was aborted and is not retried`,
    'invalid',
  );
}

export interface GuardedBody {
  /** The response whose body to read instead of fetch's: the same bytes, through our reader. */
  readonly response: Response;
  /** Detaches from the signal (the request is over). Safe to call twice. */
  release(): void;
}

/**
 * Reads `response`'s body through our own reader. When `signal` aborts, the reader is cancelled
 * (closing the connection) and a pending read fails with the signal's reason; past
 * `STREAM_BYTES_PER_TOKEN × maxTokens` bytes, the same happens with a non-transient error naming
 * the cap.
 */
export function guardBody(response: Response, signal: AbortSignal, maxTokens: number): GuardedBody {
  const source = response.body;
  if (!source) return { response, release: () => undefined };
  const reader = (source as ReadableStream<Uint8Array>).getReader();
  const maxBytes = maxTokens * STREAM_BYTES_PER_TOKEN;
  let bytes = 0;
  let out: ReadableStreamDefaultController<Uint8Array> | null = null;
  // Settled once: the first of end, error, cancel and abort wins, and later ones are no-ops.
  let settled = false;
  const fail = (reason: unknown): void => {
    if (settled) return;
    settled = true;
    // A cancel of a stream that already failed rejects; the connection is gone either way.
    reader.cancel(reason).catch(() => undefined);
    out?.error(reason);
  };
  const onAbort = (): void => fail(signal.reason);
  const release = (): void => signal.removeEventListener('abort', onAbort);
  const body = new ReadableStream<Uint8Array>({
    start(controller) { out = controller; },
    async pull(controller) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        fail(err);
        return;
      }
      if (settled) return;
      if (chunk.done) { settled = true; controller.close(); return; }
      bytes += chunk.value.byteLength;
      if (bytes > maxBytes) { fail(bytesTooLong(maxTokens)); return; }
      controller.enqueue(chunk.value);
    },
    cancel(reason) {
      if (settled) return;
      settled = true;
      return reader.cancel(reason).catch(() => undefined);
    },
  }, { highWaterMark: 0 });
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  // Only the body is read from it; the caller keeps the original for its headers.
  return { response: new Response(body), release };
}

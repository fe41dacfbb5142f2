import { describe, expect, it } from 'vitest';
import { ModelError } from '../../src/engine/model/client';
import { guardBody, STREAM_BYTES_PER_TOKEN, textCap, TEXT_CHARS_PER_TOKEN } from '../../src/engine/model/responseBody';

/** A body that sends `chunks` and then nothing, recording whether and why it was cancelled. */
function silentAfter(chunks: Uint8Array[]): { response: Response; cancelled: { reason: unknown } | null } {
  const state: { response: Response; cancelled: { reason: unknown } | null } = { response: null as unknown as Response, cancelled: null };
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]);
      else return new Promise<void>(() => undefined);
    },
    cancel(reason) { state.cancelled = { reason }; },
  }, { highWaterMark: 0 });
  state.response = new Response(body);
  return state;
}

const readerOf = (res: Response): ReadableStreamDefaultReader<Uint8Array> => (res.body as ReadableStream<Uint8Array>).getReader();
const bytes = (n: number): Uint8Array => new Uint8Array(n).fill(120);

describe('guardBody', () => {
  it('cancels the source and fails the pending read with the reason when the signal aborts', async () => {
    const src = silentAfter([bytes(10)]);
    const ctl = new AbortController();
    const reader = readerOf(guardBody(src.response, ctl.signal, 1_024).response);
    expect((await reader.read()).value?.byteLength).toBe(10);
    const pending = reader.read();
    const why = new Error('idle');
    ctl.abort(why);
    await expect(pending).rejects.toBe(why);
    expect(src.cancelled).toEqual({ reason: why });
  });

  it('cancels at once on a signal aborted before the first read', async () => {
    const src = silentAfter([]);
    const ctl = new AbortController();
    ctl.abort(new Error('cancelled'));
    const reader = readerOf(guardBody(src.response, ctl.signal, 1_024).response);
    await expect(reader.read()).rejects.toThrow('cancelled');
    expect(src.cancelled).not.toBeNull();
  });

  it('past the byte cap, cancels the source and fails with a non-transient error naming the cap', async () => {
    const maxTokens = 4;
    const src = silentAfter([bytes(maxTokens * STREAM_BYTES_PER_TOKEN), bytes(1)]);
    const reader = readerOf(guardBody(src.response, new AbortController().signal, maxTokens).response);
    await reader.read();
    const err = await reader.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect(err).toMatchObject({ kind: 'invalid', message: expect.stringMatching(/^response too long: more than 1,024 bytes streamed for max_tokens 4 \(the cap is 256 bytes a token/) as unknown });
    expect(src.cancelled?.reason).toBe(err);
  });

  it('after release, an abort no longer touches the body', async () => {
    const src = silentAfter([bytes(3)]);
    const ctl = new AbortController();
    const guarded = guardBody(src.response, ctl.signal, 1_024);
    const reader = readerOf(guarded.response);
    await reader.read();
    guarded.release();
    ctl.abort();
    expect(src.cancelled).toBeNull();
  });

  it('the text cap is 32 characters a token', () => {
    expect(TEXT_CHARS_PER_TOKEN).toBe(32);
    expect(textCap(8_192)).toBe(262_144);
  });
});

import { ModelError, type ModelRequest, type ModelResponse } from '../model/client';
import type { RequestPolicy } from '../model/requests';
import type { AgentTranscript } from './writer';

/**
 * `policy.send` with the request recorded in the agent's transcript: a `request` entry, the text
 * streamed live to listeners, each retry, then the response's text and tool calls, or the error
 * that ended it. Usage is recorded by the caller, which prices it (`AgentTranscript.usage`).
 */
export async function sendRecorded(
  policy: RequestPolicy, req: ModelRequest, cap: number, transcript: AgentTranscript | undefined, turn: number,
): Promise<ModelResponse> {
  if (!transcript) return policy.send(req, cap);
  transcript.request(turn, req.model);
  let res: ModelResponse;
  try {
    res = await policy.send({ ...req, onText: (d) => transcript.delta(d) }, cap, {
      onRetry: (err, n, waitMs) => transcript.retry(n, waitMs, err.message),
    });
  } catch (err) {
    if (err instanceof ModelError) transcript.error(err.message, err.kind === 'transient');
    else transcript.error(err instanceof Error ? err.message : String(err));
    throw err;
  }
  for (const b of res.content) {
    if (b.type === 'text') transcript.text(b.text);
    else transcript.toolCall(b.id, b.name, b.input);
  }
  return res;
}

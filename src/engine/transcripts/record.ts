import { ModelError, type ModelRequest, type ModelResponse } from '../model/client';
import type { RequestPolicy } from '../model/requests';
import { redactDeep } from '../redact';
import type { AgentTranscript } from './writer';

/**
 * `policy.send` with the request recorded in the agent's transcript: a `request` entry, the text
 * streamed live to listeners, each retry, then the response's text and tool calls, or the error
 * that ended it. Usage is recorded by the caller, which prices it (`AgentTranscript.usage`).
 *
 * The response comes back redacted (src/engine/redact): its text and every tool input. Everything
 * the engine writes from a model's answer (write_output, synthesis files, summary.md, reviews, the
 * plan) starts here, so a secret the model repeats from the prompt or makes up is withheld once for
 * all of them; `onRedacted` hears how many, for the agent's `redactions`.
 */
export async function sendRecorded(
  policy: RequestPolicy, req: ModelRequest, cap: number, transcript: AgentTranscript | undefined, turn: number,
  onRedacted?: (count: number) => void,
): Promise<ModelResponse> {
  const clean = (res: ModelResponse): ModelResponse => {
    const r = redactDeep(res.content);
    if (r.count > 0) onRedacted?.(r.count);
    return r.count > 0 ? { ...res, content: r.value } : res;
  };
  if (!transcript) return clean(await policy.send(req, cap));
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
  res = clean(res);
  for (const b of res.content) {
    if (b.type === 'text') transcript.text(b.text);
    else transcript.toolCall(b.id, b.name, b.input);
  }
  return res;
}

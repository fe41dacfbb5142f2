/**
 * A full garbage collection on demand, for tests of what must hold "whatever the collector has
 * done". Under `--expose-gc` that is `globalThis.gc`; otherwise the flag is set at run time and
 * the function taken from a fresh context, which V8 creates with it (Jest's leak detector does the
 * same), so the test needs no special runner configuration.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

function exposed(): () => void {
  const own = (globalThis as { gc?: () => void }).gc;
  if (own) return own;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export const forceGc: () => void = exposed();

/**
 * Collects every `everyMs` until `signal` aborts (or `limit` collections), so that whatever the
 * client holds at that moment (the headers in, the stream silent) has been through full GCs.
 */
export function collectUntil(signal: AbortSignal, everyMs = 100, limit = 200): void {
  let n = 0;
  const timer = setInterval(() => {
    if (signal.aborted || ++n > limit) { clearInterval(timer); return; }
    forceGc();
  }, everyMs);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

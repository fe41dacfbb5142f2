/**
 * The webview end of a panel's typed channel: validates every message from the host with the
 * panel's schema before a handler sees it, restores the last state at once (getState), and says
 * `ready` so the host starts posting. The page's state is `{ restore, last }`: what the panel shows
 * (from the host, on the body's data-restore) beside the last message, so after a window reload
 * VS Code hands the host back the run or agent this panel was showing.
 */
import type { z } from 'zod';
import type { HandlerMap } from '../src/shared/protocol';

interface VsCodeApi<W> {
  postMessage(msg: W | { type: 'ready' }): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi<W>(): VsCodeApi<W>;

export interface Channel<W> {
  post(msg: W): void;
  /** Keeps `msg` as the state to restore if VS Code re-creates the page. */
  save(msg: unknown): void;
  /** Renders the saved state (if any) and tells the host the page is ready; call once, after wiring. */
  start(): void;
}

export function connect<H extends { type: string }, W extends { type: string }>(
  name: string, schema: z.ZodType<H>, handlers: HandlerMap<H>,
): Channel<W> {
  const api = acquireVsCodeApi<W>();
  const restore: unknown = (() => {
    try { return JSON.parse(document.body.dataset.restore ?? 'null') as unknown; } catch { return null; }
  })();
  const saved = api.getState() as { last?: unknown } | undefined | null;
  const keep = (last: unknown): void => api.setState({ restore, last });
  const handle = (raw: unknown, from: string): boolean => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      if (from === 'host') console.warn(`${name}: ignored an invalid message from the host`, parsed.error.issues);
      return false;
    }
    const msg = parsed.data;
    void (handlers[msg.type as H['type']] as (m: H) => void | Promise<void>)(msg);
    return true;
  };
  window.addEventListener('message', (event: MessageEvent<unknown>) => { handle(event.data, 'host'); });
  return {
    post: (msg) => api.postMessage(msg),
    save: keep,
    start: () => {
      // The saved state is validated like a message: it may predate an extension update.
      const last = saved && typeof saved === 'object' && 'last' in saved ? saved.last : saved;
      handle(last, 'state');
      // Kept at once, so a reload before the first message still knows what this panel shows.
      keep(last ?? null);
      api.postMessage({ type: 'ready' });
    },
  };
}

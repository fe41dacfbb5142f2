/**
 * The webview end of a panel's typed channel: validates every message from the host with the
 * panel's schema before a handler sees it, restores the last state at once (getState), and says
 * `ready` so the host starts posting.
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
    save: (msg) => api.setState(msg),
    start: () => {
      // The saved state is validated like a message: it may predate an extension update.
      handle(api.getState(), 'state');
      api.postMessage({ type: 'ready' });
    },
  };
}

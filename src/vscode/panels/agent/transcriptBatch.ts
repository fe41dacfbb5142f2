/**
 * Throttles what one agent view posts: entries gather for at most `intervalMs` (an animation
 * frame or three) and go out as one batch, consecutive text deltas of one attempt merged into one.
 * Eight agents streaming token by token cost each view ~20 small posts a second, never a post per
 * token and never the whole transcript again. No vscode import: the bench drives it directly.
 */
import type { EntryView } from '../../../shared/agentProtocol';

/** Between one post and the next per view: ~3 frames at 60 Hz. */
export const BATCH_INTERVAL_MS = 50;
/** A batch this long goes out at once instead of waiting for the timer (a burst of tool results). */
export const BATCH_MAX_ENTRIES = 200;

export interface BatchTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: BatchTimers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class EntryBatcher {
  private pending: EntryView[] = [];
  private timer: unknown = null;
  private disposed = false;
  /** Entries pushed and posts made, for the bench. */
  readonly stats = { entries: 0, posts: 0, deltasMerged: 0 };

  constructor(
    private readonly post: (batch: EntryView[]) => void,
    private readonly intervalMs = BATCH_INTERVAL_MS,
    private readonly timers: BatchTimers = realTimers,
  ) {}

  push(entry: EntryView): void {
    if (this.disposed) return;
    this.stats.entries++;
    const last = this.pending[this.pending.length - 1];
    if (entry.type === 'text_delta' && last?.type === 'text_delta' && last.attempt === entry.attempt) {
      this.pending[this.pending.length - 1] = { ...last, text: last.text + entry.text };
      this.stats.deltasMerged++;
    } else {
      this.pending.push(entry);
    }
    if (this.pending.length >= BATCH_MAX_ENTRIES) this.flush();
    else this.timer ??= this.timers.set(() => { this.timer = null; this.flush(); }, this.intervalMs);
  }

  /** Posts what is pending now (and cancels the timer). */
  flush(): void {
    if (this.timer !== null) {
      this.timers.clear(this.timer);
      this.timer = null;
    }
    if (!this.pending.length || this.disposed) return;
    const batch = this.pending;
    this.pending = [];
    this.stats.posts++;
    this.post(batch);
  }

  /** Drops what is pending: the next post is a full reset anyway. */
  clear(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    this.pending = [];
  }

  dispose(): void {
    this.clear();
    this.disposed = true;
  }
}

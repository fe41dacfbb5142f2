/**
 * Writes the transcripts of one run: one append-only JSONL file per agent, bounded in size, with
 * the prompts every agent of a group shares stored once by hash. Lines are buffered and appended
 * on a short timer (and on flush), never once per streamed token; text deltas are only handed to
 * live listeners, which cost nothing when there are none.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, openSync, promises as fs, readFileSync, readSync } from 'node:fs';
import * as path from 'node:path';
import { statSyncOrNull, writeFileAtomicSync } from '../files';
import type { Disposable, Usage } from '../types';
import type { TranscriptEntry, TranscriptEntryInput } from './entry';
import { PROMPTS_DIR, TRANSCRIPTS_DIR, transcriptFile } from './paths';
import { parseTranscript } from './read';
import { addSecrets, redactDeep, redactText } from '../redact';


/** Per-entry bounds, so one huge tool result or reply cannot take the whole file. */
export const EXCERPT = {
  prompt: 2_000,
  text: 20_000,
  toolInputString: 2_000,
  toolResult: 1_000,
  error: 2_000,
} as const;

/** How much of an existing transcript's end is read to continue its attempt count. */
const TAIL_BYTES = 64 * 1024;

/** The last `max` bytes of a file as text (a first line cut mid-way is the caller's to skip). */
function readTailSync(file: string, size: number, max: number): string {
  const fd = openSync(file, 'r');
  try {
    const len = Math.min(size, max);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Bytes kept free at the end of a full file for the `truncated` entries that say so. */
const TRUNCATION_RESERVE = 400;
const DEFAULT_FLUSH_MS = 250;

export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [cut: ${text.length - max} more characters]`;
}

/** Strings inside a tool's input longer than the bound are cut (a write_output's whole report). */
function cutStrings(value: unknown, max: number): unknown {
  if (typeof value === 'string') return cut(value, max);
  if (Array.isArray(value)) return value.map((v) => cutStrings(v, max));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cutStrings(v, max)]));
  return value;
}

export function promptHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export interface TranscriptsOptions {
  /** Most bytes of one agent's transcript file (setting `transcriptMaxBytes`). */
  maxBytes: number;
  /** Literal values never written (the API key the host holds); added to the process-wide redaction. */
  secrets?: readonly string[];
  flushMs?: number;
  now?: () => number;
}

/** What a listener receives: every entry written, and the live-only `text_delta` entries. */
export interface TranscriptEvent {
  agentId: string;
  entry: TranscriptEntry;
}

/** The transcripts of one run folder. One per Run; agents get theirs with `agent(id)`. */
export class Transcripts {
  private readonly agents = new Map<string, AgentTranscript>();
  private readonly emitter = new EventEmitter();
  private readonly savedPrompts = new Set<string>();
  private readonly dirty = new Set<AgentTranscript>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private madeDir = false;
  readonly dir: string;
  /** True while anyone listens: deltas are built only then. */
  listening = false;

  constructor(readonly runDir: string, readonly opts: TranscriptsOptions) {
    this.dir = path.join(runDir, TRANSCRIPTS_DIR);
    this.emitter.setMaxListeners(100);
    addSecrets(opts.secrets ?? []);
  }

  agent(id: string): AgentTranscript {
    let t = this.agents.get(id);
    if (!t) { t = new AgentTranscript(this, id); this.agents.set(id, t); }
    return t;
  }

  onDidWrite(listener: (e: TranscriptEvent) => void): Disposable {
    this.emitter.on('entry', listener);
    this.listening = true;
    return {
      dispose: () => {
        this.emitter.off('entry', listener);
        this.listening = this.emitter.listenerCount('entry') > 0;
      },
    };
  }

  /** @internal A listener that throws must not break the agent whose text it was shown. */
  emit(agentId: string, entry: TranscriptEntry): void {
    if (!this.listening) return;
    try { this.emitter.emit('entry', { agentId, entry }); } catch { /* the listener's own bug */ }
  }

  /** @internal */
  now(): string {
    return new Date((this.opts.now ?? Date.now)()).toISOString();
  }

  /** Stores a prompt once per run under transcripts/prompts/<hash>.md and returns the hash. */
  savePromptSync(text: string): string {
    const hash = promptHash(text);
    if (this.savedPrompts.has(hash)) return hash;
    const file = path.join(this.dir, PROMPTS_DIR, `${hash}.md`);
    if (!existsSync(file)) writeFileAtomicSync(file, redactText(text));
    this.savedPrompts.add(hash);
    return hash;
  }

  /** @internal */
  markDirty(t: AgentTranscript): void {
    this.dirty.add(t);
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = null; void this.writeOut(false).catch(() => undefined); }, this.opts.flushMs ?? DEFAULT_FLUSH_MS);
    this.timer.unref?.();
  }

  /**
   * Appends every buffered line now. `final` also notes entries dropped since the last
   * `truncated` entry, as one more (room for it is kept free).
   */
  flush(final = false): Promise<void> {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    return this.writeOut(final);
  }

  /**
   * @internal Appends one agent's buffered lines now, after the lines already on their way: when an
   * attempt ends, its last lines need not wait for the timer. Held for up to `flushMs` they outlived
   * the young generation at 1,000 short agents, to wait in the old one for a full GC.
   */
  flushAgent(t: AgentTranscript): Promise<void> {
    if (!this.dirty.delete(t)) return this.writing;
    return this.writeOut(false, [t]);
  }

  private writeOut(final: boolean, only?: AgentTranscript[]): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (final) for (const t of this.agents.values()) t.noteDrops();
      const batch = only ?? [...this.dirty];
      if (!only) this.dirty.clear();
      for (const t of batch) {
        const chunk = t.take();
        if (!chunk) continue;
        if (!this.madeDir) { await fs.mkdir(this.dir, { recursive: true }); this.madeDir = true; }
        await fs.appendFile(transcriptFile(this.runDir, t.agentId), chunk, 'utf8');
      }
    });
    return this.writing;
  }

  dispose(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    this.emitter.removeAllListeners();
    this.listening = false;
  }
}

export interface AttemptStart {
  model: string;
  system: string;
  /** The shared block (group brief), when the agent has one. */
  shared: string | null;
  /** The agent's own prompt. */
  prompt: string;
  instruction: string | null;
}

/**
 * One agent's transcript. Its attempt count and size continue those of an existing file, read
 * once when the first attempt starts (a resume, a rerun, a follow-up question).
 */
export class AgentTranscript {
  private attemptNo = 0;
  private bytes = 0;
  private loaded = false;
  private pending: string[] = [];
  private droppedBytes = 0;
  private droppedEntries = 0;
  private notedDrops = 0;

  constructor(private readonly owner: Transcripts, readonly agentId: string) {}

  get attempt(): number { return this.attemptNo; }

  /** Starts a new attempt and writes its `attempt` entry; returns its number. */
  begin(start: AttemptStart): number {
    this.loadSync();
    this.attemptNo++;
    this.write({
      type: 'attempt', model: start.model,
      systemHash: this.owner.savePromptSync(start.system),
      sharedHash: start.shared ? this.owner.savePromptSync(start.shared) : null,
      prompt: cut(start.prompt, EXCERPT.prompt), promptBytes: Buffer.byteLength(start.prompt),
      instruction: start.instruction,
    });
    return this.attemptNo;
  }

  request(turn: number, model: string): void { this.write({ type: 'request', turn, model }); }

  text(text: string): void { if (text) this.write({ type: 'text', text: cut(text, EXCERPT.text) }); }

  /** Live only: handed to listeners, never written (the whole text is, when the response ends). */
  delta(text: string): void {
    if (!this.owner.listening || !text) return;
    this.owner.emit(this.agentId, { t: this.owner.now(), attempt: this.attemptNo, type: 'text_delta', text: redactText(text) });
  }

  toolCall(id: string, name: string, input: unknown): void {
    this.write({ type: 'tool_call', id, name, input: cutStrings(input, EXCERPT.toolInputString) });
  }

  toolResult(id: string, ok: boolean, content: string): void {
    this.write({ type: 'tool_result', id, ok, excerpt: cut(content, EXCERPT.toolResult), bytes: Buffer.byteLength(content) });
  }

  usage(usage: Usage, costUsd: number, stopReason: string | null, modelReported: string): void {
    this.write({ type: 'usage', usage: { ...usage }, costUsd, stopReason, modelReported });
  }

  error(message: string, transient?: boolean): void {
    this.write({ type: 'error', message: cut(message, EXCERPT.error), ...(transient !== undefined ? { transient } : {}) });
  }

  retry(n: number, waitMs: number, reason: string): void {
    this.write({ type: 'retry', n, waitMs: Math.round(waitMs), reason: cut(reason, EXCERPT.error) });
  }

  /**
   * Buffers one entry (redacted, stamped with the time and attempt) and hands it to listeners.
   * Past the bound it and every later entry are dropped and counted instead; the first drop writes
   * a `truncated` entry, and the final flush another with the totals when more were dropped after it.
   */
  write(input: TranscriptEntryInput): void {
    this.loadSync();
    // Redacted string by string: a private key block is found by its line breaks, which JSON escapes.
    // What reaches a transcript was mostly redacted on its way in (responses, tool results); this
    // covers the rest (prompts, errors), and its count is not the agent's (that would count twice).
    // The stamp is the engine's own, so only the input is scanned.
    const entry: TranscriptEntry = { t: this.owner.now(), attempt: this.attemptNo, ...redactDeep(input).value };
    const line = `${JSON.stringify(entry)}\n`;
    const size = Buffer.byteLength(line);
    // Once one entry is left out, all later ones are too: the file is a clean prefix, never gapped.
    if (this.droppedEntries > 0 || this.bytes + size > this.owner.opts.maxBytes - TRUNCATION_RESERVE) {
      this.droppedBytes += size;
      this.droppedEntries++;
      if (this.droppedEntries === 1) this.noteDrops();
      return;
    }
    this.append(line, size, entry);
  }

  /** @internal Writes a `truncated` entry for drops not yet noted, if it fits the file. */
  noteDrops(): void {
    if (this.droppedEntries === this.notedDrops) return;
    const entry: TranscriptEntry = { t: this.owner.now(), attempt: this.attemptNo, type: 'truncated', droppedBytes: this.droppedBytes, droppedEntries: this.droppedEntries };
    const line = `${JSON.stringify(entry)}\n`;
    const size = Buffer.byteLength(line);
    if (this.bytes + size > this.owner.opts.maxBytes) return;
    this.notedDrops = this.droppedEntries;
    this.append(line, size, entry);
  }

  private append(line: string, size: number, entry: TranscriptEntry): void {
    this.bytes += size;
    this.pending.push(line);
    this.owner.markDirty(this);
    this.owner.emit(this.agentId, entry);
  }

  /** Appends this agent's buffered lines now (its attempt ended) instead of on the next timer tick. */
  flush(): Promise<void> {
    return this.owner.flushAgent(this);
  }

  /** @internal The buffered lines, handed over for one append. */
  take(): string {
    const chunk = this.pending.join('');
    this.pending = [];
    return chunk;
  }

  /**
   * The size and attempt count of a transcript left by an earlier execution or process. Attempts
   * only grow down the file, so the last readable line holds the count: only the tail is read.
   */
  private loadSync(): void {
    if (this.loaded) return;
    this.loaded = true;
    const file = transcriptFile(this.owner.runDir, this.agentId);
    const st = statSyncOrNull(file);
    if (!st?.size) return;
    this.bytes = st.size;
    const tail = readTailSync(file, st.size, TAIL_BYTES);
    const lines = tail.split('\n');
    for (let i = lines.length - 1; i >= (st.size > TAIL_BYTES ? 1 : 0); i--) {
      try {
        const attempt = (JSON.parse(lines[i]) as { attempt?: unknown }).attempt;
        if (typeof attempt === 'number') { this.attemptNo = attempt; return; }
      } catch { /* a torn or damaged line: look further up */ }
    }
    // Nothing readable in the tail: the whole file decides.
    for (const e of parseTranscript(readFileSync(file, 'utf8')).entries) this.attemptNo = Math.max(this.attemptNo, e.attempt);
  }
}

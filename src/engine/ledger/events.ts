/**
 * Reading events.jsonl back. The log is append-only and written a chunk at a time, so a crash or a
 * full disk can leave its last line torn (half an event, no newline). The writer closes such a
 * line with a newline before appending (see Ledger), so the torn text stays alone on its line and
 * every later event stays parseable; readers skip lines that are not events and say how many.
 */
import { promises as fs } from 'node:fs';
import type { EngineEvent } from '../types';

export interface SkippedLine {
  /** 1-based line number in events.jsonl. */
  line: number;
  reason: string;
}

export interface EventsRead {
  events: EngineEvent[];
  /** Lines that were not events (torn by a crash or a full disk), skipped. */
  skipped: SkippedLine[];
  /** The file ends without a newline: the next append must close that line first. */
  endsTorn: boolean;
}

/** Bytes read from the end of the log first when only its last event is wanted. */
const TAIL_WINDOW = 64 * 1024;

/**
 * One events.jsonl line as an event, or why it is not one (the rebuild and the views read the log
 * the same way). Only the fields every event has are checked, and an agent event's id and status.
 */
export function parseEventLine(line: string): EngineEvent | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  const e = value as Partial<EngineEvent> | null;
  if (typeof e !== 'object' || e === null || typeof e.seq !== 'number' || typeof e.type !== 'string' || typeof e.t !== 'string') {
    return 'not an event (expected an object with seq, t and type)';
  }
  if (e.type === 'agent' && (typeof e.id !== 'string' || typeof e.status !== 'string')) return 'not an agent event (expected id and status)';
  return e as EngineEvent;
}

/** Every event of a log in file order, skipping torn lines; null when the file does not exist. */
export async function readEvents(file: string): Promise<EventsRead | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const events: EngineEvent[] = [];
  const skipped: SkippedLine[] = [];
  const lines = text.split('\n');
  // The text after the last newline is a line only when the file does not end with one.
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const parsed = parseEventLine(line);
    if (typeof parsed === 'string') skipped.push({ line: i + 1, reason: parsed });
    else events.push(parsed);
  });
  return { events, skipped, endsTorn: text.length > 0 && !text.endsWith('\n') };
}

/**
 * The last event's seq and whether the file ends torn, reading from the end: a long run's log
 * is many megabytes and its last line is all that numbering needs. The window grows when one
 * line is longer than it (a `planned` event of a thousand agents is about half a megabyte).
 */
export async function eventsTail(file: string): Promise<{ lastSeq: number; endsTorn: boolean }> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lastSeq: 0, endsTorn: false };
    throw err;
  }
  try {
    const { size } = await fh.stat();
    if (size === 0) return { lastSeq: 0, endsTorn: false };
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    const endsTorn = last[0] !== 0x0a;
    for (let window = TAIL_WINDOW; ; window *= 4) {
      const start = Math.max(0, size - window);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      const lines = buf.toString('utf8').split('\n');
      // A window that starts mid-file starts mid-line: its first piece is not a line.
      const first = start > 0 ? 1 : 0;
      for (let i = lines.length - 1; i >= first; i--) {
        if (lines[i].trim() === '') continue;
        const parsed = parseEventLine(lines[i]);
        if (typeof parsed !== 'string') return { lastSeq: parsed.seq, endsTorn };
      }
      if (start === 0) return { lastSeq: 0, endsTorn };
    }
  } finally {
    await fh.close();
  }
}

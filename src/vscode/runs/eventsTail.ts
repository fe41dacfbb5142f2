/**
 * Reads an append-only JSONL file (a run's events.jsonl, an agent's transcript) a piece at a
 * time: each call returns the lines appended since the last, so a view open for hours never
 * re-reads the file from the start. Async I/O only, in bounded chunks, so a big file never blocks
 * the extension host. A torn last line (the writer is mid-append, or crashed) waits for the next
 * read.
 */
import { promises as fs } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { parseEventLine, type EngineEvent } from '../../engine';

/** Bytes read per call at most: a 50 MB log of a finished 1,000-agent run arrives over a few refreshes. */
export const TAIL_CHUNK = 4 * 1024 * 1024;

export class JsonlTail {
  private offset = 0;
  private rest = '';
  /** Keeps a character split across two reads whole. */
  private decoder = new StringDecoder('utf8');

  constructor(private readonly file: string, private readonly chunk = TAIL_CHUNK) {}

  /** Complete lines appended since the last call (none when the file is missing). `more` says the chunk limit stopped it. */
  async read(): Promise<{ lines: string[]; more: boolean }> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, 'r');
    } catch {
      return { lines: [], more: false };
    }
    try {
      const { size } = await handle.stat();
      // A file shorter than what was read was replaced (the run folder was deleted and re-made): start over.
      if (size < this.offset) { this.offset = 0; this.rest = ''; this.decoder = new StringDecoder('utf8'); }
      const length = Math.min(size - this.offset, this.chunk);
      if (length <= 0) return { lines: [], more: false };
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, this.offset);
      this.offset += bytesRead;
      const text = this.rest + this.decoder.write(buf.subarray(0, bytesRead));
      const lines = text.split('\n');
      this.rest = lines.pop() ?? '';
      return { lines, more: this.offset < size };
    } finally {
      await handle.close();
    }
  }
}

/** events.jsonl as engine events: lines that are not events are skipped. */
export class EventsTail {
  private readonly tail: JsonlTail;

  constructor(file: string, chunk = TAIL_CHUNK) {
    this.tail = new JsonlTail(file, chunk);
  }

  async read(): Promise<{ events: EngineEvent[]; more: boolean }> {
    const { lines, more } = await this.tail.read();
    const events: EngineEvent[] = [];
    for (const line of lines) {
      const e = parseEvent(line);
      if (e) events.push(e);
    }
    return { events, more };
  }
}

/** One events.jsonl line as an event, or null (a blank, torn or malformed line): the engine's reading. */
export function parseEvent(line: string): EngineEvent | null {
  if (!line.trim()) return null;
  const e = parseEventLine(line);
  return typeof e === 'string' ? null : e;
}

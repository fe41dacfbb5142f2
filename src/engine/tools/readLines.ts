/**
 * Reading a line range of a text file under a byte budget, for read_file: whole for small files,
 * streamed for large ones, so memory stays near the budget whatever the file.
 */
import { createReadStream } from 'node:fs';

export interface LinesRead { lines: string[]; total: number; truncated: boolean; lineCut: boolean }

/**
 * Streams the file once: collects lines `from..to` until `budget` bytes are used, and counts every
 * line so the truncation note can say how long the file is. Memory stays near `budget` even for a
 * multi-gigabyte log or a one-line minified bundle.
 */
export async function readLines(abs: string, from: number, to: number, budget: number): Promise<LinesRead> {
  return linesOf(createReadStream(abs, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>, from, to, budget);
}

/**
 * `linesOf([buf], …)` for a file read whole. When the whole decoded text fits the budget no line can
 * be cut or dropped, so the lines are split from one decoded string (the same strings: a newline
 * byte never belongs to a multi-byte UTF-8 sequence, and decoding never yields fewer bytes than it
 * read); otherwise the byte-wise collector decides.
 */
export function linesOfWhole(buf: Buffer, from: number, to: number, budget: number): LinesRead {
  const text = buf.toString('utf8');
  if (Buffer.byteLength(text) + 1 > budget) return linesOf([buf], from, to, budget);
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  const total = all.length;
  const lines: string[] = [];
  const end = Math.min(to, total);
  for (let n = from; n <= end; n++) {
    const line = all[n - 1];
    lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
  return { lines, total, truncated: false, lineCut: false };
}

/** The line collector of `readLines` over chunks; synchronous when `chunks` is an array. */
function linesOf(chunks: Buffer[], from: number, to: number, budget: number): LinesRead;
function linesOf(chunks: AsyncIterable<Buffer>, from: number, to: number, budget: number): Promise<LinesRead>;
function linesOf(chunks: Buffer[] | AsyncIterable<Buffer>, from: number, to: number, budget: number): LinesRead | Promise<LinesRead> {
  const lines: string[] = [];
  let used = 0;
  let lineNo = 1;
  let parts: Buffer[] = [];
  let kept = 0;          // bytes of the current line held in `parts`
  let lineBytes = 0;     // bytes of the current line seen
  let truncated = false;
  let lineCut = false;

  const endLine = (): void => {
    if (lineNo >= from && lineNo <= to && !truncated) {
      const text = Buffer.concat(parts).toString('utf8').replace(/\r$/, '');
      const cost = Buffer.byteLength(text) + 1;
      if (kept === lineBytes && used + cost <= budget) {
        lines.push(text);
        used += cost;
      } else {
        truncated = true;
        if (lines.length === 0) {
          lines.push(text.slice(0, budget));
          lineCut = true;
        }
      }
    }
    parts = [];
    kept = 0;
    lineBytes = 0;
    lineNo++;
  };
  const take = (chunk: Buffer): void => {
    lineBytes += chunk.length;
    if (lineNo < from || lineNo > to || truncated) return;
    const room = budget - used + 4 - kept; // +4 keeps a split UTF-8 character whole
    if (room <= 0) return;
    const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
    parts.push(Buffer.from(piece));
    kept += piece.length;
  };

  const consume = (chunk: Buffer): void => {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        if (start < chunk.length) take(chunk.subarray(start));
        break;
      }
      take(chunk.subarray(start, nl));
      endLine();
      start = nl + 1;
    }
  };
  const finish = (): LinesRead => {
    if (lineBytes > 0) endLine();
    return { lines, total: lineNo - 1, truncated, lineCut };
  };
  if (Array.isArray(chunks)) {
    for (const chunk of chunks) consume(chunk);
    return finish();
  }
  return (async () => {
    for await (const chunk of chunks) consume(chunk);
    return finish();
  })();
}

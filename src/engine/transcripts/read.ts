/**
 * Reading transcripts back: whatever a crash left (a line cut off by kill -9, a corrupt line, an
 * entry of an unknown shape) costs only that line. Readers get every readable entry and a
 * `problem` naming what was not, never an exception.
 */
import { promises as fs } from 'node:fs';
import { TranscriptEntrySchema, type TranscriptEntry } from './entry';
import { transcriptFile } from './paths';
import { plural } from '../../shared/words';

export interface TranscriptRead {
  entries: TranscriptEntry[];
  /** What could not be read (line numbers and bytes), or null when every line was readable. */
  problem: string | null;
}

/** Parses the text of a transcript file. */
export function parseTranscript(text: string): TranscriptRead {
  const entries: TranscriptEntry[] = [];
  const bad: string[] = [];
  let offset = 0;
  const lines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const bytes = Buffer.byteLength(line);
    const start = offset;
    offset += bytes + 1;
    if (line.trim() === '') continue;
    const last = i === lines.length - 1 && !endsWithNewline;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      bad.push(last
        ? `line ${i + 1} (bytes ${start}–${start + bytes}) is cut off: the writer stopped mid-line`
        : `line ${i + 1} (bytes ${start}–${start + bytes}) is not valid JSON`);
      continue;
    }
    const parsed = TranscriptEntrySchema.safeParse(json);
    if (parsed.success) entries.push(parsed.data);
    else bad.push(`line ${i + 1} (bytes ${start}–${start + bytes}) is not a transcript entry (${parsed.error.issues[0]?.path.join('.') || 'entry'}: ${parsed.error.issues[0]?.message ?? 'invalid'})`);
  }
  if (!bad.length) return { entries, problem: null };
  const shown = bad.slice(0, 5).join('; ');
  return { entries, problem: `${plural(bad.length, 'unreadable line')} skipped: ${shown}${bad.length > 5 ? `; and ${bad.length - 5} more` : ''}` };
}

/**
 * Reads one agent's transcript. A missing file is an agent that has not run: no entries, no
 * problem. An unreadable file is a problem, not a throw.
 */
export async function readTranscript(runDir: string, agentId: string): Promise<TranscriptRead> {
  let text: string;
  try {
    text = await fs.readFile(transcriptFile(runDir, agentId), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], problem: null };
    return { entries: [], problem: `the transcript could not be read: ${(err as Error).message}` };
  }
  return parseTranscript(text);
}

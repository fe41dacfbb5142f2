import type { TranscriptEntry } from './entry';
import { plural } from '../../shared/words';

const kb = (n: number): string => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1024 / 1024).toFixed(1)} MB`);
const indent = (text: string, pad: string): string => text.split('\n').map((l) => `${pad}${l}`).join('\n');
const time = (t: string): string => t.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

/** A one-line JSON of a tool's input, cut for the terminal. */
function inputLine(input: unknown): string {
  const s = JSON.stringify(input) ?? '';
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

/** One entry as text for a terminal or a plain-text view. */
function formatEntry(e: TranscriptEntry): string {
  switch (e.type) {
    case 'attempt': {
      const lines = [`── attempt ${e.attempt} · ${e.model} · ${time(e.t)}`,
        `   system ${e.systemHash}${e.sharedHash ? ` · shared ${e.sharedHash}` : ''} (transcripts/prompts/<hash>.md) · prompt ${kb(e.promptBytes)}`];
      if (e.instruction) lines.push(`   instruction: ${e.instruction}`);
      lines.push(indent(e.prompt, '   │ '));
      return lines.join('\n');
    }
    case 'request': return `→ request ${e.turn} (${e.model})`;
    case 'text': return indent(e.text, '  ');
    case 'text_delta': return e.text;
    case 'tool_call': return `  ⚙ ${e.name} ${inputLine(e.input)}  [${e.id}]`;
    case 'tool_result': return `    ${e.ok ? '✓' : '✗'} ${kb(e.bytes)}: ${indent(e.excerpt, '      ').trimStart()}`;
    case 'usage': {
      const u = e.usage;
      return `  usage: ${u.input} in · ${u.output} out · ${u.cacheRead} cache read · ${u.cacheWrite} cache write · $${e.costUsd.toFixed(4)} · ${e.stopReason ?? 'no stop reason'} · ${e.modelReported}`;
    }
    case 'error': return `  ✗ error${e.transient ? ' (transient)' : ''}: ${e.message}`;
    case 'retry': return `  ↻ retry ${e.n} in ${e.waitMs} ms: ${e.reason}`;
    case 'ask': return `  ? question: ${e.question}`;
    case 'answer': return `  ! answer (${e.file}):\n${indent(e.text, '    ')}`;
    case 'truncated': return `  … ${plural(e.droppedEntries, 'entry', 'entries')} (${kb(e.droppedBytes)}) left out: the transcript reached transcriptMaxBytes`;
  }
}

/** A transcript as readable text (what `orchestrate transcript` prints). */
export function formatTranscript(entries: readonly TranscriptEntry[]): string {
  return entries.map(formatEntry).join('\n');
}

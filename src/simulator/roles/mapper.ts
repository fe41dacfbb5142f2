import { SIMULATED_LABEL, promptText } from '../conversation';
import type { ParsedRequest, Reply } from '../types';

/** What the simulated mapper measures in one file; reducers and the final re-read it from the text. */
export interface FileRating {
  path: string;
  lines: number;
  comments: number;
  todos: number;
  /** 1–5: how well the file is commented (a stand-in for any per-file question). */
  rating: number;
}

/** `<file path="…">text</file>` and `<file path="…" unreadable="…"/>` blocks of a mapper prompt. */
export function filesOf(text: string): Array<{ path: string; content: string | null }> {
  const out: Array<{ path: string; content: string | null }> = [];
  const re = /<file path="([^"]*)"(?:\s+unreadable="[^"]*"\/>|>\n([\s\S]*?)\n<\/file>)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ path: unescapeAttr(m[1]), content: m[2] ?? null });
  return out;
}

const unescapeAttr = (s: string): string => s.replace(/&lt;/g, '<').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

export function rate(path: string, content: string): FileRating {
  const lines = content.split('\n').filter((l) => l.trim() !== '');
  const comments = lines.filter((l) => /^\s*(\/\/|\/\*|\*|#(?!!)|<!--|--)/.test(l)).length;
  const todos = (content.match(/\b(TODO|FIXME|HACK)\b/g) ?? []).length;
  const share = lines.length ? comments / lines.length : 0;
  const rating = Math.max(1, Math.min(5, 1 + Math.floor(share * 20) - (todos > 2 ? 1 : 0)));
  return { path, lines: lines.length, comments, todos, rating };
}

/** The line a rating is written as; `ratingOf` reads it back (mapper → reducer → final). */
export const ratingLine = (r: FileRating): string =>
  `\`${r.path}\` — rating ${r.rating}/5: ${r.comments} comment lines of ${r.lines} (${r.lines ? Math.round((100 * r.comments) / r.lines) : 0} %), ${r.todos} TODO/FIXME`;

export function ratingOf(line: string): FileRating | null {
  const m = /`([^`]+)` \u2014 rating (\d)\/5: (\d+) comment lines of (\d+) \(\d+ %\), (\d+) TODO\/FIXME/.exec(line);
  return m ? { path: m[1], rating: Number(m[2]), comments: Number(m[3]), lines: Number(m[4]), todos: Number(m[5]) } : null;
}

/**
 * A mapper: one `### <path>` section per file it was sent, with a deterministic comment rating,
 * then `## Patterns`. Answers in one reply, as the engine sends the files inline.
 */
export function mapperReply(req: ParsedRequest): Reply {
  const files = filesOf(promptText(req));
  const rated = files.flatMap((f) => (f.content === null ? [] : [rate(f.path, f.content)]));
  const out = [SIMULATED_LABEL, ''];
  for (const r of rated) out.push(`### ${r.path}`, '', `- ${ratingLine(r)}.`, '');
  const withTodos = rated.filter((r) => r.todos > 0).length;
  const low = rated.filter((r) => r.rating <= 2).length;
  out.push('## Patterns', '', `- ${withTodos} of ${rated.length} files carry TODO/FIXME markers.`, `- ${low} of ${rated.length} files are rated 2/5 or lower.`);
  return { kind: 'message', content: [{ type: 'text', text: out.join('\n') }] };
}

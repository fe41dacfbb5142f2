/**
 * The build's simulated fixer: repairs exactly what the check reported. It reads report lines of
 * the form `path:line: 'old' should be 'new'` (the shape a linter or a project's own check prints)
 * from the failing output, reads those files, replaces `old` with `new` on each reported line and
 * writes the files back. Output it cannot read as such a report is a failure it says so, never a
 * guess; files outside those the change touched are left alone.
 */
import { assistantTurns, promptText, section, stringInput, toolCalls, truncate, withoutLineNumbers } from '../conversation';
import type { ParsedRequest, Reply, ReplyBlock } from '../types';
import { plural } from '../../shared/words';

const say = (text: string): Reply => ({ kind: 'message', content: [{ type: 'text', text: truncate(text, 200) }] });

interface Repair { file: string; line: number; from: string; to: string }

/** The repairs a check's output asks for, in the files the fixer may change. */
export function reportedRepairs(output: string, allowed: readonly string[]): Repair[] {
  const out: Repair[] = [];
  for (const m of output.matchAll(/^(?:\s*)([\w./-]+):(\d+): '([^'\n]+)' should be '([^'\n]*)'/gm)) {
    const file = m[1].replace(/^\.\//, '');
    if (allowed.includes(file)) out.push({ file, line: Number(m[2]), from: m[3], to: m[4] });
  }
  return out;
}

export function fixerReply(req: ParsedRequest): Reply {
  const text = promptText(req);
  const allowed = (section(text, 'Files you may change') ?? '').split('\n').map((l) => l.replace(/^- /, '').trim()).filter(Boolean);
  // The check's output may hold lines starting with "# " itself: cut at the next heading the prompt owns.
  const round = /^# Round[^\n]*\n([\s\S]*?)^# Files you may change/m.exec(text)?.[1] ?? '';
  const repairs = reportedRepairs(round, allowed);
  const calls = toolCalls(req);
  const writes = calls.filter((c) => c.name === 'write_file' && c.result);
  if (writes.length) {
    const refused = writes.find((c) => c.result!.isError);
    if (refused) return say(`Failed. ${stringInput(refused, 'path') ?? 'a file'} could not be written: ${refused.result!.text.split('\n')[0]}`);
    return say(`Done. Repaired ${plural(repairs.length, 'line')} the check reported in ${plural(writes.length, 'file')}.`);
  }
  if (repairs.length === 0) return say('Failed. The check\'s output names no line I can repair in the files the change touched.');
  const files = [...new Set(repairs.map((r) => r.file))];
  if (assistantTurns(req) === 0) return { kind: 'message', content: files.map((p) => ({ type: 'tool_use', name: 'read_file', input: { path: p } })) };
  const edits: ReplyBlock[] = [];
  for (const c of calls.filter((x) => x.name === 'read_file' && x.result && !x.result.isError)) {
    const p = stringInput(c, 'path') ?? '';
    const lines = withoutLineNumbers(c.result!.text).replace(/\n\[[^\n]*\]\s*$/, '').split('\n');
    let changed = false;
    for (const r of repairs.filter((x) => x.file === p)) {
      const i = r.line - 1;
      if (lines[i]?.includes(r.from)) { lines[i] = lines[i].split(r.from).join(r.to); changed = true; }
    }
    if (changed) edits.push({ type: 'tool_use', name: 'write_file', input: { path: p, content: lines.join('\n') } });
  }
  if (edits.length === 0) return say('Failed. The lines the check reported no longer hold what it names.');
  return { kind: 'message', content: edits };
}

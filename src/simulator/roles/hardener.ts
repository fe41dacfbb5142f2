/**
 * The build's simulated auditors: each reads the combined diff for its concern and submits
 * findings, deterministically. A planted defect on an added line (`PLANTED-DEFECT`, or a call to
 * `eval(`) is a critical security finding with its file and new line; `PLANTED-MAJOR` is a major
 * correctness finding; otherwise the style auditor lists the first added line as a minor finding,
 * and the others find nothing.
 */
import { promptText, section } from '../conversation';
import type { ParsedRequest, Reply } from '../types';

interface Added { file: string; line: number; text: string }

/** The lines a unified diff adds, with their file and line number in the new file. */
export function addedLines(diff: string): Added[] {
  const out: Added[] = [];
  let file = '';
  let line = 0;
  for (const l of diff.split('\n')) {
    const plus = /^\+\+\+ (?:b\/)?(.+)$/.exec(l);
    if (plus) { file = plus[1].trim(); continue; }
    if (l.startsWith('--- ')) continue;
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
    if (hunk) { line = Number(hunk[1]); continue; }
    if (!file || line === 0) continue;
    if (l.startsWith('+')) out.push({ file, line: line++, text: l.slice(1) });
    else if (l.startsWith(' ')) line++;
  }
  return out;
}

export function hardenerReply(req: ParsedRequest): Reply {
  const text = promptText(req);
  const concern = /^# Your concern: (\w+)/m.exec(text)?.[1] ?? 'style';
  const diff = (section(text, 'The combined change') ?? '').replace(/^```diff\n|```\s*$/g, '');
  const added = addedLines(diff);
  const findings: Array<{ severity: string; file: string; line: number; text: string }> = [];
  for (const a of added) {
    if (concern === 'security' && /PLANTED-DEFECT|\beval\(/.test(a.text)) {
      findings.push({ severity: 'critical', file: a.file, line: a.line, text: `Added code evaluates or plants untrusted input (${a.text.trim().slice(0, 80)}); remove it.` });
    }
    if (concern === 'correctness' && /PLANTED-MAJOR/.test(a.text)) {
      findings.push({ severity: 'major', file: a.file, line: a.line, text: `This line is marked as a known bug (${a.text.trim().slice(0, 80)}); fix it.` });
    }
  }
  const first = added.find((a) => a.text.trim());
  if (concern === 'style' && first) {
    findings.push({ severity: 'minor', file: first.file, line: first.line, text: 'The added comment says what the file holds; saying why it exists would help a reader more.' });
  }
  const summary = findings.length
    ? `Simulated ${concern} audit of ${added.length} added lines: ${findings.length} finding${findings.length === 1 ? '' : 's'}.`
    : `Simulated ${concern} audit of ${added.length} added lines: nothing to report.`;
  return { kind: 'message', content: [{ type: 'tool_use', name: 'submit_findings', input: { summary, findings } }] };
}

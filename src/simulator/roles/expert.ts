import {
  SIMULATED_LABEL, assistantTurns, field, promptText, section, stringInput, toolCalls, truncate, withoutLineNumbers, type ToolCall,
} from '../conversation';
import { factsOf, findingsOf, type FileFacts } from '../facts';
import type { ParsedRequest, Reply, ReplyBlock } from '../types';
import { filesOf } from './mapper';
import { plural } from '../../shared/words';

const SENTINEL = '<!-- DONE -->';
const MAX_READS = 3;
const CODE = /\.(?:[cm]?[jt]sx?|py|go|rs|java|kt|cs|rb|php|c|h|cpp|swift|sh|md)$/;

/** Paths each kind of perspective looks at first, so experts read different files and can disagree. */
const PREFERENCES: Array<{ who: RegExp; paths: RegExp }> = [
  { who: /secur|attack|auth|privacy/i, paths: /auth|session|passw|secret|crypt|token/i },
  { who: /reliab|sre|oper|ops|perf|on-?call/i, paths: /server|retry|client|config|operations/i },
  { who: /data|db|database|storage/i, paths: /db|migrat|model|schema/i },
  { who: /test|qa|quality/i, paths: /test|spec/i },
  { who: /maint|architect|design|api/i, paths: /api|architecture|index|format/i },
];

export interface SimVerdict { verdict: 'yes' | 'conditional' | 'no'; confidence: number; concerns: string[] }

/**
 * An expert: list the scope, read up to three files its perspective cares about most, write an
 * assessment ending with a `## Verdict` JSON block, return one `Done.` sentence. The verdict comes
 * from what it read (risky patterns, TODO markers), so it is deterministic and differs by perspective.
 */
export function expertReply(req: ParsedRequest): Reply {
  const text = promptText(req);
  const head = /# Your perspective \(([^)]+)\):\s*([^\n]*)\n+([^\n]*)/.exec(text);
  const id = head?.[1] ?? 'expert';
  const perspective = head?.[2]?.trim() || 'generalist';
  const task = head?.[3]?.trim() || 'the assignment';
  const scopeLine = (field(text, 'Scope') ?? '').replace(/\s*\(the run's focus\)\s*$/, '');
  const scope = !scopeLine || /^the whole workspace$/i.test(scopeLine) ? ['.'] : scopeLine.split(',').map((s) => s.trim()).filter(Boolean);
  if (req.tools.length === 0) {
    // Batch mode's packed expert: its files are in the prompt and its reply is the assessment.
    const packed = filesOf(text).flatMap((f) => (f.content === null ? [] : [factsOf(f.path, f.content)]));
    const question = (section(text, 'Question') ?? 'the question').trim();
    return { kind: 'message', content: [{ type: 'text', text: assessment(id, perspective, task, question, packed, judge(perspective, packed)) }] };
  }
  const calls = toolCalls(req);
  const writes = calls.filter((c) => c.name === 'write_output' && c.result);
  const files = readFiles(calls);
  const verdict = judge(perspective, files);

  if (writes.some((c) => c.result && !c.result.isError)) {
    return say(`Done. Verdict ${verdict.verdict} from the ${perspective} perspective after reading ${plural(files.length, 'file')}.`);
  }
  if (writes.length >= 2) return say(`Failed. write_output was refused: ${truncate(writes.at(-1)!.result!.text.split('\n')[0] ?? '', 140)}`);

  const turn = assistantTurns(req);
  if (turn === 0) {
    const first: ReplyBlock[] = scope.slice(0, 4).map((p) => (CODE.test(p)
      ? { type: 'tool_use', name: 'read_file', input: { path: p } }
      : { type: 'tool_use', name: 'list_files', input: { path: p, glob: '**/*' } }));
    return { kind: 'message', content: [{ type: 'text', text: `Looking at ${scope.join(', ')} as ${perspective}.` }, ...first] };
  }
  if (turn === 1 && files.length < MAX_READS) {
    const already = new Set(files.map((f) => f.path));
    const next = listed(calls).filter((p) => !already.has(p)).sort(byPreference(perspective)).slice(0, MAX_READS - files.length);
    if (next.length) return { kind: 'message', content: next.map((p) => ({ type: 'tool_use', name: 'read_file', input: { path: p } })) };
  }
  const question = (section(text, 'Question') ?? 'the question').trim();
  return { kind: 'message', content: [{ type: 'tool_use', name: 'write_output', input: { content: assessment(id, perspective, task, question, files, verdict) } }] };
}

function say(text: string): Reply {
  return { kind: 'message', content: [{ type: 'text', text: truncate(text, 200) }] };
}

/** Files named in successful list_files results (one `path  size` entry a line), code and docs only. */
function listed(calls: ToolCall[]): string[] {
  const out: string[] = [];
  for (const c of calls) {
    if (c.name !== 'list_files' || !c.result || c.result.isError) continue;
    for (const line of c.result.text.split('\n')) {
      const p = line.trim().split(/\s{2,}/)[0] ?? '';
      if (p && !p.endsWith('/') && CODE.test(p) && !out.includes(p)) out.push(p);
    }
  }
  return out;
}

function byPreference(perspective: string): (a: string, b: string) => number {
  const want = PREFERENCES.find((p) => p.who.test(perspective))?.paths;
  const score = (p: string) => (want?.test(p) ? 2 : 0) + (/\.md$/.test(p) ? 0 : 1);
  return (a, b) => score(b) - score(a) || (a < b ? -1 : 1);
}

function readFiles(calls: ToolCall[]): FileFacts[] {
  const seen = new Set<string>();
  const out: FileFacts[] = [];
  for (const c of calls) {
    const p = stringInput(c, 'path');
    if (c.name !== 'read_file' || !p || !c.result || c.result.isError || seen.has(p)) continue;
    seen.add(p);
    out.push(factsOf(p, withoutLineNumbers(c.result.text)));
  }
  return out;
}

/** A security-minded expert rejects on any risky pattern; others ask for conditions; a clean read says yes. */
export function judge(perspective: string, files: FileFacts[]): SimVerdict {
  // Only risks and markers are concerns; a count of declarations is a fact, not a worry.
  const concerns = files.flatMap(findingsOf).filter((c) => / line \d+: |TODO\/FIXME/.test(c)).slice(0, 5).map((c) => truncate(c, 200));
  const risks = files.reduce((n, f) => n + f.risks.length, 0);
  const markers = files.reduce((n, f) => n + f.markers.length, 0);
  if (files.length === 0) return { verdict: 'conditional', confidence: 0.3, concerns: ['Nothing in scope could be read, so the question is unanswered from this perspective.'] };
  const confidence = Math.round(Math.min(0.9, 0.55 + 0.1 * files.length) * 100) / 100;
  if (risks > 0 && /secur|attack|auth|privacy/i.test(perspective)) return { verdict: 'no', confidence, concerns };
  if (risks > 0 || markers > 0) return { verdict: 'conditional', confidence: Math.round((confidence - 0.05) * 100) / 100, concerns };
  return { verdict: 'yes', confidence, concerns };
}

function assessment(id: string, perspective: string, task: string, question: string, files: FileFacts[], v: SimVerdict): string {
  return [
    SIMULATED_LABEL, '', `# ${id} — ${perspective}`, '', `Question: ${truncate(question.replace(/\s+/g, ' '), 300)}`, '',
    `Assignment: ${truncate(task, 300)}`, '', '## Examined',
    ...(files.length ? files.map((f) => `- \`${f.path}\` — ${f.lines} lines`) : ['- nothing could be read']),
    '', '## Assessment',
    ...(v.concerns.length ? v.concerns.map((c) => `- ${c}`) : ['- Nothing of concern in the files read.']),
    `- Not checked: files beyond those listed above (the simulator reads at most ${MAX_READS}) and run-time behaviour.`,
    '', '## Verdict', '', '```json', JSON.stringify(v), '```', '', SENTINEL,
  ].join('\n');
}

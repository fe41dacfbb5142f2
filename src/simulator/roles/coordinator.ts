import {
  SIMULATED_LABEL, field, promptText, section, stringInput, toolCalls, truncate, truncateWords, withoutLineNumbers, type ToolCall,
} from '../conversation';
import type { ParsedRequest, Reply } from '../types';
import { filesOf } from './mapper';
import { SEVERITIES, severityOf, type Severity } from '../facts';
import { plural } from '../../shared/words';

const SENTINEL = '<!-- DONE -->';

interface ListedWorker { path: string; id: string; status: string; detail: string | null }

interface WorkerView extends ListedWorker {
  failure: string | null;
  findings: string[];
}

interface Finding { text: string; workers: string[]; severity: Severity; score: number }

/**
 * Lines `- <path> (<id>: <status>)` of the `# Worker files` section; the status may carry a detail
 * (`failed — 429 (rate limited)`), which can itself hold parentheses.
 */
export function listedWorkers(text: string): ListedWorker[] {
  const body = section(text, 'Worker files') ?? '';
  return body.split('\n').flatMap((line) => {
    const m = /^\s*[-*]\s+`?(.+?)`?\s+\(([a-z]\d+):\s*(.*)\)\s*$/.exec(line);
    if (!m) return [];
    const [status, ...rest] = m[3].split(/\s+[\u2014\u2013-]\s+/);
    return [{ path: m[1], id: m[2], status: (status ?? '').trim().toLowerCase(), detail: rest.join(' — ').trim() || null }];
  });
}

/**
 * A coordinator: read every listed worker file, write the synthesis (summary, failed workers, ranked
 * top findings, per-worker details, sentinel), then return its security findings and top actions in under 300 words.
 */
export function coordinatorReply(req: ParsedRequest): Reply {
  const text = promptText(req);
  const domain = /# Domain ([a-z]):\s*([^\n]*)/.exec(text);
  const domainLabel = domain ? `Domain ${domain[1]} (${domain[2].trim() || 'unnamed'})` : 'This domain';
  const listed = listedWorkers(text);
  if (req.tools.length === 0) {
    // Batched: the workers' files are in the prompt; the synthesis, the mark, then the return.
    const packed = filesOf(text);
    const views = listed.map((w) => view(w, packed.flatMap((f, i) => (f.path === w.path && f.content !== null
      ? [{ id: `packed_${i}`, name: 'read_file', input: { path: f.path }, turn: 0, result: { text: `${f.content}\n${SENTINEL}`, isError: false } }]
      : []))));
    const findings = ranked(views);
    const synth = synthesis(domainLabel, views, findings).replace(/\n*<!-- DONE -->\s*$/, '');
    return { kind: 'message', content: [{ type: 'text', text: `${synth}\n\n<!-- RETURN -->\n${topActions(domainLabel, findings, views)}` }] };
  }
  const calls = toolCalls(req);
  const writes = calls.filter((c) => c.name === 'write_output' && c.result);
  const views = listed.map((w) => view(w, calls));
  const findings = ranked(views);

  if (writes.some((c) => c.result && !c.result.isError)) return { kind: 'message', content: [{ type: 'text', text: topActions(domainLabel, findings, views) }] };
  if (writes.length >= 2) {
    return { kind: 'message', content: [{ type: 'text', text: `Failed. write_output was refused for ${field(text, 'Output file') ?? 'the synthesis'}.` }] };
  }
  const reads = calls.filter((c) => c.name === 'read_file');
  if (reads.length === 0 && listed.length > 0) {
    return {
      kind: 'message',
      content: [
        { type: 'text', text: `Reading ${listed.length} worker files.` },
        ...listed.map((w) => ({ type: 'tool_use' as const, name: 'read_file', input: { path: w.path } })),
      ],
    };
  }
  return { kind: 'message', content: [{ type: 'tool_use', name: 'write_output', input: { content: synthesis(domainLabel, views, findings) } }] };
}

function view(w: ListedWorker, calls: ToolCall[]): WorkerView {
  const read = [...calls].reverse().find((c) => c.name === 'read_file' && stringInput(c, 'path') === w.path && c.result);
  const content = read?.result && !read.result.isError ? withoutLineNumbers(read.result.text) : null;
  let failure: string | null = null;
  if (w.status !== 'completed' && w.status !== 'done') failure = `listed as ${w.status}${w.detail ? ` (${w.detail})` : ''}`;
  else if (!read?.result) failure = 'file was not read';
  else if (read.result.isError) failure = `file could not be read: ${truncate(read.result.text.split('\n')[0] ?? '', 120)}`;
  else if (!endsWithSentinel(content ?? '')) failure = `file does not end with ${SENTINEL}`;
  return { ...w, failure, findings: failure || !content ? [] : findingLines(content) };
}

function endsWithSentinel(text: string): boolean {
  const tail = text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-3);
  return tail.some((l) => l.endsWith(SENTINEL));
}

function findingLines(content: string): string[] {
  const body = /^## Findings\s*$/m.exec(content);
  const from = body ? content.slice(body.index) : content;
  const lines = from.split('\n').slice(1);
  const end = lines.findIndex((l) => /^#{1,2} /.test(l));
  return (end < 0 ? lines : lines.slice(0, end))
    .map((l) => /^\s*(?:[-*]|\d+[.)])\s+(.+)$/.exec(l)?.[1]?.trim())
    .filter((l): l is string => !!l);
}

/**
 * Findings ranked by severity, then impact (impact grows with the count a finding reports, and
 * never lifts a finding past a more severe one); the same finding from several workers is one
 * entry naming all of them.
 */
function ranked(views: WorkerView[]): Finding[] {
  const byText = new Map<string, Finding>();
  for (const v of views) {
    for (const text of v.findings) {
      const seen = byText.get(text);
      if (seen) {
        if (!seen.workers.includes(v.id)) seen.workers.push(v.id);
        continue;
      }
      const severity = severityOf(text);
      const n = Number(/\b(\d+)\b/.exec(text.replace(/`[^`]*`/g, '').replace(/\bline \d+/g, ''))?.[1] ?? 0);
      const rank = SEVERITIES.length - SEVERITIES.indexOf(severity);
      byText.set(text, { text, workers: [v.id], severity, score: rank * 100 + Math.min(n, 20) });
    }
  }
  return [...byText.values()].map((f, i) => ({ f, i })).sort((a, b) => b.f.score - a.f.score || a.i - b.i).map(({ f }) => f);
}

/** Security findings: every one of them reaches the final summary, however many there are. */
const isSecurity = (f: Finding): boolean => f.severity === 'critical' || f.severity === 'high';
/** Sizes and declaration counts describe the code; they are not something to do. */
const isActionable = (f: Finding): boolean => f.severity !== 'low';

function synthesis(domainLabel: string, views: WorkerView[], findings: Finding[]): string {
  const failed = views.filter((v) => v.failure);
  const out = [
    SIMULATED_LABEL, '', `# Synthesis — ${domainLabel}`, '', '## Summary',
    `${views.length - failed.length} of ${plural(views.length, 'worker')} finished with usable reports; ${plural(findings.length, 'finding')} collected and ranked by severity, then impact`
      + ` (${SEVERITIES.map((s) => `${findings.filter((f) => f.severity === s).length} ${s}`).join(', ')}).`,
    '', '## Failed workers',
    ...(failed.length ? failed.map((v) => `- ${v.id} (\`${v.path}\`): ${v.failure}`) : ['- None.']),
    '', '## Top findings',
    // Sizes and declaration counts stay in the per-worker details: a top finding is something to fix.
    ...(findings.some(isActionable)
      ? [...findings.filter(isSecurity), ...findings.filter((f) => !isSecurity(f) && isActionable(f)).slice(0, 10)].map((f, i) => `${i + 1}. [${f.severity}] ${f.text} — ${f.workers.join(', ')}`)
      : ['- No actionable findings were reported.']),
    '', '## Per-worker details',
  ];
  for (const v of views) {
    out.push('', `### ${v.id} — ${v.failure ? `failed (${v.failure})` : 'completed'}`, `File: \`${v.path}\``);
    out.push(...(v.findings.length ? v.findings.slice(0, 5).map((f) => `- ${f}`) : ['- No findings.']));
  }
  out.push('', SENTINEL);
  return out.join('\n');
}

/**
 * The return: every security finding, then the next most severe actionable ones up to three in
 * all, each tagged with its severity so the final step can rank across domains. Under 300 words.
 */
function topActions(domainLabel: string, findings: Finding[], views: WorkerView[]): string {
  const failed = views.filter((v) => v.failure).map((v) => v.id);
  const security = findings.filter(isSecurity);
  const chosen = [...security, ...findings.filter((f) => isActionable(f) && !isSecurity(f)).slice(0, Math.max(0, 3 - security.length))].slice(0, 10);
  const items = chosen.map((f, i) => `${i + 1}. [${f.severity}] ${truncateWords(f.text, 30)} (${f.workers.join(', ')})`);
  if (!items.length) items.push('- No actionable findings were reported.');
  const gaps = failed.length ? `\nFailed workers: ${failed.join(', ')}.` : '';
  return `${domainLabel} — top actions:\n${items.join('\n')}${gaps}`;
}

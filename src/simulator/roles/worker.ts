import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import { isInside } from '../../engine/paths';
import {
  SIMULATED_LABEL, assistantTurns, field, promptText, stringInput, toolCalls, truncate, withoutLineNumbers, type ToolCall,
} from '../conversation';
import { factsOf, findingsOf, type FileFacts } from '../facts';
import { filesOf } from './mapper';
import type { ParsedRequest, Reply, ReplyBlock } from '../types';
import { plural } from '../../shared/words';

const MAX_READS = 3;
const SENTINEL = '<!-- DONE -->';
const SKIP_DIRS = new Set(['.git', 'node_modules', '.orchestration', 'dist', 'out', 'build', 'coverage']);
const SECRET = /^(?:\.env.*|.*\.pem|.*\.key|id_rsa.*|.*\.p12|.*\.pfx)$/i;
const BINARY = new Set(['.png', '.jpg', '.jpeg', '.gif', '.ico', '.pdf', '.zip', '.gz', '.tgz', '.vsix', '.woff', '.woff2', '.ttf', '.exe', '.dll', '.so', '.bin', '.lock']);
const CODE = new Set(['.ts', '.tsx', '.js', '.mjs', '.cjs', '.jsx', '.py', '.go', '.rs', '.java', '.kt', '.cs', '.rb', '.php', '.c', '.h', '.cpp', '.swift', '.sh']);

/**
 * A worker: first look at the scope (read files, list folders), then read up to three files found in
 * the listings, then write the report, then return one `Done.` sentence. The phase comes from the
 * conversation (turns and tool results), never from server memory.
 */
export function workerReply(req: ParsedRequest, workspaceRoot: string): Reply {
  const text = promptText(req);
  if (req.tools.length === 0) return packedWorkerReply(text, workspaceRoot);
  const agentId = /# Your assignment \(([^)]+)\)/.exec(text)?.[1] ?? 'worker';
  const task = /# Your assignment \([^)]+\)\n+([^\n]+)/.exec(text)?.[1]?.trim() ?? 'the assignment';
  const scope = (field(text, 'Scope') ?? '.').split(',').map((s) => s.trim()).filter(Boolean);
  const calls = toolCalls(req);
  const writes = calls.filter((c) => c.name === 'write_output' && c.result);
  const fs = new Disk(workspaceRoot);

  const written = writes.find((c) => c.result && !c.result.isError);
  if (written) return say(`Done. ${summarySentence(calls, fs, scope)}`);
  if (writes.length >= 2) return say(`Failed. write_output was refused: ${truncate(firstLine(writes.at(-1)!.result!.text), 140)}`);

  const turn = assistantTurns(req);
  if (turn === 0) {
    const first: ReplyBlock[] = scope.slice(0, 4).map((p) => fs.isFileSync(p)
      ? { type: 'tool_use', name: 'read_file', input: { path: p } }
      : { type: 'tool_use', name: 'list_files', input: { path: p } });
    return { kind: 'message', content: [{ type: 'text', text: `Looking at ${scope.join(', ')}.` }, ...first] };
  }
  const reads = calls.filter((c) => c.name === 'read_file');
  if (turn === 1 && reads.length < MAX_READS) {
    const already = new Set(reads.map((c) => stringInput(c, 'path')));
    const next = candidates(calls, fs).filter((p) => !already.has(p)).slice(0, MAX_READS - reads.length);
    if (next.length) {
      return { kind: 'message', content: next.map((p) => ({ type: 'tool_use', name: 'read_file', input: { path: p } })) };
    }
  }
  return {
    kind: 'message',
    content: [{ type: 'tool_use', name: 'write_output', input: { content: report(agentId, task, scope, calls, fs) } }],
  };
}

/**
 * A batched worker (no tools, its scope's files in the prompt): the first line is the return, the
 * rest the report, built from the packed files as from files it had read.
 */
function packedWorkerReply(text: string, workspaceRoot: string): Reply {
  const agentId = /# Your assignment \(([^)]+)\)/.exec(text)?.[1] ?? 'worker';
  const task = /# Your assignment \([^)]+\)\n+([^\n]+)/.exec(text)?.[1]?.trim() ?? 'the assignment';
  const scope = (field(text, 'Scope') ?? '.').split(',').map((s) => s.trim()).filter(Boolean);
  const fs = new Disk(workspaceRoot);
  const calls: ToolCall[] = filesOf(text).map((f, i) => ({
    id: `packed_${i}`, name: 'read_file', input: { path: f.path }, turn: 0,
    result: f.content === null ? { text: 'could not be read', isError: true } : { text: f.content, isError: false },
  }));
  const body = report(agentId, task, scope, calls, fs).replace(/\n*<!-- DONE -->\s*$/, '');
  return { kind: 'message', content: [{ type: 'text', text: `${truncate(`Done. ${summarySentence(calls, fs, scope)}`, 200)}\n${body}` }] };
}

function say(text: string): Reply {
  return { kind: 'message', content: [{ type: 'text', text: truncate(text, 200) }] };
}

/** Files named in list_files results, most interesting first (code, then larger, then by path). */
function candidates(calls: ToolCall[], fs: Disk): string[] {
  const found = new Set<string>();
  for (const c of calls) {
    if (c.name !== 'list_files' || !c.result || c.result.isError) continue;
    const base = (stringInput(c, 'path') ?? '.').replace(/\/+$/, '') || '.';
    const named = namesIn(c.result.text).flatMap((n) => [n, join(base, n)]).map(clean).filter((p) => fs.isReadableSync(p));
    const listed = named.length ? named : fs.walkSync(base);
    for (const p of listed) found.add(p);
  }
  return [...found].sort((a, b) => rank(b, fs) - rank(a, fs) || (a < b ? -1 : 1));
}

function namesIn(text: string): string[] {
  try {
    const data: unknown = JSON.parse(text);
    if (Array.isArray(data)) {
      return data.flatMap((d) => (typeof d === 'string' ? [d] : typeof d === 'object' && d && typeof (d as { path?: unknown }).path === 'string' ? [(d as { path: string }).path] : []));
    }
  } catch { /* not JSON: one entry a line */ }
  return text.split('\n').map((l) => l.trim().replace(/^[-*\u2022]\s+/, '').split(/\s+/)[0] ?? '').filter((t) => t && !t.endsWith('/') && /[\w.]/.test(t));
}

function rank(p: string, fs: Disk): number {
  return (CODE.has(extname(p)) ? 1e9 : 0) + Math.min(fs.sizeSync(p), 5e8);
}

function clean(p: string): string {
  return normalize(p).replace(/\\/g, '/').replace(/^\.\//, '');
}

interface Examined { facts: FileFacts; path: string }

function examined(calls: ToolCall[], fs: Disk): { files: Examined[]; problems: string[] } {
  const files: Examined[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const c of calls) {
    const path = stringInput(c, 'path') ?? '.';
    if (!c.result) continue;
    if (c.result.isError) {
      problems.push(`\`${path}\` (${c.name}): ${truncate(firstLine(c.result.text), 160)}`);
      continue;
    }
    if (c.name !== 'read_file' || seen.has(path)) continue;
    seen.add(path);
    const text = fs.readTextSync(path) ?? withoutLineNumbers(c.result.text);
    files.push({ path, facts: factsOf(path, text) });
  }
  return { files, problems };
}

function report(agentId: string, task: string, scope: string[], calls: ToolCall[], fs: Disk): string {
  const { files, problems } = examined(calls, fs);
  const lists = calls.filter((c) => c.name === 'list_files' && c.result && !c.result.isError);
  // The heading names the assignment; the run task it ends with ("(run task: …)") is the same for
  // every worker and stays in the prompt.
  const assignment = task.replace(/\s*\(run task:[\s\S]*\)\s*$/, '') || task;
  const out: string[] = [SIMULATED_LABEL, '', `# ${agentId}: ${truncate(assignment, 120)}`, '', `Scope: ${scope.join(', ')}`, '', '## Examined'];
  for (const c of lists) out.push(`- listed \`${stringInput(c, 'path') ?? '.'}\` (${c.result!.text.split('\n').filter((l) => l.trim()).length} entries)`);
  for (const f of files) out.push(`- \`${f.path}\` — ${f.facts.lines} lines`);
  if (!lists.length && !files.length) out.push('- nothing could be read');
  const largest = [...files].sort((a, b) => b.facts.lines - a.facts.lines)[0];
  const markers = files.reduce((n, f) => n + f.facts.markers.length, 0);
  const risks = files.reduce((n, f) => n + f.facts.risks.length, 0);
  out.push('', '## Summary', `${plural(files.length, 'file')} read: ${plural(risks, 'risky pattern')}, `
    + `${plural(markers, 'TODO/FIXME marker')}${largest ? `; the largest is \`${largest.path}\` (${largest.facts.lines} lines)` : ''}.`);
  out.push('', '## Findings');
  const findings = files.flatMap((f) => findingsOf(f.facts));
  out.push(...(findings.length ? findings.map((f) => `- ${f}`) : ['- Nothing notable in the files read.']));
  out.push('', '## Not checked');
  out.push(...(problems.length ? problems.map((p) => `- ${p}`) : []));
  out.push(`- Files beyond those listed above (the simulator reads at most ${MAX_READS}), and run-time behaviour: this is a static look.`);
  out.push('', SENTINEL);
  return out.join('\n');
}

function summarySentence(calls: ToolCall[], fs: Disk, scope: string[]): string {
  const { files } = examined(calls, fs);
  const markers = files.reduce((n, f) => n + f.facts.markers.length, 0);
  const risks = files.reduce((n, f) => n + f.facts.risks.length, 0);
  return `Examined ${plural(files.length, 'file')} in ${truncate(scope.join(', '), 60)} and found ${plural(risks, 'risky pattern')} and ${plural(markers, 'TODO/FIXME marker')}.`;
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim())?.trim() ?? '(no message)';
}

/** Read-only, size-capped access to the workspace; never follows into skipped or secret paths. */
export class Disk {
  constructor(private readonly root: string) {}

  private abs(p: string): string | null {
    const abs = resolve(this.root, clean(p));
    return isInside(this.root, abs) ? abs : null;
  }

  sizeSync(p: string): number {
    const a = this.abs(p);
    try {
      return a ? statSync(a).size : 0;
    } catch {
      return 0;
    }
  }

  isFileSync(p: string): boolean {
    const a = this.abs(p);
    try {
      return !!a && statSync(a).isFile();
    } catch {
      return false;
    }
  }

  isReadableSync(p: string): boolean {
    const name = p.split('/').pop() ?? p;
    return this.isFileSync(p) && !SECRET.test(name) && !BINARY.has(extname(p).toLowerCase()) && !p.split('/').some((s) => SKIP_DIRS.has(s));
  }

  readTextSync(p: string): string | null {
    const a = this.abs(p);
    if (!a || !this.isReadableSync(p) || this.sizeSync(p) > 2_000_000) return null;
    try {
      return readFileSync(a, 'utf8');
    } catch {
      return null;
    }
  }

  /** Readable files under a folder, breadth first, at most 200. */
  walkSync(dir: string): string[] {
    const out: string[] = [];
    const queue = [clean(dir)];
    let visited = 0;
    while (queue.length && out.length < 200 && visited++ < 500) {
      const d = queue.shift()!;
      const a = this.abs(d);
      if (!a) continue;
      let entries: string[];
      try {
        entries = readdirSync(a).sort();
      } catch {
        continue;
      }
      for (const e of entries) {
        if (SKIP_DIRS.has(e)) continue;
        const p = d === '.' ? e : `${d}/${e}`;
        if (this.isReadableSync(p)) out.push(p);
        else if (!this.isFileSync(p)) queue.push(p);
      }
    }
    return out;
  }
}

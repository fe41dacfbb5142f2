/**
 * The build pattern's simulated agents. They make real, deterministic edits: each builder adds a
 * short doc comment at the top of every file it owns (once; a file that has it is left alone), so
 * an offline build produces a real diff that can be reviewed, applied and discarded.
 */
import { extname } from 'node:path';
import {
  SIMULATED_LABEL, assistantTurns, field, promptText, section, stringInput, toolCalls, truncate, withoutLineNumbers,
} from '../conversation';
import type { ParsedRequest, Reply, ReplyBlock } from '../types';
import { Disk } from './worker';
import { greenfieldBuildersReply, isGreenfieldTask } from './greenfield';
import { plural } from '../../shared/words';

const SENTINEL = '<!-- DONE -->';
/** The mark of the simulated builders' comment: its presence makes a second edit a no-op. */
export const SIM_DOC_MARK = 'Simulated doc comment';
const COMMENT: Record<string, (text: string) => string> = {
  '.js': (t) => `/** ${t} */`, '.mjs': (t) => `/** ${t} */`, '.cjs': (t) => `/** ${t} */`, '.ts': (t) => `/** ${t} */`,
  '.tsx': (t) => `/** ${t} */`, '.jsx': (t) => `/** ${t} */`, '.java': (t) => `/** ${t} */`, '.go': (t) => `// ${t}`,
  '.rs': (t) => `// ${t}`, '.c': (t) => `/* ${t} */`, '.h': (t) => `/* ${t} */`, '.cpp': (t) => `// ${t}`, '.cs': (t) => `// ${t}`,
  '.py': (t) => `# ${t}`, '.rb': (t) => `# ${t}`, '.sh': (t) => `# ${t}`, '.css': (t) => `/* ${t} */`,
  '.md': (t) => `<!-- ${t} -->`, '.html': (t) => `<!-- ${t} -->`,
};
const MAX_FILES_PER_SCOUT = 8;
const MAX_BUILDERS = 4;

const say = (text: string): Reply => ({ kind: 'message', content: [{ type: 'text', text: truncate(text, 200) }] });
const editable = (p: string): boolean => extname(p).toLowerCase() in COMMENT;

/** A finding as the engine lists it to the planner: `- F1 [major] src/a.js:12 — text`. */
interface ListedFinding { id: string; file: string | null; text: string }

export function listedFindings(block: string | null): ListedFinding[] {
  return (block ?? '').split('\n').flatMap((l) => {
    const m = /^\s*-\s+(F\d+)(?:\s+\[(?:critical|major|minor)\])?(?:\s+([^\s\u2014]+?)(?::\d+)?)?\s+\u2014\s+(.*)$/.exec(l);
    return m ? [{ id: m[1], file: m[2] ?? null, text: m[3].trim() }] : [];
  });
}

const MAX_SCOUTS = 6;

/** Scouts planned from findings: the cited files, split over at most six scouts, each told which findings to confirm. */
function scoutsFromFindings(findings: ListedFinding[], exists: (p: string) => boolean): Array<{ id: string; task: string; scope: string[] }> {
  const files = [...new Set(findings.flatMap((f) => (f.file && exists(f.file) ? [f.file] : [])))];
  const n = Math.min(MAX_SCOUTS, files.length);
  return Array.from({ length: n }, (_, i) => {
    const scope = files.filter((_, j) => j % n === i);
    const ids = findings.filter((f) => f.file && scope.includes(f.file)).map((f) => f.id);
    return { id: `s${i + 1}`, task: `Confirm ${ids.join(', ')} in ${scope.join(', ')} and find the lines a fix touches`, scope };
  });
}

/**
 * The first planning call: one scout per top-level area of the overview (at most three); a build
 * that fixes findings scouts the files the findings cite instead.
 */
export function buildPlanInput(task: string, roots: string[], findingsBlock: string | null = null, exists: (p: string) => boolean = () => true): Record<string, unknown> {
  const areas = roots.length ? roots.slice(0, 3).map((r) => r.replace(/\/+$/, '')) : ['.'];
  const findings = listedFindings(findingsBlock);
  const fromFindings = scoutsFromFindings(findings, exists);
  if (fromFindings.length) {
    return {
      reason: 'The task fixes audit findings in the code, so builders make the fixes in isolated worktrees for you to review and apply.',
      brief: truncate(`Fix ${findings.map((f) => f.id).join(', ')}: ${findings.map((f) => `${f.id} ${f.text}`).join('; ')}. Simulated: each file a finding cites gets a short doc comment at its top; nothing else changes.`, 1500),
      scouts: fromFindings,
    };
  }
  const greenfield = isGreenfieldTask(task);
  return {
    reason: greenfield
      ? 'The task creates new software, so an architect designs it, a scaffold commits its skeleton, and builders write the modules in isolated worktrees for you to review and apply.'
      : 'The task changes code across files, so builders make it in isolated worktrees for you to review and apply.',
    brief: truncate(greenfield
      ? `${task}. Simulated: plain JavaScript modules with the interfaces the architecture names, each with a test.`
      : `${task}. Simulated: each file the change touches gets a short doc comment at its top; nothing else changes.`, 1500),
    scouts: areas.map((scope, i) => ({ id: `s${i + 1}`, task: `Find the files and lines in ${scope} that the change touches`, scope: [scope] })),
    greenfield,
  };
}

/** The second planning call: the files the scouts listed, split into up to four builders with disjoint files. */
export function buildersReply(req: ParsedRequest): Reply {
  const greenfield = greenfieldBuildersReply(req);
  if (greenfield) return greenfield;
  const reports = section(promptText(req), 'Scout reports') ?? '';
  const files: string[] = [];
  for (const m of reports.matchAll(/^- `([^`]+)`/gm)) if (!files.includes(m[1])) files.push(m[1]);
  // A build from findings: the engine lists them first, and each builder addresses the ones citing its files.
  const findings = listedFindings(reports);
  const n = Math.max(1, Math.min(MAX_BUILDERS, Math.ceil(files.length / 2)));
  const builders = Array.from({ length: n }, (_, i) => {
    const owns = files.filter((_, j) => j % n === i);
    const addresses = findings.filter((f) => f.file && owns.includes(f.file)).map((f) => f.id);
    return {
      id: `b${i + 1}`, tier: 'haiku',
      task: addresses.length
        ? truncate(`Fix ${addresses.map((id) => `${id} (${findings.find((f) => f.id === id)!.text})`).join('; ')}: add a one-line doc comment at the top of each file you own saying what it holds.`, 1200)
        : 'Add a one-line doc comment at the top of each file you own saying what the file holds.',
      owns,
      ...(addresses.length ? { addresses } : {}),
    };
  }).filter((b) => b.owns.length > 0);
  return { kind: 'message', content: [{ type: 'tool_use', name: 'plan_builders', input: { builders } }] };
}

/** A scout: list its scope, then report the editable files in it. */
export function scoutReply(req: ParsedRequest, workspaceRoot: string): Reply {
  const text = promptText(req);
  const scope = (field(text, 'Scope') ?? '.').split(',').map((s) => s.trim().replace(/\/+$/, '')).filter(Boolean);
  const calls = toolCalls(req);
  if (calls.some((c) => c.name === 'write_output' && c.result && !c.result.isError)) {
    return say(`Done. Found ${plural(filesOf(workspaceRoot, scope).length, 'file')} the change touches in ${scope.join(', ')}.`);
  }
  if (assistantTurns(req) === 0) {
    return { kind: 'message', content: scope.slice(0, 3).map((p) => ({ type: 'tool_use', name: 'list_files', input: { path: p } })) };
  }
  const files = filesOf(workspaceRoot, scope);
  const body = [
    `# Scout report: ${scope.join(', ')}`, '', SIMULATED_LABEL, '', '## Files to change', '',
    ...(files.length ? files.map((f) => `- \`${f}\` — line 1: add a doc comment saying what the file holds`) : ['(none found)']),
    '', '## Related', '', '- none', '', '## Risks', '', '- none: comments only', '', SENTINEL, '',
  ].join('\n');
  return { kind: 'message', content: [{ type: 'tool_use', name: 'write_output', input: { content: body } }] };
}

function filesOf(root: string, scope: string[]): string[] {
  const disk = new Disk(root);
  return scope.flatMap((s) => (disk.isFileSync(s) ? [s] : disk.walkSync(s))).filter(editable).slice(0, MAX_FILES_PER_SCOUT);
}

/**
 * A builder: read its files, then add the doc comment to each that lacks it (edit_file on the
 * first line when it is unique, write_file otherwise), then return one sentence.
 */
export function builderReply(req: ParsedRequest): Reply {
  const text = promptText(req);
  const owns = (/Files you own[^\n]*\n((?:- [^\n]+\n?)+)/.exec(text)?.[1] ?? '').split('\n').map((l) => l.replace(/^- /, '').trim()).filter(Boolean);
  const calls = toolCalls(req);
  const writes = calls.filter((c) => ['edit_file', 'write_file'].includes(c.name) && c.result);
  if (writes.length) {
    const refused = writes.find((c) => c.result!.isError);
    if (refused) return say(`Failed. ${stringInput(refused, 'path') ?? 'a file'} could not be changed: ${refused.result!.text.split('\n')[0]}`);
    return say(`Done. Added a doc comment to ${plural(writes.length, 'file')}.`);
  }
  if (assistantTurns(req) === 0) {
    return { kind: 'message', content: owns.map((p) => ({ type: 'tool_use', name: 'read_file', input: { path: p } })) };
  }
  const edits: ReplyBlock[] = [];
  for (const c of calls.filter((x) => x.name === 'read_file' && x.result && !x.result.isError)) {
    const p = stringInput(c, 'path') ?? '';
    const content = withoutLineNumbers(c.result!.text).replace(/\n\[[^\n]*\]\s*$/, '');
    const comment = COMMENT[extname(p).toLowerCase()];
    if (!comment || content.includes(SIM_DOC_MARK)) continue;
    const line = `${comment(`${SIM_DOC_MARK}: ${p.split('/').pop()} — ${describe(content)}`)}`;
    const first = content.split('\n')[0] ?? '';
    const unique = first.trim() !== '' && content.split(first).length === 2;
    edits.push(unique
      ? { type: 'tool_use', name: 'edit_file', input: { path: p, old_text: first, new_text: `${line}\n${first}` } }
      : { type: 'tool_use', name: 'write_file', input: { path: p, content: `${line}\n${content}` } });
  }
  if (edits.length === 0) return say('Done. Every file I own already has its doc comment.');
  return { kind: 'message', content: edits };
}

/** What a file holds, in a few words, from the names it declares. */
function describe(content: string): string {
  const names = [...content.matchAll(/\b(?:function|class|def|const|export\s+(?:function|class|const))\s+([A-Za-z_$][\w$]*)/g)].map((m) => m[1]);
  const unique = [...new Set(names)].slice(0, 3);
  return unique.length ? `declares ${unique.join(', ')}.` : 'part of the project.';
}

/** A reviewer: approves a diff that only adds lines, asks for changes when it removes code. */
export function reviewerReply(req: ParsedRequest): Reply {
  const diff = section(promptText(req), 'Its diff') ?? '';
  const added = diff.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).length;
  const removed = diff.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---')).length;
  const files = new Set([...diff.matchAll(/^\+\+\+ b\/(.+)$/gm)].map((m) => m[1])).size;
  const input = removed > added
    ? { verdict: 'changes_requested', summary: `The diff removes ${removed} lines but adds only ${added}.`, reasons: ['Restore the removed code; the task only adds comments.'] }
    : { verdict: 'approve', summary: `The diff adds ${plural(added, 'line')} of doc comments in ${plural(files, 'file')} and changes nothing else.`, reasons: [] };
  return { kind: 'message', content: [{ type: 'tool_use', name: 'submit_review', input }] };
}

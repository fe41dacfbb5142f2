/**
 * The simulated pipeline: a planner that chains stages, stages that read their scope and hand off
 * in the fixed format, and a final step that summarises the last handoff. Every answer comes from
 * the request's own conversation and the workspace files it names.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import {
  SIMULATED_LABEL, assistantTurns, field, promptText, section, stringInput, toolCalls, truncate, truncateWords, withoutLineNumbers,
} from '../conversation';
import { factsOf, findingsOf } from '../facts';
import { parseOverview } from '../overview';
import type { ParsedRequest, Reply, ReplyBlock } from '../types';
import { plural } from '../../shared/words';

const SENTINEL = '<!-- DONE -->';
const TOOL = 'plan_pipeline';
const SKIP_DIRS = new Set(['.git', 'node_modules', '.orchestration', 'dist', 'out', 'build', 'coverage']);
const SECRET = /^(?:\.env.*|.*\.pem|.*\.key|id_rsa.*)$/i;

/** Tasks that read as a chain of steps: "research → outline → draft", "first …, then …", "step by step". */
export const SEQUENTIAL = /\u2192|->|\bthen\b|\bstep by step\b|\bpipeline\b|\bin stages\b/i;

function taskOf(text: string): string {
  return (section(text, 'Task') ?? '').split('\n').filter((l) => !l.startsWith('Focus only on:')).join('\n').trim();
}

/**
 * A pipeline plan: the steps the task names ("research → outline → draft → review"), else
 * Research → Analyse → Report. The first stage reads the focus (or the workspace's top-level
 * entries); later stages work from their handoff.
 */
export function pipelinePlanReply(req: ParsedRequest, workspaceRoot: string): Reply {
  const text = promptText(req);
  const task = taskOf(text) || 'Review the workspace';
  const max = Number(/into\s+\d+\s*[\u2013-]\s*(\d+)\s+ordered stages/.exec(req.system.map((s) => s.text).join('\n'))?.[1] ?? 8);
  // "Document x step by step: research → outline → draft the page": the word at each arrow names a step.
  const segments = task.split(/\s*(?:\u2192|->)\s*/).map((seg) => seg.match(/[\p{L}\p{N}-]+/gu) ?? []);
  const named = segments.length >= 2 ? segments.map((w, i) => (i === 0 ? w.at(-1) : w[0])).filter((w): w is string => !!w) : [];
  const names = (named.length >= 2 ? named : ['Research', 'Analyse', 'Report'])
    .slice(0, max).map((n) => truncate(n.charAt(0).toUpperCase() + n.slice(1), 60));
  const focus = (field(text, 'Focus only on') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const inWorkspaceSync = (p: string) => existsSync(join(workspaceRoot, p));
  const top = parseOverview(section(text, 'Workspace overview') ?? '').map((n) => n.path).filter(inWorkspaceSync);
  // Paths the task names ("Document src/utils …"): only words with a "/" or a ".", that exist.
  const inTask = [...task.matchAll(/[\w.@-]+(?:\/[\w.@-]+)*\/?/g)].map((m) => m[0].replace(/\.$/, ''))
    .filter((w) => /[/.]/.test(w) && inWorkspaceSync(w));
  const scope = [focus.filter(inWorkspaceSync), inTask, top].find((c) => c.length)!.slice(0, 4);
  const stages = names.map((name, i) => ({
    id: `s${i + 1}`,
    name,
    task: truncate(i === 0
      ? `${name}: gather what the run task needs from the scope (run task: ${truncate(task, 300)})`
      : `${name}: build on the handoff of ${names[i - 1]} for the run task "${truncate(task, 300)}"`, 1200),
    scope: i === 0 ? scope : [],
    tier: i === 0 ? 'haiku' : 'sonnet',
  }));
  return {
    kind: 'message',
    content: [{
      type: 'tool_use',
      name: TOOL,
      input: {
        reason: 'Each step of the task needs the previous step\'s output, so a pipeline fits.',
        summary: `Simulated plan: ${stages.length} stages (${names.join(' → ')}).`,
        stages,
      },
    }],
  };
}

/** A stage: read its scope (one round of tools), write its work ending with the handoff, reply `Done.`. */
export function stageReply(req: ParsedRequest, workspaceRoot: string): Reply {
  const text = promptText(req);
  const head = /# Your stage \((s\d+): ([^)]*)\)\n+([^\n]*)/.exec(text);
  const [id, name, task] = [head?.[1] ?? 's?', head?.[2] ?? 'Stage', head?.[3]?.trim() ?? 'the step'];
  const scopeLine = field(text, 'Scope') ?? '';
  const scope = scopeLine.startsWith('(') ? [] : scopeLine.split(',').map((s) => s.trim()).filter(Boolean);
  const calls = toolCalls(req);
  const writes = calls.filter((c) => c.name === 'write_output' && c.result);
  if (writes.some((c) => !c.result!.isError)) return say(`Done. ${name} (${id}) handed off ${readsOf(calls).length ? `what it found in ${plural(readsOf(calls).length, 'file')}` : 'its work'} to the next stage.`);
  if (writes.length >= 2) return say(`Failed. write_output was refused: ${truncate(writes.at(-1)!.result!.text, 140)}`);
  if (assistantTurns(req) === 0 && scope.length) {
    const reads = scope.flatMap((p) => filesUnder(workspaceRoot, p)).slice(0, 4);
    if (reads.length) {
      const blocks: ReplyBlock[] = reads.map((p) => ({ type: 'tool_use', name: 'read_file', input: { path: p } }));
      return { kind: 'message', content: [{ type: 'text', text: `Reading ${reads.join(', ')}.` }, ...blocks] };
    }
  }
  const output = field(text, 'Output file') ?? `stages/${id}.md`;
  return { kind: 'message', content: [{ type: 'tool_use', name: 'write_output', input: { content: stageFile(text, { id, name, task, output }, readsOf(calls)) } }] };
}

function say(text: string): Reply {
  return { kind: 'message', content: [{ type: 'text', text: truncate(text, 200) }] };
}

function readsOf(calls: ReturnType<typeof toolCalls>): Array<{ path: string; text: string }> {
  return calls.filter((c) => c.name === 'read_file' && c.result && !c.result.isError)
    .map((c) => ({ path: stringInput(c, 'path') ?? '?', text: withoutLineNumbers(c.result!.text) }));
}

/** Up to two readable files for a scope entry: the file itself, or the first ones under a folder. */
function filesUnder(root: string, p: string): string[] {
  const rel = normalize(p).replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/$/, '');
  if (rel.startsWith('..') || rel.startsWith('/')) return [];
  const out: string[] = [];
  const visitSync = (r: string): void => {
    if (out.length >= 2) return;
    const abs = join(root, r);
    let st;
    try { st = statSync(abs); } catch { return; }
    const base = r.split('/').pop() ?? r;
    if (st.isFile()) { if (!SECRET.test(base)) out.push(r); return; }
    if (!st.isDirectory() || SKIP_DIRS.has(base)) return;
    for (const e of readdirSync(abs).sort()) visitSync(r === '.' || r === '' ? e : `${r}/${e}`);
  };
  visitSync(rel || '.');
  return out;
}

interface StageInfo { id: string; name: string; task: string; output: string }

function stageFile(text: string, s: StageInfo, reads: Array<{ path: string; text: string }>): string {
  const prevTitle = /^# (Handoff from [^\n]*)$/m.exec(text)?.[1] ?? null;
  const prev = prevTitle ? section(text, prevTitle) ?? '' : '';
  const prevState = (/## State\n([\s\S]*?)(?:\n## |$)/.exec(prev)?.[1] ?? '').split('\n')
    .map((l) => /^\s*(?:[-*]|\d+[.)])\s+(.+)$/.exec(l)?.[1]?.trim()).filter((l): l is string => !!l);
  const found = reads.flatMap((r) => findingsOf(factsOf(r.path, r.text)));
  const from = prevTitle?.replace('Handoff from ', '') ?? null;
  const points = [...found, ...prevState].slice(0, 10);
  const next = nextStage(text, s.id);
  const input = prevTitle ? `${prevTitle}: ${truncateWords((/## Summary\n([^\n]*)/.exec(prev)?.[1] ?? '').trim(), 60)}` : 'First stage: started from the run task and the scope.';
  return [
    SIMULATED_LABEL, '', `# ${s.id}: ${s.name}`, '', truncate(s.task, 300), '',
    '## Input', input, '',
    '## Work',
    ...(reads.length ? reads.map((r) => `- read \`${r.path}\` (${factsOf(r.path, r.text).lines} lines)`) : [`- no files read: ${s.name} works from the handoff of ${from ?? 'no earlier stage'}`]),
    '', `## ${s.name}`,
    ...(points.length ? points.map((p, i) => `${i + 1}. ${p}`) : ['Nothing notable to carry forward.']), '',
    '## Handoff', '### Summary',
    `${s.name} (${s.id}) ${reads.length ? `read ${plural(reads.length, 'file')}` : `worked from the handoff of ${from}`} and carries ${plural(points.length, 'point')} forward. `
      + 'This is simulated output built from the files and the handoff alone.', '',
    '### State', ...(points.length ? points.map((p) => `- ${truncateWords(p, 40)}`) : ['- Nothing notable was found.']), '',
    '### Next action', next ? `${next}: continue from the state above.` : 'None left in the pipeline: the final summary reports the state above.', '',
    '### Artifacts', `- \`${s.output}\` — the full work of ${s.id}`, ...reads.map((r) => `- \`${r.path}\` — read by ${s.id}`), '',
    SENTINEL,
  ].join('\n');
}

/** The next stage's "sN: Name" from the `# Pipeline stages` list, or null for the last stage. */
function nextStage(text: string, id: string): string | null {
  const n = Number(id.slice(1)) + 1;
  const line = (section(text, 'Pipeline stages') ?? '').split('\n').find((l) => l.startsWith(`- s${n}:`));
  return line ? line.slice(2).split(' — ')[0].trim() : null;
}

/** Whether a `# Role: final` request is the pipeline's final step (its system prompt says so). */
export function isPipelineFinal(req: ParsedRequest): boolean {
  return /^# Role: final \(pipeline\)/.test(req.system[0]?.text.trimStart() ?? '');
}

/** The pipeline's final summary, from the stage list and the last handoff only. */
export function pipelineFinalReply(req: ParsedRequest): Reply {
  const text = promptText(req);
  const task = (section(text, 'Task') ?? 'the task').replace(/\s+/g, ' ').trim();
  const stages = (section(text, 'Stages') ?? '').split('\n').filter((l) => l.startsWith('- '));
  const handoff = section(text, 'Last handoff') ?? '';
  const part = (h: string): string => (new RegExp(`## ${h}\\n([\\s\\S]*?)(?:\\n## |$)`).exec(handoff)?.[1] ?? '').trim();
  const body = [
    SIMULATED_LABEL, '', '# Summary', '',
    `For “${truncate(task, 200)}”, ${plural(stages.length, 'stage')} ran in order; `
      + 'this summary was produced offline by the simulator from the last stage’s handoff alone.', '',
    '## Result', part('State') || '- The last handoff stated no result.', '',
    '## Next steps', part('Next action') || '- None stated.', '',
    '## Artifacts', part('Artifacts') || '- None listed.',
  ].join('\n');
  return { kind: 'message', content: [{ type: 'text', text: body }] };
}

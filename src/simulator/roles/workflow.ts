/**
 * The simulated roles of a workflow run that are not worker-like (a workflow's stage agents
 * answer as workers: their prompt has the worker's shape). The auditor passes a stage unless
 * one of its output files is missing, empty of content, or says it failed, or a stage file
 * carries the marker `SANITY-BLOCK` (what a test plants to see a block); the reflector proposes
 * the first finding it read as a lesson; the final step lists the last handoffs.
 */
import { SIMULATED_LABEL, promptText, section, truncate } from '../conversation';
import type { ParsedRequest, Reply } from '../types';
import { plural } from '../../shared/words';

export const isWorkflowFinal = (req: ParsedRequest): boolean => /^# Role: final \(workflow\)/.test(req.system[0]?.text.trimStart() ?? '');

interface Output { path: string; text: string | null }

/** The `<file path="…">` blocks of an auditor's or reflector's prompt. */
function outputsOf(text: string): Output[] {
  const out: Output[] = [];
  for (const m of text.matchAll(/<file path="([^"]+)"( missing="true"\/>|>\n([\s\S]*?)\n<\/file>)/g)) {
    out.push({ path: m[1], text: m[2].startsWith(' missing') ? null : m[3] ?? '' });
  }
  return out;
}

export function auditorReply(req: ParsedRequest): Reply {
  const text = promptText(req);
  const stage = /# Your gate \([^)]+\): the [a-z ]+ of stage ([a-z0-9-]+)/.exec(text)?.[1] ?? 'the stage';
  const outputs = outputsOf(text);
  const missing = outputs.filter((o) => o.text === null);
  const planted = outputs.find((o) => o.text?.includes('SANITY-BLOCK'));
  const failed = outputs.find((o) => o.text !== null && !o.text.replace(/<!-- DONE -->|^>.*$/gm, '').trim());
  const input = missing.length ? { verdict: 'block', reason: `Simulated check: ${plural(missing.length, 'output file')} of stage ${stage} ${missing.length === 1 ? 'is' : 'are'} missing (${missing.map((m) => m.path).join(', ')}).` }
    : planted ? { verdict: 'block', reason: `Simulated check: ${planted.path} is marked SANITY-BLOCK, so stage ${stage} does not go on.` }
      : failed ? { verdict: 'block', reason: `Simulated check: ${failed.path} is empty.` }
        : outputs.length === 0 ? { verdict: 'block', reason: `Simulated check: stage ${stage} has no output to check.` }
          : { verdict: 'pass', reason: `Simulated check: ${plural(outputs.length, 'output file')} of stage ${stage} ${outputs.length === 1 ? 'is' : 'are'} complete and end with the sentinel.` };
  return { kind: 'message', content: [{ type: 'tool_use', name: 'submit_verdict', input }] };
}

export function reflectorReply(req: ParsedRequest): Reply {
  const text = promptText(req);
  const stage = /lessons from stage ([a-z0-9-]+)/.exec(text)?.[1] ?? 'the stage';
  const finding = outputsOf(text).flatMap((o) => (o.text ?? '').split('\n')).find((l) => /^\s*[-*] .*`[^`]+`/.test(l));
  const lessons = finding ? [`Stage ${stage} found: ${truncate(finding.replace(/^\s*[-*]\s*/, '').replace(/\s+/g, ' '), 200)}`] : [];
  return { kind: 'message', content: [{ type: 'tool_use', name: 'propose_lessons', input: { lessons } }] };
}

export function workflowFinalReply(req: ParsedRequest): Reply {
  const text = promptText(req);
  const task = (section(text, 'Task') ?? 'the workflow').replace(/\s+/g, ' ').trim();
  const stages = (section(text, 'Stages') ?? '').split('\n').filter((l) => l.startsWith('- '));
  const handoffs = (section(text, 'Last handoffs') ?? '').split('\n').filter((l) => l.startsWith('- '));
  const gates = stages.filter((l) => /; /.test(l)).map((l) => l.replace(/^- ([a-z0-9-]+): [^;]*; /, '- $1: '));
  const body = [
    SIMULATED_LABEL, '', '# Summary', '',
    `${truncate(task, 200)}: ${plural(stages.length, 'stage')} planned from the workflow file; `
      + 'this summary was produced offline by the simulator from the last stages’ handoffs alone.', '',
    '## Results', ...(handoffs.length ? handoffs.slice(0, 20) : ['- The last stages handed nothing off.']), '',
    '## Gates', ...(gates.length ? gates : ['- This workflow has no gates.']),
  ].join('\n');
  return { kind: 'message', content: [{ type: 'text', text: body }] };
}

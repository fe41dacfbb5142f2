import { SIMULATED_LABEL, field, promptText, section, truncate } from '../conversation';
import type { ParsedRequest, Reply } from '../types';
import { plural } from '../../shared/words';

/**
 * A follow-up question to a finished agent (Ask Agent): answered from the record the engine sent,
 * as a real model would be asked to: the agent's task and return, the tools its transcript shows
 * it calling (and on which paths), and the headings of its output file. It restates that record
 * around the question; it never claims findings the record does not hold.
 */
export function followUpReply(req: ParsedRequest): Reply {
  const text = promptText(req);
  const agent = section(text, 'Agent') ?? '';
  const id = field(agent, 'Agent') ?? 'this agent';
  const role = field(agent, 'Role') ?? 'agent';
  const status = field(agent, 'Status') ?? 'finished';
  const task = field(agent, 'Task') ?? 'its task';
  const returned = field(agent, 'Returned') ?? '(nothing)';
  const question = (section(text, 'Question') ?? '').trim() || '(no question)';
  const transcript = section(text, 'Your transcript') ?? '';
  const output = section(text, 'Your output file') ?? '';
  const outputFile = field(output, 'Output file') ?? 'its output file';

  const calls = new Map<string, Set<string>>();
  let requests = 0;
  for (const line of transcript.split('\n')) {
    if (/^\u2192 request \d+/.test(line.trim())) requests++;
    const m = /^\s*\u2699 (\w+) (\{.*?\})\s+\[/.exec(line);
    if (!m) continue;
    const paths = calls.get(m[1]) ?? new Set<string>();
    const arg = /"(?:path|pattern)":"([^"]+)"/.exec(m[2]);
    if (arg) paths.add(arg[1]);
    calls.set(m[1], paths);
  }
  const toolLines = [...calls].map(([name, paths]) => `- \`${name}\`${paths.size ? `: ${[...paths].slice(0, 8).map((p) => `\`${p}\``).join(', ')}${paths.size > 8 ? ', …' : ''}` : ''}`);
  const headings = output.split('\n').filter((l) => /^#{1,3} /.test(l)).slice(0, 8).map((l) => `- ${l.replace(/^#+ /, '')}`);

  const body = [
    SIMULATED_LABEL, '',
    `**Question:** ${truncate(question.replace(/\s+/g, ' '), 400)}`, '',
    `As ${id} (${role}, ${status}), my task was: ${truncate(task, 300)}`,
    `I returned: “${truncate(returned, 300)}”`, '',
    '## What my record shows', '',
    requests ? `My transcript holds ${plural(requests, 'request')}.` : 'My transcript holds no requests.',
    ...(toolLines.length ? ['', 'Tools I called:', ...toolLines] : ['', 'I called no tools.']),
    ...(headings.length ? ['', `Sections of ${outputFile}:`, ...headings] : []),
    '', 'The simulator answers from this record only; it does not reason about the question beyond it. Run with a real model for an answer in its own words.',
  ].join('\n');
  return { kind: 'message', content: [{ type: 'text', text: body }] };
}

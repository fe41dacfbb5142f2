import { SIMULATED_LABEL, promptText, section, toolCalls, truncate, type ToolCall } from '../conversation';
import type { ParsedRequest, Reply } from '../types';
import { plural } from '../../shared/words';

interface Limits { rounds: number; perRound: number; workers: number }
interface Return { id: string; text: string; leads: number }

/**
 * The supervisor: round 1 surveys the plan's areas with cheap workers; round 2 follows the leads
 * the returns report (risky patterns, TODO/FIXME markers) with deeper reviews of those scopes;
 * then it finishes with a summary built from the returns alone. A refused call (a cap) makes it
 * finish with what it has. Every decision comes from the conversation in the request.
 */
export function supervisorReply(req: ParsedRequest): Reply {
  const text = promptText(req);
  const task = (section(text, 'Task') ?? 'the task').trim();
  const areas = (section(text, 'Areas') ?? '').split('\n').map((l) => l.replace(/^[-*]\s+/, '').trim()).filter(Boolean);
  const limits = limitsOf(section(text, 'Limits') ?? '');
  const calls = toolCalls(req);
  const spawns = calls.filter((c) => c.name === 'spawn_workers' && c.result && !c.result.isError);
  const last = calls.at(-1);
  const returns = spawns.flatMap((c) => returnsOf(c.result!.text));
  const round = spawns.length + 1;

  if (last?.result?.isError) return finish(task, returns, `The engine refused my last request (${truncate(last.result.text, 200)}), so I finished with what the workers returned.`);
  if (round === 1) {
    const picked = areas.slice(0, limits.perRound);
    if (!picked.length) return finish(task, returns, 'The plan named no areas to look at.');
    return spawn(picked.map((a) => ({
      task: truncate(`Survey ${a}: inventory its files, entry points and risky patterns (run task: ${truncate(task, 200)})`, 600), scope: [a], tier: 'haiku',
    })));
  }
  if (round === 2 && round < limits.rounds) {
    const scopeOf = new Map(spawns.flatMap((c) => workersOf(c)).map((w, i) => [`w${i + 1}`, w.scope]));
    const leads = returns.filter((r) => r.leads > 0 && scopeOf.has(r.id)).sort((a, b) => b.leads - a.leads).slice(0, limits.perRound);
    if (leads.length) {
      return spawn(leads.map((r) => ({
        task: truncate(`Review in depth the risky patterns and TODO/FIXME markers ${r.id} reported in ${scopeOf.get(r.id)!.join(', ')} (run task: ${truncate(task, 200)})`, 600),
        scope: scopeOf.get(r.id)!, tier: 'sonnet',
      })));
    }
  }
  return finish(task, returns, round === 2 ? 'The survey found no leads worth a deeper look.' : 'The deeper reviews answered the leads of the survey.');
}

function limitsOf(text: string): Limits {
  const n = (re: RegExp, d: number) => Number(re.exec(text)?.[1] ?? d);
  return { rounds: n(/Rounds:\s*(\d+)/, 4), perRound: n(/per round:\s*(\d+)/i, 4), workers: n(/in all:\s*(\d+)/, 12) };
}

/** Worker lines of a returns message: `- w1 (workers/w1.md): Done. …`. */
function returnsOf(text: string): Return[] {
  return [...text.matchAll(/^- (w\d+) \(([^)]*)\): (.*)$/gm)].map((m) => {
    const counts = [...m[3].matchAll(/(\d+) (?:risky pattern|TODO\/FIXME marker)/g)].map((x) => Number(x[1]));
    return { id: m[1], text: m[3].trim(), leads: counts.reduce((a, b) => a + b, 0) };
  });
}

function workersOf(call: ToolCall): Array<{ scope: string[] }> {
  const ws = call.input.workers;
  return Array.isArray(ws) ? ws.map((w) => ({ scope: Array.isArray((w as { scope?: unknown }).scope) ? (w as { scope: string[] }).scope : [] })) : [];
}

function spawn(workers: Array<{ task: string; scope: string[]; tier: string }>): Reply {
  return { kind: 'message', content: [{ type: 'tool_use', name: 'spawn_workers', input: { workers } }] };
}

function finish(task: string, returns: Return[], why: string): Reply {
  const found = returns.map((r) => `- **${r.id}:** ${r.text}`);
  const leads = returns.reduce((n, r) => n + r.leads, 0);
  const summary = [
    SIMULATED_LABEL, '', '# Summary', '',
    `For “${truncate(task.replace(/\s+/g, ' '), 200)}”, ${plural(returns.length, 'worker')} reported ${plural(leads, 'lead')} `
      + '(risky patterns and TODO/FIXME markers). This summary was produced offline by the simulator from the workers’ one-sentence returns alone; '
      + 'open each worker’s file for detail.',
    '', '## What the workers returned', ...(found.length ? found : ['- No worker was spawned.']),
    '', '## Why I stopped', why,
  ].join('\n');
  return { kind: 'message', content: [{ type: 'tool_use', name: 'finish', input: { summary } }] };
}

/** The planner's answer for a supervisor plan: a brief and the top-level areas of the workspace. */
export function supervisorPlanInput(task: string, areas: string[]): Record<string, unknown> {
  return {
    task,
    reason: 'What to look at next depends on what the first workers find, so a supervisor decides between rounds.',
    brief: truncate(`Survey the areas first with cheap workers, then follow the leads their returns report with deeper reviews; finish when the leads are answered. Run task: ${task}`, 2000),
    areas: areas.slice(0, 20),
  };
}

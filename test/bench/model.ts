/**
 * The bench's model: the offline simulated brain with bench-specific changes. The planner answers
 * a fixed plan of any size. Workers explore one tool call a turn, as agents do, and pad their
 * reports to a realistic 3–6k tokens (the simulator's own are a few hundred, which would make the
 * flat baseline of measure 3 unrealistically small). Each request's latency is drawn from a seeded
 * heavy-tailed distribution keyed by agent and turn, and what was served is summed per agent for
 * the lower bound.
 */
import { simulate } from '../../src/simulator/brain';
import { countTokens } from '../../src/simulator/cache';
import { assistantTurns, field, promptText, roleOf, toolCalls } from '../../src/simulator/conversation';
import type { Handler, ParsedRequest, Reply } from '../../src/simulator/types';
import { intBetween, lognormal } from './rng';

export interface LatencyModel {
  seed: string;
  medianMs: number;
  sigma: number;
}

export interface BenchModelOptions {
  workspace: string;
  /** What the planner's plan_fan_out returns. */
  plan: Record<string, unknown>;
  /** Workers explore one tool call a turn and write 3–6k-token reports (else the plain simulator). */
  realisticWorkers: boolean;
  /**
   * Coordinators return as many words as their prompt allows ("in under N words"), as models
   * do when asked for a summary; the simulator's own returns are a sentence or two, which would
   * make the parent's context at 30 workers unrealistically small against that at 1,000.
   */
  fullReturns?: boolean;
  latency?: LatencyModel;
}

/** Which agent sent a request: planner, final, a worker id (a1) or a coordinator id (coord-a). */
export function agentOf(req: ParsedRequest): string {
  const role = roleOf(req);
  if (role === 'planner' || role === 'final' || role === null) return role ?? 'unknown';
  const m = (field(promptText(req), 'Output file') ?? '').match(/(workers|synthesis)\/([a-z0-9]+)\.md$/);
  if (!m) return 'unknown';
  return m[1] === 'workers' ? m[2] : `coord-${m[2]}`;
}

export class BenchModel {
  /** Latency served per agent since the last reset (ms): the work the lower bound is built from. */
  readonly busy = new Map<string, number>();
  readonly handler: Handler;
  readonly latencyMs: ((req: ParsedRequest) => number) | undefined;

  constructor(private readonly opts: BenchModelOptions) {
    this.handler = (req) => this.answer(req);
    const latency = opts.latency;
    this.latencyMs = latency ? (req) => this.serve(req, latency) : undefined;
  }

  resetBusy(): void { this.busy.clear(); }

  private serve(req: ParsedRequest, l: LatencyModel): number {
    const agent = agentOf(req);
    if (agent === 'planner') return 0;
    const ms = Math.round(lognormal(`${l.seed}:${agent}:${assistantTurns(req)}`, l.medianMs, l.sigma));
    this.busy.set(agent, (this.busy.get(agent) ?? 0) + ms);
    return ms;
  }

  private answer(req: ParsedRequest): Reply {
    const role = roleOf(req);
    if (role === 'planner') {
      return { kind: 'message', content: [{ type: 'tool_use', name: req.toolChoice?.type === 'tool' ? req.toolChoice.name : 'plan_fan_out', input: this.opts.plan }] };
    }
    if (role === 'coordinator' && this.opts.fullReturns) return fillReturn(simulate(req, this.opts.workspace), req);
    if (role !== 'worker' || !this.opts.realisticWorkers) return simulate(req, this.opts.workspace);
    const reply = explore(req) ?? simulate(req, this.opts.workspace);
    if (reply.kind !== 'message') return reply;
    return {
      ...reply,
      content: reply.content.map((b) => (b.type === 'tool_use' && b.name === 'write_output' && typeof b.input.content === 'string'
        ? { ...b, input: { ...b.input, content: padReport(b.input.content, req) } }
        : b)),
    };
  }
}

/** A coordinator's last reply (its return, no tool call) lengthened to the words its prompt allows, less a margin. */
export function fillReturn(reply: Reply, req: ParsedRequest): Reply {
  const words = Number(/in\s+under (\d+) words/.exec(req.system.map((b) => b.text).join('\n'))?.[1] ?? 0);
  if (reply.kind !== 'message' || !words || reply.content.some((b) => b.type === 'tool_use')) return reply;
  let last = reply.content.length - 1;
  while (last >= 0 && reply.content[last].type !== 'text') last--;
  if (last < 0) return reply;
  const block = reply.content[last] as { type: 'text'; text: string };
  const target = words - 5;
  const out = block.text.trim().split(/\s+/);
  for (let i = 0; out.length < target; i++) out.push(...`Action ${i + 1}: follow up on the finding its worker cited, file and line, before the next release.`.split(' '));
  const content = reply.content.slice();
  content[last] = { ...block, text: out.slice(0, target).join(' ') };
  return { ...reply, content };
}

const MAX_READS = 3;

/**
 * A worker that explores like a real agent, one tool call a turn: look at its scope, read up to
 * three files one by one, search the scope for TODO/FIXME, then (from here the simulator decides)
 * write the report and return. The simulator's own worker batches its reads into one turn; agents
 * rarely do, and the turn count is what prompt caching pays off on (measure 6).
 */
function explore(req: ParsedRequest): Reply | null {
  const turn = assistantTurns(req);
  if (turn === 0) return null;
  const calls = toolCalls(req);
  if (calls.some((c) => c.name === 'write_output')) return null;
  const read = new Set(calls.filter((c) => c.name === 'read_file').map((c) => String(c.input.path)));
  if (read.size < MAX_READS) {
    const next = calls
      .filter((c) => c.name === 'list_files' && c.result && !c.result.isError)
      .flatMap((c) => c.result!.text.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? ''))
      .find((p) => p.endsWith('.ts') && !read.has(p));
    if (next) return { kind: 'message', content: [{ type: 'tool_use', name: 'read_file', input: { path: next } }] };
  }
  if (!calls.some((c) => c.name === 'search')) {
    const scope = (field(promptText(req), 'Scope') ?? '.').split(',')[0].trim();
    const glob = scope.endsWith('.ts') ? scope : `${scope}/**`;
    return { kind: 'message', content: [{ type: 'tool_use', name: 'search', input: { pattern: 'TODO|FIXME', regex: true, glob } }] };
  }
  return null;
}

const NOTES = [
  'input reaches this line without a length or charset check',
  'the error is caught and dropped, so a failure here is silent to the caller',
  'string concatenation builds a query from caller input; use a parameterised query',
  'the value is logged verbatim; make sure it can never hold a token or a password',
  'the early return hides which check failed; the caller cannot tell bad input from a bug',
  'no test covers this branch',
];

/**
 * Adds a `## Detailed notes` section citing real lines of the files the worker read, until the
 * report holds 3–6k tokens (keyed by agent, so a rerun writes the same report).
 */
function padReport(content: string, req: ParsedRequest): string {
  const agent = agentOf(req);
  const target = intBetween(`${agent}:report`, 3000, 6000);
  const lines = toolCalls(req)
    .filter((c) => c.name === 'read_file' && c.result && !c.result.isError)
    .flatMap((c) => c.result!.text.split('\n').flatMap((raw) => {
      const m = /^\s*(\d+)\s*\|\s?(.*)$/.exec(raw);
      return m ? [{ file: String(c.input.path), line: Number(m[1]), text: m[2].trim() }] : [];
    }))
    .filter((l) => l.text.length > 12);
  if (!lines.length) return content;
  const body = content.trimEnd().split('\n');
  const sentinel = body.pop()!;
  const notes = ['', '## Detailed notes'];
  let tokens = countTokens(content);
  for (let i = 0; tokens < target; i++) {
    const l = lines[i % lines.length];
    const note = `- \`${l.file}:${l.line}\` — \`${l.text.slice(0, 90)}\`: ${NOTES[(i + l.line) % NOTES.length]}.`;
    notes.push(note);
    tokens += countTokens(note) + 1;
  }
  return [...body, ...notes, '', sentinel, ''].join('\n');
}

/**
 * Reading a request's conversation: the agent role, the rendered prompt sections and the tool calls
 * made so far with their results. The simulated model decides only from these, so any request can
 * be replayed and gets the same answer.
 */
import type { ParsedRequest, RequestBlock } from './types';

export type AgentRoleName = 'planner' | 'worker' | 'coordinator' | 'final' | 'supervisor' | 'stage' | 'mapper' | 'reducer' | 'expert' | 'consensus' | 'scout' | 'builder' | 'reviewer' | 'follow-up' | 'fixer' | 'hardener' | 'architect' | 'scaffolder' | 'auditor' | 'reflector';

export const SIMULATED_LABEL = '> _Simulated output — no model was called._';

export function roleOf(req: ParsedRequest): AgentRoleName | null {
  const m = /^# Role: (planner|worker|coordinator|final|supervisor|stage|mapper|reducer|expert|consensus|scout|builder|reviewer|follow-up|fixer|hardener|architect|scaffolder|auditor|reflector)(?![\w-])/.exec(req.system[0]?.text.trimStart() ?? '');
  return m ? (m[1] as AgentRoleName) : null;
}

/** All text of the first user message (the rendered user prompt, possibly split into cached blocks). */
export function promptText(req: ParsedRequest): string {
  const first = req.messages.find((m) => m.role === 'user');
  if (!first) return '';
  return first.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n');
}

/**
 * The body of a `# Heading` section: everything after the heading line up to the next top-level
 * heading. `heading` matches the start of the heading text ("Workspace overview" matches
 * "# Workspace overview (paths and sizes, no contents)").
 */
export function section(text: string, heading: string): string | null {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`# ${heading}`));
  if (start < 0) return null;
  const end = lines.findIndex((l, i) => i > start && /^# \S/.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n').replace(/^\n+|\s+$/g, '');
}

/** The value of the first `Key: value` line. */
export function field(text: string, key: string): string | null {
  const m = new RegExp(`^${key}:[ \\t]*(.*)$`, 'm').exec(text);
  return m ? m[1].trim() : null;
}

export interface ToolCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
  /** Index of the assistant turn that made the call (0 = the first reply). */
  turn: number;
  result: { text: string; isError: boolean } | null;
}

/** Every tool call in the conversation, in order, paired with its result when one was sent. */
export function toolCalls(req: ParsedRequest): ToolCall[] {
  const calls: ToolCall[] = [];
  const byId = new Map<string, ToolCall>();
  let turn = -1;
  for (const m of req.messages) {
    if (m.role === 'assistant') turn++;
    for (const b of m.content) {
      if (m.role === 'assistant' && b.type === 'tool_use') {
        const call: ToolCall = { id: b.id, name: b.name, input: asRecord(b.input), turn, result: null };
        calls.push(call);
        byId.set(b.id, call);
      } else if (b.type === 'tool_result') {
        const call = byId.get(b.tool_use_id);
        if (call) call.result = { text: resultText(b), isError: b.is_error === true };
      }
    }
  }
  return calls;
}

/** How many replies the model has already given in this conversation. */
export function assistantTurns(req: ParsedRequest): number {
  return req.messages.filter((m) => m.role === 'assistant').length;
}

function resultText(b: Extract<RequestBlock, { type: 'tool_result' }>): string {
  return typeof b.content === 'string' ? b.content : b.content.map((p) => p.text).join('\n');
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function stringInput(call: ToolCall, key: string): string | null {
  const v = call.input[key];
  return typeof v === 'string' ? v : null;
}

/**
 * Tool output with line-number gutters removed ("12: text", "  12 | text", "12\ttext"), when most
 * lines carry one, so content can be read as the file's own text.
 */
export function withoutLineNumbers(text: string): string {
  const lines = text.split('\n');
  const gutter = /^\s*\d+\s*(?:[:|\u2192]\s?|\t)/;
  // Tool notes such as "[truncated: …]" carry no gutter and do not count either way.
  const nonEmpty = lines.filter((l) => l.trim() && !/^\[.*\]$/.test(l.trim()));
  if (nonEmpty.length === 0 || nonEmpty.filter((l) => gutter.test(l)).length < nonEmpty.length * 0.8) return text;
  return lines.map((l) => l.replace(gutter, '')).join('\n');
}

export function truncateWords(s: string, maxWords: number): string {
  const words = s.split(/\s+/).filter(Boolean);
  return words.length <= maxWords ? words.join(' ') : `${words.slice(0, maxWords).join(' ')}…`;
}

/**
 * `s` in at most `max` characters, cut on a word boundary with an ellipsis when cut ("…for
 * security issues" never becomes "…for securit…"); a single word longer than half the room is cut
 * where it must be.
 */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  const room = s.slice(0, max - 1);
  const space = room.search(/\s\S*$/);
  return `${(space > max / 2 ? room.slice(0, space) : room).trimEnd().replace(/[\s,;:(]+$/, '')}…`;
}

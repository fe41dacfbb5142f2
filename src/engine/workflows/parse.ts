/**
 * One workflow file's text → a checked workflow, or its errors, each with the line and column of
 * the key it is about and what was expected against what was found. The text is untrusted: it is
 * bounded in size and in alias expansion before anything else looks at it.
 */
import { isMap, isScalar } from 'yaml';
import type { z } from 'zod';
import { foundOf, parseYamlSource, positionOf, rangeOf, type YamlPosition, type YamlSource } from '../trust/yamlSource';
import { workflowProblems, type WorkflowProblem } from './checks';
import { ParamSchema, StageSchema, WORKFLOW_ID, WorkflowSchema, type FoundWorkflow, type WorkflowError } from './schema';

/** Bytes of one workflow file read at most: a 20-stage workflow with long instructions fits many times over. */
export const MAX_WORKFLOW_BYTES = 64 * 1024;
/** Aliases a workflow may expand: enough to share a gate list, far too few for a YAML bomb. */
export const MAX_WORKFLOW_ALIASES = 50;
/** Errors reported for one file at most (the first ones by position). */
const MAX_ERRORS = 20;

export interface WorkflowParseOptions {
  /** The agents a stage may name (`loadAgentDefinitions`' definitions); null or unset skips the check. */
  agents?: readonly { name: string }[] | null;
}

export type ParsedWorkflow =
  | { ok: true; found: FoundWorkflow }
  /** `error` is the first of `errors` (by line and column). */
  | { ok: false; error: WorkflowError; errors: WorkflowError[] };

/** A parse that also says where the file's `name` is (the duplicate-name error goes there). */
export type CheckedWorkflow = (ParsedWorkflow & { ok: false }) | { ok: true; found: FoundWorkflow; nameAt: YamlPosition };

/** Parses and checks one file's text. `file` is for messages and `source`. Never throws. */
export function parseWorkflow(text: string, file: string, opts: WorkflowParseOptions = {}): ParsedWorkflow {
  const r = checkWorkflowText(text, file, opts);
  return r.ok ? { ok: true, found: r.found } : r;
}

/** {@link parseWorkflow}, plus the position of `name` for the loader. */
export function checkWorkflowText(original: string, file: string, opts: WorkflowParseOptions = {}): CheckedWorkflow {
  const text = original.replace(/^\uFEFF/, '');
  const failAt = (list: Array<{ at: YamlPosition; message: string }>, name?: string): CheckedWorkflow => {
    const errors = list
      .sort((a, b) => a.at.line - b.at.line || a.at.col - b.at.col)
      .slice(0, MAX_ERRORS)
      .map((e) => ({ file, line: e.at.line, column: e.at.col, message: e.message, ...(name ? { name } : {}) }));
    return { ok: false, error: errors[0], errors };
  };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_WORKFLOW_BYTES) {
    return failAt([{ at: { line: 1, col: 1 }, message: `expected a workflow file of at most ${MAX_WORKFLOW_BYTES / 1024} KiB; found ${Math.ceil(bytes / 1024)} KiB` }]);
  }
  const read = parseYamlSource(text, MAX_WORKFLOW_ALIASES);
  if (!read.ok) return failAt([{ at: read.at, message: `the file ${read.message}` }]);
  const src = read.source;
  const data = src.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const found = data === null || data === undefined ? 'nothing' : Array.isArray(data) ? 'a list' : `${typeof data} ${JSON.stringify(data)}`.slice(0, 60);
    return failAt([{ at: positionOf(src, []) ?? { line: 1, col: 1 }, message: `expected a workflow: keys name, description, params and stages; found ${found}` }]);
  }
  const rawName = (data as Record<string, unknown>).name;
  const name = typeof rawName === 'string' && WORKFLOW_ID.test(rawName) ? rawName : undefined;
  const parsed = WorkflowSchema.safeParse(data);
  if (!parsed.success) return failAt(parsed.error.issues.map((issue) => schemaError(src, issue)), name);
  const wf = parsed.data;
  const problems = workflowProblems(wf, opts.agents);
  if (problems.length) return failAt(problems.map((p) => ({ at: problemPosition(src, text, p), message: p.message })), wf.name);
  const stageLines: Record<string, number> = {};
  wf.stages.forEach((s, i) => { stageLines[s.id] = (positionOf(src, ['stages', i, 'id']) ?? { line: 1 }).line; });
  return {
    ok: true,
    found: { workflow: wf, source: file, stageLines },
    nameAt: positionOf(src, ['name']) ?? { line: 1, col: 1 },
  };
}

/** The keys each kind of map accepts, for "unknown key" messages. */
const KEYS_OF = {
  workflow: Object.keys(WorkflowSchema.shape),
  stage: Object.keys(StageSchema.shape),
  param: Object.keys(ParamSchema.shape),
};

/** A zod issue as an error at its key: `stages[1].tier: expected one of haiku, sonnet, opus; found "gpt"`. */
function schemaError(src: YamlSource, issue: z.core.$ZodIssue): { at: YamlPosition; message: string } {
  const key = issue.path.map((k) => (typeof k === 'number' ? k : String(k)));
  const where = keyPath(key) || 'the workflow';
  if (issue.code === 'unrecognized_keys') {
    const extra = issue.keys[0];
    const accepted = key.length === 0 ? KEYS_OF.workflow : key[0] === 'stages' && key.length === 2 ? KEYS_OF.stage : key[0] === 'params' && key.length === 2 ? KEYS_OF.param : null;
    return {
      at: keyPosition(src, key, extra) ?? positionOf(src, key) ?? { line: 1, col: 1 },
      message: `${where}: expected ${accepted ? `only the keys ${accepted.join(', ')}` : 'no other keys'}; found the unknown key "${extra}"${issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).map((k) => `"${k}"`).join(', ')})` : ''}`,
    };
  }
  const found = foundOf(src.data, key);
  return { at: positionOf(src, key) ?? { line: 1, col: 1 }, message: `${where}: ${expected(issue, found)}; found ${found}` };
}

/** What the schema expected, in words (zod's own phrasing names JavaScript types). */
function expected(issue: z.core.$ZodIssue, found: string): string {
  const typeWords: Record<string, string> = { string: 'a text', number: 'a number', array: 'a list', object: 'a map of keys', boolean: 'true or false' };
  switch (issue.code) {
    case 'invalid_type':
      return found === 'nothing' ? `expected ${typeWords[issue.expected] ?? issue.expected} (it is required)` : `expected ${typeWords[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `expected ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map(String).join(', ')}`}`;
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'expected a non-empty text' : `expected at least ${issue.minimum} characters`;
      if (issue.origin === 'array') return `expected at least ${issue.minimum} ${Number(issue.minimum) === 1 ? 'item' : 'items'}`;
      return issue.message;
    case 'too_big':
      if (issue.origin === 'string') return `expected at most ${Number(issue.maximum).toLocaleString('en-US')} characters`;
      if (issue.origin === 'array') return `expected at most ${issue.maximum} items`;
      return issue.message;
    default:
      // Formats, unions and our own refinements carry a message that starts "expected …".
      return /^expected /.test(issue.message) ? issue.message : `expected ${issue.message}`;
  }
}

/** `stages[1].each.items`, as a user finds it in the file. */
function keyPath(key: ReadonlyArray<string | number>): string {
  return key.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');
}

/** Where a key itself (not its value) is written in the map at `parent`. */
function keyPosition(src: YamlSource, parent: ReadonlyArray<string | number>, key: string): YamlPosition | null {
  const map = parent.length ? src.doc.getIn(parent, true) : src.doc.contents;
  if (!isMap(map)) return null;
  const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
  return pair && isScalar(pair.key) && pair.key.range ? src.counter.linePos(pair.key.range[0]) : null;
}

/** A problem's position: its key, or the needle inside that key's value as the file spells it. */
function problemPosition(src: YamlSource, text: string, p: WorkflowProblem): YamlPosition {
  const base = positionOf(src, p.key) ?? { line: 1, col: 1 };
  if (!p.needle) return base;
  const range = rangeOf(src, p.key);
  if (!range) return base;
  // A placeholder is written as it reads in every YAML scalar style (braces need no escaping).
  const raw = text.slice(range[0], range[1]);
  let at = -1;
  for (let n = 0; n <= p.needle.nth; n++) {
    at = raw.indexOf(p.needle.text, at + 1);
    if (at < 0) return base;
  }
  return src.counter.linePos(range[0] + at);
}

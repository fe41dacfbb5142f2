/**
 * YAML from an untrusted workspace (agent definitions' front matter, workflow files), read so that
 * every error can name the line and column, what was expected and what was found. Alias
 * expansion is bounded: a "billion laughs" file is an error, never a hang or an out-of-memory.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

/** A 1-based line and column. */
export interface YamlPosition {
  line: number;
  col: number;
}

/** A YAML text parsed to plain data, with what is needed to place an error in it. */
export interface YamlSource {
  doc: Document;
  counter: LineCounter;
  data: unknown;
}

export type ParsedYaml = { ok: true; source: YamlSource } | { ok: false; at: YamlPosition; message: string };

/**
 * Parses one YAML document. Duplicate keys are errors (the second one would silently win); at most
 * `maxAliases` aliases expand, which is plenty for any hand-written file and far too few for a bomb.
 */
export function parseYamlSource(text: string, maxAliases: number): ParsedYaml {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    return { ok: false, at: counter.linePos(e.pos[0]), message: `is not valid YAML: ${firstLine(e.message)}` };
  }
  try {
    return { ok: true, source: { doc, counter, data: doc.toJS({ maxAliasCount: maxAliases }) } };
  } catch (err) {
    return {
      ok: false, at: { line: 1, col: 1 },
      message: `could not be read: ${firstLine(err instanceof Error ? err.message : String(err))} (at most ${maxAliases} aliases expand)`,
    };
  }
}

/** A zod issue placed in the YAML: where its key sits and the message `path: expected …; found …`. */
export function yamlIssue(src: YamlSource, issue: z.core.$ZodIssue, whole: string): { at: YamlPosition; message: string } {
  const key = issue.path.map(String);
  return {
    at: positionOf(src, key) ?? { line: 1, col: 1 },
    message: `${key.join('.') || whole}: ${issue.message}; found ${foundOf(src.data, key)}`,
  };
}

/**
 * Where a key (or the item of a list under it, by index) sits in the YAML; its nearest parent
 * when it is missing, and the document's start when there is none.
 */
export function positionOf(src: Pick<YamlSource, 'doc' | 'counter'>, key: readonly (string | number)[]): YamlPosition | null {
  for (let n = key.length; n > 0; n--) {
    const node = src.doc.getIn(key.slice(0, n).map((k) => (typeof k === 'number' || /^\d+$/.test(k) ? Number(k) : k)), true);
    if ((isScalar(node) || isMap(node) || isSeq(node) || isAlias(node)) && node.range) return src.counter.linePos(node.range[0]);
  }
  const root = src.doc.contents;
  return root && 'range' in root && root.range ? src.counter.linePos(root.range[0]) : null;
}

/** The source range (offsets) of the node at `key`, or null when there is no such node. */
export function rangeOf(src: Pick<YamlSource, 'doc'>, key: readonly (string | number)[]): readonly [number, number] | null {
  const node = src.doc.getIn(key, true);
  return (isScalar(node) || isMap(node) || isSeq(node) || isAlias(node)) && node.range ? [node.range[0], node.range[1]] : null;
}

/** The value at `key` as a short JSON excerpt for "found …", or `nothing`. */
export function foundOf(data: unknown, key: readonly (string | number)[]): string {
  let v: unknown = data;
  for (const k of key) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  if (v === undefined) return 'nothing';
  return truncate(JSON.stringify(v) ?? typeof v, 60);
}

export const firstLine = (s: string): string => s.split('\n')[0].trim();
export const truncate = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

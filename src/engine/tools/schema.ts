/**
 * How tool input is described to the model and how a bad call is explained back to it: the JSON
 * schema of each tool's zod input, a one-line signature for error messages, and error texts. Kept
 * apart from the tools so each tool reads as what it does.
 */
import { z } from 'zod';
import { GlobError } from './glob';
import { PathRefusedError } from './pathGuard';

/** Thrown for an input the tool cannot act on; becomes an isError result. */
export class ToolFailure extends Error {}

export function errorText(err: unknown): string {
  if (err instanceof PathRefusedError || err instanceof ToolFailure || err instanceof GlobError) return err.message;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return 'permission denied';
  return e instanceof Error ? e.message : String(err);
}

export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema) as Record<string, unknown>;
  delete json.$schema;
  const props = (json.properties ?? {}) as Record<string, Record<string, unknown>>;
  // zod adds the safe-integer bounds to every int; they are noise in a prompt.
  for (const prop of Object.values(props)) {
    if (prop.maximum === Number.MAX_SAFE_INTEGER) delete prop.maximum;
  }
  return json;
}

/** `{path: string, start_line?: integer}`, from the JSON schema, for error messages. */
export function signatureOf(json: Record<string, unknown>): string {
  const props = (json.properties ?? {}) as Record<string, { type?: string | string[] }>;
  const required = new Set(Array.isArray(json.required) ? (json.required as string[]) : []);
  const fields = Object.entries(props).map(([k, v]) => `${k}${required.has(k) ? '' : '?'}: ${String(v.type ?? 'unknown')}`);
  return `{${fields.join(', ')}}`;
}

export function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? `${issue.path.map(String).join('.')}: ` : '';
  if (issue.code === 'unrecognized_keys') return `${where}unexpected ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return `${where}${issue.message.replace(/^Invalid input: /, '')}`;
}

export function preview(input: unknown): string {
  if (input === undefined) return 'undefined';
  let text: string;
  try {
    text = JSON.stringify(input) ?? typeof input;
  } catch {
    // Only a bigint or a cyclic object gets here.
    text = typeof input === 'bigint' ? `${input}` : '(an object with a cycle)';
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

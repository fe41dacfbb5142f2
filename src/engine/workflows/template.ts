/**
 * A stage's instructions are a template: `{{params.<name>}}`, `{{item}}` (the file or item an
 * `each` stage's agent works on) and `{{stages.<id>}}` (that earlier stage's handoff). Spaces
 * inside the braces are allowed. Anything else between double braces is an error when the file is
 * validated, so a typo never reaches an agent as literal text.
 */

/** One `{{…}}` of a template, where it is, and what it names. */
export type Placeholder = { raw: string; index: number } & (
  | { kind: 'param'; name: string }
  | { kind: 'item' }
  | { kind: 'earlier'; name: string }
  | { kind: 'unknown'; text: string }
);

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const NAMED = /^(params|stages)\.([a-z][a-z0-9]*(?:-[a-z0-9]+)*)$/;

/** Every placeholder of a template, in order. */
export function placeholdersOf(template: string): Placeholder[] {
  const found: Placeholder[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    const inner = m[1];
    const at = { raw: m[0], index: m.index };
    const named = NAMED.exec(inner);
    if (inner === 'item') found.push({ ...at, kind: 'item' });
    else if (named) found.push({ ...at, kind: named[1] === 'params' ? 'param' : 'earlier', name: named[2] });
    else found.push({ ...at, kind: 'unknown', text: inner });
  }
  return found;
}

/** What a template may name at the point it is rendered. */
export interface TemplateVars {
  params: Record<string, string>;
  item?: string;
  stages?: Record<string, string>;
}

/**
 * Renders a template in one pass: a value that itself contains `{{…}}` (a parameter the user
 * typed, a handoff a model wrote) is inserted as text and never expanded again. A placeholder
 * whose value is not known (validation rules that out for a checked workflow) is left as written.
 */
export function renderTemplate(template: string, vars: TemplateVars): string {
  return template.replace(PLACEHOLDER, (raw: string, inner: string) => {
    if (inner === 'item') return vars.item ?? raw;
    const named = NAMED.exec(inner);
    if (!named) return raw;
    // Own keys only: `{{params.constructor}}` must not find Object's.
    const table = named[1] === 'params' ? vars.params : (vars.stages ?? {});
    return Object.hasOwn(table, named[2]) ? table[named[2]] : raw;
  });
}

/** A workflow's parameters at launch: the values given, checked against what the file declares. */
import type { Workflow } from './schema';

/** Characters of one parameter value at most: it goes into instructions, which are bounded too. */
export const MAX_PARAM_CHARS = 2_000;

/**
 * The value of every declared parameter: the one given, else its default. A parameter given that
 * the workflow does not declare, and one declared without a default that is not given, are each
 * an error naming it. An empty value counts as not given (an input box cleared by the user).
 */
export function resolveParams(wf: Pick<Workflow, 'name' | 'params'>, given: Readonly<Record<string, string>>): { ok: true; params: Record<string, string> } | { ok: false; errors: string[] } {
  const declared = Object.keys(wf.params);
  const errors: string[] = [];
  for (const name of Object.keys(given)) {
    if (Object.hasOwn(wf.params, name)) continue;
    errors.push(declared.length
      ? `workflow ${wf.name} has no parameter "${name}"; expected one of ${declared.join(', ')}`
      : `workflow ${wf.name} has no parameter "${name}"; it declares none`);
  }
  const params: Record<string, string> = {};
  for (const name of declared) {
    const decl = wf.params[name];
    const value = Object.hasOwn(given, name) && given[name] !== '' ? given[name] : decl.default;
    if (value === undefined) {
      errors.push(`workflow ${wf.name} needs parameter "${name}" (${decl.description}); expected a value, found none and no default`);
    } else if (value.length > MAX_PARAM_CHARS) {
      errors.push(`workflow ${wf.name}'s parameter "${name}": expected at most ${MAX_PARAM_CHARS.toLocaleString('en-US')} characters; found ${value.length.toLocaleString('en-US')}`);
    } else {
      params[name] = value;
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, params };
}

/** `run --workflow NAME --param k=v` and `approve RUN STAGE` as the CLI parses them. */
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../src/cli/args';

describe('run --workflow', () => {
  it('takes the workflow and its parameters, a value keeping its own = signs', () => {
    const a = parseCli(['run', '--workflow', 'review-api', '--param', 'concern=error handling', '--param', 'query=a=b', '--yes']);
    expect(a.command).toBe('run');
    expect(a.workflow).toBe('review-api');
    expect(a.params).toEqual({ concern: 'error handling', query: 'a=b' });
    expect(a.positional).toBeUndefined();
  });

  it('refuses a task, --pattern or --from beside it, a --param without --workflow, a malformed or repeated --param', () => {
    expect(() => parseCli(['run', 'Audit it', '--workflow', 'w'])).toThrow(/leave out a task/);
    expect(() => parseCli(['run', '--workflow', 'w', '--pattern', 'fan-out'])).toThrow(/leave out --pattern/);
    expect(() => parseCli(['run', 'Audit it', '--param', 'a=b'])).toThrow(/--param goes with run --workflow NAME/);
    expect(() => parseCli(['run', '--workflow', 'w', '--param', 'novalue'])).toThrow(/--param expects name=value, got "novalue"/);
    expect(() => parseCli(['run', '--workflow', 'w', '--param', 'a=1', '--param', 'a=2'])).toThrow(/--param a is given twice/);
    expect(() => parseCli(['resume', '20261207-100000-abcd', '--workflow', 'w'])).toThrow(/--workflow goes with run/);
  });
});

describe('approve', () => {
  it('needs a run id and a stage id', () => {
    expect(parseCli(['approve', '20261207-100000-abcd', 'review']).positionals).toEqual(['20261207-100000-abcd', 'review']);
    expect(() => parseCli(['approve', '20261207-100000-abcd'])).toThrow(/approve needs a run id and a stage id/);
  });
});

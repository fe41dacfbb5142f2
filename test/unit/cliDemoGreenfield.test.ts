import { describe, expect, it } from 'vitest';
import { parseCli } from '../../src/cli/args';

describe('orchestrate demo --greenfield', () => {
  it('parses as the greenfield demo, and goes with demo only, as a build', () => {
    expect(parseCli(['demo', '--greenfield'])).toMatchObject({ command: 'demo', greenfield: true });
    expect(parseCli(['demo', '--greenfield', '--pattern', 'build'])).toMatchObject({ command: 'demo', greenfield: true, pattern: 'build' });
    expect(parseCli(['demo'])).toMatchObject({ command: 'demo', greenfield: false });
    expect(() => parseCli(['run', 'Build a thing', '--greenfield'])).toThrow('--greenfield goes with demo');
    expect(() => parseCli(['demo', '--greenfield', '--pattern', 'panel'])).toThrow(/demo --greenfield is a build/);
  });
});

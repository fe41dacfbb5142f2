import { describe, expect, it } from 'vitest';
import { noun, plural } from '../../src/shared/words';

describe('plural', () => {
  it('picks the form English uses for the count', () => {
    expect(plural(0, 'gap')).toBe('0 gaps');
    expect(plural(1, 'gap')).toBe('1 gap');
    expect(plural(2, 'gap')).toBe('2 gaps');
    expect(plural(1.5, 'agent')).toBe('1.5 agents');
  });
  it('takes the plural spelling where English adds more than an s', () => {
    expect(plural(1, 'entry', 'entries')).toBe('1 entry');
    expect(plural(3, 'entry', 'entries')).toBe('3 entries');
    expect(noun(1, 'file')).toBe('file');
    expect(noun(7, 'file')).toBe('files');
  });
  it('groups thousands', () => {
    expect(plural(1000, 'agent')).toBe('1,000 agents');
  });
});

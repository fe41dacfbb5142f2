import { describe, expect, it } from 'vitest';
import { noun, plural, startedVia } from '../../src/shared/words';

describe('startedVia', () => {
  it('names the MCP client that started a run, cut to a sane length', () => {
    expect(startedVia('mcp:claude-code')).toBe('via claude-code (MCP)');
    expect(startedVia('mcp:')).toBe('via an unnamed client (MCP)');
    expect(startedVia(`mcp:${'x'.repeat(100)}`)).toBe(`via ${'x'.repeat(39)}… (MCP)`);
    expect(startedVia('cron')).toBe('via cron');
  });
});

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

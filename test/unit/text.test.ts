import { describe, expect, it } from 'vitest';
import { shareBudget, trimToSentence, trimToWords, wordCount } from '../../src/engine/text';
import { renderTemplate } from '../../src/engine/prompts';

describe('return trimming', () => {
  it('keeps only the first sentence of a worker return', () => {
    expect(trimToSentence('Done. Found 3 issues. Also here is my whole report...')).toBe('Done. Found 3 issues.');
    expect(trimToSentence('Failed.   Could not\nread src.  Details follow.')).toBe('Failed. Could not read src.');
    expect(trimToSentence('Done.')).toBe('Done.');
    expect(trimToSentence('Done: found 3 issues in auth.js! Then more.')).toBe('Done: found 3 issues in auth.js!');
  });

  it('cuts a sentence over 200 characters on a word boundary', () => {
    const long = 'Done ' + 'word '.repeat(100);
    const t = trimToSentence(long);
    expect(t.length).toBeLessThanOrEqual(200);
    expect(t.endsWith('…')).toBe(true);
  });

  it('limits a coordinator return to 300 words', () => {
    const text = Array.from({ length: 500 }, (_, i) => `w${i}`).join(' ');
    const t = trimToWords(text, 300);
    expect(wordCount(t.replace(' …', ''))).toBe(300);
    expect(trimToWords('1. a\n2. b', 300)).toBe('1. a\n2. b');
  });
});

describe('a budget shared among texts', () => {
  it('leaves texts that fit together as they are', () => {
    expect(shareBudget(['one', 'two words', ''], 100)).toEqual(['one', 'two words', '']);
  });

  it('keeps the short ones whole and gives the room they leave to the long ones, cut on a word boundary', () => {
    const long = 'word '.repeat(200).trim();
    const out = shareBudget(['short report', long, long], 412);
    expect(out[0]).toBe('short report');
    expect(out[1]).toBe(out[2]);
    expect(out[1].endsWith('word…')).toBe(true);
    expect(out.reduce((n, t) => n + t.length, 0)).toBeLessThanOrEqual(412);
    expect(out[1].length).toBeGreaterThan(150);
  });

  it('holds the same total for 25 texts as for 4', () => {
    const text = (i: number): string => `Domain ${i} — top actions:\n${'1. [medium] a finding with a path and lines\n'.repeat(12)}`;
    const total = (n: number): number => shareBudget(Array.from({ length: n }, (_, i) => text(i)), 4_000).reduce((a, t) => a + t.length, 0);
    expect(total(4)).toBeLessThanOrEqual(4_000);
    expect(total(25)).toBeLessThanOrEqual(4_000);
  });
});

describe('prompt templates', () => {
  it('fills placeholders and refuses a missing one', () => {
    expect(renderTemplate('Hi {{name}} ({{n}})', { name: 'x', n: 2 })).toBe('Hi x (2)');
    expect(() => renderTemplate('{{missing}}', {}, 'worker')).toThrow(/Prompt worker needs \{\{missing\}\}/);
  });
});

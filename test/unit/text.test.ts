import { describe, expect, it } from 'vitest';
import { trimToSentence, trimToWords, wordCount } from '../../src/engine/text';
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

describe('prompt templates', () => {
  it('fills placeholders and refuses a missing one', () => {
    expect(renderTemplate('Hi {{name}} ({{n}})', { name: 'x', n: 2 })).toBe('Hi x (2)');
    expect(() => renderTemplate('{{missing}}', {}, 'worker')).toThrow(/Prompt worker needs \{\{missing\}\}/);
  });
});

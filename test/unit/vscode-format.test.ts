import { describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { formatAge, formatCost, formatDuration, formatTokens, truncate } from '../../src/vscode/format';
import { formatEvent, redact } from '../../src/vscode/log';
import { fakeAnthropicKey } from '../fixtures/secrets';

describe('short formats', () => {
  it.each([[0, '0'], [950, '950'], [3140, '3.1k'], [12_000, '12k'], [250_000, '250k'], [2_400_000, '2.4M']])('tokens %d → %s', (n, s) => {
    expect(formatTokens(n)).toBe(s);
  });
  it.each([[0, '$0'], [0.0043, '$0.004'], [0.42, '$0.42'], [12.345, '$12.35'], [250, '$250']])('cost %d → %s', (n, s) => {
    expect(formatCost(n)).toBe(s);
  });
  it.each([[400, '0 s'], [12_000, '12 s'], [95_000, '1m 35s'], [3_720_000, '1h 2m']])('duration %d → %s', (n, s) => {
    expect(formatDuration(n)).toBe(s);
  });
  it('ages and truncation', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    expect(formatAge('2025-06-01T11:59:50Z', now)).toBe('just now');
    expect(formatAge('2025-06-01T11:55:00Z', now)).toBe('5 min ago');
    expect(formatAge('2025-05-30T12:00:00Z', now)).toBe('2 d ago');
    expect(truncate('one   two three four five', 16)).toBe('one two three…');
    expect(truncate('Audit this repository now', 22)).toBe('Audit this repository…');
    expect(truncate('short', 20)).toBe('short');
  });
});

describe('log lines', () => {
  it('never prints an API key', () => {
    expect(redact(`key ${fakeAnthropicKey()} was rejected`)).toBe('key [redacted:anthropic] was rejected');
  });
  it('formats agent events with a level by severity', () => {
    expect(formatEvent('r', { seq: 1, t: '', type: 'agent', id: 'a1', status: 'failed', attempt: 2, error: 'no sentinel' }))
      .toEqual({ level: 'warn', line: '[r] a1 failed (attempt 2): no sentinel' });
    expect(formatEvent('r', { seq: 2, t: '', type: 'run', status: 'completed' }).line).toBe('[r] run completed');
  });
});

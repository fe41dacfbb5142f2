import { describe, expect, it } from 'vitest';
import { PromptCache, canonicalJson, countTokens, promptBlocks, promptTokens } from '../../src/simulator/cache';
import type { ParsedRequest, RequestBlock } from '../../src/simulator/types';

const cc = { type: 'ephemeral' as const };

function request(parts: { system?: string; cachedSystem?: boolean; blocks?: Array<{ text: string; cached?: boolean }>; model?: string }): ParsedRequest {
  const content: RequestBlock[] = (parts.blocks ?? [{ text: 'question' }]).map((b) => (b.cached ? { type: 'text', text: b.text, cache_control: cc } : { type: 'text', text: b.text }));
  return {
    model: parts.model ?? 'claude-sonnet-5-5', maxTokens: 1024, stream: false, beta: false, body: {},
    system: parts.system ? [parts.cachedSystem ? { type: 'text', text: parts.system, cache_control: cc } : { type: 'text', text: parts.system }] : [],
    messages: [{ role: 'user', content }],
    tools: [], toolChoice: null,
  };
}

const big = 'x'.repeat(8000); // 8000 chars → 2000 tokens once prefixed

describe('simulator token estimate', () => {
  it('counts one token per four characters, rounded up', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('abc')).toBe(1);
    expect(countTokens('abcd')).toBe(1);
    expect(countTokens('abcde')).toBe(2);
  });

  it('serialises objects with sorted keys so equal content hashes equally', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
  });

  it('orders cache blocks tools → system → messages and ignores cache_control in their text', () => {
    const req = request({ system: 'sys', cachedSystem: true });
    req.tools = [{ name: 't', input_schema: { type: 'object' }, cache_control: cc }];
    const blocks = promptBlocks(req);
    expect(blocks.map((b) => b.text.split(':')[0])).toEqual(['tool', 'system', 'user']);
    expect(blocks.map((b) => b.breakpoint)).toEqual([true, true, false]);
    expect(blocks[0].text).not.toContain('ephemeral');
    expect(promptTokens(req)).toBe(blocks.reduce((n, b) => n + b.tokens, 0));
  });
});

describe('PromptCache', () => {
  const opts = { ttlMs: 1000, minTokens: 1024, lookbackBlocks: 20 };

  it('writes a prefix at a breakpoint, then reads it, and always splits the prompt exactly', () => {
    const cache = new PromptCache(opts);
    const req = request({ system: big, cachedSystem: true });
    const total = promptTokens(req);
    const first = cache.plan(req, 0);
    expect(first.usage.cacheRead).toBe(0);
    expect(first.usage.cacheWrite).toBe(countTokens(`system:${big}`));
    expect(first.usage.input + first.usage.cacheRead + first.usage.cacheWrite).toBe(total);
    cache.commit(first, 0);
    const second = cache.plan(req, 10);
    expect(second.usage).toEqual({ input: first.usage.input, cacheRead: first.usage.cacheWrite, cacheWrite: 0 });
  });

  it('does not cache a prefix below the minimum', () => {
    const cache = new PromptCache(opts);
    const req = request({ system: 'short system prompt', cachedSystem: true });
    const plan = cache.plan(req, 0);
    expect(plan.usage).toEqual({ input: promptTokens(req), cacheRead: 0, cacheWrite: 0 });
    cache.commit(plan, 0);
    expect(cache.size).toBe(0);
  });

  it('expires entries after the ttl unless a hit refreshes them', () => {
    const cache = new PromptCache(opts);
    const req = request({ system: big, cachedSystem: true });
    cache.commit(cache.plan(req, 0), 0);
    const hit = cache.plan(req, 900);
    expect(hit.usage.cacheRead).toBeGreaterThan(0);
    cache.commit(hit, 900);
    expect(cache.plan(req, 1800).usage.cacheRead).toBeGreaterThan(0);
    expect(cache.plan(req, 1900).usage.cacheRead).toBe(0);
  });

  it('is separate per model', () => {
    const cache = new PromptCache(opts);
    cache.commit(cache.plan(request({ system: big, cachedSystem: true }), 0), 0);
    expect(cache.plan(request({ system: big, cachedSystem: true, model: 'claude-opus-5-5' }), 1).usage.cacheRead).toBe(0);
  });

  it('finds an earlier cached prefix up to 20 blocks before a moved breakpoint, not further', () => {
    const cache = new PromptCache(opts);
    const turns = (n: number, cachedAt: number) => Array.from({ length: n }, (_, i) => ({ text: `block ${i}`, cached: i === cachedAt }));
    const first = request({ system: big, blocks: turns(5, 4) });
    cache.commit(cache.plan(first, 0), 0);
    const prefix = cache.plan(first, 1).usage.cacheRead;
    expect(prefix).toBe(promptTokens(first));

    const near = request({ system: big, blocks: turns(25, 24) });
    const nearPlan = cache.plan(near, 2);
    expect(nearPlan.usage.cacheRead).toBe(prefix);
    expect(nearPlan.usage.cacheWrite).toBe(promptTokens(near) - prefix);

    const far = request({ system: big, blocks: turns(26, 25) });
    expect(cache.plan(far, 3).usage.cacheRead).toBe(0);
  });

  it('reads the longest of several cached breakpoints', () => {
    const cache = new PromptCache(opts);
    const req = request({ system: big, cachedSystem: true, blocks: [{ text: big, cached: true }, { text: 'tail' }] });
    const first = cache.plan(req, 0);
    expect(first.writes).toHaveLength(2);
    cache.commit(first, 0);
    const again = cache.plan(req, 1);
    expect(again.usage.cacheRead).toBe(promptTokens(req) - countTokens('user:tail'));
    expect(again.usage.input).toBe(countTokens('user:tail'));
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError, costOf, mergeConfig, parseConfig } from '../../src/engine/config';

describe('config', () => {
  it('fills defaults: caps 8 overall and 12/8/4 per tier, one retry, continuous', () => {
    const c = parseConfig({});
    expect(c.maxConcurrent).toBe(8);
    expect(c.tierCaps).toEqual({ haiku: 12, sonnet: 8, opus: 4 });
    expect(c.retries).toBe(1);
    expect(c.scheduling).toBe('continuous');
    expect(c.outputRoot).toBe('.orchestration');
  });

  it('names the bad key in the error', () => {
    expect(() => parseConfig({ tierCaps: { haiku: 0, sonnet: 8, opus: 4 } })).toThrow(/tierCaps\.haiku/);
    expect(() => parseConfig({ retries: 5 })).toThrow(/retries/);
    expect(() => parseConfig({ colour: 'blue' })).toThrow(ConfigError);
    expect(() => parseConfig({ outputRoot: '../elsewhere' })).toThrow(/outputRoot: must stay inside the workspace/);
  });

  it('reads an empty baseUrl as the default endpoint, and refuses one that is not a URL', () => {
    expect(parseConfig({ baseUrl: '' }).baseUrl).toBeNull();
    expect(parseConfig({ baseUrl: null }).baseUrl).toBeNull();
    expect(parseConfig({ baseUrl: 'http://127.0.0.1:9/v1' }).baseUrl).toBe('http://127.0.0.1:9/v1');
    expect(() => parseConfig({ baseUrl: 'api.example' })).toThrow(/baseUrl/);
  });

  it('merges layers so one tier can be overridden alone', () => {
    const merged = mergeConfig({ models: { haiku: 'h', sonnet: 's', opus: 'o' } }, { models: { opus: 'o2' } }, { retries: undefined });
    expect(parseConfig(merged).models).toEqual({ haiku: 'h', sonnet: 's', opus: 'o2' });
  });

  it('prices a reported model id with a date suffix by prefix', () => {
    const c = parseConfig({});
    expect(costOf(c.prices, 'claude-sonnet-5-5-20261001', { input: 1e6, output: 0, cacheRead: 0, cacheWrite: 0 })).toBe(3);
    expect(costOf(c.prices, 'unknown-model', { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 })).toBeNull();
  });
});

/** The two shapes of a map-reduce run: partitions by size, and the reduce tree over them. */
import { describe, expect, it } from 'vitest';
import { partitionBySize, reduceTree, type SizedFile } from '../../src/engine/patterns/map-reduce/partition';

/** Heavy-tailed file sizes (50 tokens to ~8k), seeded, in path order. */
function files(n: number, seed = 7): SizedFile[] {
  let s = seed;
  const rnd = (): number => { s = (s * 1103515245 + 12345) % 2 ** 31; return s / 2 ** 31; };
  return Array.from({ length: n }, (_, i) => ({ path: `src/f${String(i).padStart(5, '0')}.ts`, tokens: Math.round(50 + Math.exp(rnd() * 9)) }));
}

/** Smallest d with k^d ≥ m: ⌈log_k(m)⌉ without floating-point error. */
function ceilLog(m: number, k: number): number {
  let d = 0;
  for (let reach = 1; reach < m; reach *= k) d++;
  return d;
}

describe('partitionBySize', () => {
  for (const [n, maxFiles, maxTokens] of [[2000, 25, 60_000], [2000, 200, 60_000], [300, 25, 60_000], [5000, 50, 60_000], [40, 25, 8_000]] as const) {
    it(`puts each of ${n} files in exactly one partition, in order, none empty or over ${maxTokens} tokens / ${maxFiles} files`, () => {
      const input = files(n);
      const parts = partitionBySize(input, { maxTokens, maxFiles });
      expect(parts.flatMap((p) => p.files)).toEqual(input);
      for (const p of parts) {
        expect(p.files.length).toBeGreaterThan(0);
        expect(p.files.length).toBeLessThanOrEqual(maxFiles);
        expect(p.tokens).toBe(p.files.reduce((t, f) => t + f.tokens, 0));
        expect(p.tokens).toBeLessThanOrEqual(maxTokens);
      }
      const total = input.reduce((t, f) => t + f.tokens, 0);
      const fewest = Math.max(Math.ceil(total / maxTokens), Math.ceil(n / maxFiles));
      // Balanced, and close to the fewest partitions the limits allow.
      expect(parts.length).toBeLessThanOrEqual(Math.ceil(fewest * 1.15) + 1);
      expect(Math.max(...parts.map((p) => p.tokens))).toBeLessThanOrEqual(2 * (total / parts.length));
    });
  }

  it('cuts equal files into equal partitions, the last one no remainder', () => {
    const input = Array.from({ length: 2010 }, (_, i) => ({ path: `f${i}`, tokens: 1000 }));
    const parts = partitionBySize(input, { maxTokens: 60_000, maxFiles: 25 });
    expect(parts).toHaveLength(81);
    const sizes = parts.map((p) => p.files.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('fills partitions by tokens when files are large: ⌈total ÷ budget⌉ partitions of near-equal load', () => {
    const input = Array.from({ length: 100 }, (_, i) => ({ path: `f${i}`, tokens: 5_000 }));
    const parts = partitionBySize(input, { maxTokens: 60_000, maxFiles: 100 });
    expect(parts.length).toBe(9);
    expect(parts.every((p) => p.tokens <= 60_000 && p.tokens >= 50_000)).toBe(true);
  });

  it('is deterministic', () => {
    expect(partitionBySize(files(700, 3), { maxTokens: 30_000, maxFiles: 20 })).toEqual(partitionBySize(files(700, 3), { maxTokens: 30_000, maxFiles: 20 }));
  });

  it('gives no partition for no files, and refuses a file over the budget by name', () => {
    expect(partitionBySize([], { maxTokens: 100, maxFiles: 5 })).toEqual([]);
    expect(() => partitionBySize([{ path: 'big.ts', tokens: 101 }], { maxTokens: 100, maxFiles: 5 })).toThrow(/big\.ts needs 101 tokens, over the 100-token/);
  });
});

describe('reduceTree', () => {
  it('has depth ⌈log_K(M)⌉, fan-in ≤ K, and each level covers the one below exactly once with sizes within one', () => {
    for (const k of [2, 3, 8, 16]) {
      for (let m = 1; m <= 600; m += m < 40 ? 1 : 37) {
        const levels = reduceTree(m, k);
        expect(levels.length).toBe(ceilLog(m, k));
        let below = m;
        for (const level of levels) {
          expect(level.flat()).toEqual(Array.from({ length: below }, (_, i) => i));
          const sizes = level.map((g) => g.length);
          expect(Math.max(...sizes)).toBeLessThanOrEqual(k);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
          expect(level.length).toBe(Math.ceil(below / k));
          below = level.length;
        }
        expect(below).toBe(1);
      }
    }
  });

  it('needs no reducer for a single mapper', () => {
    expect(reduceTree(1, 8)).toEqual([]);
    expect(reduceTree(0, 8)).toEqual([]);
  });

  it('refuses a fan-in below 2', () => {
    expect(() => reduceTree(10, 1)).toThrow(/at least 2; got 1/);
  });
});

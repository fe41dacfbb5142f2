import { createHash } from 'node:crypto';
import type { ParsedRequest, PromptUsage, RequestBlock } from './types';

/** The simulator's token estimate: one token per four characters, rounded up. */
export function countTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** JSON with object keys sorted, so equal content always serialises (and hashes) the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** One cacheable unit of a prompt: a tool, a system block or a message content block. */
export interface PromptBlock {
  text: string;
  tokens: number;
  breakpoint: boolean;
}

/**
 * The prompt in cache order — tools, then system, then messages — each block serialised without its
 * cache_control (moving a breakpoint must not change the prefix it marks).
 */
export function promptBlocks(req: ParsedRequest): PromptBlock[] {
  const out: PromptBlock[] = [];
  const push = (text: string, breakpoint: boolean) => out.push({ text, tokens: countTokens(text), breakpoint });
  for (const { cache_control: cc, ...tool } of req.tools) push(`tool:${canonicalJson(tool)}`, cc !== undefined);
  for (const { cache_control: cc, text } of req.system) push(`system:${text}`, cc !== undefined);
  for (const m of req.messages) {
    for (const block of m.content) push(`${m.role}:${serializeBlock(block)}`, block.cache_control !== undefined);
  }
  return out;
}

function serializeBlock(block: RequestBlock): string {
  if (block.type === 'other') return canonicalJson(block.raw);
  const { cache_control: _cc, ...rest } = block;
  return block.type === 'text' ? block.text : canonicalJson(rest);
}

/** Total prompt tokens of a request (what input + cache read + cache write always add up to). */
export function promptTokens(req: ParsedRequest): number {
  return promptBlocks(req).reduce((n, b) => n + b.tokens, 0);
}

export interface CacheOptions {
  ttlMs: number;
  minTokens: number;
  /** How many block boundaries before a breakpoint are checked for an earlier cached prefix. */
  lookbackBlocks: number;
}

/** The outcome of looking a request up, before anything is stored. */
export interface CachePlan {
  usage: PromptUsage;
  /** Prefix hashes to store (with their token counts) if the request is served. */
  writes: Array<{ hash: string; tokens: number }>;
  /** The hash that was read, refreshed on commit. */
  hit: string | null;
}

/**
 * Prompt-cache emulation with the real API's semantics: prefixes are cached at cache_control
 * breakpoints (per model); a request reads the longest cached prefix found at a breakpoint or up to
 * `lookbackBlocks` boundaries before one, writes everything from there to its last breakpoint, and
 * pays full price for the rest. Entries live `ttlMs` and each hit refreshes them. Prefixes shorter than
 * `minTokens` are never cached.
 */
export class PromptCache {
  private readonly entries = new Map<string, { tokens: number; expiresAt: number }>();

  constructor(private readonly opts: CacheOptions) {}

  plan(req: ParsedRequest, now: number): CachePlan {
    const blocks = promptBlocks(req);
    const hashes: string[] = [];
    const cumulative: number[] = [];
    let h = createHash('sha256').update(`model:${req.model}`).digest('hex');
    let sum = 0;
    for (const b of blocks) {
      h = createHash('sha256').update(h).update('\n').update(b.text).digest('hex');
      sum += b.tokens;
      hashes.push(h);
      cumulative.push(sum);
    }
    const total = sum;
    const breakpoints = blocks.flatMap((b, i) => (b.breakpoint ? [i] : []));

    let readIdx = -1;
    for (const bp of breakpoints) {
      for (let j = bp; j >= Math.max(0, bp - this.opts.lookbackBlocks); j--) {
        if (j <= readIdx) break;
        if (this.live(hashes[j], now)) {
          readIdx = j;
          break;
        }
      }
    }
    const cacheRead = readIdx >= 0 ? cumulative[readIdx] : 0;
    const writes = breakpoints
      .filter((bp) => bp > readIdx && cumulative[bp] >= this.opts.minTokens)
      .map((bp) => ({ hash: hashes[bp], tokens: cumulative[bp] }));
    const lastWrite = writes.at(-1);
    const cacheWrite = lastWrite ? lastWrite.tokens - cacheRead : 0;
    return {
      usage: { input: total - cacheRead - cacheWrite, cacheRead, cacheWrite },
      writes,
      hit: readIdx >= 0 ? hashes[readIdx] : null,
    };
  }

  /** Stores a served request's prefixes and refreshes the one it read. */
  commit(plan: CachePlan, now: number): void {
    const expiresAt = now + this.opts.ttlMs;
    if (plan.hit) {
      const e = this.entries.get(plan.hit);
      if (e) e.expiresAt = expiresAt;
    }
    for (const w of plan.writes) this.entries.set(w.hash, { tokens: w.tokens, expiresAt });
    if (this.entries.size > 10_000) this.prune(now);
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  private live(hash: string, now: number): boolean {
    const e = this.entries.get(hash);
    if (!e) return false;
    if (e.expiresAt <= now) {
      this.entries.delete(hash);
      return false;
    }
    return true;
  }

  private prune(now: number): void {
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }
}

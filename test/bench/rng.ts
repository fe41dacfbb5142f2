/**
 * Seeded randomness for the bench. Every draw is keyed (seed + agent + turn), not taken from a
 * shared stream, so the latency an agent's n-th request gets does not depend on arrival order:
 * continuous and waves runs see exactly the same work.
 */

/** FNV-1a over the key: a 32-bit seed per (seed, agent, turn). */
export function hash32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small, fast, well-mixed 32-bit generator of uniforms in [0, 1). */
export function uniforms(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal from two uniforms (Box–Muller). */
function normal(next: () => number): number {
  const u = Math.max(next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

/**
 * Lognormal with the given median and shape: sigma 0.8 puts p99 at ~6.4× the median, the
 * heavy right tail of real API latencies (queueing, long generations). Clipped at `maxFactor`
 * × median so one draw cannot stall the whole bench.
 */
export function lognormal(key: string, median: number, sigma: number, maxFactor = 20): number {
  const next = uniforms(hash32(key));
  return median * Math.min(Math.exp(sigma * normal(next)), maxFactor);
}

/** A uniform integer in [lo, hi], keyed like the draws above. */
export function intBetween(key: string, lo: number, hi: number): number {
  return lo + Math.floor(uniforms(hash32(key))() * (hi - lo + 1));
}

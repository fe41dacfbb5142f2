/**
 * The two pure shapes of a map-reduce run: files cut into mapper partitions by size, and the
 * reduce tree over the mappers' outputs. Both are deterministic: the same input, the same plan.
 */

/** A file as the partitioner sees it: its path and what it costs a mapper to read. */
export interface SizedFile {
  path: string;
  tokens: number;
}

export interface PartitionLimits {
  /** Most tokens of file content one mapper may be sent. */
  maxTokens: number;
  /** Most files one mapper may be sent (its answer must cover each of them). */
  maxFiles: number;
}

export interface Partition {
  files: SizedFile[];
  tokens: number;
}

/**
 * Cuts `files` (in the order given, which the caller makes path order, so a partition holds
 * neighbouring files) into contiguous partitions, none empty, none over either limit, balanced:
 * each partition aims at an equal share of what is left (tokens and files), so the last one is
 * not a small remainder. Aims at the fewest partitions the limits allow (⌈tokens ÷ maxTokens⌉,
 * ⌈files ÷ maxFiles⌉) and uses more only where file sizes do not pack. Throws for a file over
 * `maxTokens`: the caller excludes those first.
 */
export function partitionBySize(files: readonly SizedFile[], limits: PartitionLimits): Partition[] {
  if (!(limits.maxTokens > 0) || !(limits.maxFiles >= 1)) {
    throw new Error(`partition limits must be positive; got ${limits.maxTokens} tokens and ${limits.maxFiles} files`);
  }
  let total = 0;
  for (const f of files) {
    if (f.tokens > limits.maxTokens) throw new Error(`${f.path} needs ${f.tokens} tokens, over the ${limits.maxTokens}-token partition limit`);
    total += f.tokens;
  }
  if (files.length === 0) return [];
  const planned = Math.max(1, Math.ceil(total / limits.maxTokens), Math.ceil(files.length / limits.maxFiles));
  const parts: Partition[] = [];
  let leftTokens = total;
  let i = 0;
  while (i < files.length) {
    const binsLeft = Math.max(1, planned - parts.length);
    const tokenTarget = leftTokens / binsLeft;
    const fileCap = Math.min(limits.maxFiles, Math.ceil((files.length - i) / binsLeft));
    const part: Partition = { files: [files[i]], tokens: files[i].tokens };
    i++;
    while (i < files.length && part.files.length < fileCap) {
      const next = files[i];
      // Take the next file only while that brings the partition nearer its target than stopping would.
      if (part.tokens + next.tokens > limits.maxTokens || part.tokens + next.tokens / 2 > tokenTarget) break;
      part.files.push(next);
      part.tokens += next.tokens;
      i++;
    }
    leftTokens -= part.tokens;
    parts.push(part);
  }
  return parts;
}

/**
 * The reduce tree over `leaves` outputs: level by level, outputs are cut into ⌈n ÷ fanIn⌉
 * contiguous groups whose sizes differ by at most one, until one output remains. Each group is
 * the list of indices (into the level below) one reducer reads, so no reducer reads more than
 * `fanIn`. One leaf (or none) needs no reducer: the result is empty, depth 0; otherwise the depth
 * is ⌈log_fanIn(leaves)⌉.
 */
export function reduceTree(leaves: number, fanIn: number): number[][][] {
  if (!Number.isInteger(fanIn) || fanIn < 2) throw new Error(`the reduce fan-in must be an integer of at least 2; got ${fanIn}`);
  const levels: number[][][] = [];
  let n = leaves;
  while (n > 1) {
    const groups = Math.ceil(n / fanIn);
    const level: number[][] = [];
    let start = 0;
    for (let g = 0; g < groups; g++) {
      const size = Math.floor(n / groups) + (g < n % groups ? 1 : 0);
      level.push(Array.from({ length: size }, (_, k) => start + k));
      start += size;
    }
    levels.push(level);
    n = groups;
  }
  return levels;
}

/**
 * Which workspace paths the ignore rules hide from the agents and the planner: `.gitignore` files at
 * every level, `.git/info/exclude`, and the `exclude` globs (VS Code fills these from
 * `files.exclude` and `search.exclude`). `includeIgnored` turns the git rules off; secrets,
 * `.git/`, `node_modules/` and the output root are refused by the path guard whatever these say.
 *
 * gitignore semantics come from the `ignore` package (what ESLint and Prettier use); the globs from
 * `globTester` (picomatch's syntax, matched by RE2 in linear time: they may come from the
 * workspace). Rules of a `.gitignore` apply relative to its folder; a deeper file's verdict (ignore
 * or `!negation`) wins over a shallower one's, and `.git/info/exclude` comes last.
 */
import { promises as fsp, readFileSync } from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { globTester } from './glob';

/** How a context chooses which ignored files the tools may see. */
export interface IgnoreOptions {
  /** When true, `.gitignore` files and `.git/info/exclude` hide nothing. */
  includeIgnored?: boolean;
  /** Workspace-relative globs (VS Code syntax, e.g. `**\/dist`) whose matches, and all below them, are hidden. */
  exclude?: readonly string[];
  /**
   * Globs of files the user also counts as secrets (the `secretFiles` setting); they add to the
   * built-in rules of secretFiles.ts, which nothing turns off. Refused like every secret, whatever
   * `includeIgnored` says.
   */
  secretFiles?: readonly string[];
}

interface Layer { ig: Ignore; source: string; text: string; tests: number }

/**
 * `ignore` caches the verdict of every path it has tested, without bound; a walk of 100,000 files
 * would keep them all, and the heap that grows with them makes every full garbage collection, a
 * pause of the event loop, longer. A layer is rebuilt after this many tests instead.
 */
const TESTS_PER_CACHE = 10_000;

/** Case-folding as git's `core.ignorecase` defaults: on where the file system usually folds case. */
const IGNORE_CASE = process.platform === 'darwin' || process.platform === 'win32';

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

function layerOf(text: string, source: string): Layer | null {
  return text.trim() === '' ? null : { ig: compile(text), source, text, tests: 0 };
}

function compile(text: string): Ignore {
  return ignore({ ignorecase: IGNORE_CASE }).add(text);
}

function readOrNullSync(abs: string): string | null {
  try {
    return readFileSync(abs, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The rules of one workspace, loaded lazily folder by folder and kept for the life of the context
 * they belong to (an agent's): a `.gitignore` edited meanwhile is seen by the next agent.
 */
export class IgnoreRules {
  /** Per folder ('' is the root): its `.gitignore`'s rules, or null when it has none. */
  private readonly layers = new Map<string, Layer | null>();
  /** Loads under way or done, so concurrent walks read each file once. */
  private readonly loads = new Map<string, Promise<void>>();
  private readonly git: boolean;
  private readonly excludeTests: Array<{ glob: string; test: (rel: string) => boolean }>;
  private info: Layer | null | undefined;

  constructor(private readonly wsAbs: string, opts: IgnoreOptions = {}) {
    this.git = opts.includeIgnored !== true;
    this.excludeTests = (opts.exclude ?? []).map((glob) => ({
      glob,
      test: globTester(glob.replace(/\\/g, '/').replace(/^(\.\/)+/, ''), { source: `the exclude glob "${glob}"`, nocase: IGNORE_CASE }),
    }));
  }

  /** True when no rule can hide anything, so walks can skip the checks. */
  get empty(): boolean {
    return !this.git && this.excludeTests.length === 0;
  }

  /**
   * Loads the `.gitignore` of folder `dirRel` (and `.git/info/exclude` with the root). `present:
   * false` records that the walk saw no such file, saving a failed read.
   */
  loadDir(dirRel: string, present?: boolean): Promise<void> {
    if (!this.git || this.layers.has(dirRel)) return Promise.resolve();
    let load = this.loads.get(dirRel);
    if (!load) {
      load = this.read(dirRel, present);
      this.loads.set(dirRel, load);
    }
    return load;
  }

  private async read(dirRel: string, present?: boolean): Promise<void> {
    const source = dirRel ? `${dirRel}/.gitignore` : '.gitignore';
    const text = present === false ? null : await fsp.readFile(path.join(this.wsAbs, source), 'utf8').catch(() => null);
    if (dirRel === '' && this.info === undefined) {
      const info = await fsp.readFile(path.join(this.wsAbs, '.git', 'info', 'exclude'), 'utf8').catch(() => null);
      this.info ??= info === null ? null : layerOf(info, '.git/info/exclude');
    }
    if (!this.layers.has(dirRel)) this.layers.set(dirRel, text === null ? null : layerOf(text, source));
  }

  /** `loadDir`, synchronously, for the checks of one path (the path guard, the plan validator). */
  loadDirSync(dirRel: string): void {
    if (!this.git) return;
    if (!this.layers.has(dirRel)) {
      const source = dirRel ? `${dirRel}/.gitignore` : '.gitignore';
      const text = readOrNullSync(path.join(this.wsAbs, source));
      this.layers.set(dirRel, text === null ? null : layerOf(text, source));
    }
    if (dirRel === '' && this.info === undefined) {
      const text = readOrNullSync(path.join(this.wsAbs, '.git', 'info', 'exclude'));
      this.info = text === null ? null : layerOf(text, '.git/info/exclude');
    }
  }

  /**
   * Why `rel` itself is hidden, or null. Assumes the folders on its way are loaded and not hidden
   * (as in a walk, which never enters a hidden folder).
   */
  reasonFor(rel: string, isDir: boolean): string | null {
    for (const { glob, test } of this.excludeTests) {
      if (test(rel)) return `is excluded by the exclude setting ("${glob}")`;
    }
    if (!this.git) return null;
    let dir = parentOf(rel);
    for (;;) {
      const layer = this.layers.get(dir);
      if (layer) {
        const verdict = this.verdict(layer, dir ? rel.slice(dir.length + 1) : rel, isDir);
        if (verdict !== undefined) return verdict;
      }
      if (dir === '') break;
      dir = parentOf(dir);
    }
    return this.info ? this.verdict(this.info, rel, isDir) ?? null : null;
  }

  /** A layer's say on a path relative to its folder: a reason, null when re-included, undefined when silent. */
  private verdict(layer: Layer, sub: string, isDir: boolean): string | null | undefined {
    if (++layer.tests > TESTS_PER_CACHE) {
      layer.ig = compile(layer.text);
      layer.tests = 1;
    }
    const r = layer.ig.test(isDir ? `${sub}/` : sub);
    if (r.ignored) return `is ignored by ${layer.source}${r.rule ? ` ("${r.rule.pattern}")` : ''}`;
    return r.unignored ? null : undefined;
  }

  /**
   * Why `rel` or a folder above it is hidden, or null; loads the rules on its way, synchronously:
   * a few small files along one path (most of them absent), as the path guard reads them.
   */
  reasonForPathSync(rel: string, isDir: boolean): string | null {
    if (this.empty || rel === '') return null;
    const parts = rel.split('/');
    let dir = '';
    this.loadDirSync('');
    for (let i = 0; i < parts.length; i++) {
      const cur = dir ? `${dir}/${parts[i]}` : parts[i];
      const last = i === parts.length - 1;
      const reason = this.reasonFor(cur, last ? isDir : true);
      if (reason !== null) return last ? reason : `is inside ${cur}/, which ${reason}`;
      if (!last) this.loadDirSync(cur);
      dir = cur;
    }
    return null;
  }
}

const rulesByCtx = new WeakMap<object, { key: string; rules: IgnoreRules }>();

/** The rules of a context, built once per context object and rebuilt when its options change. */
export function ignoreRulesOf(ctx: { workspace: string } & IgnoreOptions): IgnoreRules {
  const key = JSON.stringify([ctx.workspace, ctx.includeIgnored === true, ctx.exclude ?? []]);
  const known = rulesByCtx.get(ctx);
  if (known && known.key === key) return known.rules;
  const rules = new IgnoreRules(path.resolve(ctx.workspace), ctx);
  rulesByCtx.set(ctx, { key, rules });
  return rules;
}

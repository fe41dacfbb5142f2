/**
 * Large generated workspaces for measure 7 (event-loop blocking): a monorepo of packages, each with
 * sources, a nested .gitignore that hides its build output, and ignored caches, logs and a
 * `.git/info/exclude` entry beside them, so the walk meets every kind of ignore rule.
 *
 * Deterministic (the same count always gives the same tree) and kept between bench runs under the
 * temp folder: creating 100,000 files takes seconds, and deleting them slows file creation on ext4
 * for minutes afterwards (see bench.ts), which would skew the other measures.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { intBetween } from './rng';

/** Bumped whenever the layout changes, so a cached tree of an older layout is rebuilt. */
const LAYOUT_VERSION = 1;
const MODULES_PER_PACKAGE = 10;
const SOURCES_PER_MODULE = 20;
const DIST_PER_PACKAGE = 40;
const CACHE_PER_PACKAGE = 10;
/** Files one package holds: sources, ignored build output, ignored caches. */
export const FILES_PER_PACKAGE = MODULES_PER_PACKAGE * SOURCES_PER_MODULE + DIST_PER_PACKAGE + CACHE_PER_PACKAGE;

export interface BigWorkspace {
  root: string;
  files: number;
  packages: number;
  /** Workspace-relative folders a plan of this workspace would scope its workers to. */
  scopes: string[];
}

export const pkgName = (p: number): string => `pkg${String(p).padStart(4, '0')}`;
const modName = (m: number): string => `mod${String(m).padStart(2, '0')}`;

/** The workspace of about `files` files, created once and reused while its layout is unchanged. */
export function bigWorkspace(files: number): BigWorkspace {
  const packages = Math.max(8, Math.round(files / FILES_PER_PACKAGE));
  const root = path.join(os.tmpdir(), 'orch-bench-big', `${files}-v${LAYOUT_VERSION}`);
  const scopes = Array.from({ length: 40 }, (_, i) => {
    const p = pkgName((i * 7919) % packages);
    return i % 2 ? `packages/${p}/src/${modName(i % MODULES_PER_PACKAGE)}` : `packages/${p}/src`;
  });
  const done = path.join(root, '.bench-complete');
  if (!existsSync(done)) {
    rmSync(root, { recursive: true, force: true });
    generate(root, packages);
    writeFileSync(done, `${packages} packages\n`);
  }
  return { root, files: packages * FILES_PER_PACKAGE, packages, scopes };
}

function generate(root: string, packages: number): void {
  mkdirSync(path.join(root, '.git', 'info'), { recursive: true });
  writeFileSync(path.join(root, '.git', 'info', 'exclude'), 'scratch/\n');
  writeFileSync(path.join(root, '.gitignore'), '*.log\n!keep.log\n.cache/\n.bench-complete\n');
  writeFileSync(path.join(root, 'README.md'), '# Generated monorepo\n\nFor the event-loop bench.\n');
  mkdirSync(path.join(root, 'scratch'));
  writeFileSync(path.join(root, 'scratch', 'notes.md'), 'excluded by .git/info/exclude\n');
  mkdirSync(path.join(root, 'node_modules', 'dep'), { recursive: true });
  writeFileSync(path.join(root, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');
  for (let p = 0; p < packages; p++) {
    const pkg = path.join(root, 'packages', pkgName(p));
    mkdirSync(path.join(pkg, 'dist'), { recursive: true });
    mkdirSync(path.join(pkg, '.cache'));
    writeFileSync(path.join(pkg, '.gitignore'), 'dist/\n');
    for (let m = 0; m < MODULES_PER_PACKAGE; m++) {
      const dir = path.join(pkg, 'src', modName(m));
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < SOURCES_PER_MODULE; f++) {
        writeFileSync(path.join(dir, `file${String(f).padStart(2, '0')}.ts`), source(p, m, f));
      }
    }
    for (let d = 0; d < DIST_PER_PACKAGE; d++) writeFileSync(path.join(pkg, 'dist', `chunk${d}.js`), `// built ${p}/${d} TODO\n`);
    for (let c = 0; c < CACHE_PER_PACKAGE; c++) {
      // Logs at the package root (ignored by the root's *.log) and cache files (ignored by .cache/).
      writeFileSync(c % 2 ? path.join(pkg, '.cache', `c${c}.json`) : path.join(pkg, `build${c}.log`), `{"cached": ${c}}\n`);
    }
  }
}

/** A small source file: a few functions, an occasional TODO, and a token naming its place. */
function source(p: number, m: number, f: number): string {
  const key = `${p}/${m}/${f}`;
  const lines = [`// ${pkgName(p)}/${modName(m)}/file${f}.ts`, `export const marker = 'needle-${p}-${m}-${f}';`];
  const fns = intBetween(`${key}:fns`, 2, 6);
  for (let i = 0; i < fns; i++) {
    lines.push(`export function fn${i}(input: string): string {`);
    if (intBetween(`${key}:${i}`, 0, 9) === 0) lines.push('  // TODO: validate input');
    lines.push(`  return input.slice(${i}).trim() + '${key}';`, '}', '');
  }
  return lines.join('\n');
}

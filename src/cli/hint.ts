/**
 * Commands and paths the CLI prints for the user to paste. Every one must run exactly as printed
 * from the folder the user ran the CLI in: after `npm ci` in a clone `orchestrate` is not on PATH,
 * so the program is `npx orchestrate` (package.json's `bin`); `--workspace` is added whenever the
 * workspace is not that folder; paths are relative to it, absolute only when outside it.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** The package's root folder: the nearest one above this file with a package.json (dist/ in the bundle). */
const PACKAGE_ROOT = ((): string => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..');
  }
})();

/** Whether `child` is `parent` or inside it. */
function within(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** A path as the user types it from `cwd`: relative when inside it, absolute otherwise. */
export function shownPath(p: string, cwd = process.cwd()): string {
  const abs = path.resolve(cwd, p);
  return within(cwd, abs) ? path.relative(cwd, abs) || '.' : abs;
}

/**
 * How to start the CLI from `cwd`. `npx orchestrate` finds the package's bin in its own clone and
 * in a project that has it in node_modules; anywhere else npx would look the name up on the
 * registry, so the CLI's own file is named instead.
 */
export function program(cwd = process.cwd(), packageRoot = PACKAGE_ROOT): string {
  const parts = packageRoot.split(path.sep);
  const modules = parts.lastIndexOf('node_modules');
  const project = modules > 0 ? parts.slice(0, modules).join(path.sep) || path.sep : packageRoot;
  if (within(project, cwd)) return 'npx orchestrate';
  return `node ${quote(shownPath(path.join(packageRoot, 'dist', 'cli.js'), cwd))}`;
}

/** One shell word: as it is when it needs no quoting, else in single quotes. */
export function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A command line that runs as printed from `cwd`: `commandLine(['resume', id], ws)` →
 * "npx orchestrate resume 20260101-… --workspace examples/demo-shop".
 */
export function commandLine(args: readonly string[], workspace: string, cwd = process.cwd(), packageRoot = PACKAGE_ROOT): string {
  const here = path.resolve(cwd, workspace) === path.resolve(cwd);
  const words = [...args, ...(here ? [] : ['--workspace', shownPath(workspace, cwd)])];
  return [program(cwd, packageRoot), ...words.map(quote)].join(' ');
}

const ENGINE_COMMAND = /(?<![\w/-]|npx )orchestrate (resume|status|diff|apply|discard) ([\w.-]+)((?: --[\w-]+)*)/g;

/**
 * The engine's own messages name commands as `orchestrate resume <runId>` (the same text reaches
 * VS Code); the CLI prints them in the form that runs from where the user stands.
 */
export function runnableCommands(text: string, workspace: string, cwd = process.cwd(), packageRoot = PACKAGE_ROOT): string {
  return text.replace(ENGINE_COMMAND, (_m, command: string, runId: string, flags: string) =>
    commandLine([command, runId, ...flags.trim().split(' ').filter(Boolean)], workspace, cwd, packageRoot));
}

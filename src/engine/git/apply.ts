/**
 * Applying a run's patch to the user's work tree: all of it or some files, only onto files with no
 * uncommitted edits, and only when every part of it applies.
 *
 * Invariants: the work tree only: never the index, never a commit, never another branch (`git
 * apply` without `--index`); a file the patch touches that has uncommitted edits (or is untracked)
 * refuses the whole apply, naming the files; `git apply --check` runs first, so a patch that no
 * longer applies changes nothing.
 */
import { statOrNull } from '../files';
import { GitError, runGit, splitZ, type RepoInfo } from './git';

/** Apply refused; `files` are the ones to blame. Nothing was changed. */
export class ApplyRefusedError extends GitError {
  constructor(message: string, readonly files: string[]) {
    super(message);
    this.name = 'ApplyRefusedError';
  }
}

export interface ApplyPatchOptions {
  repo: RepoInfo;
  /** Absolute path of a patch made by `patchBetween`/`writePatch` (paths relative to the repository root). */
  patchFile: string;
  /** Repository-relative paths to apply; every file of the patch when unset. */
  files?: readonly string[];
}

/** A literal path as a `git apply --include` pattern (wildmatch: `\` escapes). */
function includePattern(p: string): string {
  return p.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

function names(files: readonly string[]): string {
  return files.length <= 12 ? files.join(', ') : `${files.slice(0, 12).join(', ')} and ${files.length - 12} more`;
}

/** The paths a patch touches (with `include`: those it would apply), in patch order. */
export async function patchFilesOf(repoRoot: string, patchFile: string, include: readonly string[] = []): Promise<string[]> {
  const r = await runGit(['apply', '--numstat', '-z', ...include.map((f) => `--include=${includePattern(f)}`), patchFile], { cwd: repoRoot, readOnly: true });
  return splitZ(r.stdout).map((field) => field.replace(/^(-|\d+)\t(-|\d+)\t/, ''));
}

/** Touched files with uncommitted edits of any kind: staged, unstaged, untracked, deleted. */
async function dirtyAmong(repoRoot: string, files: readonly string[]): Promise<string[]> {
  // A pathspec per file keeps the scan small; a long list would outgrow a command line, so then the whole tree.
  const specs = files.length <= 200 ? files.map((f) => `:(top,literal)${f}`) : [];
  const r = await runGit(
    ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=none', '--no-renames', '--', ...specs],
    { cwd: repoRoot, readOnly: true },
  );
  const wanted = new Set(files);
  const dirty = new Set<string>();
  const fields = splitZ(r.stdout);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const xy = f.slice(0, 2);
    const p = f.slice(3);
    if (wanted.has(p)) dirty.add(p);
    // A rename or copy entry carries its source path in the next field.
    if (xy.includes('R') || xy.includes('C')) {
      i++;
      if (wanted.has(fields[i])) dirty.add(fields[i]);
    }
  }
  return files.filter((f) => dirty.has(f));
}

/**
 * Applies `patchFile` to the user's work tree (not the index; never commits or switches branch),
 * all of it or only `files`. Refuses, changing nothing, with an `ApplyRefusedError` naming the
 * files when a touched file has uncommitted edits or is untracked, when `files` names one the
 * patch does not touch, or when the patch no longer applies. Returns the files written.
 */
export async function applyPatch(o: ApplyPatchOptions): Promise<{ applied: string[] }> {
  const cwd = o.repo.root;
  const size = (await statOrNull(o.patchFile))?.size;
  if (size === undefined) throw new ApplyRefusedError(`There is no patch at ${o.patchFile}`, []);
  const all = size === 0 ? [] : await patchFilesOf(cwd, o.patchFile);
  let include: string[] = [];
  if (o.files !== undefined) {
    const inPatch = new Set(all);
    const unknown = o.files.filter((f) => !inPatch.has(f));
    if (unknown.length > 0) throw new ApplyRefusedError(`Not in this change: ${names(unknown)}. Nothing was applied.`, unknown);
    include = [...new Set(o.files)];
  }
  const touched = o.files === undefined ? all : all.filter((f) => include.includes(f));
  if (touched.length === 0) return { applied: [] };

  const dirty = await dirtyAmong(cwd, touched);
  if (dirty.length > 0) {
    throw new ApplyRefusedError(
      `Refused to apply: ${dirty.length === 1 ? 'this file has' : 'these files have'} uncommitted changes: ${names(dirty)}. `
      + 'Commit or stash them (or apply the other files on their own) and try again. Nothing was applied.',
      dirty,
    );
  }
  const args = ['apply', '--whitespace=nowarn', ...include.map((f) => `--include=${includePattern(f)}`)];
  const check = await runGit([...args, '--check', o.patchFile], { cwd, readOnly: true, okCodes: [1, 128] });
  if (check.code !== 0) {
    const blamed = touched.filter((f) => check.stderr.includes(`: ${f}:`) || check.stderr.includes(`error: ${f}:`));
    const bad = blamed.length > 0 ? blamed : touched;
    throw new ApplyRefusedError(
      `The change no longer applies to ${names(bad)}: ${bad.length === 1 ? 'it has' : 'they have'} changed since the run began. Nothing was applied. (git said: ${check.stderr.split('\n').slice(0, 6).join(' ')})`,
      bad,
    );
  }
  await runGit([...args, o.patchFile], { cwd });
  return { applied: touched };
}

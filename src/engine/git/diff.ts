/**
 * Reading a change between two commits: which files and how many lines (`diffFiles`), the patch
 * itself (`patchBetween`, `patchBytesBetween`, `writePatch`), and a file's content at a commit
 * (`fileAt`, for a diff editor).
 *
 * Renames are not detected (`--no-renames`): a moved file is a deletion and an addition, so every
 * patch entry names one path and applying "one file" is well defined. The diff ignores the user's
 * diff settings that would change its form (external diff, textconv, prefixes, relative paths),
 * so `git apply` always accepts it.
 */
import { writeFileAtomic } from '../files';
import { GitError, gitText, runGit, splitZ } from './git';

/** One file a change touches, with its line counts (0 and 0 for a binary file). */
export interface FileChange {
  /** Repository-relative, '/'-separated. */
  path: string;
  /** 'renamed' is never reported: renames are not detected (see above). */
  status: 'added' | 'modified' | 'deleted' | 'renamed';
  added: number;
  removed: number;
  binary: boolean;
}

/** `git diff` with every option a patch's form depends on pinned, whatever the user's config says. */
const DIFF = [
  '-c', 'diff.noprefix=false', '-c', 'diff.mnemonicPrefix=false', '-c', 'diff.relative=false',
  '-c', 'diff.suppressBlankEmpty=false',
  'diff', '--no-ext-diff', '--no-textconv', '--no-renames', '--no-color', '--submodule=short',
];

function statusOf(letter: string): FileChange['status'] {
  if (letter === 'A') return 'added';
  if (letter === 'D') return 'deleted';
  // M, T (type change) and anything else git may add one day.
  return 'modified';
}

/** Which files differ between `base` and `ref`, with lines added and removed, in path order. */
export async function diffFiles(repoRoot: string, base: string, ref: string): Promise<FileChange[]> {
  const o = { cwd: repoRoot, readOnly: true };
  const [num, names] = await Promise.all([
    runGit([...DIFF, '--numstat', '-z', base, ref, '--'], o),
    runGit([...DIFF, '--name-status', '-z', base, ref, '--'], o),
  ]);
  const status = new Map<string, FileChange['status']>();
  const n = splitZ(names.stdout);
  for (let i = 0; i + 1 < n.length; i += 2) status.set(n[i + 1], statusOf(n[i].charAt(0)));
  const out: FileChange[] = [];
  for (const field of splitZ(num.stdout)) {
    const m = /^(-|\d+)\t(-|\d+)\t([\s\S]*)$/.exec(field);
    if (!m) throw new GitError(`unexpected git diff --numstat output: ${JSON.stringify(field.slice(0, 200))}`);
    const binary = m[1] === '-' && m[2] === '-';
    out.push({
      path: m[3], status: status.get(m[3]) ?? 'modified',
      added: binary ? 0 : Number(m[1]), removed: binary ? 0 : Number(m[2]), binary,
    });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The patch from `base` to `ref` as bytes: `git diff --binary --full-index`, which `git apply`
 * accepts byte for byte (binary files included). Prefer this (or `writePatch`) for a file.
 */
export async function patchBytesBetween(repoRoot: string, base: string, ref: string): Promise<Buffer> {
  const r = await runGit([...DIFF, '--binary', '--full-index', '--src-prefix=a/', '--dst-prefix=b/', base, ref, '--'], { cwd: repoRoot, readOnly: true });
  return r.stdout;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The patch from `base` to `ref` as text (`git diff --binary --full-index`; `git apply` accepts it).
 * A text file that is not UTF-8 cannot survive a string: that case is a GitError naming
 * `patchBytesBetween`, never a silently changed patch.
 */
export async function patchBetween(repoRoot: string, base: string, ref: string): Promise<string> {
  const bytes = await patchBytesBetween(repoRoot, base, ref);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new GitError(`The change from ${base} to ${ref} holds text that is not UTF-8; read it with patchBytesBetween (or writePatch) to keep its bytes`);
  }
}

/** Writes the patch from `base` to `ref` to `file` atomically, its bytes as git made them. Returns its size. */
export async function writePatch(repoRoot: string, base: string, ref: string, file: string): Promise<number> {
  const bytes = await patchBytesBetween(repoRoot, base, ref);
  await writeFileAtomic(file, bytes);
  return bytes.length;
}

/**
 * A file's content at `ref` (`git cat-file blob <ref>:<path>`), as UTF-8 text; null when the file
 * is not there (added later, deleted, or a folder). An unknown `ref` is an error.
 */
export async function fileAt(repoRoot: string, ref: string, repoRelPath: string): Promise<string | null> {
  const rel = repoRelPath.replace(/\\/g, '/').replace(/^\.?\/+/, '');
  const r = await runGit(['cat-file', 'blob', `${ref}:${rel}`], { cwd: repoRoot, readOnly: true, okCodes: [128] });
  if (r.code === 0) return r.stdout.toString('utf8');
  // Missing here, or no such ref at all? Only the first is an answer.
  await gitText(['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`], { cwd: repoRoot, readOnly: true });
  return null;
}

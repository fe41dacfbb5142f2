/**
 * Git for the `build` pattern: repository facts, the run's worktrees and branches, assembling
 * approved branches, the patches, applying them to the user's work tree, and the run's change set.
 * Every git call is `execFile('git', args)` (never a shell) through `runGit` in git.ts.
 */
export {
  ENGINE_IDENTITY, GitError, NotARepositoryError, START_A_REPOSITORY, commitExists, repoInfo, repoRootOf, resolveCommit, runGit,
  type GitOptions, type GitOutput, type RepoInfo,
} from './git';
export {
  DEFAULT_LINK_DIRS, WORKTREES_SUBDIR, branchName, commitWorktree, defaultWorktreesRoot, discardRun, ensureWorktree,
  listWorktrees, runWorktreesDir, worktreePath, worktreesRoot,
  type DiscardRunOptions, type EnsureWorktreeOptions, type EnsuredWorktree, type WorktreeEntry,
} from './worktrees';
export { diffFiles, fileAt, patchBetween, patchBytesBetween, writePatch, type FileChange } from './diff';
export { assemble, mergeIntoIntegration, type AssembleOptions, type AssembleResult } from './assemble';
export { ApplyRefusedError, applyPatch, patchFilesOf, type ApplyPatchOptions } from './apply';
export {
  CHANGES_DIR, CHANGES_FILE, CHANGES_PATCH, ChangeSetSchema, applyRunChanges, describeDiscard, discardRunChanges, readChangeSet, recordChanges, writeChangeSet,
  type ChangeSet, type DiscardResult, type RecordChangesOptions, type RunChangesOptions,
} from './changeSet';

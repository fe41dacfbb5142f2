/**
 * The build phase's parallelism: the same change (a doc comment on each of 16 files) made by 4
 * builders of 4 files each, and by one builder owning all 16, in the same git repository, with
 * the real engine, SDK, worktrees, commits, reviews and assembly against the fake Messages API.
 * A builder's turn costs model time in proportion to the files it handles (60 ms a file), as a
 * real model's output does; git's own cost is real. Measured: the wall time of execute() (the
 * build phase: builders → reviews → assembly; the scouts ran before approval).
 */
import { buildOnce, ensureRepo, FILES, MS_PER_FILE, PARALLEL } from './buildRun';
import { fixed, ms, type MeasureResult } from './result';

/** 4 builders: ideally ¼ of one builder's time; git and the reviews keep it above that. */
const TARGET = 0.5;

/** B1 measures the builders' phase as it always has; the whole pipeline after it is P1 (pipeline.ts). */
const once = (workspace: string, builders: number) => buildOnce(workspace, builders, { harden: false }, (run) => ({
  files: run.ledger.agents.reduce((n, a) => n + (a.changes?.files.length ?? 0), 0),
}));

export async function measureBuild(workspace: string): Promise<MeasureResult> {
  ensureRepo(workspace);
  const one = await once(workspace, 1);
  const many = await once(workspace, PARALLEL);
  const ratio = many.wallMs / one.wallMs;
  const ok = one.status === 'completed' && many.status === 'completed' && one.files === FILES && many.files === FILES && ratio <= TARGET;
  return {
    rows: [{
      n: 'B1', measure: `build phase wall time, ${PARALLEL} parallel builders ÷ 1 builder (${FILES} files, worktrees, reviews, assembly)`,
      value: fixed(ratio), before: '—', target: `≤ ${fixed(TARGET)}`, ok,
    }],
    raw: [
      `1 builder: ${ms(one.wallMs)} (${one.status}, ${one.files} files changed); ${PARALLEL} builders: ${ms(many.wallMs)} (${many.status}, ${many.files} files changed); `
        + `model time per builder turn ${MS_PER_FILE} ms a file`,
    ],
  };
}

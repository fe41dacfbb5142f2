import * as path from 'node:path';
import { readTextOrNull } from '../files';
import { readLedger, confineRunPaths, checkedRunDir, effectiveStatus } from '../ledger/runs';
import { PATTERNS, patternNamed } from '../patterns/registry';
import type { Finding } from '../pipelineFiles';
import { DEFAULT_PATTERN } from '../types';
import { extractFindings } from './extract';

/** What Fix Findings offers of one finished audit run. */
export interface RunFindings {
  runId: string;
  pattern: string;
  task: string;
  findings: Finding[];
}

export type FindingsListing = { ok: true; run: RunFindings } | { ok: false; reason: string };

/** Statuses of a run whose synthesis is written: a partial run's gaps are named, and what finished stands. */
const FINISHED = new Set(['completed', 'partial']);

/** A cited path kept only when it stays in the workspace and out of the output root (the audit's own files). */
function workspaceFile(file: string | null, outputRoot: string): string | null {
  if (!file) return null;
  const norm = path.posix.normalize(file.replace(/\\/g, '/')).replace(/^\.\//, '');
  if (norm.startsWith('/') || /^[A-Za-z]:/.test(norm) || norm === '..' || norm.startsWith('../')) return null;
  const root = outputRoot.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
  if (norm === root || norm.startsWith(`${root}/`)) return null;
  return norm;
}

/**
 * The findings of a finished audit run (a pattern that declares `findingsFrom`: fan-out, panel,
 * map-reduce), numbered F1, F2 … in file order. Its ledger is read back as untrusted input: the
 * output files it names are confined to the run folder before any is read, and cited paths that
 * leave the workspace are dropped. Says why when there is nothing to fix: an unknown or
 * unfinished run, a pattern that audits nothing, or synthesis files that list no finding.
 */
export async function listRunFindings(workspace: string, outputRoot: string, runId: string, activeRunIds: ReadonlySet<string> = new Set()): Promise<FindingsListing> {
  let dir: string;
  try {
    dir = await checkedRunDir(workspace, outputRoot, runId);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  let snap;
  try {
    snap = await readLedger(workspace, outputRoot, runId);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const pattern = patternNamed(snap.pattern ?? DEFAULT_PATTERN);
  if (!pattern?.findingsFrom?.length) {
    const audits = PATTERNS.filter((p) => p.findingsFrom?.length).map((p) => p.name);
    return { ok: false, reason: `Run ${runId} is a ${snap.pattern ?? DEFAULT_PATTERN} run; findings come from a finished ${audits.slice(0, -1).join(', ')} or ${audits.at(-1)} run` };
  }
  const status = effectiveStatus(snap, activeRunIds);
  if (!FINISHED.has(status)) {
    const why = status === 'running' || status === 'planning' ? 'is still running' : status === 'awaiting-approval' ? 'has not run yet (awaiting approval)' : `ended ${status}`;
    return { ok: false, reason: `Run ${runId} ${why}; Fix Findings needs a finished (completed or partial) run` };
  }
  const read: string[] = [];
  for (const role of pattern.findingsFrom) {
    const agents = snap.agents.filter((a) => a.role === role && a.status === 'completed');
    if (agents.length === 0) continue;
    try {
      await confineRunPaths(dir, agents);
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    const found: Finding[] = [];
    for (const a of agents) {
      const text = await readTextOrNull(path.join(dir, a.outputFile));
      if (text === null) continue;
      read.push(a.outputFile);
      for (const f of extractFindings(text)) {
        found.push({ id: `F${found.length + 1}`, text: f.text, severity: f.severity, file: workspaceFile(f.file, outputRoot), line: f.file ? f.line : null, source: a.outputFile });
        if (found.length >= 9_999) break;
      }
    }
    if (found.length) return { ok: true, run: { runId, pattern: pattern.name, task: snap.task, findings: found } };
  }
  return {
    ok: false,
    reason: `Run ${runId} has no findings to fix: ${read.length ? `its synthesis files (${[...new Set(read)].join(', ')}) list none` : 'none of its synthesis steps finished'}`,
  };
}

/**
 * The findings a selection names: `all`, or ids and numbers separated by commas (`1,3`, `F2`).
 * Returns the chosen findings in list order, or why the selection does not fit the list.
 */
export function selectFindings(findings: readonly Finding[], selection: string): { ok: true; findings: Finding[] } | { ok: false; reason: string } {
  const s = selection.trim();
  if (/^all$/i.test(s)) return { ok: true, findings: [...findings] };
  const parts = s.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) return { ok: false, reason: 'No finding was chosen; name them by number (1,3) or say all' };
  const chosen = new Set<string>();
  for (const p of parts) {
    const m = /^F?(\d+)$/i.exec(p);
    const id = m ? `F${Number(m[1])}` : null;
    if (!id || !findings.some((f) => f.id === id)) {
      return { ok: false, reason: `"${p}" is not one of the findings (1–${findings.length}, or all)` };
    }
    chosen.add(id);
  }
  return { ok: true, findings: findings.filter((f) => chosen.has(f.id)) };
}

import { DEFAULT_PATTERN, patternNamed, type LedgerSnapshot } from '../../engine';

/**
 * Runs whose findings Fix Findings offers to fix: finished (completed or partial) runs of a pattern
 * that declares where its findings are (the engine's `findingsFrom`), never asked by pattern name.
 */
export function offersFindings(s: Pick<LedgerSnapshot, 'status' | 'pattern'>): boolean {
  return (s.status === 'completed' || s.status === 'partial') && !!patternNamed(s.pattern ?? DEFAULT_PATTERN)?.findingsFrom?.length;
}

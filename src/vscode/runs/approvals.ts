/**
 * Workflow stages waiting for the user's approval, as every view asks about them. No vscode import:
 * the tree rows, the Summary's pure model and the controller share it. What waits is the engine's
 * answer (`waitingApprovals`), never a role or pattern name spelled out here.
 */
import { waitingApprovals, type LedgerSnapshot, type RunStatus } from '../../engine';

/** Approves a waiting stage and resumes the run: `(runId | run node, stageId?)`. */
export const APPROVE_STAGE_COMMAND = 'orchestration.approveStage';
/** The button that runs it, in the run-end notice and on the Open Files follow-up. */
export const APPROVE_STAGE_ACTION = 'Approve Stage';

/** A run settled (not planning, awaiting its plan's approval or running): only then can a stage wait on the user. */
const SETTLED: ReadonlySet<RunStatus> = new Set(['partial', 'failed', 'cancelled', 'interrupted', 'completed']);

/** Whether the run stopped at an approval gate: Approve Stage applies to it. */
export function waitsForApproval(s: Pick<LedgerSnapshot, 'status' | 'agents'>): boolean {
  return SETTLED.has(s.status) && waitingApprovals(s.agents).length > 0;
}

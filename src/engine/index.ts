/** The engine's public surface: what the CLI and the VS Code glue may use. */
export * from './types';
export { parseConfig, mergeConfig, ConfigSchema, ConfigError, formatIssues, DEFAULT_MODELS, DEFAULT_PRICES, type Config, type ConfigInput } from './config';
export { isFanOutPlan, type FanOutPlan as Plan, type DomainSpec, type WorkerSpec } from './patterns/fan-out/plan';
export { CHANGE_PATTERN, PATTERNS, PATTERN_CHOICES, patternNamed, producesChanges, validatePlan, type AnyPattern, type AnyPlan, type PatternChoice } from './patterns/registry';
export type { AddWorkerView, CardDecl, ChangeStepsDecl, PatternView, PlanEditDecl } from './patterns/view';
export type { Pattern, RoleSpec, BasePlan, LeafRequest, AddedLeaf, AddLeafContext, ReviewDocument } from './patterns/pattern';
export { planReviewDocuments } from './patterns/documents';
export { approvalsWaiting, approveStage, isWaitingApproval, waitingApprovals, type WaitingApproval } from './patterns/workflow';
export { Orchestrator, type OrchestratorDeps, type PlanRunRequest, type PlanWorkflowRequest, type AgentCommandOptions } from './orchestrator';
export { Run, SUMMARY_FILE, STOPPED_BY_USER, type RunOutcome, type ExecuteMode } from './execution/run';
export { executingRun } from './execution/executing';
export { CommandRefusedError } from './commands/claim';
export { stopRunAgent, type StopResult } from './commands/agent';
export type { AskResult } from './commands/ask';
export { ASKS_DIR } from './commands/ask';
export type { PlanPreview } from './commands/planEdit';
export { CONTROL_DIR } from './run/control';
export {
  formatTranscript, parseTranscript, readTranscript, transcriptFile, TranscriptEntrySchema, TRANSCRIPTS_DIR,
  type TranscriptEntry, type TranscriptEntryType, type TranscriptEvent, type TranscriptRead,
} from './transcripts';
export { Ledger } from './ledger/ledger';
export { asStorageError, StorageError } from './files';
export { addSecrets, childEnv, credentialValues, redact, redactText } from './redact';
export { PlanError } from './plan/planError';
export { MAX_TASK_CHARS, taskLength, taskTooLong } from './plan/task';
export { ModelError, type ModelClient } from './model/client';
export {
  listRuns, scanRuns, readLedger, deleteRun, effectiveStatus, runDir, checkedOutputRoot, checkedRunDir, originOfRun, RUN_ID_PATTERN,
  type ListedRun, type ListOptions,
} from './ledger/runs';
export { describeRebuild, emptyTotals, LedgerDamagedError, type RebuildReport } from './ledger/rebuild';
export { parseEventLine } from './ledger/events';
export { runProgress, type Progress } from './ledger/progress';
export { estimateTokens } from './text';
export { ORIGIN_FILE, type RunOrigin } from './ledger/origin';
export { type ResumeOptions } from './commands/resume';
export { ForeignRunError } from './commands/claim';
export { LOCK_FILE, runLockHolder, takeRunLock, type LockHolder, type RunLock } from './run/lock';
export { AnthropicModelClient, type AnthropicClientOptions, type Fetch } from './model/anthropic';
export { agentDefinitionNotes, fmtTokens } from './plan/planMarkdown';
export * from './agents';
export * from './workflows';
export { FINDINGS_FILE, FindingsFileSchema, type Finding, type FindingsFile } from './pipelineFiles';
export { listRunFindings, selectFindings, findingLine, findingOutcomes, type FindingOutcome, type FindingsListing, type RunFindings } from './findings';
export { loadProjectConfig, PROJECT_CONFIG } from './projectConfig';
export {
  resolveConfig, machineOnly, MACHINE_ONLY_KEYS, BOUND_KEYS, SET_INSTEAD,
  type ConfigLayer, type IgnoredSetting, type ResolvedConfig, type WorkspaceCommand,
} from './trust/configPolicy';
export { FileCommandConsent, WorkspaceCommandError, type CommandConsent } from './trust/consent';
export { userStateDir } from './trust/userState';
export { describeIgnored, trustNotes } from './trust/notes';
export { climbsOut, isInside, relativeInside } from './paths';
export {
  applyRunChanges, describeDiscard, discardRunChanges, readChangeSet, fileAt, repoInfo, runGit, ApplyRefusedError, GitError, NotARepositoryError, CHANGES_PATCH,
  type ChangeSet, type DiscardResult, type FileChange, type RepoInfo,
} from './git';
export {
  decideLessons, loadMemoryBlock, memoryPath, readMemory, readProposals, MEMORY_FILE, PROPOSALS_FILE,
  type DecisionResult, type LessonDecision, type LessonProposal, type LessonProposals, type MemoryBlock,
} from './memory';
export {
  SHIP_MESSAGE_FILE, ShipRefusedError, checkShip, defaultShipBranch, describeShip, mayOfferShip, pushShipped, readShipRecord, shipMessage, shipRun,
  type ShipCheck, type ShipOptions, type ShipResult,
} from './commands/ship';
export { branchClashes, branchNameProblem, listRemotes, type PushResult } from './git/ship';

/** The engine's public surface: what the CLI and the VS Code glue may use. */
export * from './types';
export { parseConfig, mergeConfig, ConfigSchema, ConfigError, formatIssues, DEFAULT_MODELS, DEFAULT_PRICES, type Config, type ConfigInput } from './config';
export type { Plan, DomainSpec, WorkerSpec } from './plan';
export { Orchestrator, type OrchestratorDeps } from './orchestrator';
export { Run, type RunOutcome, type ExecuteMode } from './run';
export { Ledger } from './ledger';
export { PlanError } from './planner';
export { ModelError, type ModelClient } from './model';
export { listRuns, readLedger, deleteRun, effectiveStatus, RUN_ID_PATTERN } from './runs';
export { openProvider, MissingApiKeyError, type Provider } from './providers';
export { fmtTokens } from './planMarkdown';
export { loadProjectConfig } from './projectConfig';

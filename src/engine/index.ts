/** The engine's public surface: what the CLI and the VS Code glue may use. */
export * from './types';
export { parseConfig, mergeConfig, ConfigSchema, ConfigError, formatIssues, DEFAULT_MODELS, DEFAULT_PRICES, type Config, type ConfigInput } from './config';
export type { Plan, DomainSpec, WorkerSpec } from './patterns/fan-out/plan';
export { Orchestrator, type OrchestratorDeps } from './orchestrator';
export { Run, type RunOutcome, type ExecuteMode } from './run/run';
export { Ledger } from './ledger/ledger';
export { PlanError } from './plan/planner';
export { ModelError, type ModelClient } from './model/client';
export { listRuns, readLedger, deleteRun, effectiveStatus, RUN_ID_PATTERN } from './ledger/runs';
export { AnthropicModelClient, type AnthropicClientOptions } from './model/anthropic';
export { fmtTokens } from './plan/planMarkdown';
export { loadProjectConfig } from './projectConfig';
export { climbsOut, isInside, relativeInside } from './paths';

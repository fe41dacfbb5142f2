import type { AgentCatalog } from '../agents/load';
import type { Config } from '../config';
import type { Ledger, LedgerOptions } from '../ledger/ledger';
import type { ModelClient } from '../model/client';
import type { AnyPlan } from '../patterns/registry';
import type { Prompts } from '../prompts';
import type { Run } from '../execution/run';
import type { Clock, Logger } from '../types';

/** What the commands on a run need of the Orchestrator that serves them. */
export interface CommandHost {
  workspace: string;
  config: Config;
  model: ModelClient;
  prompts: Prompts;
  clock: Clock;
  logger: Logger;
  /** Literal values never written to a transcript or an answer (the API key). */
  secrets: readonly string[];
  /** The run's folder, once the output root and the folder are known to stay inside the workspace. */
  dirOf(runId: string): Promise<string>;
  /** Opens a run from disk, its plan re-validated and its paths confined to its folder. */
  open(runId: string): Promise<Run>;
  makeRun(id: string, dir: string, plan: AnyPlan, ledger: Ledger): Run;
  ledgerOptions(): LedgerOptions;
  /** Where the machine's secret for run origins lives, when not the default (tests). */
  stateDir?: string;
  /** The user's agent definitions now (a revised plan's `agent` fields are checked against them); absent: not checked. */
  agentDefinitions?(): Promise<AgentCatalog>;
}

/** Options every agent command takes. */
export interface AgentCommandOptions {
  signal?: AbortSignal;
  /**
   * Called with the Run the command executes, before it starts, so a host can follow its ledger
   * and transcripts (`run.ledger.onDidChange`, `run.onDidTranscript`) as it goes.
   */
  onRun?(run: Run): void;
  /**
   * The user saw the warning about a run folder not created on this machine and chose to go on.
   * Without it such a run is refused (ForeignRunError): its plan would run on the user's key.
   */
  allowForeign?: boolean;
}

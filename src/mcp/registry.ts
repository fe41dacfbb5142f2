/**
 * The runs an MCP server knows: those it planned and still holds awaiting approval, and those it
 * executes. Every other run is read from disk, as `orchestrate status` reads it. Runs execute in
 * the server process, not in a tool call: a client that disconnects leaves them going, and a new
 * client (a new server) finds them with list_runs. When the server process ends, runs it was
 * executing read back as `interrupted` (their owner is gone) and resume where they stopped.
 */
import {
  CommandRefusedError, effectiveStatus, readLedger, RUN_ID_PATTERN, WorkspaceCommandError,
  type LedgerSnapshot, type Orchestrator, type PlanRunRequest, type Run, type RunOutcome,
} from '../engine';
import { ToolError } from './errors';

interface Execution {
  run: Run;
  /** Settles when the run ends, however it ends (never rejects). */
  done: Promise<void>;
  outcome: RunOutcome | null;
  error: string | null;
}

export class RunRegistry {
  /** Runs planned here and not yet approved or declined: approve executes this very Run. */
  private readonly planned = new Map<string, Run>();
  private readonly executions = new Map<string, Execution>();
  /** Runs whose approval is being decided here right now: a second approver is refused, not doubled. */
  private readonly claims = new Set<string>();

  constructor(private readonly orchestrator: Orchestrator, private readonly workspace: string) {}

  async plan(req: PlanRunRequest): Promise<Run> {
    const run = await this.orchestrator.plan(req);
    this.planned.set(run.id, run);
    return run;
  }

  /** The run's id, checked: a malformed or unknown one is a tool error that says where to look. */
  checkId(runId: string): string {
    if (!RUN_ID_PATTERN.test(runId)) throw new ToolError(`"${runId}" is not a run id (expected YYYYMMDD-HHMMSS-xxxx). Call list_runs to see the runs.`);
    return runId;
  }

  /** The run's ledger: live when this process holds it, else from disk with its effective status. */
  async snapshot(runId: string): Promise<LedgerSnapshot> {
    const live = this.live(this.checkId(runId));
    if (live) return live.ledger.snapshot();
    let snap: LedgerSnapshot;
    try {
      snap = await readLedger(this.workspace, this.orchestrator.config.outputRoot, runId);
    } catch (e) {
      const msg = (e as Error).message;
      if (/not found/.test(msg)) throw new ToolError(`Unknown run id ${runId}: there is no such run in this workspace. Call list_runs to see the runs.`);
      throw new ToolError(msg);
    }
    return { ...snap, status: effectiveStatus(snap, this.orchestrator.active) };
  }

  /** The Run this process holds for the id: executing here, or planned here awaiting approval. */
  live(runId: string): Run | undefined {
    return this.executions.get(runId)?.run ?? this.planned.get(runId);
  }

  execution(runId: string): Execution | undefined {
    return this.executions.get(runId);
  }

  /**
   * Takes the right to decide this run's approval in this process; of two clients (or two calls)
   * one gets it, the other is told the run is being decided. Returns the release.
   */
  claim(runId: string): () => void {
    if (this.claims.has(runId) || this.executions.has(runId)) {
      throw new ToolError(`Run ${runId} is already being approved or executed by this server; call run_status to follow it.`);
    }
    this.claims.add(runId);
    return () => { this.claims.delete(runId); };
  }

  /** Refuses a run that cannot be approved, saying why and what to do instead. */
  refuseUnapprovable(snap: LedgerSnapshot): void {
    const id = snap.runId;
    if (snap.status === 'awaiting-approval') return;
    if (snap.status === 'declined') throw new ToolError(`Run ${id} was declined, so nothing of it ran and it cannot be approved. Call plan_task again to plan anew.`);
    if (snap.status === 'running' || snap.status === 'planning') {
      const where = snap.pid !== null && snap.pid !== process.pid ? ` in another process (pid ${snap.pid}), which owns it` : '';
      throw new ToolError(`Run ${id} is ${snap.status}${where}; it needs no approval. Call run_status to follow it.`);
    }
    if (snap.status === 'interrupted') {
      throw new ToolError(`Run ${id} was interrupted (the process executing it ended). The user can resume it: orchestrate resume ${id}, or Resume Run in VS Code's Ledger.`);
    }
    throw new ToolError(`Run ${id} is ${snap.status}, not awaiting approval. Call run_result to read it.`);
  }

  /**
   * Executes an approved run in this process and returns once it owns the run (its lock taken,
   * status `running`), so an approval another process beat is refused here, by name, rather than
   * reported as started. The run then goes on without the caller.
   */
  async start(runId: string): Promise<Run> {
    const run = this.planned.get(runId) ?? await this.open(runId);
    const exec: Execution = { run, outcome: null, error: null, done: Promise.resolve() };
    let started!: () => void;
    const running = new Promise<void>((resolve) => { started = resolve; });
    const sub = run.ledger.onDidChange((e) => { if (e.type === 'run' && e.status === 'running') started(); });
    const finished = run.execute({ mode: 'fresh' });
    exec.done = finished.then(
      (o) => { exec.outcome = o; },
      (e: unknown) => { exec.error = e instanceof Error ? e.message : String(e); },
    ).finally(() => {
      sub.dispose();
      started();
      this.planned.delete(runId);
      return run.ledger.close().catch(() => undefined);
    });
    this.executions.set(runId, exec);
    await Promise.race([running, exec.done]);
    if (exec.error !== null && run.ledger.status !== 'running') {
      this.executions.delete(runId);
      const failure = exec.error;
      await finished.catch((e: unknown) => {
        if (e instanceof WorkspaceCommandError) {
          throw new ToolError(`${failure} The user must approve that command: through a client that asks the user (MCP elicitation), in VS Code's plan review, or by starting the server with --allow-workspace-command.`);
        }
        if (e instanceof CommandRefusedError) throw new ToolError(`Refused: ${failure}`);
      });
      throw new ToolError(failure);
    }
    return run;
  }

  /** Declines a run awaiting approval: nothing of it runs, ever. */
  async decline(snap: LedgerSnapshot, reason: string): Promise<void> {
    const run = this.planned.get(snap.runId) ?? await this.open(snap.runId);
    run.ledger.setRunStatus('declined', reason);
    await run.ledger.close();
    this.planned.delete(snap.runId);
  }

  private async open(runId: string): Promise<Run> {
    try {
      return await this.orchestrator.open(runId);
    } catch (e) {
      throw new ToolError((e as Error).message);
    }
  }

  /** Settles after `ms`, when the run ends, or when `signal` aborts, whichever comes first. */
  async waitForEnd(runId: string, ms: number, signal: AbortSignal): Promise<void> {
    const exec = this.executions.get(runId);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      onAbort = resolve;
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      if (exec) { await Promise.race([exec.done, stop]); return; }
      // Executing elsewhere (VS Code, another server): its ledger on disk moves; look once a second.
      let ended = false;
      void stop.then(() => { ended = true; });
      while (!ended) {
        const snap = await this.snapshot(runId);
        if (snap.status !== 'running' && snap.status !== 'planning') return;
        await Promise.race([stop, new Promise((r) => setTimeout(r, 1000))]);
      }
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  /** True while any run executes here. */
  get busy(): boolean { return this.executions.size > 0 && [...this.executions.values()].some((e) => e.outcome === null && e.error === null); }

  /** Settles when every run executing here has ended. */
  async idle(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
  }

  /** Writes every live ledger now (before the process ends, so what it did is on disk). */
  async flush(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.run.ledger.flush().catch(() => undefined)));
  }
}

/**
 * The runs an MCP server knows: those it planned and still holds awaiting approval, and those it
 * executes. Every other run is read from disk, as `orchestrate status` reads it. Runs execute in
 * the server process, not in a tool call: a client that disconnects leaves them going, and a new
 * client (a new server) finds them with list_runs. When the server process ends, runs it was
 * executing read back as `interrupted` (their owner is gone) and resume where they stopped.
 */
import {
  checkedRunDir, effectiveStatus, readLedger, RUN_ID_PATTERN, takeRunLock, WorkspaceCommandError,
  type LedgerSnapshot, type Orchestrator, type PlanRunRequest, type Run, type RunLock, type RunOutcome,
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
  private readonly executions = new Map<string, Execution>();
  /** Runs whose approval is being decided here right now: a second approver is refused, not doubled. */
  private readonly claims = new Set<string>();

  constructor(private readonly orchestrator: Orchestrator, private readonly workspace: string) {}

  /**
   * Plans a run and leaves it on disk awaiting approval. Its ledger is closed here: approval may
   * come from this server, another one or VS Code, and each reads the run afresh under its lock.
   */
  async plan(req: PlanRunRequest): Promise<LedgerSnapshot> {
    const run = await this.orchestrator.plan(req);
    await run.ledger.close();
    return run.ledger.snapshot();
  }

  /** The run's id, checked: a malformed one is a tool error that says where to look. */
  checkId(runId: string): string {
    if (!RUN_ID_PATTERN.test(runId)) throw new ToolError(`"${runId}" is not a run id (expected YYYYMMDD-HHMMSS-xxxx). Call list_runs to see the runs.`);
    return runId;
  }

  /** The run's ledger: live when this process executes it, else from disk with its effective status. */
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

  /** The Run this process executes (or executed) for the id. */
  live(runId: string): Run | undefined {
    return this.executions.get(runId)?.run;
  }

  execution(runId: string): Execution | undefined {
    return this.executions.get(runId);
  }

  /**
   * Takes the right to decide this run's approval in this process, for as long as the user is
   * asked; a second caller is told the run is being decided. Returns the release. Across
   * processes the run's lock decides (start, decline).
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
   * Opens a run awaiting approval under its lock, so of two processes approving (or declining)
   * it one wins and the other is refused by name; the ledger is read only once the lock is held,
   * so nobody acts on a stale copy.
   */
  private async openLocked(runId: string, command: string): Promise<{ run: Run; lock: RunLock }> {
    const dir = await checkedRunDir(this.workspace, this.orchestrator.config.outputRoot, runId);
    let lock: RunLock;
    try {
      lock = await takeRunLock(dir, runId, command);
    } catch (e) {
      throw new ToolError(`Refused: ${(e as Error).message}`);
    }
    try {
      const run = await this.orchestrator.open(runId);
      this.refuseUnapprovable(run.ledger.snapshot());
      return { run, lock };
    } catch (e) {
      await lock.release();
      throw e instanceof ToolError ? e : new ToolError((e as Error).message);
    }
  }

  /**
   * Executes an approved run in this process and returns once it is under way. The run then goes
   * on without the caller: a client that leaves does not stop it.
   */
  async start(runId: string): Promise<Run> {
    const { run, lock } = await this.openLocked(runId, 'run');
    run.holdLock(lock);
    const exec: Execution = { run, outcome: null, error: null, done: Promise.resolve() };
    const finished = run.execute({ mode: 'fresh' });
    exec.done = finished.then(
      (o) => { exec.outcome = o; },
      (e: unknown) => { exec.error = e instanceof Error ? e.message : String(e); },
    ).finally(async () => {
      await lock.release();
      await run.ledger.close().catch(() => undefined);
    });
    this.executions.set(runId, exec);
    // Refusals come before anything runs (the repository's command without consent): report them, not a start.
    let sub: { dispose(): void } | undefined;
    const running = new Promise<null>((resolve) => {
      sub = run.ledger.onDidChange((e) => { if (e.type === 'run' && e.status === 'running') resolve(null); });
    });
    const first = await Promise.race([running, finished.then(() => null, (e: unknown) => e)]);
    sub?.dispose();
    if (first !== null && run.ledger.status === 'awaiting-approval') {
      this.executions.delete(runId);
      await exec.done;
      if (first instanceof WorkspaceCommandError) {
        throw new ToolError(`${first.message} The user must approve that command: through a client that asks the user (MCP elicitation), in VS Code's plan review, or by starting the server with --allow-workspace-command.`);
      }
      throw new ToolError((first as Error).message);
    }
    return run;
  }

  /** Declines a run awaiting approval, under its lock: nothing of it runs, ever. */
  async decline(runId: string, reason: string): Promise<void> {
    const { run, lock } = await this.openLocked(runId, 'decline');
    try {
      run.ledger.setRunStatus('declined', reason);
      await run.ledger.close();
    } finally {
      await lock.release();
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
  get busy(): boolean { return [...this.executions.values()].some((e) => e.outcome === null && e.error === null); }

  /** Settles when every run executing here has ended. */
  async idle(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
  }

  /** Writes every live ledger now (before the process ends, so what it did is on disk). */
  async flush(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.run.ledger.flush().catch(() => undefined)));
  }
}

/**
 * The headless front end: `orchestrate run|resume|status|list|demo|diff|apply|discard|transcript|stop|rerun|ask|add-worker`. It drives the same engine as the
 * extension; tests, benchmarks and CI users run it.
 */
import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import { existsSync, statSync } from 'node:fs';
import {
  ConfigError, NotARepositoryError, loadProjectConfig, listRuns, Orchestrator, PlanError, resolveConfig, describeIgnored,
  readLedger, effectiveStatus, CommandRefusedError, ForeignRunError, checkedOutputRoot, originOfRun,
  type Config, type ResolvedConfig, type Run, type RunOutcome,
} from './engine';
import { agentCommand, stop, transcript } from './cli/agentCommands';
import { openProvider, type Provider } from './providers';
import { proxyTransportFromEnv } from './cli/proxyFetch';
import { parseCli, UsageError, USAGE, type CliArgs } from './cli/args';
import { finalReport, planTable, progressLine, statusLine } from './cli/report';
import { changesCommand } from './cli/changes';
import { demoTask, demoWorkspace } from './cli/demo';

export const EXIT = { completed: 0, failed: 1, usage: 2, partial: 3, cancelled: 130 } as const;

const out = (s: string): void => { process.stdout.write(s + '\n'); };
const err = (s: string): void => { process.stderr.write(s + '\n'); };

async function main(argv: string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCli(argv);
  } catch (e) {
    err(`${(e as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (args.command === 'help') { out(USAGE); return 0; }
  if (args.command === 'demo') {
    const ws = await demoWorkspace(path.join(__dirname, '..', 'examples'));
    err(`Demo workspace (a scratch git copy of examples/demo-shop): ${ws}`);
    args = { ...args, command: 'run', positional: demoTask(args.pattern), workspace: ws, simulate: true, yes: true };
  }
  const workspace = path.resolve(args.workspace);
  if (!existsSync(workspace) || !statSync(workspace).isDirectory()) {
    err(`Workspace ${workspace} is not a folder`);
    return EXIT.usage;
  }
  let resolved: ResolvedConfig;
  try {
    // The repository's file is untrusted (machine-only keys are ignored); flags are the user's own.
    const flags = { ...args.overrides, ...(args.simulate ? { provider: 'simulated' } : {}) };
    resolved = resolveConfig([await loadProjectConfig(workspace), { source: 'flags', trusted: true, values: flags }]);
  } catch (e) {
    err((e as Error).message);
    return EXIT.usage;
  }
  const { config } = resolved;
  for (const line of describeIgnored(resolved.ignored)) err(line);
  // Every command reads or writes under the output root: a symlink leading out of the workspace is refused first.
  try {
    await checkedOutputRoot(workspace, config.outputRoot);
  } catch (e) {
    err((e as Error).message);
    return EXIT.usage;
  }
  if (args.command === 'list') return list(workspace, config, args);
  if (args.command === 'status') return status(workspace, config, args);
  if (args.command === 'diff' || args.command === 'apply' || args.command === 'discard') return changesCommand(workspace, config, args, { out, err });
  if (args.command === 'transcript') return transcript(workspace, config, args, { out, err });
  if (args.command === 'stop') return stop(workspace, config, args, { out, err });

  let provider: Provider;
  try {
    provider = await openProvider(config, { apiKey: process.env.ANTHROPIC_API_KEY, workspace, transport: config.provider === 'simulated' ? null : proxyTransportFromEnv(), ...(args.simLatencyMs ? { simulatedLatencyMs: args.simLatencyMs } : {}) });
  } catch (e) {
    err((e as Error).message);
    return EXIT.usage;
  }
  const orchestrator = new Orchestrator({
    workspace, config, model: provider.model, simulated: provider.simulated,
    promptsDir: path.join(__dirname, '..', 'prompts'),
    ...(process.env.ANTHROPIC_API_KEY ? { secrets: [process.env.ANTHROPIC_API_KEY] } : {}),
    workspaceCommand: resolved.workspaceCommand, ignoredSettings: resolved.ignored,
  });
  // --allow-workspace-command is the user's consent to the repository's own check command, as shown.
  if (args.allowWorkspaceCommand && resolved.workspaceCommand) await orchestrator.consent.grant(workspace, resolved.workspaceCommand.command);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    if (++interrupts > 1) process.exit(EXIT.cancelled); // a second Ctrl-C does not wait
    err('\nCancelling… (press Ctrl-C again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    if (args.command === 'run') return await runTask(orchestrator, workspace, args, controller.signal);
    if (args.command === 'resume') return await resume(orchestrator, workspace, args, controller.signal);
    return await agentCommand(orchestrator, workspace, args, controller.signal, { out, err });
  } catch (e) {
    if (controller.signal.aborted) { err('Cancelled.'); return EXIT.cancelled; }
    if (e instanceof ConfigError || e instanceof UsageError || e instanceof NotARepositoryError) { err(e.message); return EXIT.usage; }
    if (e instanceof ForeignRunError) {
      err(`Refused: ${e.message}\nRead its plan.md first. To run it anyway: orchestrate resume ${e.runId}${args.retryFailed ? ' --retry-failed' : ''} --allow-foreign-run`);
      return EXIT.failed;
    }
    if (e instanceof CommandRefusedError) { err(`Refused: ${e.message}`); return EXIT.failed; }
    err(e instanceof PlanError ? e.message : `Failed: ${(e as Error).message}`);
    return EXIT.failed;
  } finally {
    process.off('SIGINT', onSigint);
    await provider.dispose();
  }
}

async function runTask(orchestrator: Orchestrator, workspace: string, args: CliArgs, signal: AbortSignal): Promise<number> {
  if (!args.yes && !process.stdin.isTTY) {
    err('Refusing to start without confirmation: no terminal to ask on. Pass --yes to approve the plan unseen.');
    return EXIT.usage;
  }
  const command = orchestrator.workspaceCommand;
  if (args.yes && args.pattern === 'build' && command && !(await orchestrator.consent.has(workspace, command.command))) {
    // Refused before planning, so no scout spends a token on a run that could not start.
    err(`Refusing to start: this build would run \`${command.command}\` from ${command.source} in each builder's worktree, which you have not approved here. `
      + 'Pass --allow-workspace-command beside --yes to run it, or run without --yes to see the plan and answer.');
    return EXIT.usage;
  }
  err(`Planning: ${args.positional}`);
  const run = await orchestrator.plan({ task: args.positional!, focus: args.focus, pattern: args.pattern, signal });
  err(`\nRun ${run.id} — plan (${path.relative(workspace, path.join(run.dir, 'plan.md'))}):\n`);
  err(planTable(run));
  const shownCommand = run.ledger.snapshot().workspaceCommand;
  if (!args.yes) {
    const answer = await ask(shownCommand
      ? `\nStart this run, and run \`${shownCommand.command}\` (from ${shownCommand.source}) in each builder's worktree? [y/N] `
      : '\nStart this run? [y/N] ');
    if (!/^y(es)?$/i.test(answer.trim())) {
      run.ledger.setRunStatus('declined', 'the plan was declined at the prompt; nothing ran');
      await run.ledger.close();
      err(`Declined: nothing ran. The plan stays in ${path.relative(workspace, run.dir)}; run the task again to plan anew.`);
      return EXIT.cancelled;
    }
    // Yes to a plan that shows the repository's command is consent to that exact command here.
    if (shownCommand) await orchestrator.consent.grant(workspace, shownCommand.command);
  }
  try {
    return await execute(workspace, args, (onRun) => { onRun(run); return run.execute({ signal, mode: 'fresh' }); });
  } finally {
    await run.ledger.close();
  }
}

/** Asks on the terminal. Ctrl-C at the prompt (which readline swallows as a key) counts as "no". */
async function ask(question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await new Promise<string>((resolve) => {
      rl.on('SIGINT', () => resolve(''));
      rl.on('close', () => resolve(''));
      rl.question(question).then(resolve, () => resolve(''));
    });
  } finally {
    rl.close();
  }
}

async function resume(orchestrator: Orchestrator, workspace: string, args: CliArgs, signal: AbortSignal): Promise<number> {
  const runId = args.positional!;
  const mode = args.retryFailed ? 'retry-failed' : 'resume';
  if (args.allowForeignRun) {
    const origin = await originOfRun(workspace, orchestrator.config.outputRoot, runId);
    if (!origin.local) err(`Warning: ${origin.reason}\nGoing on because of --allow-foreign-run: its plan runs on your key and at your cost.`);
  }
  err(`${mode === 'resume' ? 'Resuming' : 'Retrying failed agents of'} run ${runId}`);
  // The engine owns the run (its lock) from before it reads the ledger until the run ends.
  return execute(workspace, args, (onRun) => orchestrator.resume(runId, { mode, signal, allowForeign: args.allowForeignRun, onRun }));
}

/** Executes a run with progress on stderr; `start` hands over the Run it executes before it starts. */
async function execute(workspace: string, args: CliArgs, start: (onRun: (run: Run) => void) => Promise<RunOutcome>): Promise<number> {
  const started = Date.now();
  // Progress at a sane rate: on a terminal one line redrawn every second, else a line every 5 s.
  const tty = process.stderr.isTTY;
  let run: Run | null = null;
  const timer = setInterval(() => {
    if (!run) return;
    const line = progressLine(run.ledger.totals, run.ledger.agents.length, Date.now() - started, run.ledger.simulated);
    if (tty) process.stderr.write(`\r\x1b[K${line}`); else err(line);
  }, tty ? 1000 : 5000);
  let outcome: RunOutcome;
  try {
    outcome = await start((r) => { run = r; });
  } finally {
    clearInterval(timer);
    if (tty) process.stderr.write('\r\x1b[K');
  }
  const done = run as Run | null;
  if (!done) throw new Error('the run ended before it started');
  if (args.json) out(JSON.stringify({ runId: done.id, dir: done.dir, ...outcome }, null, 2));
  else out(finalReport(done, outcome, workspace));
  return EXIT[outcome.status as keyof typeof EXIT] ?? EXIT.failed;
}

/** How list and status mark a run folder not created on this machine. */
const FOREIGN_MARK = '  [foreign: not created on this machine]';

async function list(workspace: string, config: Config, args: CliArgs): Promise<number> {
  const runs = await listRuns(workspace, config.outputRoot);
  if (args.json) {
    out(JSON.stringify(runs.map((r) => ({ runId: r.runId, status: r.status, task: r.task, costUsd: r.totals.costUsd, simulated: r.simulated, foreign: r.origin?.local === false })), null, 2));
    return 0;
  }
  if (!runs.length) { out(`No runs in ${path.join(workspace, config.outputRoot)}`); return 0; }
  for (const r of runs) out(statusLine(r) + (r.origin?.local === false ? FOREIGN_MARK : ''));
  return 0;
}

async function status(workspace: string, config: Config, args: CliArgs): Promise<number> {
  const runs = await listRuns(workspace, config.outputRoot);
  const id = args.positional ?? runs[0]?.runId;
  if (!id) { err('No runs yet.'); return EXIT.usage; }
  let snap;
  try { snap = await readLedger(workspace, config.outputRoot, id); } catch (e) { err((e as Error).message); return EXIT.usage; }
  const origin = await originOfRun(workspace, config.outputRoot, id);
  // A foreign ledger's pid belongs to another machine: it proves nothing here.
  snap = { ...snap, status: effectiveStatus(origin.local ? snap : { ...snap, pid: null }) };
  if (args.json) { out(JSON.stringify({ ...snap, foreign: !origin.local, ...(origin.local ? {} : { foreignReason: origin.reason }) }, null, 2)); return 0; }
  out(statusLine(snap) + (origin.local ? '' : FOREIGN_MARK));
  if (snap.reason) out(`  reason: ${snap.reason}`);
  for (const a of snap.agents) {
    out(`  ${a.id.padEnd(8)} ${a.status.padEnd(10)} ${a.tier.padEnd(6)} ${a.outputFile.padEnd(18)} ${a.error ?? a.returned ?? ''}`.trimEnd());
  }
  if (!origin.local) out(`\n${origin.reason} Resuming it needs --allow-foreign-run.`);
  if (snap.status === 'interrupted') out(`\nThis run was cut off. Finish it with: orchestrate resume ${snap.runId}${origin.local ? '' : ' --allow-foreign-run'}`);
  if (snap.status === 'declined') out('\nThis plan was declined, so nothing ran and it cannot be resumed. Run the task again to plan anew.');
  return 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => { err(e instanceof Error ? e.stack ?? e.message : String(e)); process.exitCode = EXIT.failed; });

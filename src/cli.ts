/**
 * The headless front end: `orchestrate run|resume|status|list|demo|diff|apply|discard|transcript|stop|rerun|ask|add-worker`. It drives the same engine as the
 * extension; tests, benchmarks and CI users run it.
 */
import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import { existsSync, statSync } from 'node:fs';
import {
  ConfigError, NotARepositoryError, loadProjectConfig, listRuns, mergeConfig, Orchestrator, parseConfig, PlanError,
  readLedger, effectiveStatus, CommandRefusedError, addSecrets, credentialValues, redactText, type Config, type Run, type RunOutcome,
} from './engine';
import { agentCommand, stop, transcript } from './cli/agentCommands';
import { openProvider, type Provider } from './providers';
import { proxyTransportFromEnv } from './cli/proxyFetch';
import { parseCli, UsageError, USAGE, type CliArgs } from './cli/args';
import { finalReport, planTable, progressLine, statusLine } from './cli/report';
import { changesCommand } from './cli/changes';
import { demoTask, demoWorkspace } from './cli/demo';

export const EXIT = { completed: 0, failed: 1, usage: 2, partial: 3, cancelled: 130 } as const;

// Every line printed goes through the one redaction; the credentials this process was given
// (ANTHROPIC_API_KEY and the like) are withheld by value from the first line on.
addSecrets(credentialValues(process.env));
const out = (s: string): void => { process.stdout.write(redactText(s) + '\n'); };
const err = (s: string): void => { process.stderr.write(redactText(s) + '\n'); };

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
  let config: Config;
  try {
    const file = await loadProjectConfig(workspace);
    config = parseConfig(mergeConfig(file, args.overrides, args.simulate ? { provider: 'simulated' } : {}), 'settings (.orchestration/config.json and flags)');
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
  });
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
  err(`Planning: ${args.positional}`);
  const run = await orchestrator.plan({ task: args.positional!, focus: args.focus, pattern: args.pattern, signal });
  err(`\nRun ${run.id} — plan (${path.relative(workspace, path.join(run.dir, 'plan.md'))}):\n`);
  err(planTable(run));
  if (!args.yes) {
    const answer = await ask('\nStart this run? [y/N] ');
    if (!/^y(es)?$/i.test(answer.trim())) {
      run.ledger.setRunStatus('declined', 'the plan was declined at the prompt; nothing ran');
      await run.ledger.close();
      err(`Declined: nothing ran. The plan stays in ${path.relative(workspace, run.dir)}; run the task again to plan anew.`);
      return EXIT.cancelled;
    }
  }
  return execute(run, workspace, args, signal, 'fresh');
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
  const run = await orchestrator.open(args.positional!);
  const mode = args.retryFailed ? 'retry-failed' : 'resume';
  err(`${mode === 'resume' ? 'Resuming' : 'Retrying failed agents of'} run ${run.id}`);
  return execute(run, workspace, args, signal, mode);
}

async function execute(run: Run, workspace: string, args: CliArgs, signal: AbortSignal, mode: 'fresh' | 'resume' | 'retry-failed'): Promise<number> {
  const started = Date.now();
  // Progress at a sane rate: on a terminal one line redrawn every second, else a line every 5 s.
  const tty = process.stderr.isTTY;
  const simulated = run.ledger.simulated;
  const timer = setInterval(() => {
    const line = progressLine(run.ledger.totals, run.ledger.agents.length, Date.now() - started, simulated);
    if (tty) process.stderr.write(`\r\x1b[K${line}`); else err(line);
  }, tty ? 1000 : 5000);
  let outcome: RunOutcome;
  try {
    outcome = await run.execute({ signal, mode });
  } finally {
    clearInterval(timer);
    if (tty) process.stderr.write('\r\x1b[K');
    await run.ledger.close();
  }
  if (args.json) out(JSON.stringify({ runId: run.id, dir: run.dir, ...outcome }, null, 2));
  else out(finalReport(run, outcome, workspace));
  return EXIT[outcome.status as keyof typeof EXIT] ?? EXIT.failed;
}

async function list(workspace: string, config: Config, args: CliArgs): Promise<number> {
  const runs = await listRuns(workspace, config.outputRoot);
  if (args.json) { out(JSON.stringify(runs.map((r) => ({ runId: r.runId, status: r.status, task: r.task, costUsd: r.totals.costUsd, simulated: r.simulated })), null, 2)); return 0; }
  if (!runs.length) { out(`No runs in ${path.join(workspace, config.outputRoot)}`); return 0; }
  for (const r of runs) out(statusLine(r));
  return 0;
}

async function status(workspace: string, config: Config, args: CliArgs): Promise<number> {
  const runs = await listRuns(workspace, config.outputRoot);
  const id = args.positional ?? runs[0]?.runId;
  if (!id) { err('No runs yet.'); return EXIT.usage; }
  let snap;
  try { snap = await readLedger(workspace, config.outputRoot, id); } catch (e) { err((e as Error).message); return EXIT.usage; }
  snap = { ...snap, status: effectiveStatus(snap) };
  if (args.json) { out(JSON.stringify(snap, null, 2)); return 0; }
  out(statusLine(snap));
  if (snap.reason) out(`  reason: ${snap.reason}`);
  for (const a of snap.agents) {
    out(`  ${a.id.padEnd(8)} ${a.status.padEnd(10)} ${a.tier.padEnd(6)} ${a.outputFile.padEnd(18)} ${a.error ?? a.returned ?? ''}`.trimEnd());
  }
  if (snap.status === 'interrupted') out(`\nThis run was cut off. Finish it with: orchestrate resume ${snap.runId}`);
  if (snap.status === 'declined') out('\nThis plan was declined, so nothing ran and it cannot be resumed. Run the task again to plan anew.');
  return 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => { err(e instanceof Error ? e.stack ?? e.message : String(e)); process.exitCode = EXIT.failed; });

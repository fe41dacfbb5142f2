/**
 * The headless front end: `orchestrate run|resume|status|list|demo|diff|apply|discard|ship|transcript|stop|rerun|ask|add-worker|memory|agents|workflows`. It drives the same engine as the
 * extension; tests, benchmarks and CI users run it.
 */
import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import { existsSync, statSync } from 'node:fs';
import {
  CHANGE_PATTERN, ConfigError, NotARepositoryError, patternNamed, loadProjectConfig, Orchestrator, PlanError, resolveConfig, describeIgnored,
  asStorageError, CommandRefusedError, describeRebuild, LedgerDamagedError, StorageError, taskLength, taskTooLong,
  ForeignRunError, checkedOutputRoot, originOfRun, addSecrets, credentialValues, redactText, loadMemoryBlock, loadAgentDefinitions,
  type FindingsFile, type ResolvedConfig, type Run, type RunOutcome,
} from './engine';
import { agentCommand, stop, transcript } from './cli/agentCommands';
import { MissingApiKeyError, openProvider, type Provider } from './providers';
import { proxyTransportFromEnv } from './cli/proxyFetch';
import { parseCli, UsageError, USAGE, type CliArgs } from './cli/args';
import { finalReport, planTable, progressLine } from './cli/report';
import { reviewDocumentLines } from './cli/reviewDocuments';
import { changesCommand } from './cli/changes';
import { shipCommand } from './cli/ship';
import { listCommand, statusCommand } from './cli/runList';
import { EXIT } from './cli/exitCodes';
import { demoSettings, demoTask, demoWorkspace, GREENFIELD_DEMO_TASK, greenfieldWorkspace } from './cli/demo';
import { readTaskFile } from './cli/taskFile';
import { commandLine, runnableCommands, shownPath } from './cli/hint';
import { keylessProvider, serveMcp } from './mcp/serve';
import { memoryCommand, offerLessons } from './cli/memory';
import { agentsCommand } from './cli/agents';
import { workflowsCommand } from './cli/workflows';
import { approveCommand } from './cli/approve';
import { chooseFindings, fixFindingsTask } from './cli/findings';


// Every line printed goes through the one redaction; the credentials this process was given
// (ANTHROPIC_API_KEY and the like) are withheld by value from the first line on.
addSecrets(credentialValues(process.env));
const out = (s: string): void => { process.stdout.write(redactText(s) + '\n'); };
const err = (s: string): void => { process.stderr.write(redactText(s) + '\n'); };

/** What a closed stdout or stderr does: end at once, or, while agents execute, cancel them cleanly. */
let onPipeClosed = (): void => { process.exit(0); };

/**
 * The reader of our output went away (`orchestrate status | head -1`). Node ignores SIGPIPE, so
 * the next write fails with EPIPE on the stream; unhandled, that is a stack trace. End quietly
 * instead, as `git log | head` does: nobody is left to read what we would say.
 */
function endQuietlyOnClosedPipe(): void {
  const onError = (e: NodeJS.ErrnoException): void => {
    if (e.code !== 'EPIPE') throw e;
    onPipeClosed();
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
}

/** The task of `run`: the argument or --task-file, within the maximum (the engine checks it again). */
async function taskOf(args: CliArgs): Promise<string> {
  if (args.taskFile !== undefined) return readTaskFile(args.taskFile);
  if (args.from !== undefined && !args.positional?.trim()) return fixFindingsTask(args.from);
  const tooLong = taskTooLong(args.positional!.trim());
  if (tooLong) throw new UsageError(tooLong);
  return args.positional!;
}

async function main(argv: string[]): Promise<number> {
  endQuietlyOnClosedPipe();
  let args: CliArgs;
  try {
    args = parseCli(argv);
  } catch (e) {
    err(`${(e as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (args.command === 'run' && args.workflow === undefined) {
    try { args = { ...args, positional: await taskOf(args) }; } catch (e) { err((e as Error).message); return EXIT.usage; }
  }
  if (args.command === 'help') { out(USAGE); return 0; }
  if (args.command === 'demo' && args.greenfield) {
    const ws = await greenfieldWorkspace();
    err(`Demo workspace (a new, empty git repository): ${ws}`);
    args = { ...args, command: 'run', positional: GREENFIELD_DEMO_TASK, pattern: CHANGE_PATTERN, workspace: ws, simulate: true, yes: true };
  }
  if (args.command === 'demo') {
    const ws = await demoWorkspace(path.join(__dirname, '..', 'examples'));
    err(`Demo workspace (a scratch git copy of examples/demo-shop): ${ws}`);
    args = { ...args, command: 'run', positional: demoTask(args.pattern), workspace: ws, simulate: true, yes: true, overrides: { ...demoSettings(args.pattern), ...args.overrides } };
  }
  const workspace = path.resolve(args.workspace);
  if (!isFolderSync(workspace)) {
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
  // `run` shows them with its plan; every other command says them up front.
  if (args.command !== 'run') for (const line of describeIgnored(resolved.ignored)) err(line);
  // Every command reads or writes under the output root: a symlink leading out of the workspace is refused first.
  try {
    await checkedOutputRoot(workspace, config.outputRoot);
  } catch (e) {
    err((e as Error).message);
    return EXIT.usage;
  }
  if (args.command === 'list') return listCommand(workspace, config, args, { out, err });
  if (args.command === 'status') return statusCommand(workspace, config, args, { out, err });
  if (args.command === 'diff' || args.command === 'apply' || args.command === 'discard') return changesCommand(workspace, config, args, { out, err });
  if (args.command === 'ship') return shipCommand(workspace, config, args, { out, err });
  if (args.command === 'transcript') return transcript(workspace, config, args, { out, err });
  if (args.command === 'stop') return stop(workspace, config, args, { out, err });
  if (args.command === 'memory') return memoryCommand(workspace, config, args, ask, { out, err });
  if (args.command === 'agents') return agentsCommand(workspace, config, args, { out, err });
  if (args.command === 'workflows') return workflowsCommand(workspace, config, args, { out, err });
  if (args.command === 'approve') return approveCommand(workspace, config, args, { out, err });

  let provider: Provider & { unavailable?: string };
  try {
    provider = await openProvider(config, { apiKey: process.env.ANTHROPIC_API_KEY, workspace, transport: config.provider === 'simulated' ? null : proxyTransportFromEnv(), ...(args.simLatencyMs ? { simulatedLatencyMs: args.simLatencyMs } : {}) });
  } catch (e) {
    // A server without a key still starts, so the agent reads why nothing can be planned.
    if (args.command === 'mcp' && e instanceof MissingApiKeyError) provider = keylessProvider(e);
    else { err((e as Error).message); return EXIT.usage; }
  }
  const orchestrator = new Orchestrator({
    workspace, config, model: provider.model, simulated: provider.simulated,
    promptsDir: path.join(__dirname, '..', 'prompts'),
    ...(process.env.ANTHROPIC_API_KEY ? { secrets: [process.env.ANTHROPIC_API_KEY] } : {}),
    workspaceCommand: resolved.workspaceCommand, ignoredSettings: resolved.ignored,
  });
  // --allow-workspace-command is the user's consent to the repository's own check command, as shown.
  if (args.allowWorkspaceCommand && resolved.workspaceCommand) await orchestrator.consent.grant(workspace, resolved.workspaceCommand.command);
  // …and to the commands a run's own plan runs (a workflow's checks), when resuming or rerunning it.
  if (args.allowWorkspaceCommand && (args.command === 'resume' || args.command === 'rerun') && args.positional) {
    const run = await orchestrator.open(args.positional).catch(() => null);
    for (const c of run?.pattern.workspaceCommands?.(run.plan) ?? []) await orchestrator.consent.grant(workspace, c.command);
  }
  if (args.command === 'mcp') {
    // stdout is the protocol: a reader gone means the client left, and the runs it started go on.
    onPipeClosed = () => undefined;
    try { return await serveMcp({ orchestrator, workspace, config, allowAgentApproval: args.allowAgentApproval, simulated: provider.simulated, unavailable: provider.unavailable, err }); } finally { await provider.dispose(); }
  }
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    if (++interrupts > 1) process.exit(EXIT.cancelled); // a second Ctrl-C does not wait
    err('\nCancelling… (press Ctrl-C again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  onPipeClosed = () => { controller.abort(); };
  try {
    if (args.command === 'run' && args.workflow !== undefined) return await runWorkflow(orchestrator, workspace, args, controller.signal);
    if (args.command === 'run') return await runTask(orchestrator, workspace, args, controller.signal);
    if (args.command === 'resume') return await resume(orchestrator, workspace, args, controller.signal);
    return await agentCommand(orchestrator, workspace, args, controller.signal, { out, err });
  } catch (e) {
    if (controller.signal.aborted) { err('Cancelled.'); return EXIT.cancelled; }
    if (e instanceof ConfigError || e instanceof UsageError || e instanceof NotARepositoryError) { err(e.message); return EXIT.usage; }
    if (e instanceof ForeignRunError) {
      const again = [...withoutWorkspace(process.argv.slice(2)), '--allow-foreign-run'];
      err(`Refused: ${e.message}\nRead its plan.md first. To run it anyway: ${commandLine(again, workspace)}`);
      return EXIT.failed;
    }
    if (e instanceof CommandRefusedError) { err(`Refused: ${e.message}`); return EXIT.failed; }
    if (e instanceof LedgerDamagedError || e instanceof StorageError) { err(runnableCommands(e.message, workspace)); return EXIT.failed; }
    // A write refused before any run existed (a read-only workspace): name the path, there is nothing to resume.
    const storage = asStorageError(e, (e as NodeJS.ErrnoException).path ?? path.join(workspace, config.outputRoot));
    if (storage instanceof StorageError) { err(runnableCommands(storage.message, workspace)); return EXIT.failed; }
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
  if (args.yes && args.pattern && patternNamed(args.pattern)?.runsVerifyCommand && command && !(await orchestrator.consent.has(workspace, command.command))) {
    // Refused before planning, so no scout spends a token on a run that could not start.
    err(`Refusing to start: this build would run \`${command.command}\` from ${command.source} in each builder's worktree, which you have not approved here. `
      + 'Pass --allow-workspace-command beside --yes to run it, or run without --yes to see the plan and answer.');
    return EXIT.usage;
  }
  let findings: FindingsFile | undefined;
  if (args.from !== undefined) {
    const chosen = await chooseFindings(workspace, orchestrator.config, args, { err, ask });
    if (typeof chosen === 'number') return chosen;
    findings = chosen;
  }
  err(`Planning: ${headline(args.positional!)}`);
  const run = await orchestrator.plan({ task: args.positional!, focus: args.focus, pattern: args.pattern, signal, ...(findings ? { findings } : {}) });
  err(`\nRun ${run.id} — plan (${shownPath(path.join(run.dir, 'plan.md'))}):\n`);
  err(planTable(run));
  for (const note of (await loadMemoryBlock(workspace, orchestrator.config)).notes) err(`Memory: ${note}`);
  for (const e of (await loadAgentDefinitions(workspace, { outputRoot: orchestrator.config.outputRoot })).errors) err(`Agent definition not used: ${shownPath(e.file)}:${e.line}:${e.column}: ${e.message}`);
  for (const line of await reviewDocumentLines(run)) err(line);
  const shownCommand = run.ledger.snapshot().workspaceCommand;
  if (!args.yes) {
    const answer = await ask(shownCommand
      ? `\nStart this run, and run \`${shownCommand.command}\` (from ${shownCommand.source}) in each builder's worktree? [y/N] `
      : '\nStart this run? [y/N] ');
    if (!/^y(es)?$/i.test(answer.trim())) {
      run.ledger.setRunStatus('declined', 'the plan was declined at the prompt; nothing ran');
      await run.ledger.close();
      err(`Declined: nothing ran. The plan stays in ${shownPath(run.dir)}; run the task again to plan anew.`);
      return EXIT.cancelled;
    }
    // Yes to a plan that shows the repository's command is consent to that exact command here.
    // (The ledger shows it redacted; consent is to the command as the settings hold it.)
    if (shownCommand && command) await orchestrator.consent.grant(workspace, command.command);
  }
  try {
    return await execute(workspace, orchestrator.config.outputRoot, args, (onRun) => { onRun(run); return run.execute({ signal, mode: 'fresh' }); });
  } finally {
    await run.ledger.close();
  }
}

/**
 * `run --workflow NAME --param k=v…`: the workflow planned from its file (no planner call), its
 * plan shown, then run once approved. The workflow's check commands run only with consent: the
 * answer at the prompt, or --allow-workspace-command beside --yes (without it, --yes refuses).
 */
async function runWorkflow(orchestrator: Orchestrator, workspace: string, args: CliArgs, signal: AbortSignal): Promise<number> {
  if (!args.yes && !process.stdin.isTTY) {
    err('Refusing to start without confirmation: no terminal to ask on. Pass --yes to approve the plan unseen.');
    return EXIT.usage;
  }
  err(`Planning workflow ${args.workflow!} from its file`);
  const run = await orchestrator.planWorkflow({ workflow: args.workflow!, params: args.params, focus: args.focus, signal });
  err(`\nRun ${run.id} — plan (${shownPath(path.join(run.dir, 'plan.md'))}):\n`);
  err(planTable(run));
  const commands = run.pattern.workspaceCommands?.(run.plan) ?? [];
  if (args.allowWorkspaceCommand) for (const c of commands) await orchestrator.consent.grant(workspace, c.command);
  const unapproved: typeof commands = [];
  for (const c of commands) if (!await orchestrator.consent.has(workspace, c.command)) unapproved.push(c);
  const listed = unapproved.map((c) => `\`${c.command}\` (${c.source})`).join(', ');
  if (args.yes && unapproved.length) {
    run.ledger.setRunStatus('declined', `the workflow's check commands were not approved: ${listed}`);
    await run.ledger.close();
    err(`Refusing to start: this workflow would run ${listed} in the workspace, which you have not approved here. `
      + 'Pass --allow-workspace-command beside --yes to run them, or run without --yes to see the plan and answer.');
    return EXIT.usage;
  }
  if (!args.yes) {
    const answer = await ask(unapproved.length ? `\nStart this run, and run ${listed} in the workspace? [y/N] ` : '\nStart this run? [y/N] ');
    if (!/^y(es)?$/i.test(answer.trim())) {
      run.ledger.setRunStatus('declined', 'the plan was declined at the prompt; nothing ran');
      await run.ledger.close();
      err(`Declined: nothing ran. The plan stays in ${shownPath(run.dir)}; run the workflow again to plan anew.`);
      return EXIT.cancelled;
    }
    // Yes to a plan that shows the workflow's commands is consent to those exact commands here.
    for (const c of unapproved) await orchestrator.consent.grant(workspace, c.command);
  }
  try {
    return await execute(workspace, orchestrator.config.outputRoot, args, (onRun) => { onRun(run); return run.execute({ signal, mode: 'fresh' }); });
  } finally {
    await run.ledger.close();
  }
}

/** A task as one line to echo: its first line, cut at 200 characters, saying how long it is when cut. */
function headline(task: string): string {
  // Redacted before the cut: a secret cut in half would no longer be recognised when printed.
  const whole = task.trim();
  const line = whole.split('\n', 1)[0];
  const first = redactText(line);
  const cut = first.length > 200 ? `${first.slice(0, 200)}…` : first;
  return line === whole && cut === first ? cut : `${cut} (${taskLength(whole).toLocaleString('en-US')} characters)`;
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
  return execute(workspace, orchestrator.config.outputRoot, args, (onRun) => orchestrator.resume(runId, {
    mode, signal, allowForeign: args.allowForeignRun,
    onRun: (run) => {
      if (run.ledger.rebuilt) err(describeRebuild(run.id, run.ledger.rebuilt));
      onRun(run);
    },
  }));
}

/** Executes a run with progress on stderr; `start` hands over the Run it executes before it starts. */
async function execute(workspace: string, outputRoot: string, args: CliArgs, start: (onRun: (run: Run) => void) => Promise<RunOutcome>): Promise<number> {
  const started = Date.now();
  // Progress at a sane rate: on a terminal one line redrawn every second, else a line every 5 s.
  const tty = process.stderr.isTTY;
  let run: Run | null = null;
  const timer = setInterval(() => {
    if (!run) return;
    const line = progressLine(run.ledger, Date.now() - started, run.ledger.simulated);
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
  await offerLessons({ runDir: done.dir, runId: done.id, workspace, outputRoot }, args, ask, { out, err });
  return EXIT[outcome.status as keyof typeof EXIT] ?? EXIT.failed;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => { err(e instanceof Error ? e.stack ?? e.message : String(e)); process.exitCode = EXIT.failed; });

/** The arguments as given, less --workspace (commandLine adds it where it is needed). */
function withoutWorkspace(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--workspace') { i++; continue; }
    if (argv[i].startsWith('--workspace=')) continue;
    out.push(argv[i]);
  }
  return out;
}

function isFolderSync(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

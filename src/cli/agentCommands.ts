/**
 * `orchestrate transcript|stop|rerun|ask|add-worker`: what one agent did, and the commands on one
 * agent of a run. Exit codes as the other commands: rerun and add-worker end with the run's
 * status; ask and stop exit 0 when done, 1 when refused.
 */
import {
  formatTranscript, readLedger, readTranscript, runDir, stopRunAgent,
  type Config, type Orchestrator, type Run, type RunOutcome,
} from '../engine';
import type { CliArgs } from './args';
import { finalReport } from './report';
import { EXIT } from './exitCodes';
import { shownPath } from './hint';


interface Io { out: (s: string) => void; err: (s: string) => void }

/** Prints one agent's transcript, readable (or `--json`: the entries and any problem reading them). */
export async function transcript(workspace: string, config: Config, args: CliArgs, io: Io): Promise<number> {
  const [runId, agentId] = args.positionals;
  let snap;
  try { snap = await readLedger(workspace, config.outputRoot, runId); } catch (e) { io.err((e as Error).message); return EXIT.usage; }
  if (!snap.agents.some((a) => a.id === agentId)) {
    io.err(`Run ${runId} has no agent ${agentId} (agents: ${snap.agents.map((a) => a.id).join(', ')})`);
    return EXIT.usage;
  }
  const dir = runDir(workspace, config.outputRoot, runId);
  const { entries, problem } = await readTranscript(dir, agentId);
  if (args.json) {
    io.out(JSON.stringify({ runId, agentId, entries, problem }, null, 2));
    return 0;
  }
  if (problem) io.err(`Warning: ${problem}`);
  if (!entries.length) {
    io.out(`Agent ${agentId} of run ${runId} has no transcript yet (it has not run, or ran before transcripts were kept).`);
    return 0;
  }
  io.out(formatTranscript(entries));
  return 0;
}

/** Stops one agent of a running run, here or (through the run's control folder) in the process running it. */
export async function stop(workspace: string, config: Config, args: CliArgs, io: Io): Promise<number> {
  const [runId, agentId] = args.positionals;
  let dir: string;
  try { dir = runDir(workspace, config.outputRoot, runId); } catch (e) { io.err((e as Error).message); return EXIT.usage; }
  let result;
  try { result = await stopRunAgent(dir, runId, agentId); } catch (e) { io.err((e as Error).message); return EXIT.failed; }
  if (result.ok) io.out(result.message); else io.err(`Not stopped: ${result.message}`);
  return result.ok ? 0 : EXIT.failed;
}

/** rerun, ask, add-worker: commands that call the model, run by the Orchestrator. */
export async function agentCommand(orchestrator: Orchestrator, workspace: string, args: CliArgs, signal: AbortSignal, io: Io): Promise<number> {
  const [runId, agentId, question] = args.positionals;
  let run: Run | null = null;
  const onRun = (r: Run): void => { run = r; };
  let outcome: RunOutcome;
  if (args.command === 'ask') {
    io.err(`Asking ${agentId} of run ${runId}…`);
    const { answer, file } = await orchestrator.askAgent(runId, agentId, question, { signal, allowForeign: args.allowForeignRun });
    if (args.json) io.out(JSON.stringify({ runId, agentId, answer, file }, null, 2));
    else io.out(`${answer}\n\nAnswer: ${shownPath(file)}`);
    return 0;
  }
  if (args.command === 'rerun') {
    io.err(`Rerunning ${agentId} of run ${runId}${args.instruction ? ' with your instruction' : ''}, then what summarises it…`);
    outcome = await orchestrator.rerunAgent(runId, agentId, { signal, onRun, allowForeign: args.allowForeignRun, ...(args.instruction ? { instruction: args.instruction } : {}) });
  } else {
    const w = args.newWorker!;
    io.err(`Adding a worker to ${w.group} of run ${runId}, then re-running what summarises it…`);
    outcome = await orchestrator.addWorker(runId, w, { signal, onRun, allowForeign: args.allowForeignRun });
  }
  const done = run as Run | null;
  if (args.json) io.out(JSON.stringify({ runId, dir: done?.dir, ...outcome }, null, 2));
  else if (done) io.out(finalReport(done, outcome, workspace));
  return EXIT[outcome.status as keyof typeof EXIT] ?? EXIT.failed;
}

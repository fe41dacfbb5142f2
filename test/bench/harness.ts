/**
 * The parent side of a bench run: the fake Messages API server runs in this process, the engine in
 * a forked process running the same bundle with `--engine` (see child.ts for the protocol).
 * BENCH_ENGINE_ARGS adds node flags to the engine process, e.g. "--cpu-prof".
 */
import { fork } from 'node:child_process';
import * as path from 'node:path';
import type { ConfigInput } from '../../src/engine/config';
import { startMessagesServer, type MessagesServerOptions } from '../../src/simulator/server';
import type { ServerStats } from '../../src/simulator/types';
import type { EngineFigures, FromChild, Scenario, ToChild } from './child';
import { TASK } from './fixture';
import type { BenchModel } from './model';

export const ENGINE_FLAG = '--engine';

export interface RunResult {
  figures: EngineFigures;
  /** Server counters from the end of planning to the end of the run. */
  server: ServerStats;
  /** Latency served per agent (ms), from the bench model. */
  busy: Map<string, number>;
}

export interface RunSpec {
  workspace: string;
  model: BenchModel;
  config: ConfigInput;
  server?: Omit<MessagesServerOptions, 'handler' | 'latencyMs'>;
}

/**
 * Forks an engine process and lets `talk` exchange messages with it until `talk` has its answer.
 * Rejects on an error message or an early exit; waits for the process to end on its own (so a
 * --cpu-prof profile gets written), killing it only if it hangs.
 */
async function withEngine<T>(talk: (send: (m: ToChild) => void, answer: (resolve: (m: FromChild) => T | undefined) => void) => void): Promise<T> {
  const extra = process.env.BENCH_ENGINE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = fork(process.argv[1]!, [ENGINE_FLAG], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [...process.execArgv, ...extra] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    return await new Promise<T>((resolve, reject) => {
      talk((m) => { child.send(m); }, (handle) => {
        child.on('message', (raw) => {
          const m = raw as FromChild;
          if (m.type === 'error') { reject(new Error(`engine process failed: ${m.message}`)); return; }
          const result = handle(m);
          if (result !== undefined) resolve(result);
        });
      });
      void exited.then((code) => reject(new Error(`engine process exited with code ${code} before reporting`)));
    });
  } finally {
    const timer = setTimeout(() => child.kill(), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Plans and executes one run of the real engine over HTTP; rejects if the engine process fails. */
export async function runEngine(spec: RunSpec): Promise<RunResult> {
  const server = await startMessagesServer({
    ...spec.server,
    handler: spec.model.handler,
    ...(spec.model.latencyMs ? { latencyMs: spec.model.latencyMs } : {}),
  });
  const scenario: Scenario = {
    baseUrl: server.url,
    workspace: spec.workspace,
    promptsDir: path.join(__dirname, '..', 'prompts'),
    task: TASK,
    config: spec.config,
  };
  try {
    const figures = await withEngine<EngineFigures>((send, answer) => {
      answer((m) => {
        if (m.type === 'planned') {
          // Count the run only: the planner's request and its latency are not part of any measure.
          server.resetStats();
          spec.model.resetBusy();
          send({ type: 'go' });
        }
        return m.type === 'done' ? m.figures : undefined;
      });
      send({ type: 'scenario', scenario });
    });
    return { figures, server: structuredClone(server.stats), busy: new Map(spec.model.busy) };
  } finally {
    await server.close();
  }
}

export interface ClientProbe { cpuMsPerRequest: number; maxRssMb: number }

/** CPU per streamed request of the model client alone, and its process's peak RSS, in an engine process. */
export async function probeClient(requests: number): Promise<ClientProbe> {
  const server = await startMessagesServer({ handler: () => ({ kind: 'message', content: [{ type: 'text', text: 'Done. Probed.' }] }) });
  try {
    return await withEngine<ClientProbe>((send, answer) => {
      answer((m) => (m.type === 'probed' ? { cpuMsPerRequest: m.cpuMsPerRequest, maxRssMb: m.maxRssMb } : undefined));
      send({ type: 'probe', baseUrl: server.url, requests });
    });
  } finally {
    await server.close();
  }
}

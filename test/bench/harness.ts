/**
 * The parent side of a bench run: the fake Messages API server runs in this process, the engine in
 * a forked process running the same bundle with `--engine` (see child.ts for the protocol). One
 * engine process can run several scenarios in turn, as a long-lived extension host does.
 * BENCH_ENGINE_ARGS adds node flags to the engine process, e.g. "--cpu-prof".
 */
import { fork, type ChildProcess } from 'node:child_process';
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
  /** The batches the server was sent (batch mode), with the custom ids each held. */
  batches: Array<{ id: string; customIds: string[] }>;
}

export interface RunSpec {
  workspace: string;
  model: BenchModel;
  config: ConfigInput;
  server?: Omit<MessagesServerOptions, 'handler' | 'latencyMs'>;
  /** The run task and pattern, when not the fan-out audit (map-reduce's bench asks its own). */
  task?: string;
  pattern?: Scenario['pattern'];
}

export interface ClientProbe { cpuMsPerRequest: number; maxRssMb: number }

/** How long one exchange may take before the engine process counts as hung (the longest run takes ~20 s). */
const EXCHANGE_TIMEOUT_MS = 10 * 60_000;

/** A forked engine process, asked one thing at a time; `close()` lets it exit on its own. */
export class EngineProcess {
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  /** The exchange under way: where the child's messages go, and how it ends in failure. */
  private pending: { handle: (m: FromChild) => void; reject: (err: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor() {
    const extra = process.env.BENCH_ENGINE_ARGS?.split(' ').filter(Boolean) ?? [];
    this.child = fork(process.argv[1], [ENGINE_FLAG], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [...process.execArgv, ...extra] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    void this.exited.then((code) => this.fail(new Error(`engine process exited with code ${code}`)));
    this.child.on('message', (raw) => {
      const m = raw as FromChild;
      if (m.type === 'error') this.fail(new Error(`engine process failed: ${m.message}`));
      else this.pending?.handle(m);
    });
  }

  /** Plans and executes one run over HTTP; the server's counters start after planning. */
  async run(spec: RunSpec): Promise<RunResult> {
    const server = await startMessagesServer({
      ...spec.server,
      handler: spec.model.handler,
      ...(spec.model.latencyMs ? { latencyMs: spec.model.latencyMs } : {}),
    });
    const scenario: Scenario = {
      baseUrl: server.url,
      workspace: spec.workspace,
      promptsDir: path.join(__dirname, '..', 'prompts'),
      task: spec.task ?? TASK,
      ...(spec.pattern ? { pattern: spec.pattern } : {}),
      config: spec.config,
    };
    try {
      const figures = await this.exchange<EngineFigures>({ type: 'scenario', scenario }, (m) => {
        if (m.type === 'planned') {
          // Count the run only: the planner's request and its latency are not part of any measure.
          server.resetStats();
          spec.model.resetBusy();
          this.child.send({ type: 'go' } satisfies ToChild);
        }
        return m.type === 'done' ? m.figures : undefined;
      });
      return { figures, server: structuredClone(server.stats), busy: new Map(spec.model.busy), batches: server.batches.created() };
    } finally {
      await server.close();
    }
  }

  /** CPU per streamed request of the model client alone, and the process's peak RSS so far. */
  async probe(requests: number): Promise<ClientProbe> {
    const server = await startMessagesServer({ handler: () => ({ kind: 'message', content: [{ type: 'text', text: 'Done. Probed.' }] }) });
    try {
      return await this.exchange<ClientProbe>({ type: 'probe', baseUrl: server.url, requests },
        (m) => (m.type === 'probed' ? { cpuMsPerRequest: m.cpuMsPerRequest, maxRssMb: m.maxRssMb } : undefined));
    } finally {
      await server.close();
    }
  }

  /** Tells the child to exit and waits (so a --cpu-prof profile gets written), killing it only if it hangs. */
  async close(): Promise<void> {
    if (this.child.connected) this.child.send({ type: 'exit' } satisfies ToChild);
    const timer = setTimeout(() => this.child.kill(), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** The process failed (an error report, an exit, a hang): the exchange under way and every later one reject. */
  private fail(err: Error): void {
    this.failure ??= err;
    this.pending?.reject(this.failure);
  }

  /** Sends `first`, then hands every message to `handle` until it returns an answer. */
  private exchange<T>(first: ToChild, handle: (m: FromChild) => T | undefined): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new Error(`engine process did not answer ${first.type} within ${EXCHANGE_TIMEOUT_MS / 60_000} minutes`));
        this.child.kill();
      }, EXCHANGE_TIMEOUT_MS);
      const settle = (): void => { clearTimeout(timer); this.pending = null; };
      this.pending = {
        handle: (m) => {
          const result = handle(m);
          if (result !== undefined) { settle(); resolve(result); }
        },
        reject: (err) => { settle(); reject(err); },
      };
      this.child.send(first);
    });
  }
}

/** Runs `use` with a fresh engine process, closed afterwards. */
export async function withEngineProcess<T>(use: (engine: EngineProcess) => Promise<T>): Promise<T> {
  const engine = new EngineProcess();
  try {
    return await use(engine);
  } finally {
    await engine.close();
  }
}

/** Plans and executes one run of the real engine in a fresh process; rejects if that process fails. */
export function runEngine(spec: RunSpec): Promise<RunResult> {
  return withEngineProcess((engine) => engine.run(spec));
}

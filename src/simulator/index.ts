import { simulatedHandler } from './brain';
import { startMessagesServer, type MessagesServer } from './server';
import type { ParsedRequest } from './types';

export { simulatedHandler } from './brain';
export { countTokens } from './cache';
export { SIMULATED_LABEL } from './conversation';
export { startMessagesServer } from './server';
export type { MessagesServer, MessagesServerOptions } from './server';
export type * from './types';

export interface SimulatorOptions {
  /** The workspace the simulated agents plan over and read. */
  workspace: string;
  /** Delay before each answer: a fixed number of ms or a function of the request. Default 0. */
  latencyMs?: number | ((req: ParsedRequest) => number);
  /** Where Message Batches are kept so a later simulator answers for them (see BatchEmulation.stateDir). */
  batchStateDir?: string;
}

export interface Simulator {
  /** Pass as the SDK's `baseURL` (no `/v1`). */
  baseUrl: string;
  server: MessagesServer;
  close(): Promise<void>;
}

/**
 * The offline model behind `--simulate` and the `simulated` provider: a local Messages API server
 * answered by the simulated brain over `workspace`.
 */
export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const { latencyMs } = opts;
  const server = await startMessagesServer({
    handler: simulatedHandler(opts.workspace),
    latencyMs: typeof latencyMs === 'number' ? () => latencyMs : latencyMs,
    batches: {
      ...(opts.batchStateDir ? { stateDir: opts.batchStateDir } : {}),
      // A batch is slower than a realtime answer: its requests end in five waves of twice the
      // latency, slow enough to watch its counts move (and to close the window meanwhile).
      ...(typeof latencyMs === 'number' && latencyMs > 0 ? { processingMs: (_id: string, i: number) => 2 * latencyMs * (1 + (i % 5)) } : {}),
    },
  });
  return { baseUrl: server.url, server, close: () => server.close() };
}

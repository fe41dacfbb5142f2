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
  });
  return { baseUrl: server.url, server, close: () => server.close() };
}

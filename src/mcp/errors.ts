/**
 * A tool error an agent can act on: what went wrong and what to do next, in one or two sentences.
 * Thrown by the registry and the tools; the server turns it into an MCP tool result with `isError`.
 */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}

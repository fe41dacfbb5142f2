/**
 * The human stays in charge: starting a run and writing its change to the working tree need the
 * user's yes, asked through MCP elicitation (the client shows the question to the person, not to
 * the model). A client that cannot ask is refused, unless the user opted in to let the agent
 * decide (`orchestrate mcp --allow-agent-approval`; in VS Code the machine-level setting
 * `orchestration.mcp.allowAgentApproval`).
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ToolError } from './errors';

/** How the user answered: yes, no, or closed the question without answering. */
export type Answer = 'yes' | 'no' | 'dismissed';

/** The user's answer may take a while: reading a plan is not a network round trip. */
const ASK_TIMEOUT_MS = 15 * 60_000;

export interface ApprovalGate {
  /** Asks the user `question` with `details`; who decided is in the answer. */
  confirm(what: string, question: string, details: string): Promise<{ answer: Answer; byUser: boolean }>;
}

export function approvalGate(server: Server, allowAgentApproval: boolean): ApprovalGate {
  return {
    async confirm(what, question, details) {
      if (!server.getClientCapabilities()?.elicitation) {
        if (allowAgentApproval) return { answer: 'yes', byUser: false };
        throw new ToolError(
          `Refused: ${what} needs the user's confirmation, and this MCP client cannot ask the user (it does not support elicitation). `
          + 'Ask the user to do it in VS Code (the Ledger) or with the orchestrate CLI; or the user can let you decide by starting the server '
          + 'with --allow-agent-approval (VS Code: the setting orchestration.mcp.allowAgentApproval).',
        );
      }
      const result = await server.elicitInput({
        mode: 'form',
        message: `${question}\n\n${details}`,
        requestedSchema: {
          type: 'object',
          properties: { confirm: { type: 'boolean', title: question, description: 'Yes to go ahead; no to refuse.' } },
          required: ['confirm'],
        },
      }, { timeout: ASK_TIMEOUT_MS });
      if (result.action === 'accept') return { answer: result.content?.confirm === true ? 'yes' : 'no', byUser: true };
      return { answer: result.action === 'decline' ? 'no' : 'dismissed', byUser: true };
    },
  };
}

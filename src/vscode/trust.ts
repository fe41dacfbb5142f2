/**
 * Restricted Mode: running agents reads the workspace and sends it to a model, so nothing runs
 * until the folder is trusted. (Where the key goes is never the workspace's to choose, trusted or
 * not: see the engine's configPolicy.)
 */
import * as vscode from 'vscode';

export const RESTRICTED_EXPLANATION =
  'Orchestration is disabled in Restricted Mode: its agents read this workspace and send it to a model. '
  + 'Trust the folder to run agents; the Ledger and past runs stay readable.';

/** True when the workspace is trusted; otherwise explains why `action` is refused and offers to manage trust. */
export function requireTrust(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(`Cannot ${action}. ${RESTRICTED_EXPLANATION}`, 'Manage Workspace Trust').then((choice) => {
    if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}

/**
 * Restricted Mode: running agents reads the workspace and sends it to a model (and a workspace's
 * settings could point the key at another server), so nothing runs until the folder is trusted.
 */
import * as vscode from 'vscode';

export const RESTRICTED_EXPLANATION =
  'Orchestration is disabled in Restricted Mode: its agents read this workspace and send it to a model, '
  + 'and the workspace\'s settings choose where your API key goes. Trust the folder to run agents; '
  + 'the Ledger and past runs stay readable.';

/** True when the workspace is trusted; otherwise explains why `action` is refused and offers to manage trust. */
export function requireTrust(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(`Cannot ${action}. ${RESTRICTED_EXPLANATION}`, 'Manage Workspace Trust').then((choice) => {
    if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}

/**
 * Run Workflow: pick one of the workspace's workflows (or get it from the tree), answer its
 * parameters in the order the file declares them, then plan it and approve it like any run.
 * Escape at any step leaves nothing behind. Also opens a workflow or definition file at a place
 * (the tree's click on a file that is not valid lands on the problem).
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MAX_PARAM_CHARS, type FoundWorkflow, type Workflow, type WorkflowError } from '../../engine';
import { Disposable } from '../dispose';
import type { Notices } from '../notices';
import { requireTrust } from '../trust';
import { errorLine, errorsByFile, OPEN_CATALOG_FILE_COMMAND, RUN_WORKFLOW_COMMAND, shownPath, type CatalogNode, type PathStyle } from './catalogItems';
import type { Catalogs } from './catalogModel';

/** What plans the run and shows it for approval (the RunController: same trust, key and error handling as Orchestrate Task). */
export interface WorkflowLauncher {
  orchestrateWorkflow(req: { workflow: string; params: Record<string, string> }): Promise<void>;
}

export interface WorkflowCommandDeps {
  /** Reads the catalogs afresh: a file saved a moment ago counts. */
  catalog: { load(): Promise<Catalogs | undefined> };
  launcher: WorkflowLauncher;
  notices: Pick<Notices, 'error' | 'info'>;
  home?: string | null;
}

/** The workflow to run, or the error of the one asked for (which cannot run). */
type Chosen = { ok: true; found: FoundWorkflow } | { ok: false; errors: WorkflowError[] };

interface WorkflowPick extends vscode.QuickPickItem { chosen: Chosen }

/** The file Create Workflow writes: valid as it stands, with every field a first workflow needs. */
export const STARTER_WORKFLOW = `# A workflow: recurring work defined once. Run it with "Orchestration: Run Workflow".
# Fields are described in the README (Workflows). A stage may name one of your agent
# definitions (.claude/agents/<name>.md) with "agent: <name>".
name: review-and-summarise
description: Review the code for one concern, then summarise the findings worst first
params:
  concern: { description: What to look for, default: error handling }
stages:
  - id: review
    tier: sonnet
    instructions: Review the code for {{params.concern}}. Cite file and line for every finding.
  - id: summary
    dependsOn: [review]
    tier: sonnet
    instructions: Summarise the review's findings, worst first.
`;

export class WorkflowCommands extends Disposable {
  constructor(private readonly deps: WorkflowCommandDeps) {
    super();
    this._register(vscode.commands.registerCommand(RUN_WORKFLOW_COMMAND, (arg?: string | CatalogNode) => this.run(arg)));
    this._register(vscode.commands.registerCommand(OPEN_CATALOG_FILE_COMMAND, (file: string, line?: number, column?: number) => openAt(file, line, column)));
  }

  private style(c: Catalogs): PathStyle {
    return { workspace: c.workspace, home: this.deps.home === undefined ? os.homedir() : this.deps.home };
  }

  /** The whole flow; `arg` is a workflow's name or its tree node (the inline action), else a pick. */
  async run(arg?: string | CatalogNode): Promise<void> {
    if (!requireTrust('run a workflow')) return;
    const c = await this.deps.catalog.load();
    if (!c) {
      void this.deps.notices.error('Open a folder first: workflows live in its .orchestration/workflows/ folder.');
      return;
    }
    const chosen = typeof arg === 'string' ? this.find(c, arg)
      : arg?.kind === 'workflowFile' ? this.find(c, arg.found.workflow.name)
      : arg?.kind === 'workflowError' ? { ok: false as const, errors: arg.errors }
      : await this.pick(c);
    if (!chosen) return;
    if (!chosen.ok) {
      await this.refuse(c, chosen.errors);
      return;
    }
    const wf = chosen.found.workflow;
    const params = await askParams(wf);
    if (!params) return;
    await this.deps.launcher.orchestrateWorkflow({ workflow: wf.name, params });
  }

  /** A workflow named by the tree or a caller: the valid one, else its error, else a message listing what there is. */
  private find(c: Catalogs, name: string): Chosen | undefined {
    const found = c.workflows.workflows.find((w) => w.workflow.name === name);
    if (found) return { ok: true, found };
    const errors = errorsByFile(c.workflows.errors).find((es) => es.some((e) => e.name === name));
    if (errors) return { ok: false, errors };
    const known = c.workflows.workflows.map((w) => w.workflow.name);
    void this.deps.notices.error(`No workflow named "${name}" in ${shownPath(c.workflows.folder, this.style(c))}; ${known.length ? `found ${known.join(', ')}` : 'it holds no valid workflow'}.`);
    return undefined;
  }

  private async pick(c: Catalogs): Promise<Chosen | undefined> {
    const style = this.style(c);
    if (!c.workflows.workflows.length && !c.workflows.errors.length) {
      await this.offerStarter(c);
      return undefined;
    }
    const items: WorkflowPick[] = [
      ...[...c.workflows.workflows].sort((a, b) => a.workflow.name.localeCompare(b.workflow.name))
        .map((found): WorkflowPick => ({ label: found.workflow.name, description: found.workflow.description, detail: shownPath(found.source, style), chosen: { ok: true, found } })),
      // Listed, so a workflow that vanished from the list is explained; picking one says why it cannot run.
      ...errorsByFile(c.workflows.errors).map((errors): WorkflowPick => ({
        label: `$(error) ${errors.find((e) => e.name)?.name ?? path.basename(errors[0].file)}`, description: 'not valid: cannot run until fixed',
        detail: errorLine(errors[0]) + (errors.length > 1 ? ` (+${errors.length - 1} more)` : ''), chosen: { ok: false, errors },
      })),
    ];
    const choice = await vscode.window.showQuickPick(items, {
      title: 'Run Workflow',
      placeHolder: 'Which workflow? Its parameters come next; nothing runs before you approve the plan.',
      matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: true,
    });
    return choice?.chosen;
  }

  private async refuse(c: Catalogs, errors: readonly WorkflowError[]): Promise<void> {
    const e = errors[0];
    const name = errors.find((x) => x.name)?.name;
    const where = `${shownPath(e.file, this.style(c))}:${e.line}:${e.column}`;
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more in the file)` : '';
    const choice = await this.deps.notices.error(`Workflow ${name ? `"${name}" ` : ''}is not valid, so nothing ran: ${where}: ${e.message}${more}`, 'Open File');
    if (choice === 'Open File') await openAt(e.file, e.line, e.column);
  }

  /** No workflow yet: offers to write a starter one (never over an existing file) and opens it. */
  private async offerStarter(c: Catalogs): Promise<void> {
    const folder = shownPath(c.workflows.folder, this.style(c));
    const choice = await this.deps.notices.info(`No workflows yet: a workflow is a YAML file in ${folder}/ that you run again with other parameters.`, 'Create Workflow');
    if (choice !== 'Create Workflow') return;
    const file = path.join(c.workflows.folder, 'review-and-summarise.yaml');
    try {
      await fs.mkdir(c.workflows.folder, { recursive: true });
      await fs.writeFile(file, STARTER_WORKFLOW, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        void this.deps.notices.error(`Could not create ${shownPath(file, this.style(c))}: ${(err as Error).message}`);
        return;
      }
    }
    await openAt(file);
  }
}

/**
 * One input box per parameter, in the file's order: the description as the prompt, the default
 * filled in. A parameter without a default cannot be left empty (refused in place); one with a
 * default takes it when emptied. Undefined when the user pressed Escape.
 */
export async function askParams(wf: Workflow): Promise<Record<string, string> | undefined> {
  const entries = Object.entries(wf.params);
  const values: Record<string, string> = {};
  for (const [i, [name, p]] of entries.entries()) {
    const value = await vscode.window.showInputBox({
      title: `Run Workflow ${wf.name}: ${name} (${i + 1}/${entries.length})`,
      prompt: p.description,
      value: p.default ?? '',
      placeHolder: p.default === undefined ? `${name} (required)` : `empty uses the default: ${p.default}`,
      ignoreFocusOut: true,
      validateInput: (v) => (!v.trim() && p.default === undefined ? `${name} has no default: give it a value`
        : v.trim().length > MAX_PARAM_CHARS ? `${name}: at most ${MAX_PARAM_CHARS.toLocaleString('en-US')} characters (${v.trim().length.toLocaleString('en-US')} now)`
        : undefined),
    });
    if (value === undefined) return undefined;
    values[name] = value.trim() || (p.default ?? '');
  }
  return values;
}

/** Opens a file, with the cursor on the (1-based) line and column when given. */
export async function openAt(file: string, line?: number, column?: number): Promise<void> {
  const at = line ? new vscode.Position(Math.max(0, line - 1), Math.max(0, (column ?? 1) - 1)) : undefined;
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true, ...(at ? { selection: new vscode.Range(at, at) } : {}) });
}

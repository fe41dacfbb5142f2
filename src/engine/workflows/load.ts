/**
 * Finding a workspace's workflows: every `*.yaml` and `*.yml` in `<outputRoot>/workflows/`. The
 * folder is untrusted like the rest of the workspace: a link leading out of it is refused, files
 * are bounded in number and size, and a bad file is an error beside the good ones, never in
 * their place. Two files with one `name` are both errors (which one a run means would be a guess).
 */
import * as path from 'node:path';
import { listUntrustedFolder, readUntrustedFile, type FolderBounds } from '../trust/untrustedFolder';
import { checkWorkflowText, MAX_WORKFLOW_BYTES, type WorkflowParseOptions } from './parse';
import type { FoundWorkflow, WorkflowCatalog, WorkflowError } from './schema';

/** Workflow files read from the folder at most (sorted by name; the rest are reported). */
export const MAX_WORKFLOW_FILES = 100;

const WORKFLOW_FOLDER: FolderBounds = {
  accepts: (n) => /\.ya?ml$/i.test(n), maxFiles: MAX_WORKFLOW_FILES, what: 'workflow files', folder: 'workflows folder',
};

export interface LoadWorkflowsOptions extends WorkflowParseOptions {
  /** The output root (`.orchestration` unless set), relative to the workspace. */
  outputRoot: string;
}

/** The folder a workspace's workflows live in. */
export function workflowsFolder(workspace: string, outputRoot: string): string {
  return path.join(path.resolve(workspace), outputRoot, 'workflows');
}

/** Reads every workflow file of the workspace. Never throws for a bad file or folder: it is an error in the catalog. */
export async function loadWorkflows(workspace: string, opts: LoadWorkflowsOptions): Promise<WorkflowCatalog> {
  const root = path.resolve(workspace);
  const folder = workflowsFolder(root, opts.outputRoot);
  const errors: WorkflowError[] = [];
  const files = await listUntrustedFolder(folder, root, WORKFLOW_FOLDER, errors);
  const checked: Array<{ found: FoundWorkflow; nameAt: { line: number; col: number } }> = [];
  for (const file of files ?? []) {
    const text = await readUntrustedFile(file, MAX_WORKFLOW_BYTES, errors);
    if (text === null) continue;
    const r = checkWorkflowText(text, file.abs, opts);
    if (r.ok) checked.push({ found: r.found, nameAt: r.nameAt });
    else errors.push(...r.errors);
  }
  const byName = new Map<string, typeof checked>();
  for (const c of checked) byName.set(c.found.workflow.name, [...(byName.get(c.found.workflow.name) ?? []), c]);
  const workflows: FoundWorkflow[] = [];
  for (const [name, same] of byName) {
    if (same.length === 1) { workflows.push(same[0].found); continue; }
    const files = same.map((c) => path.basename(c.found.source));
    for (const c of same) {
      const others = files.filter((f) => f !== path.basename(c.found.source));
      errors.push({
        file: c.found.source, line: c.nameAt.line, column: c.nameAt.col, name,
        message: `name: expected a name no other workflow has; found "${name}", which ${others.join(' and ')} ${others.length === 1 ? 'has' : 'have'} too (${files.join(' and ')} name one workflow; rename one)`,
      });
    }
  }
  errors.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return { workflows, errors, folder };
}

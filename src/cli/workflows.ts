/**
 * `orchestrate workflows [list|validate]`: the workspace's workflow files
 * (`.orchestration/workflows/*.yaml`), each with its parameters and stages, and the files that
 * are not valid with their line and column.
 *
 * `list` exits 0 when a file is invalid (it is listed, as `orchestrate agents` lists a bad
 * definition); `validate` exits 2 then, printing every error as `file:line:col: message`, so a
 * pre-commit hook or CI step can refuse a broken workflow before anyone runs it.
 */
import * as path from 'node:path';
import {
  loadAgentDefinitions, loadWorkflows, type Config, type FoundWorkflow, type Workflow, type WorkflowCatalog, type WorkflowError,
  type WorkflowGate, type WorkflowStage,
} from '../engine';
import { plural } from '../shared/words';
import type { CliArgs } from './args';
import type { Io } from './changes';
import { EXIT } from './exitCodes';
import { shownPath } from './hint';

/** One workflow as `--json` reports it: the file's fields with defaults filled, where it is, and each stage's line. */
export type WorkflowListing = Workflow & { source: string; stageLines: FoundWorkflow['stageLines'] };

/** The catalog as `orchestrate workflows --json` prints it; `valid` is false when any file has an error. */
export function workflowsJson(catalog: WorkflowCatalog): { valid: boolean; workflows: WorkflowListing[]; errors: WorkflowError[]; folder: string } {
  return {
    valid: catalog.errors.length === 0,
    workflows: catalog.workflows.map((f) => ({ ...f.workflow, source: f.source, stageLines: f.stageLines })),
    errors: catalog.errors,
    folder: catalog.folder,
  };
}

/** One error as compilers print them, so an editor or CI annotates the line. */
export const errorLine = (e: WorkflowError): string => `${shownPath(e.file)}:${e.line}:${e.column}: ${e.message}`;

/** A stage on one line: `review → @api-reviewer · haiku · each file of api/**\/*.js · after … · gates … · hooks …`. */
export function stageLine(s: WorkflowStage): string {
  const parts = [
    s.agent ? `@${s.agent}` : 'plain worker',
    s.tier ?? (s.agent ? 'the agent\'s tier' : 'sonnet'),
  ];
  if (s.each) parts.push('files' in s.each ? `each file of ${[s.each.files].flat().join(', ')}` : `each item of ${s.each.items}`);
  if (s.dependsOn.length) parts.push(`after ${s.dependsOn.join(', ')}`);
  if (s.gates.length) parts.push(`gates: ${s.gates.map(gateText).join(', ')}`);
  if (s.hooks.length) parts.push(`hooks: ${s.hooks.join(', ')}`);
  return `${s.id} → ${parts.join(' · ')}`;
}

function gateText(g: WorkflowGate): string {
  if (g === 'approval') return 'approval';
  if ('approval' in g) return `approval (${g.approval})`;
  if ('check' in g) return `check \`${g.check}\``;
  return `review by @${g.review}`;
}

/** The catalog as lines for a person. */
export function workflowsText(catalog: WorkflowCatalog): string[] {
  const lines: string[] = [];
  if (catalog.workflows.length === 0) lines.push(catalog.errors.length ? 'No valid workflows.' : 'No workflows found.');
  for (const f of catalog.workflows) {
    const wf = f.workflow;
    lines.push(`${wf.name} — ${wf.description.replace(/\s+/g, ' ')}`);
    const params = Object.entries(wf.params);
    lines.push(`  params: ${params.length ? params.map(([n, p]) => `${n}${p.default !== undefined ? ` = ${JSON.stringify(p.default)}` : ' (required)'} — ${p.description}`).join('; ') : '(none)'}`);
    lines.push('  stages:');
    for (const s of wf.stages) lines.push(`    ${stageLine(s)}`);
    lines.push(`  from: ${shownPath(f.source)}`);
  }
  if (catalog.errors.length) {
    const files = new Set(catalog.errors.map((e) => e.file)).size;
    lines.push('', `Not valid (${plural(catalog.errors.length, 'error')} in ${plural(files, 'file')}; they cannot run):`);
    for (const e of catalog.errors) lines.push(`  ${errorLine(e)}`);
  }
  lines.push('', `Looked in: ${shownPath(catalog.folder)}`);
  return lines;
}

/**
 * `orchestrate workflows [list|validate] [--workspace DIR] [--json]`. Stages name agents, so the
 * agent definitions a run would see are read too: a stage naming one that does not exist is an error.
 */
export async function workflowsCommand(workspace: string, config: Config, args: Pick<CliArgs, 'json' | 'positional'>, io: Io): Promise<number> {
  const root = path.resolve(workspace);
  const agents = await loadAgentDefinitions(root, { outputRoot: config.outputRoot });
  const catalog = await loadWorkflows(root, { outputRoot: config.outputRoot, agents: agents.definitions });
  const validate = args.positional === 'validate';
  if (args.json) {
    io.out(JSON.stringify(workflowsJson(catalog), null, 2));
  } else if (validate) {
    for (const e of catalog.errors) io.out(errorLine(e));
    const valid = catalog.workflows.map((f) => f.workflow.name);
    if (catalog.errors.length) {
      io.err(`${plural(catalog.errors.length, 'error')} in ${plural(new Set(catalog.errors.map((e) => e.file)).size, 'file')} of ${shownPath(catalog.folder)}`);
    } else {
      io.out(valid.length ? `${valid.length} workflow${valid.length === 1 ? '' : 's'} valid: ${valid.join(', ')}` : `No workflows in ${shownPath(catalog.folder)}.`);
    }
  } else {
    io.out(workflowsText(catalog).join('\n'));
  }
  return validate && catalog.errors.length ? EXIT.usage : EXIT.completed;
}

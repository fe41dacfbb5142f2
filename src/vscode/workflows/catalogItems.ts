/**
 * Tree items of the Ledger's Workflows and Agents nodes: each workflow with its description (its
 * stages and parameters in the tooltip), each file that is not valid with where and why, and the
 * agent definitions grouped by the folder they came from, in order of precedence. Pure: catalogs
 * in, nodes and items out. Text from the files goes through appendText (escaped), never as markdown.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type {
  DefinitionError, DefinitionSource, FoundDefinition, FoundWorkflow, ShadowedDefinition, WorkflowError, WorkflowStage,
} from '../../engine';
import { plural } from '../../shared/words';
import { truncate } from '../format';
import type { Catalogs } from './catalogModel';

/** Opens a workflow or definition file, at a line and column when given (an error's place). Hidden from the palette. */
export const OPEN_CATALOG_FILE_COMMAND = 'orchestration.openCatalogFile';
export const RUN_WORKFLOW_COMMAND = 'orchestration.runWorkflow';

/** Nodes of the Workflows and Agents parts of the Ledger. They carry what they show; no run id. */
export type CatalogNode =
  | { kind: 'workflows' }
  | { kind: 'workflowFile'; found: FoundWorkflow }
  /** One file that is not valid, with all its problems (sorted; the first is the one shown). */
  | { kind: 'workflowError'; errors: WorkflowError[] }
  | { kind: 'agents' }
  | { kind: 'agentSource'; origin: DefinitionSource; dir: string }
  | { kind: 'agentDefinition'; definition: FoundDefinition }
  | { kind: 'agentShadowed'; shadowed: ShadowedDefinition }
  | { kind: 'agentError'; error: DefinitionError };

/** How paths are shown: workspace-relative, `~/…` in the home folder, else absolute. */
export interface PathStyle { workspace?: string; home?: string | null }

export function shownPath(abs: string, style: PathStyle): string {
  for (const [base, prefix] of [[style.workspace, ''], [style.home, '~/']] as const) {
    if (!base) continue;
    const rel = path.relative(base, abs);
    if (rel === '') return prefix ? '~' : '.';
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) return prefix + rel.split(path.sep).join('/');
  }
  return abs;
}

/** A catalog's errors grouped by file, in the order the files first appear: one row per broken file. */
export function errorsByFile<E extends { file: string }>(errors: readonly E[]): E[][] {
  const byFile = new Map<string, E[]>();
  for (const e of errors) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  return [...byFile.values()];
}

/** `review-api.yaml:7:5 — dependsOn names 'sumary', …`: the file's name, the place, what is wrong. */
export function errorLine(e: { file: string; line: number; column: number; message: string }): string {
  return `${path.basename(e.file)}:${e.line}:${e.column} — ${e.message}`;
}

const ORIGIN_WORDS: Record<DefinitionSource, string> = {
  workspace: 'this workspace, read first',
  user: 'your home folder, for every workspace',
  orchestration: 'this workspace, read last',
};

/** The top-level nodes, below the runs: each only when it has something to show, so an empty workspace keeps its welcome. */
export function catalogRoots(c: Catalogs | undefined): CatalogNode[] {
  if (!c) return [];
  const roots: CatalogNode[] = [];
  if (c.workflows.workflows.length || c.workflows.errors.length) roots.push({ kind: 'workflows' });
  if (c.agents.definitions.length || c.agents.shadowed.length || c.agents.errors.length) roots.push({ kind: 'agents' });
  return roots;
}

export function catalogChildren(c: Catalogs | undefined, node: CatalogNode): CatalogNode[] {
  if (!c) return [];
  switch (node.kind) {
    case 'workflows': {
      const valid = [...c.workflows.workflows].sort((a, b) => a.workflow.name.localeCompare(b.workflow.name));
      return [
        ...valid.map((found): CatalogNode => ({ kind: 'workflowFile', found })),
        ...errorsByFile(c.workflows.errors).map((errors): CatalogNode => ({ kind: 'workflowError', errors })),
      ];
    }
    case 'agents': {
      const out: CatalogNode[] = [];
      for (const s of c.agents.searched) {
        if (agentSourceChildren(c, s.origin, s.dir).length) out.push({ kind: 'agentSource', origin: s.origin, dir: s.dir });
      }
      // An error no searched folder holds (should not happen) is still shown, at the top.
      for (const error of c.agents.errors) {
        if (!c.agents.searched.some((s) => within(s.dir, error.file))) out.push({ kind: 'agentError', error });
      }
      return out;
    }
    case 'agentSource': return agentSourceChildren(c, node.origin, node.dir);
    default: return [];
  }
}

function agentSourceChildren(c: Catalogs, origin: DefinitionSource, dir: string): CatalogNode[] {
  return [
    ...c.agents.definitions.filter((d) => d.origin === origin).map((definition): CatalogNode => ({ kind: 'agentDefinition', definition })),
    ...c.agents.shadowed.filter((s) => s.origin === origin).map((shadowed): CatalogNode => ({ kind: 'agentShadowed', shadowed })),
    ...c.agents.errors.filter((e) => within(dir, e.file)).map((error): CatalogNode => ({ kind: 'agentError', error })),
  ];
}

function within(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The parent of a catalog node, for `reveal` (stable: the same catalogs give the same parents). */
export function catalogParent(c: Catalogs | undefined, node: CatalogNode): CatalogNode | undefined {
  switch (node.kind) {
    case 'workflowFile': case 'workflowError': return { kind: 'workflows' };
    case 'agentSource': return { kind: 'agents' };
    case 'agentDefinition': case 'agentShadowed': case 'agentError': {
      const file = node.kind === 'agentDefinition' ? node.definition.source : node.kind === 'agentShadowed' ? node.shadowed.source : node.error.file;
      const s = c?.agents.searched.find((x) => within(x.dir, file));
      return s ? { kind: 'agentSource', origin: s.origin, dir: s.dir } : { kind: 'agents' };
    }
    default: return undefined;
  }
}

export function catalogItem(c: Catalogs | undefined, node: CatalogNode, style: PathStyle): vscode.TreeItem {
  switch (node.kind) {
    case 'workflows': return workflowsItem(c, style);
    case 'workflowFile': return workflowItem(node.found, style);
    case 'workflowError': return workflowErrorItem(node.errors, style);
    case 'agents': return agentsItem(c, style);
    case 'agentSource': return agentSourceItem(c, node.origin, node.dir, style);
    case 'agentDefinition': return definitionItem(node.definition, style);
    case 'agentShadowed': return shadowedItem(node.shadowed, style);
    case 'agentError': return definitionErrorItem(node.error, style);
  }
}

function openCommand(file: string, line?: number, column?: number): vscode.Command {
  return { command: OPEN_CATALOG_FILE_COMMAND, title: 'Open File', arguments: line ? [file, line, column ?? 1] : [file] };
}

function errorIcon(): vscode.ThemeIcon {
  return new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
}

export function workflowsItem(c: Catalogs | undefined, style: PathStyle): vscode.TreeItem {
  const n = c?.workflows.workflows.length ?? 0;
  const bad = errorsByFile(c?.workflows.errors ?? []).length;
  const item = new vscode.TreeItem('Workflows', vscode.TreeItemCollapsibleState.Expanded);
  item.id = 'catalog/workflows';
  item.iconPath = new vscode.ThemeIcon('list-ordered');
  item.description = bad ? `${n} valid · ${bad} not valid` : `${n} valid`;
  item.contextValue = 'workflows';
  const md = new vscode.MarkdownString('', false).appendMarkdown('**Workflows**: recurring work defined once in ');
  md.appendText(c ? shownPath(c.workflows.folder, style) : '.orchestration/workflows').appendMarkdown(', run again with other parameters.\n\n');
  md.appendMarkdown('**Run Workflow** asks for one and its parameters, then shows the plan for approval like Orchestrate Task.');
  if (bad) md.appendMarkdown(`\n\n${plural(bad, 'file')} cannot run until fixed: click one to open it at the problem.`);
  item.tooltip = md;
  return item;
}

/** One stage as the tooltip lists it: `review` · @api-reviewer · haiku · one agent per file of api/**\/*.js. */
export function stageLine(s: WorkflowStage): string {
  const parts = [`${s.id}`];
  if (s.agent) parts.push(`@${s.agent}`);
  if (s.tier) parts.push(s.tier);
  if (s.each) parts.push('files' in s.each ? `one agent per file of ${[s.each.files].flat().join(', ')}` : `one agent per item of ${s.each.items}`);
  if (s.dependsOn.length) parts.push(`after ${s.dependsOn.join(', ')}`);
  if (s.gates.length) parts.push(`gates: ${s.gates.map(gateWords).join(', ')}`);
  if (s.hooks.length) parts.push(`hooks: ${s.hooks.join(', ')}`);
  return parts.join(' · ');
}

function gateWords(g: WorkflowStage['gates'][number]): string {
  if (g === 'approval' || 'approval' in g) return 'your approval';
  if ('check' in g) return `check "${truncate(g.check, 60)}"`;
  return `review by @${g.review}`;
}

export function workflowItem(found: FoundWorkflow, style: PathStyle): vscode.TreeItem {
  const wf = found.workflow;
  const item = new vscode.TreeItem(wf.name, vscode.TreeItemCollapsibleState.None);
  item.id = `catalog/workflow/${found.source}`;
  item.iconPath = new vscode.ThemeIcon('play-circle');
  item.description = wf.description;
  item.contextValue = 'workflowFile';
  const md = new vscode.MarkdownString('', false).appendMarkdown('**').appendText(wf.name).appendMarkdown('**: ').appendText(wf.description).appendMarkdown('\n\n');
  const params = Object.entries(wf.params);
  md.appendMarkdown(params.length ? '**Parameters**, asked in this order:\n\n' : 'No parameters.\n\n');
  for (const [name, p] of params) {
    md.appendMarkdown('- ').appendText(name).appendMarkdown(': ').appendText(p.description);
    if (p.default === undefined) md.appendMarkdown(' (required)');
    else md.appendMarkdown(' (default: ').appendText(p.default).appendMarkdown(')');
    md.appendMarkdown('\n');
  }
  md.appendMarkdown(`\n**Stages (${wf.stages.length}), in order:**\n\n`);
  wf.stages.forEach((s, i) => md.appendMarkdown(`${i + 1}. `).appendText(stageLine(s)).appendMarkdown('\n'));
  md.appendMarkdown('\n').appendText(shownPath(found.source, style));
  item.tooltip = md;
  item.command = openCommand(found.source);
  return item;
}

/** A file that is not valid: its first problem as the description (the rest counted), all of them in the tooltip. */
export function workflowErrorItem(errors: readonly WorkflowError[], style: PathStyle): vscode.TreeItem {
  const e = errors[0];
  const item = new vscode.TreeItem(errors.find((x) => x.name)?.name ?? path.basename(e.file).replace(/\.ya?ml$/i, ''), vscode.TreeItemCollapsibleState.None);
  item.id = `catalog/workflowError/${e.file}`;
  item.iconPath = errorIcon();
  item.description = errorLine(e) + (errors.length > 1 ? ` (+${errors.length - 1} more)` : '');
  item.contextValue = 'workflowFile.invalid';
  const md = new vscode.MarkdownString('', false).appendMarkdown('**Not valid, so it cannot run:** ').appendText(shownPath(e.file, style)).appendMarkdown('\n\n');
  for (const x of errors) md.appendMarkdown('- ').appendText(`${x.line}:${x.column} — ${x.message}`).appendMarkdown('\n');
  md.appendMarkdown('\nClick to open the file at the first problem.');
  item.tooltip = md;
  item.command = openCommand(e.file, e.line, e.column);
  return item;
}

export function agentsItem(c: Catalogs | undefined, style: PathStyle): vscode.TreeItem {
  const a = c?.agents;
  const item = new vscode.TreeItem('Agents', vscode.TreeItemCollapsibleState.Collapsed);
  item.id = 'catalog/agents';
  item.iconPath = new vscode.ThemeIcon('organization');
  const parts = [plural(a?.definitions.length ?? 0, 'definition')];
  if (a?.shadowed.length) parts.push(`${a.shadowed.length} shadowed`);
  if (a?.errors.length) parts.push(`${a.errors.length} not valid`);
  item.description = parts.join(' · ');
  item.contextValue = 'agents';
  const md = new vscode.MarkdownString('', false).appendMarkdown('**Agent definitions** in Claude Code\'s format, which workflow stages name and the planner may assign. Read in this order; the first definition of a name wins:\n\n');
  for (const s of a?.searched ?? []) {
    md.appendMarkdown('- ').appendText(shownPath(s.dir, style)).appendMarkdown(s.exists ? '\n' : ' (no such folder)\n');
  }
  item.tooltip = md;
  return item;
}

export function agentSourceItem(c: Catalogs | undefined, origin: DefinitionSource, dir: string, style: PathStyle): vscode.TreeItem {
  const item = new vscode.TreeItem(shownPath(dir, style), vscode.TreeItemCollapsibleState.Expanded);
  item.id = `catalog/agentSource/${dir}`;
  item.iconPath = new vscode.ThemeIcon(origin === 'user' ? 'home' : 'folder');
  const defs = c?.agents.definitions.filter((d) => d.origin === origin).length ?? 0;
  const shadowed = c?.agents.shadowed.filter((d) => d.origin === origin).length ?? 0;
  const bad = c?.agents.errors.filter((e) => within(dir, e.file)).length ?? 0;
  item.description = [plural(defs, 'definition'), ...(shadowed ? [`${shadowed} shadowed`] : []), ...(bad ? [`${bad} not valid`] : [])].join(' · ');
  item.contextValue = 'agentSource';
  item.tooltip = new vscode.MarkdownString('', false).appendText(dir).appendMarkdown(`\n\nFrom ${ORIGIN_WORDS[origin]}.`);
  return item;
}

/** The model as a definition asks for it: a tier, or the tier the plan gives. */
function modelWords(d: FoundDefinition): string {
  return d.tier ?? 'tier from the plan';
}

function toolWords(d: FoundDefinition): string {
  return d.tools === null ? "the role's tools" : d.tools.length ? d.tools.join(', ') : 'no tools';
}

export function definitionItem(d: FoundDefinition, style: PathStyle): vscode.TreeItem {
  const item = new vscode.TreeItem(d.name, vscode.TreeItemCollapsibleState.None);
  item.id = `catalog/agent/${d.source}`;
  item.iconPath = new vscode.ThemeIcon('hubot');
  item.description = `${modelWords(d)} · ${toolWords(d)} · ${truncate(d.description, 80)}`;
  item.contextValue = 'agentDefinition';
  const md = new vscode.MarkdownString('', false).appendMarkdown('**').appendText(`@${d.name}`).appendMarkdown('**: ').appendText(d.description);
  md.appendMarkdown('\n\nModel: ').appendText(d.model === 'inherit' ? 'inherit (the tier the plan gives its role)' : d.model);
  md.appendMarkdown('  \nTools: ').appendText(toolWords(d))
    .appendMarkdown(d.tools === null ? '' : ' (never more than the role it runs as may use; the plan names any left out)');
  md.appendMarkdown(`  \nSystem prompt: ${plural(d.body.length, 'character')}`);
  md.appendMarkdown('\n\n').appendText(shownPath(d.source, style));
  item.tooltip = md;
  item.command = openCommand(d.source);
  return item;
}

export function shadowedItem(s: ShadowedDefinition, style: PathStyle): vscode.TreeItem {
  const item = new vscode.TreeItem(s.name, vscode.TreeItemCollapsibleState.None);
  item.id = `catalog/shadowed/${s.source}`;
  item.iconPath = new vscode.ThemeIcon('hubot', new vscode.ThemeColor('disabledForeground'));
  item.description = `shadowed by ${shownPath(s.shadowedBy, style)}`;
  item.contextValue = 'agentDefinition.shadowed';
  item.tooltip = new vscode.MarkdownString('', false).appendMarkdown('**Not used:** ').appendText(`${shownPath(s.source, style)} defines @${s.name}, and so does ${shownPath(s.shadowedBy, style)}, which is read first and wins.`);
  item.command = openCommand(s.source);
  return item;
}

export function definitionErrorItem(e: DefinitionError, style: PathStyle): vscode.TreeItem {
  const item = new vscode.TreeItem(path.basename(e.file).replace(/\.md$/i, ''), vscode.TreeItemCollapsibleState.None);
  item.id = `catalog/agentError/${e.file}:${e.line}:${e.column}`;
  item.iconPath = errorIcon();
  item.description = errorLine(e);
  item.contextValue = 'agentDefinition.invalid';
  item.tooltip = new vscode.MarkdownString('', false).appendMarkdown('**Not a valid definition, so no stage or plan can use it:** ')
    .appendText(`${shownPath(e.file, style)}:${e.line}:${e.column}`).appendMarkdown('\n\n').appendText(e.message);
  item.command = openCommand(e.file, e.line, e.column);
  return item;
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { field, promptText, section, truncate } from '../conversation';
import { parseOverview, type TreeNode } from '../overview';
import type { ParsedRequest, Reply } from '../types';
import { PANEL_TASK, panelPlanReply } from './panelPlanner';
import { supervisorPlanInput } from './supervisor';
import { pipelinePlanReply, SEQUENTIAL } from './pipeline';
import { mapReducePlanReply, ONE_QUESTION_PER_FILE } from './mapReducePlan';
import { buildersReply, buildPlanInput } from './build';
import { agentForScope, listedAgents } from './agentRouting';

type Tier = 'haiku' | 'sonnet' | 'opus';
interface Angle { verb: string; tier: Tier }
interface Bounds { minD: number; maxD: number; minW: number; maxW: number }

/** Worker angles per kind of run task; worker i of a domain takes angle i (cycling). */
const ANGLES: Record<string, Angle[]> = {
  security: [
    { verb: 'Inventory entry points, external inputs and secret handling in', tier: 'haiku' },
    { verb: 'Security-audit injection, path traversal and unsafe input handling in', tier: 'opus' },
    { verb: 'Review error handling and logging of sensitive data in', tier: 'sonnet' },
    { verb: 'Search for hard-coded credentials, tokens and TODO/FIXME security notes in', tier: 'haiku' },
  ],
  docs: [
    { verb: 'List the exported functions, classes and types of', tier: 'haiku' },
    { verb: 'Write reference documentation for the public API of', tier: 'sonnet' },
    { verb: 'Explain the purpose and data flow of', tier: 'sonnet' },
  ],
  architecture: [
    { verb: 'Map the modules and their imports in', tier: 'haiku' },
    { verb: 'Review the architecture, layering and coupling of', tier: 'opus' },
    { verb: 'Analyse duplication and refactoring candidates in', tier: 'sonnet' },
  ],
  search: [
    { verb: 'Search and list every match relevant to the task in', tier: 'haiku' },
    { verb: 'Inventory the files and their roles in', tier: 'haiku' },
    { verb: 'Analyse the matches found and their context in', tier: 'sonnet' },
  ],
  code: [
    { verb: 'Locate the code paths the change touches in', tier: 'haiku' },
    { verb: 'Write the code changes the task needs for', tier: 'opus' },
    { verb: 'Review tests and edge cases affected in', tier: 'sonnet' },
  ],
  review: [
    { verb: 'Inventory files, TODO/FIXME markers and dependencies in', tier: 'haiku' },
    { verb: 'Review correctness and error handling in', tier: 'sonnet' },
    { verb: 'Analyse code quality, complexity and test gaps in', tier: 'sonnet' },
  ],
};

export function taskKind(task: string): keyof typeof ANGLES {
  const t = task.toLowerCase();
  if (/secur|vulnerab|audit|secret|inject|attack|cve/.test(t)) return 'security';
  if (/architect|design|layer|coupl|refactor|structure/.test(t)) return 'architecture';
  if (/document|docs\b|readme|explain|describe/.test(t)) return 'docs';
  if (/\b(implement|write code|add|fix|build|migrate)\b/.test(t)) return 'code';
  if (/\b(find|list|search|inventory|grep|locate|where)\b/.test(t)) return 'search';
  return 'review';
}

/**
 * The planner: splits the workspace overview into domains (top-level folders, split further when
 * there are too few) and each domain into workers with real scopes, within the bounds the system
 * prompt states. Always a valid plan, also when the request carries `# Validation errors`.
 */
export function planReply(req: ParsedRequest, workspaceRoot: string): Reply {
  const text = promptText(req);
  const focusLine = field(text, 'Focus only on') ?? '';
  const task = (section(text, 'Task') ?? 'Review the workspace').split('\n')
    .filter((l) => !l.startsWith('Focus only on:')).join('\n').trim() || 'Review the workspace';
  const systemText = req.system.map((s) => s.text).join('\n');
  const bounds = boundsOf(systemText);
  const agents = listedAgents(systemText);
  const inWorkspaceSync = (p: string) => existsSync(join(workspaceRoot, p));
  const tree = prune(parseOverview(section(text, 'Workspace overview') ?? ''), inWorkspaceSync);
  const roots = focus(tree, focusLine, task);
  const kind = taskKind(task);
  const angles = ANGLES[kind];
  const tool = chooseTool(req, task);
  if (tool === 'plan_panel') return panelPlanReply(task);
  if (tool === 'plan_map_reduce') return mapReducePlanReply(req);
  if (tool === 'plan_pipeline') return pipelinePlanReply(req, workspaceRoot);
  if (tool === 'plan_builders') return buildersReply(req);
  if (tool === 'plan_build') return { kind: 'message', content: [{ type: 'tool_use', name: tool, input: buildPlanInput(task, roots.map((r) => r.path), section(text, 'Findings to fix'), inWorkspaceSync) }] };
  if (tool === 'plan_supervisor') return { kind: 'message', content: [{ type: 'tool_use', name: tool, input: supervisorPlanInput(task, roots.map((r) => r.path)) }] };
  if (tool === 'plan_single') {
    const scope = roots.slice(0, 3).map((n) => n.path);
    return {
      kind: 'message',
      content: [{ type: 'tool_use', name: tool, input: {
        reason: 'The task is small enough for one agent: splitting it would cost more than it saves.',
        scope: scope.length ? scope : ['.'], tier: angles[0].tier,
      } }],
    };
  }

  const groups = domainGroups(roots, bounds);
  const domains = groups.map((group, d) => {
    const id = String.fromCharCode(97 + d);
    const scopes = workerScopes(group.nodes, bounds);
    const paths = group.nodes.map((n) => n.path);
    return {
      id,
      name: truncate(group.theme ? `${group.theme}: ${nameOf(paths)}` : nameOf(paths), 80),
      brief: truncate(`Covers ${paths.join(', ')} for the run task "${truncate(task, 300)}". `
        + 'Stay inside your scope, cite file and line for every finding, and say what you could not check.', 1200),
      workers: scopes.map((scope, w) => {
        const angle = angles[(w + (group.theme ? d : 0)) % angles.length];
        const agent = agentForScope(scope, agents);
        return {
          id: `${id}${w + 1}`,
          task: truncate(`${angle.verb} ${scope.join(', ')} (run task: ${truncate(task, 200)})`, 600),
          scope,
          tier: angle.tier,
          ...(agent ? { agent } : {}),
        };
      }),
    };
  });
  const workers = domains.reduce((n, d) => n + d.workers.length, 0);
  return {
    kind: 'message',
    content: [{
      type: 'tool_use',
      name: tool,
      input: {
        task,
        reason: `The ${kind} task splits into independent parts of the workspace, so fan-out fits.`,
        summary: `Simulated plan (${kind}): ${domains.length} domains and ${workers} workers over ${nameOf(roots.map((r) => r.path))}.`,
        domains,
      },
    }],
  };
}

/**
 * The plan tool to answer with: the forced one, or in auto mode (several tools offered) the
 * pattern the task's words point at, else fan-out.
 */
export function chooseTool(req: ParsedRequest, task: string): string {
  if (req.toolChoice?.type === 'tool') return req.toolChoice.name;
  const offered = new Set((req.tools ?? []).map((t) => t.name));
  const t = task.toLowerCase();
  const rules: Array<[string, RegExp]> = [
    ['plan_supervisor', /\b(investigat|triage|root cause|iterat|supervis)/],
    ['plan_panel', PANEL_TASK],
    ['plan_pipeline', SEQUENTIAL],
    ['plan_single', /\b(typo|one file|single file|quick question|this function)\b/],
    // A change to the code, even one over every file, is a build, not a question per file.
    ['plan_build', /^(add|fix|update|migrate|rename|replace|convert|refactor|change|implement|remove)\b/],
    ['plan_map_reduce', ONE_QUESTION_PER_FILE],
  ];
  for (const [name, re] of rules) if (offered.has(name) && re.test(t)) return name;
  return 'plan_fan_out';
}

function boundsOf(system: string): Bounds {
  const d = /into\s+(\d+)\s*[\u2013-]\s*(\d+)\s+domains/.exec(system);
  const w = /has\s+(\d+)\s*[\u2013-]\s*(\d+)\s+workers/.exec(system);
  return {
    minD: d ? Number(d[1]) : 3, maxD: d ? Number(d[2]) : 5,
    minW: w ? Number(w[1]) : 3, maxW: w ? Number(w[2]) : 8,
  };
}

/** Drops nodes the workspace does not have, so every scope the plan names exists. */
function prune(nodes: TreeNode[], exists: (p: string) => boolean): TreeNode[] {
  return nodes.filter((n) => exists(n.path)).map((n) => ({ ...n, children: prune(n.children, exists) }));
}

/**
 * The nodes the focus line names, or the paths the task names ("Document every module in src/" —
 * only words with a "/" or a ".", so "review the test suite" does not narrow to test/), else all.
 */
function focus(tree: TreeNode[], focusLine: string, task: string): TreeNode[] {
  const words = (s: string) => [...s.matchAll(/[\w.@-]+(?:\/[\w.@-]+)*\/?/g)].map((m) => m[0]);
  const named = new Set([...words(focusLine), ...words(task).filter((w) => /[/.]/.test(w.replace(/\.$/, '')))]
    .map((w) => w.replace(/^\.\//, '').replace(/\/$/, '')));
  const hits: TreeNode[] = [];
  const visit = (n: TreeNode) => (named.has(n.path.replace(/\/$/, '')) ? hits.push(n) : n.children.forEach(visit));
  tree.forEach(visit);
  return hits.length ? hits : tree;
}

interface Group { nodes: TreeNode[]; theme: string | null }

const weightOf = (nodes: TreeNode[]) => nodes.reduce((n, x) => n + x.weight, 0);

function domainGroups(roots: TreeNode[], b: Bounds): Group[] {
  const root: TreeNode = { path: '.', name: '.', isDir: true, weight: 1, children: [] };
  const dirs = roots.filter((n) => n.isDir);
  const files = roots.filter((n) => !n.isDir);
  let groups: TreeNode[][] = dirs.map((d) => [d]);
  if (files.length) groups.push(files);
  if (!groups.length) groups = [[root]];
  // Groups under half an average domain are pooled, so a lone small file does not take a domain
  // that splitting a big folder would use better.
  const total = weightOf(roots);
  const small = groups.filter((g) => weightOf(g) * 2 * b.minD < total);
  if (small.length && groups.length > small.length) {
    groups = groups.filter((g) => !small.includes(g));
    const pooled = small.flat();
    if (weightOf(pooled) * 2 * b.minD < total) {
      const lightest = groups.reduce((x, y) => (weightOf(y) < weightOf(x) ? y : x));
      lightest.push(...pooled);
    } else groups.push(pooled);
  }

  while (groups.length < b.minD) {
    const splittable = groups
      .map((g, i) => ({ g, i }))
      .filter(({ g }) => g.length > 1 || (g[0].isDir && g[0].children.length > 0))
      .sort((x, y) => weightOf(y.g) - weightOf(x.g))[0];
    if (!splittable) break;
    const { g, i } = splittable;
    const parts = g.length > 1 ? halves(g) : childGroups(g[0]);
    groups.splice(i, 1, ...parts);
  }
  while (groups.length > b.maxD) {
    const order = groups.map((g, i) => ({ w: weightOf(g), i })).sort((x, y) => x.w - y.w);
    const [a, c] = [order[0].i, order[1].i].sort((x, y) => x - y) as [number, number];
    groups[a] = [...groups[a], ...groups[c]];
    groups.splice(c, 1);
  }
  const out: Group[] = groups.map((nodes) => ({ nodes, theme: null }));
  // A workspace too small to split: the same files seen from different angles.
  const themes = ['Structure', 'Behaviour', 'Risks', 'Quality', 'Gaps'];
  for (let i = 0; out.length < b.minD; i++) out.push({ nodes: groups[i % groups.length], theme: themes[i % themes.length] });
  return out;
}

function halves(g: TreeNode[]): TreeNode[][] {
  const mid = Math.ceil(g.length / 2);
  return [g.slice(0, mid), g.slice(mid)];
}

function childGroups(dir: TreeNode): TreeNode[][] {
  const sub = dir.children.filter((c) => c.isDir).map((c) => [c]);
  const files = dir.children.filter((c) => !c.isDir);
  return files.length ? [...sub, files] : sub;
}

/** Scopes for a domain's workers: its nodes, opened up until there are enough, bundled when too many. */
function workerScopes(nodes: TreeNode[], b: Bounds): string[][] {
  const items = [...nodes];
  for (;;) {
    if (items.length >= b.minW) break;
    const dir = items.filter((n) => n.isDir && n.children.length).sort((x, y) => y.weight - x.weight)[0];
    if (!dir) break;
    items.splice(items.indexOf(dir), 1, ...dir.children);
  }
  const count = Math.max(b.minW, Math.min(b.maxW, items.length));
  if (items.length <= count) {
    return Array.from({ length: count }, (_, i) => [items[i % items.length].path]);
  }
  const buckets: string[][] = Array.from({ length: count }, () => []);
  items.forEach((n, i) => buckets[i % count].push(n.path));
  return buckets.map((s) => s.slice(0, 20));
}

function nameOf(paths: string[]): string {
  if (!paths.length) return 'workspace';
  const shown = paths.slice(0, 3).map((p) => p.replace(/\/$/, '') || '.');
  return paths.length > 3 ? `${shown.join(', ')} and ${paths.length - 3} more` : shown.join(', ');
}

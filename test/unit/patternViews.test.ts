/**
 * The views render what a pattern declares (Pattern.view), so a workflow run, or a pattern with
 * no declaration at all, gets the tree's shape line, the Summary's groups and the Add Worker menu
 * without any view knowing its name.
 */
import { describe, expect, it, vi } from 'vitest';

vi.mock('vscode', async () => await import('./vscode-stub'));

import { PATTERNS } from '../../src/engine';
import { HostMessageSchema } from '../../src/shared/protocol';
import { buildRunView, runActions } from '../../src/vscode/panels/summary/summaryModel';
import { groupLabel, groupsOf, shapeLine } from '../../src/vscode/runs/runShape';
import { groupItem } from '../../src/vscode/tree/treeItems';
import { agent, snapshot } from './vscode/fixtures';

const workflowRun = () => snapshot({
  pattern: 'workflow',
  groups: [{ id: 'review', label: 'Stage review (each of 2 files)' }, { id: 'summary', label: 'Stage summary' }],
  agents: [
    agent({ id: 'review-1', role: 'stage', domain: 'review', task: 'Review api/a.js' }),
    agent({ id: 'review-2', role: 'stage', domain: 'review', task: 'Review api/b.js' }),
    agent({ id: 'gate-review', role: 'auditor', domain: 'review', task: 'Sanity check of review' }),
    agent({ id: 'summary', role: 'stage', domain: 'summary', task: 'Summarise the reviews' }),
  ],
});

describe('views from the pattern declaration', () => {
  it('a workflow run gets its shape line, group labels and Summary heading from its declaration', () => {
    const s = workflowRun();
    expect(shapeLine(s)).toBe('2 stages · 3 stage agents');
    expect(groupsOf(s).map((g, i) => groupLabel('workflow', g, i))).toEqual(['Stage review (each of 2 files)', 'Stage summary']);
    const run = HostMessageSchema.parse({ type: 'state', run: buildRunView(s, undefined, null, runActions(s, false)) }).run!;
    expect(run.groupsTitle).toBe('Stages');
    expect(run.card).toBeNull();
    expect(run.groups.map((g) => [g.name, g.total])).toEqual([['Stage review (each of 2 files)', 3], ['Stage summary', 1]]);
    expect(groupItem(s, s.groups![0], 0).contextValue).toBe('group.workflow');
  });

  it('a pattern no view knows shows generically: groups and agents counted, labels as the ledger has them', () => {
    const s = { ...workflowRun(), pattern: 'seventh' };
    expect(shapeLine(s)).toBe('2 groups · 4 agents');
    const run = buildRunView(s, undefined, null, runActions(s, false));
    expect(run.groupsTitle).toBe('Groups');
    expect(run.card).toBeNull();
  });

  it('every pattern declares a title and a view, and only patterns that add a leaf offer Add Worker', () => {
    for (const p of PATTERNS) {
      expect(p.title.length, p.name).toBeGreaterThan(0);
      expect(!!p.view.addWorker, p.name).toBe(['fan-out', 'map-reduce', 'panel'].includes(p.name));
      if (p.view.addWorker) expect(typeof p.addLeaf, p.name).toBe('function');
    }
  });
});

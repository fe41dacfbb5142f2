/** The generic pieces the supervisor pattern needs: a schedule that grows while it runs, a ledger that takes agents at run time. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config';
import { Ledger, PLANNER_ID } from '../../src/engine/ledger/ledger';
import { agentRecord } from '../../src/engine/patterns/pattern';
import { schedule, type ScheduleNode } from '../../src/engine/run/scheduler';
import type { EngineEvent } from '../../src/engine/types';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const node = (id: string, dependsOn: string[] = [], priority = 0): ScheduleNode => ({ id, tier: 'haiku', dependsOn, priority, depth: 0 });
const caps = { maxConcurrent: 2, tierCaps: { haiku: 2, sonnet: 2, opus: 2 }, mode: 'continuous' as const };

describe('schedule(…).grow', () => {
  it('runs nodes added by a running node under the same caps, after their dependencies, and waits for them', async () => {
    const events: string[] = [];
    let running = 0;
    let peak = 0;
    let add: ((n: ScheduleNode[]) => void) | null = null;
    await schedule([node('sup-1')], {
      ...caps, signal: new AbortController().signal, admit: () => ({ run: true }), skip: () => undefined,
      grow: (a) => { add = a; },
      run: async (id) => {
        running++;
        peak = Math.max(peak, running);
        events.push(`start ${id}`);
        if (id === 'sup-1') add!([node('w1', ['sup-1']), node('w2', ['sup-1']), node('w3', ['sup-1']), node('sup-2', ['w1', 'w2', 'w3'], 1)]);
        await sleep(id.startsWith('w') ? 15 : 1);
        events.push(`end ${id}`);
        running--;
      },
    });
    const i = (e: string): number => events.indexOf(e);
    expect(events.filter((e) => e.startsWith('end'))).toHaveLength(5); // the promise waited for the added nodes
    expect(i('start w1')).toBeGreaterThan(i('end sup-1')); // a dependency that was running when added is waited on
    expect(i('start sup-2')).toBeGreaterThan(Math.max(i('end w1'), i('end w2'), i('end w3')));
    expect(peak).toBeLessThanOrEqual(2);
  });

  it('counts a dependency that already settled as met, and refuses a node id twice', async () => {
    let add: ((n: ScheduleNode[]) => void) | null = null;
    const started: string[] = [];
    let duplicate = '';
    await schedule([node('a'), node('b', ['a'])], {
      ...caps, signal: new AbortController().signal, admit: () => ({ run: true }), skip: () => undefined,
      grow: (x) => { add = x; },
      run: async (id) => {
        started.push(id);
        if (id === 'b') {
          add!([node('c', ['a'])]);
          try { add!([node('a')]); } catch (err) { duplicate = (err as Error).message; }
        }
        await sleep(1);
      },
    });
    expect(started).toEqual(['a', 'b', 'c']);
    expect(duplicate).toBe('schedule: node a already exists');
  });

  it('skips added nodes as cancelled once the run is aborted', async () => {
    const ctl = new AbortController();
    const cancelled: string[] = [];
    let add: ((n: ScheduleNode[]) => void) | null = null;
    await schedule([node('sup-1')], {
      ...caps, signal: ctl.signal, admit: () => ({ run: true }),
      skip: (id, _r, c) => { if (c) cancelled.push(id); },
      grow: (x) => { add = x; },
      run: async () => { add!([node('w1', ['sup-1']), node('sup-2', ['w1'])]); ctl.abort(); await sleep(1); },
    });
    expect(cancelled).toEqual(['w1', 'sup-2']);
  });
});

describe('Ledger.addAgents', () => {
  it('adds records and groups at run time, fires an event per agent, keeps totals, and refuses a duplicate id', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ledger-grow-'));
    const config = parseConfig({});
    const rec = (id: string) => agentRecord(config, { id, role: 'worker', domain: 'r1', tier: 'haiku', task: 't', scope: [], dependsOn: [], outputFile: `workers/${id}.md` });
    const planner = agentRecord(config, { id: PLANNER_ID, role: 'planner', domain: null, tier: 'sonnet', task: 'Plan', scope: [], dependsOn: [], outputFile: 'plan.md' });
    const ledger = Ledger.create(dir, { runId: 'r', task: 't', workspace: dir, simulated: false }, [planner]);
    const events: EngineEvent[] = [];
    ledger.onDidChange((e) => events.push(e));
    ledger.addAgents([rec('w1'), rec('w2')], [{ id: 'r1', label: 'Round 1' }]);
    ledger.addAgents([rec('w3')], [{ id: 'r1', label: 'Round 1' }, { id: 'r2', label: 'Round 2' }]);
    expect(ledger.agents.map((a) => a.id)).toEqual([PLANNER_ID, 'w1', 'w2', 'w3']);
    expect(ledger.groups).toEqual([{ id: 'r1', label: 'Round 1' }, { id: 'r2', label: 'Round 2' }]);
    expect(ledger.totals.agentsByStatus.pending).toBe(4);
    expect(events.filter((e) => e.type === 'agent').map((e) => (e as { id: string }).id)).toEqual(['w1', 'w2', 'w3']);
    ledger.transition('w1', 'running');
    expect(() => ledger.addAgents([rec('w1')])).toThrow('Agent w1 already exists');
    await ledger.close();
    const reloaded = await Ledger.load(dir);
    expect(reloaded.get('w3')?.domain).toBe('r1');
  });
});

import { truncate } from '../conversation';
import type { Reply } from '../types';

/** Tasks that ask for a judgement rather than a survey: the simulated planner picks the panel for them in auto mode. */
export const PANEL_TASK = /\b(ready for production|production[- ]ready|go\/no-go|sign[- ]?off|should we|verdict|panel|experts?'? opinions?)\b|^(is|are|can|should|would|does|do)\b.*\?\s*$/i;

/** The panel's perspectives, in the order a plan takes them (five: a quorum of three). */
const PERSPECTIVES = [
  { perspective: 'security reviewer', tier: 'opus', task: 'Judge whether authentication, secrets and input handling are safe enough' },
  { perspective: 'site reliability engineer', tier: 'sonnet', task: 'Judge error handling, retries, timeouts and how the system is operated' },
  { perspective: 'maintainer', tier: 'sonnet', task: 'Judge the structure, coupling and how safely the code can be changed' },
  { perspective: 'test engineer', tier: 'sonnet', task: 'Judge test coverage and the riskiest untested paths' },
  { perspective: 'data engineer', tier: 'sonnet', task: 'Judge the database access, migrations and data integrity' },
] as const;

/** A panel plan: five experts with distinct perspectives over the whole workspace (or the focus). */
export function panelPlanReply(task: string): Reply {
  const question = /\?\s*$/.test(task) ? task.trim() : `${task.trim().replace(/[.!\s]+$/, '')}: yes, no or conditional?`;
  return {
    kind: 'message',
    content: [{
      type: 'tool_use',
      name: 'plan_panel',
      input: {
        reason: 'The task asks for a judgement, so independent experts with distinct perspectives answer it and the engine tallies their verdicts.',
        question: truncate(question, 600),
        brief: truncate(`Simulated panel for "${truncate(task, 300)}". Judge the workspace as it is; cite file and line for every concern.`, 1200),
        experts: PERSPECTIVES.map((p, i) => ({ id: `e${i + 1}`, perspective: p.perspective, task: p.task, scope: [], tier: p.tier })),
      },
    }],
  };
}

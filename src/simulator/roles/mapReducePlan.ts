import { promptText, section } from '../conversation';
import type { ParsedRequest, Reply } from '../types';

const TOOL = 'plan_map_reduce';

/** "one question over many files": every/each/all … file(s), within a few words. */
export const ONE_QUESTION_PER_FILE = /\b(every|each|all)\b(?:\s+\S+){0,3}?\s+files?\b/i;

/** Whether the simulated planner answers with a map-reduce plan: asked for one, or (auto) the task fits. */

/**
 * A map-reduce plan: the task is the question; file extensions the task names (".ts") become the
 * include globs, else every file. When the last plan selected nothing, it widens to every file.
 */
export function mapReducePlanReply(req: ParsedRequest): Reply {
  const text = promptText(req);
  const task = (section(text, 'Task') ?? 'Review every file').split('\n').filter((l) => !l.startsWith('Focus only on:')).join(' ').trim();
  const exts = [...new Set([...task.matchAll(/(?:^|\s)\*?\.([a-z0-9]{1,6})\b/gi)].map((m) => m[1].toLowerCase()))];
  const rejected = /match no file|select no readable/.test(section(text, 'Validation errors') ?? '');
  const include = exts.length && !rejected ? exts.map((e) => `**/*.${e}`) : ['**/*'];
  return {
    kind: 'message',
    content: [{
      type: 'tool_use', name: TOOL,
      input: {
        reason: 'The task asks one question of many files, each answerable on its own, so map-reduce fits.',
        question: task.length >= 8 ? task : `Answer for each file: ${task}`,
        include, mapperTier: 'haiku',
      },
    }],
  };
}

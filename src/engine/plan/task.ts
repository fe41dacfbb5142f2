/**
 * The task text's bound. Every agent's prompt carries the task (the planner's, each worker's,
 * each synthesis'), so its size is paid once per agent: 20,000 characters is about 5,000 tokens,
 * a few pages of instructions, which leaves the planner's prompt (instructions, the workspace
 * overview, the pattern's schema) far inside any model's context and keeps a thousand-agent run's
 * repeated task text bounded. Longer material belongs in a workspace file the task names, where
 * agents read the parts they need.
 */
import { ConfigError } from '../config';

export const MAX_TASK_CHARS = 20_000;

/** Characters as a user counts them (code points, so an emoji is one), without building an array. */
export function taskLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++; // a low surrogate continues the code point before it
  }
  return n;
}

/** Why the task is too long, or null. `from` names where it came from ("the task", "task.md"). */
export function taskTooLong(text: string, from = 'The task'): string | null {
  const n = taskLength(text);
  if (n <= MAX_TASK_CHARS) return null;
  return `${from} is ${n.toLocaleString('en-US')} characters; at most ${MAX_TASK_CHARS.toLocaleString('en-US')} are allowed. `
    + 'Put long material in a file in the workspace and name that file in the task.';
}

/** The trimmed task, or a ConfigError saying it is empty or how long it is against the maximum. */
export function checkTask(task: string): string {
  const text = task.trim();
  if (!text) throw new ConfigError('The task is empty: describe what the agents should do');
  const tooLong = taskTooLong(text);
  if (tooLong) throw new ConfigError(tooLong);
  return text;
}

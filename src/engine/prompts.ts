import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const PROMPT_NAMES = [
  'planner', 'planner-user', 'worker', 'worker-shared', 'worker-user',
  'coordinator', 'coordinator-user', 'final', 'final-user',
] as const;
export type PromptName = (typeof PROMPT_NAMES)[number];

/**
 * Loads every template once (they are small) and renders `{{placeholders}}`. A placeholder with
 * no value is an error, not an empty string: a silently blank prompt is a bug that costs money.
 */
export class Prompts {
  private readonly templates = new Map<PromptName, string>();

  constructor(dir: string) {
    for (const name of PROMPT_NAMES) {
      const file = path.join(dir, `${name}.md`);
      try {
        this.templates.set(name, readFileSync(file, 'utf8'));
      } catch {
        throw new Error(`Prompt template ${file} is missing; the prompts folder must ship with the extension`);
      }
    }
  }

  render(name: PromptName, values: Record<string, string | number>): string {
    return renderTemplate(this.templates.get(name)!, values, name);
  }
}

export function renderTemplate(template: string, values: Record<string, string | number>, name = 'template'): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`Prompt ${name} needs {{${key}}} but no value was given`);
    return String(values[key]);
  });
}

import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** Templates every run needs, whatever its pattern; each pattern lists its own (Pattern.prompts). */
export const SHARED_PROMPTS = ['planner', 'planner-user', 'ask', 'ask-user', 'workspace'] as const;

/**
 * Loads the templates once (they are small) and renders `{{placeholders}}`. Names are paths under
 * the prompts folder without `.md` (`planner`, `fan-out/worker`). A placeholder with no value is an
 * error, not an empty string: a silently blank prompt is a bug that costs money.
 */
export class Prompts {
  private readonly templates = new Map<string, string>();

  /** `required`: names that must exist, checked now so a broken install fails before any request. */
  constructor(private readonly dir: string, required: readonly string[] = SHARED_PROMPTS) {
    for (const name of required) this.loadSync(name);
  }

  render(name: string, values: Record<string, string | number>): string {
    return renderTemplate(this.loadSync(name), values, name);
  }

  private loadSync(name: string): string {
    let text = this.templates.get(name);
    if (text === undefined) {
      const file = path.join(this.dir, `${name}.md`);
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        throw new Error(`Prompt template ${file} is missing; the prompts folder must ship with the extension`);
      }
      this.templates.set(name, text);
    }
    return text;
  }
}

/** Every template name under a prompts folder (for the check that each pattern's prompts exist). */
export function listPromptsSync(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listPromptsSync(dir, `${prefix}${e.name}/`) : e.name.endsWith('.md') ? [`${prefix}${e.name.slice(0, -3)}`] : []);
}

export function renderTemplate(template: string, values: Record<string, string | number>, name = 'template'): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`Prompt ${name} needs {{${key}}} but no value was given`);
    return String(values[key]);
  });
}

/**
 * The Getting Started walkthrough (package.json contributes.walkthroughs) points only at things that
 * exist: every picture is a file the .vsix ships, every command link and completion event names a
 * command this extension contributes, and every setting it names is one of ours.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { markdownLinks } from './markdownLinks';

const root = path.join(__dirname, '../..');
interface Step { id: string; title: string; description: string; media: { image?: string; altText?: string; markdown?: string; svg?: string }; completionEvents?: string[]; when?: string }
interface Walkthrough { id: string; title: string; description: string; steps: Step[] }
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  contributes: { walkthroughs?: Walkthrough[]; commands: { command: string }[]; configuration: { properties: Record<string, unknown> } };
};
const commands = new Set(pkg.contributes.commands.map((c) => c.command));
const settings = new Set(Object.keys(pkg.contributes.configuration.properties));
const walkthroughs = pkg.contributes.walkthroughs ?? [];
const steps = walkthroughs.flatMap((w) => w.steps);

/** The one VS Code command a step may link to: the Settings editor, opened on one of our settings. */
function checkBuiltIn(command: string, args: unknown): string | undefined {
  if (command !== 'workbench.action.openSettings') return `${command} is neither ours nor the Settings editor`;
  const query = Array.isArray(args) ? String(args[0]) : '';
  return settings.has(query) ? undefined : `opens the Settings editor on "${query}", which is not one of our settings`;
}

describe('the Getting Started walkthrough', () => {
  it('walks from a key to an applied build in six steps', () => {
    expect(walkthroughs).toHaveLength(1);
    expect(steps.map((s) => s.id)).toEqual(['provider', 'orchestrate', 'approve', 'dashboard', 'agent', 'build']);
    expect(steps.find((s) => s.id === 'build')?.when, 'the build step needs a git repository').toMatch(/gitOpenRepositoryCount/);
  });

  it('shows a picture with alt text in every step, each shipped in the .vsix and under 150 KB', () => {
    const vscodeignore = readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim());
    expect(vscodeignore, '.vscodeignore must keep media/ in the .vsix').toContain('!media/**');
    for (const s of steps) {
      expect(s.media.image, `step ${s.id} has no picture`).toMatch(/^media\/walkthrough\/[\w-]+\.png$/);
      const file = path.join(root, s.media.image ?? '');
      expect(existsSync(file), `step ${s.id}: ${s.media.image} does not exist`).toBe(true);
      expect(statSync(file).size, `step ${s.id}: ${s.media.image} is too large for the .vsix`).toBeLessThan(150 * 1024);
      expect(s.media.altText?.length ?? 0, `step ${s.id} has no alt text`).toBeGreaterThan(20);
    }
  });

  it('links only to commands this extension contributes (or the Settings editor on one of our settings)', () => {
    const problems: string[] = [];
    let links = 0;
    for (const s of steps) {
      for (const { url } of markdownLinks(s.description)) {
        const m = /^command:([\w.-]+)(?:\?(.*))?$/.exec(url);
        if (!m) { problems.push(`step ${s.id}: ${url} is not a command link`); continue; }
        links++;
        if (commands.has(m[1])) continue;
        const problem = checkBuiltIn(m[1], m[2] ? JSON.parse(decodeURIComponent(m[2])) : undefined);
        if (problem) problems.push(`step ${s.id}: ${problem}`);
      }
      expect(markdownLinks(s.description).length, `step ${s.id} has no command link`).toBeGreaterThan(0);
    }
    expect(problems).toEqual([]);
    expect(links).toBeGreaterThanOrEqual(steps.length);
  });

  it('completes each step on events that name our commands and settings', () => {
    const problems: string[] = [];
    for (const s of steps) {
      expect(s.completionEvents?.length ?? 0, `step ${s.id} has no completion event`).toBeGreaterThan(0);
      for (const e of s.completionEvents ?? []) {
        const [kind, name] = e.split(/:(.*)/s);
        if (kind === 'onCommand' && commands.has(name)) continue;
        if (kind === 'onSettingChanged' && settings.has(name)) continue;
        problems.push(`step ${s.id}: ${e}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

/**
 * The .vsix carries only what the installed extension reads. Lists it with `vsce ls` (the same
 * file selection `vsce package` uses). Needs @vscode/vsce in devDependencies; VSCE=<path> overrides.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '../..');
const vsce = process.env.VSCE ?? path.join(root, 'node_modules', '.bin', 'vsce');
const ALLOWED = /^(dist\/(extension|cli|webview|agent|dashboard|plan)\.js|media\/(walkthrough\/)?[\w.-]+\.(svg|png|css)|prompts\/([\w-]+\/)?[\w-]+\.md|README\.md|CHANGELOG\.md|LICENSE|package\.json)$/;

describe.skipIf(!existsSync(vsce))('packaged extension', () => {
  it('lists only the bundles, media, prompts, docs and the manifest', () => {
    expect(existsSync(path.join(root, 'dist', 'extension.js')), 'run `npm run build` first').toBe(true);
    const files = execFileSync(vsce, ['ls', '--no-dependencies'], { cwd: root, encoding: 'utf8', env: { ...process.env, npm_config_nodedir: '' } })
      .split('\n').map((l) => l.trim()).filter(Boolean).sort();
    const unexpected = files.filter((f) => !ALLOWED.test(f));
    expect(unexpected).toEqual([]);
    for (const f of ['package.json', 'dist/extension.js', 'dist/cli.js', 'dist/webview.js', 'dist/agent.js', 'dist/dashboard.js', 'dist/plan.js', 'media/orchestration.svg', 'media/panels.css', 'media/icon.png', 'media/summary.css', 'media/common.css', 'prompts/planner.md', 'LICENSE', 'media/walkthrough/provider.png']) {
      expect(files).toContain(f);
    }
    expect(files.some((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('node_modules/') || f.startsWith('test/'))).toBe(false);
  }, 60_000);
});

import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandLine, program, quote, runnableCommands, shownPath } from '../../src/cli/hint';

const pkg = path.resolve('/home/me/scaled-agent-orchestration');

describe('commands the CLI prints', () => {
  it('runs through npx in the clone, with no --workspace when the workspace is the current folder', () => {
    expect(commandLine(['discard', '20260101-000000-abcd'], pkg, pkg, pkg)).toBe('npx orchestrate discard 20260101-000000-abcd');
  });

  it('names the workspace relative to the current folder when inside it, absolute when outside', () => {
    expect(commandLine(['diff', 'R'], path.join(pkg, 'examples/demo-shop'), pkg, pkg)).toBe('npx orchestrate diff R --workspace examples/demo-shop');
    expect(commandLine(['diff', 'R'], '/tmp/orchestration-demo-x1', pkg, pkg)).toBe('npx orchestrate diff R --workspace /tmp/orchestration-demo-x1');
  });

  it('names the CLI file itself where npx would not find the package (it would ask the registry)', () => {
    expect(program('/tmp/elsewhere', pkg)).toBe(`node ${path.join(pkg, 'dist/cli.js')}`);
    expect(program(path.join(pkg, 'src'), pkg)).toBe('npx orchestrate');
    // Installed in a project: npx finds node_modules/.bin/orchestrate anywhere in that project.
    expect(program('/work/app/sub', '/work/app/node_modules/scaled-agent-orchestration')).toBe('npx orchestrate');
  });

  it('quotes a word the shell would split or expand', () => {
    expect(quote('/tmp/a b')).toBe("'/tmp/a b'");
    expect(quote("it's")).toBe("'it'\\''s'");
    expect(quote('--workspace')).toBe('--workspace');
    expect(commandLine(['status', 'R'], '/tmp/my shop', pkg, pkg)).toBe("npx orchestrate status R --workspace '/tmp/my shop'");
  });

  it('shows paths relative to the current folder, absolute outside it', () => {
    expect(shownPath(path.join(pkg, 'a/b.md'), pkg)).toBe(path.join('a', 'b.md'));
    expect(shownPath(pkg, pkg)).toBe('.');
    expect(shownPath('/etc/hosts', pkg)).toBe('/etc/hosts');
  });

  it("rewrites the engine's `orchestrate resume <id>` into the command that runs from here", () => {
    const text = 'Free some space, then continue the run with: orchestrate resume 20260101-000000-abcd (in VS Code: Orchestration: Resume Run)';
    expect(runnableCommands(text, '/tmp/ws', pkg, pkg)).toBe(
      'Free some space, then continue the run with: npx orchestrate resume 20260101-000000-abcd --workspace /tmp/ws (in VS Code: Orchestration: Resume Run)');
    expect(runnableCommands('npx orchestrate resume R --workspace /tmp/ws', '/tmp/ws', pkg, pkg)).toBe('npx orchestrate resume R --workspace /tmp/ws');
  });
});

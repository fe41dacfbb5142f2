/**
 * `orchestrate workflows [list|validate]` through the built CLI: the example workflow and
 * agent definition validate (exit 0) and list their params and stages; the same file with a
 * dependsOn naming no stage is exit 2 from validate, naming review-api.yaml and the line, while
 * list still exits 0 and shows the error.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cliAsync, keylessEnv, makeWorkspace } from './harness';
import { API_REVIEWER } from '../fixtures/agents';
import { REVIEW_API_WORKFLOW } from '../fixtures/reviewApiWorkflow';

const put = (dir: string, file: string, text: string): string => {
  const abs = path.join(dir, file);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, text);
  return abs;
};

interface WorkflowsJson {
  valid: boolean;
  workflows: Array<{ name: string; source: string; stageLines: Record<string, number>; params: Record<string, { description: string; default?: string }>; stages: Array<{ id: string }> }>;
  errors: Array<{ file: string; line: number; column: number; message: string; name?: string }>;
  folder: string;
}

describe('orchestrate workflows (CLI)', () => {
  it('validates the issue\'s example (exit 0) and lists its params and stages; a dependsOn naming no stage is exit 2 naming review-api.yaml and the line', async () => {
    expect(existsSync(CLI)).toBe(true);
    const ws = makeWorkspace();
    // A home of its own: the user's real ~/.claude/agents must not decide what this test sees.
    const env = { ...keylessEnv(), HOME: mkdtempSync(path.join(os.tmpdir(), 'orch-home-')) };
    put(ws, '.claude/agents/api-reviewer.md', API_REVIEWER);
    const file = put(ws, '.orchestration/workflows/review-api.yaml', REVIEW_API_WORKFLOW);

    const valid = await cliAsync(['workflows', 'validate', '--workspace', ws], env);
    expect(valid.stderr).toBe('');
    expect(valid.code).toBe(0);
    expect(valid.stdout.trim()).toBe('1 workflow valid: review-api');

    const list = await cliAsync(['workflows', '--workspace', ws], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('review-api — Review every API module for one concern, then summarise');
    expect(list.stdout).toContain('params: concern = "input validation" — What to look for');
    expect(list.stdout).toContain('review → @api-reviewer · haiku · each file of api/**/*.js');
    expect(list.stdout).toContain('summary → plain worker · sonnet · after review · hooks: sanity-check');
    expect(list.stdout).toContain(`from: ${file}`);

    const json = await cliAsync(['workflows', 'list', '--workspace', ws, '--json'], env);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as WorkflowsJson;
    expect(listed).toMatchObject({ valid: true, errors: [], folder: path.join(ws, '.orchestration', 'workflows') });
    expect(listed.workflows).toEqual([expect.objectContaining({
      name: 'review-api', source: file, stageLines: { review: 7, summary: 12 },
      params: { concern: { description: 'What to look for', default: 'input validation' } },
    })]);

    writeFileSync(file, readFileSync(file, 'utf8').replace('dependsOn: [review]', 'dependsOn: [reveiw]'));
    const broken = await cliAsync(['workflows', 'validate', '--workspace', ws], env);
    expect(broken.code).toBe(2);
    expect(broken.stdout.trim()).toBe(`${file}:13:17: stage "summary" dependsOn: expected a stage of this workflow (review, summary); found "reveiw", which is no stage`);
    expect(broken.stderr).toContain('1 error in 1 file');

    const brokenJson = await cliAsync(['workflows', 'validate', '--workspace', ws, '--json'], env);
    expect(brokenJson.code).toBe(2);
    expect(JSON.parse(brokenJson.stdout)).toMatchObject({ valid: false, workflows: [], errors: [{ file, line: 13, column: 17, name: 'review-api' }] });

    const listed2 = await cliAsync(['workflows', '--workspace', ws], env);
    expect(listed2.code).toBe(0);
    expect(listed2.stdout).toContain(`${file}:13:17: stage "summary" dependsOn:`);

    // An agent the workspace does not define is an error too, at the stage's agent line.
    writeFileSync(file, REVIEW_API_WORKFLOW.replace('agent: api-reviewer ', 'agent: api-auditor  '));
    const unknown = await cliAsync(['workflows', 'validate', '--workspace', ws], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toContain(`${file}:8:12: stage "review" agent: expected a defined agent (api-reviewer); found "api-auditor", which is not defined`);

    const usage = await cliAsync(['workflows', 'check', '--workspace', ws], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('workflows takes list or validate; found "check"');
  });

  it('says there is nothing to validate in a workspace without workflows, and exits 0', async () => {
    const ws = makeWorkspace();
    const env = { ...keylessEnv(), HOME: mkdtempSync(path.join(os.tmpdir(), 'orch-home-')) };
    const r = await cliAsync(['workflows', 'validate', '--workspace', ws], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No workflows in');
  });
});

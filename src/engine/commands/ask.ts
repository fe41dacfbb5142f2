/**
 * Ask Agent: a follow-up question to an agent that has finished, answered by its own model with
 * its own record as context (task, return, output file and transcript, each bounded). It is one
 * request without tools, priced on that agent's ledger record like any of its requests, kept in
 * its transcript as a new attempt, and its answer is a file the user opens.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, costOf } from '../config';
import { readTextOrNull } from '../files';
import { RequestPolicy } from '../model/requests';
import { executingRun } from '../execution/executing';
import type { Run } from '../execution/run';
import { formatTranscript } from '../transcripts/format';
import { readTranscript } from '../transcripts/read';
import { sendRecorded } from '../transcripts/record';
import { cut } from '../transcripts/writer';
import { SETTLED_STATUSES, SENTINEL, type AgentRecord } from '../types';
import { withClaimedRun } from './agent';
import { CommandRefusedError } from './claim';
import type { AgentCommandOptions, CommandHost } from './host';

export interface AskResult {
  answer: string;
  /** The answer's file, absolute (asks/<agentId>-<n>.md in the run folder). */
  file: string;
}

export const ASKS_DIR = 'asks';
/** How much of its own record the agent is shown: the transcript's most recent part, the output's start. */
const TRANSCRIPT_CHARS = 24_000;
const OUTPUT_CHARS = 12_000;
const QUESTION_CHARS = 4_000;

export async function askAgent(host: CommandHost, runId: string, agentId: string, question: string, opts: AgentCommandOptions): Promise<AskResult> {
  const q = question.trim();
  if (!q) throw new ConfigError('The question is empty: ask the agent something');
  if (q.length > QUESTION_CHARS) throw new ConfigError(`The question is ${q.length} characters; at most ${QUESTION_CHARS} are allowed`);
  // A run executing in this process shares its ledger: the answer is priced there, with no lock.
  const live = executingRun(await host.dirOf(runId));
  if (live) return ask(host, live, agentId, q, opts);
  return withClaimedRun(host, runId, 'ask', `asking ${agentId}`, (run) => ask(host, run, agentId, q, opts), { allowForeign: opts.allowForeign });
}

async function ask(host: CommandHost, run: Run, agentId: string, question: string, opts: AgentCommandOptions): Promise<AskResult> {
  const { config } = host;
  const agent = run.ledger.get(agentId);
  if (!agent) throw new ConfigError(`Run ${run.id} has no agent ${agentId} (agents: ${run.ledger.agents.map((a) => a.id).join(', ')})`);
  if (!SETTLED_STATUSES.has(agent.status)) throw new CommandRefusedError(`Agent ${agentId} is ${agent.status}; ask it when it has finished`);
  const spent = run.ledger.totals.costUsd;
  if (config.maxCostUsd !== null && spent >= config.maxCostUsd) {
    throw new CommandRefusedError(`Run ${run.id} has reached its cost cap ($${spent.toFixed(4)} of $${config.maxCostUsd}, setting maxCostUsd); asking would spend more`);
  }
  opts.onRun?.(run);
  const signal = opts.signal ?? new AbortController().signal;
  const system = host.prompts.render('ask', {});
  const user = host.prompts.render('ask-user', await context(run, agent, question));
  const transcript = run.transcripts.agent(agentId);
  transcript.begin({ model: agent.modelRequested, system, shared: null, prompt: user, instruction: null });
  transcript.write({ type: 'ask', question });
  const policy = new RequestPolicy(host.model, config, host.clock, {
    onTerminal: () => undefined,
    onRetry: (err, n, wait) => run.ledger.log('warn', `${agentId} (ask): retry ${n} in ${Math.round(wait)} ms after ${err.message}`),
  });
  try {
    const res = await sendRecorded(policy, {
      model: agent.modelRequested,
      system: [{ type: 'text', text: system }],
      messages: [{ role: 'user', content: [{ type: 'text', text: user }] }],
      maxTokens: config.maxTokensPerResponse, signal, timeoutMs: config.requestTimeoutMs,
    }, config.tierCaps[agent.tier], transcript, 1, (n) => run.ledger.countRedactions(agentId, n));
    const cost = costOf(config.prices, res.model, res.usage) ?? costOf(config.prices, agent.modelRequested, res.usage) ?? 0;
    run.ledger.addUsage(agentId, res.model, res.usage, cost);
    transcript.usage(res.usage, cost, res.stopReason, res.model);
    const answer = res.content.filter((b) => b.type === 'text').map((b) => b.text).join('\n').trim();
    if (!answer) throw new CommandRefusedError(`Agent ${agentId} answered nothing (stop reason ${res.stopReason ?? 'none'})`);
    const file = await writeAnswer(run.dir, agent, question, answer, res.model);
    const rel = path.relative(run.dir, file).split(path.sep).join('/');
    transcript.write({ type: 'answer', text: answer, file: rel });
    run.ledger.recordCommand('ask', agentId, `${rel}: ${cut(question, 200)}`);
    return { answer, file };
  } finally {
    await run.transcripts.flush(true);
    await run.ledger.flush();
  }
}

/** The agent's own record, bounded: what the prompt's placeholders hold. */
async function context(run: Run, agent: AgentRecord, question: string): Promise<Record<string, string>> {
  const { entries, problem } = await readTranscript(run.dir, agent.id);
  let transcript = formatTranscript(entries);
  if (transcript.length > TRANSCRIPT_CHARS) transcript = `[… the first ${transcript.length - TRANSCRIPT_CHARS} characters are left out]\n${transcript.slice(-TRANSCRIPT_CHARS)}`;
  if (problem) transcript += `\n[${problem}]`;
  const output = await readTextOrNull(path.join(run.dir, agent.outputFile)).catch(() => null);
  return {
    agentId: agent.id, role: agent.role, status: `${agent.status}${agent.error ? ` — ${agent.error}` : ''}`, task: agent.task,
    returned: agent.returned ?? '(nothing)', outputFile: agent.outputFile,
    output: output === null ? '(not written)' : cut(output.replace(SENTINEL, '').trimEnd(), OUTPUT_CHARS),
    transcript: transcript || '(no transcript: this agent ran before transcripts were kept, or never ran)',
    question,
  };
}

/** Writes the answer as asks/<agentId>-<n>.md, n one past the highest so far (created exclusively, so two asks never share one). */
async function writeAnswer(runDir: string, agent: AgentRecord, question: string, answer: string, model: string): Promise<string> {
  const dir = path.join(runDir, ASKS_DIR);
  await fs.mkdir(dir, { recursive: true });
  const re = new RegExp(`^${agent.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)\\.md$`);
  let n = 1 + Math.max(0, ...(await fs.readdir(dir)).map((f) => Number(re.exec(f)?.[1] ?? 0)));
  const body = `# Question to ${agent.id} (${agent.role})\n\n${question.split('\n').map((l) => `> ${l}`).join('\n')}\n\n## Answer (${model})\n\n${answer}\n`;
  for (;; n++) {
    const file = path.join(dir, `${agent.id}-${n}.md`);
    try {
      await fs.writeFile(file, body, { flag: 'wx' });
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * `run --task-file PATH` (or `-` for standard input): a task longer than the shell's argument
 * limit allows, read as a stream so an oversized file is measured without being held in memory.
 */
import { createReadStream } from 'node:fs';
import { MAX_TASK_CHARS, taskLength, taskTooLong } from '../engine';
import { UsageError } from './args';

/** UTF-16 units kept while reading; beyond them the text is only counted (trimming cannot bring it under the maximum by much). */
const KEEP_UNITS = MAX_TASK_CHARS * 4;

/**
 * The task text of `file` (`-`: `stdin`), trimmed. Throws UsageError naming the file when it
 * cannot be read, is empty, or is longer than the maximum (with its size and the maximum).
 */
export async function readTaskFile(file: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const name = file === '-' ? 'The task on standard input' : `The task file ${file}`;
  const stream = file === '-' ? stdin : createReadStream(file);
  stream.setEncoding('utf8');
  let kept = '';
  let chars = 0;
  let overflow = false;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      chars += taskLength(chunk);
      if (!overflow && kept.length + chunk.length <= KEEP_UNITS) kept += chunk;
      else { overflow = true; kept = ''; }
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(`Cannot read the task file ${file}: ${e.code === 'ENOENT' ? 'it does not exist' : e.code === 'EISDIR' ? 'it is a folder' : e.message}`);
  }
  if (overflow) {
    throw new UsageError(`${name} is ${chars.toLocaleString('en-US')} characters; at most ${MAX_TASK_CHARS.toLocaleString('en-US')} are allowed. `
      + 'Put long material in a file in the workspace and name that file in the task.');
  }
  const text = kept.trim();
  if (!text) throw new UsageError(`${name} is empty: describe what the agents should do`);
  const tooLong = taskTooLong(text, name);
  if (tooLong) throw new UsageError(tooLong);
  return text;
}

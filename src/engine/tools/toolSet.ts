/**
 * The one shape of a role's tools. A tool is its definition (name, description, the JSON schema of
 * its zod input) and one handler `(input, ctx) => reply`; a set of them dispatches by name. The
 * agent loop (`converse`) only looks tools up in the set it is given: the workspace tools of
 * tools.ts and the supervisor's `spawn_workers`/`finish` are sets of this one kind.
 *
 * Invariant: `call` never throws. An unknown tool, input the schema refuses and a handler that
 * throws all come back as an error result the model can read and act on.
 */
import type { z } from 'zod';
import type { ToolDefinition } from '../model/client';
import { describeIssue, errorText, jsonSchemaOf, preview, signatureOf } from './schema';

/** A tool call's outcome, sent back to the model as a tool result. */
export interface ToolResult { content: string; isError: boolean }

/**
 * A call that ends the agent's loop (the supervisor's `finish`, or `spawn_workers`, which suspends
 * it until its workers return). Its result is not sent in this conversation: `value` goes to the
 * caller, and `note` is what the transcript records for the call.
 */
export interface ToolEnd<E> { end: E; note: string }

/** What a handler hands back; only a set whose tools may end the loop (`E` not `never`) has ends. */
export type ToolReply<E = never> = ToolResult | ([E] extends [never] ? never : ToolEnd<E>);

export function isToolEnd<E>(reply: ToolReply<E>): reply is ToolReply<E> & ToolEnd<E> {
  return 'end' in reply;
}

/** One tool: its definition, its input schema and its handler. */
export interface Tool<C, E = never> {
  readonly name: string;
  readonly definition: ToolDefinition;
  /** Input the schema refuses, as the model reads it. */
  invalid(input: unknown, error: z.ZodError): string;
  /** Validates `input` and runs the handler; may throw (the set turns that into an error result). */
  run(input: unknown, ctx: C): Promise<ToolReply<E>>;
}

export interface ToolSpec<S extends z.ZodType, C, E> {
  name: string;
  description: string;
  schema: S;
  /**
   * The handler, given the parsed input. A string is a successful result; a thrown error becomes an
   * error result reading `<name>: <message>`.
   */
  handle: (input: z.output<S>, ctx: C) => ToolReply<E> | string | Promise<ToolReply<E> | string>;
  /** The JSON schema sent to the model; by default `jsonSchemaOf(schema)`. */
  inputSchema?: Record<string, unknown>;
  /** How refused input reads; by default `<name>: expected {signature}, got <input> (<issues>)`. */
  invalid?: (input: unknown, error: z.ZodError) => string;
}

/** Defines one tool from its schema and its handler. */
export function defineTool<S extends z.ZodType, C, E = never>(spec: ToolSpec<S, C, E>): Tool<C, E> {
  const inputSchema = spec.inputSchema ?? jsonSchemaOf(spec.schema);
  const signature = signatureOf(inputSchema);
  const invalid = spec.invalid
    ?? ((input: unknown, error: z.ZodError) => `${spec.name}: expected ${signature}, got ${preview(input)} (${error.issues.map(describeIssue).join('; ')})`);
  return {
    name: spec.name,
    definition: { name: spec.name, description: spec.description, input_schema: inputSchema },
    invalid,
    async run(input, ctx) {
      const parsed = spec.schema.safeParse(input);
      if (!parsed.success) return { isError: true, content: invalid(input, parsed.error) };
      const reply = await spec.handle(parsed.data, ctx);
      return typeof reply === 'string' ? { isError: false, content: reply } : reply;
    },
  };
}

/** A role's tools bound to one agent's context: what `converse` is given. */
export interface AgentTools<E = never> {
  /** Fresh objects each call, in the set's order. */
  definitions(): ToolDefinition[];
  call(name: string, input: unknown): Promise<ToolReply<E>>;
}

/** A named set of tools, dispatched by name. */
export class ToolSet<C, E = never> {
  private readonly byName: ReadonlyMap<string, Tool<C, E>>;
  /** Serialised once: every copy is identical, so the definitions can sit in a prompt-cache prefix. */
  private readonly json: string;

  constructor(
    readonly tools: readonly Tool<C, E>[],
    private readonly unknown: (name: string, names: readonly string[]) => string =
    (name, names) => `${name}: expected one of ${names.join(', ')}, got unknown tool "${name}"`,
  ) {
    this.byName = new Map(tools.map((t) => [t.name, t]));
    this.json = JSON.stringify(tools.map((t) => t.definition));
  }

  get names(): string[] {
    return this.tools.map((t) => t.name);
  }

  /** The definitions to send with a request, as fresh objects (a caller may mark one without changing the next copy). */
  definitions(): ToolDefinition[] {
    return JSON.parse(this.json) as ToolDefinition[];
  }

  /** Runs one call. Never throws. */
  async call(name: string, input: unknown, ctx: C): Promise<ToolReply<E>> {
    const tool = this.byName.get(name);
    if (!tool) return { isError: true, content: this.unknown(name, this.names) };
    try {
      return await tool.run(input, ctx);
    } catch (err) {
      return { isError: true, content: `${name}: ${errorText(err)}` };
    }
  }

  /** The set bound to one agent's context. */
  bind(ctx: C): AgentTools<E> {
    return { definitions: () => this.definitions(), call: (name, input) => this.call(name, input, ctx) };
  }
}

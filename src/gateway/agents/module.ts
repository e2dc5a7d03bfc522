// Agents written in JavaScript or TypeScript, plugged in without spawning a command: the worker
// imports the module named by `agent.module` (config.json) and uses its default export. The worker
// is a child process, so an agent object cannot be handed over from the embedding program; a module
// path can. A module that does not load or does not implement Agent is a configuration error
// (exit 78), named with the file and the cause, so that the monitor does not respawn into it.
import { pathToFileURL } from 'node:url';
import { ERROR_CODES, GatehouseError, errorMessage } from '../../errors.js';
import type { AgentConfig } from '../config.js';
import type { Agent } from './types.js';

type ModuleAgentConfig = Extract<AgentConfig, { kind: 'module' }>;

/** What the factory learns about the gateway it serves. */
export interface AgentModuleContext {
  readonly profile: string;
  /** The profile's directory: a place for the agent's own files (0700). */
  readonly profileDir: string;
}

/** The options from config.json (`agent.options`), as written there. */
export type AgentOptions = Readonly<Record<string, unknown>>;

/** A default export may be the agent itself, or a factory (function or class) that builds it. */
export type AgentFactory = (options: AgentOptions, context: AgentModuleContext) => Agent | Promise<Agent>;
export type AgentClass = new (options: AgentOptions, context: AgentModuleContext) => Agent;
export type AgentModuleExport = Agent | AgentFactory | AgentClass;

/** For agent modules: `export default defineAgent({ async reply(request) { ... } })` type-checks the shape. */
export function defineAgent<T extends AgentModuleExport>(agent: T): T {
  return agent;
}

function isAgent(value: unknown): value is Agent {
  return typeof value === 'object' && value !== null && typeof (value as { reply?: unknown }).reply === 'function';
}

function isClass(fn: (...args: never[]) => unknown): boolean {
  // Calling a class without `new` throws; its source text is the only way to tell one from a function.
  return Function.prototype.toString.call(fn).startsWith('class');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const keys = Object.keys(value);
  return keys.length === 0 ? 'an object with no reply method' : `an object with ${keys.slice(0, 5).join(', ')} but no reply method`;
}

function configError(file: string, message: string, cause?: unknown): GatehouseError {
  return new GatehouseError(ERROR_CODES.CONFIG_INVALID, `agent.module ${file}: ${message}`, {
    hint: 'its default export must be an Agent (an object with an async reply method, the Agent interface), or a function or class that returns one',
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Import the module and build its agent; throws GatehouseError(CONFIG_INVALID) saying what is wrong. */
export async function loadModuleAgent(config: ModuleAgentConfig, context: AgentModuleContext): Promise<Agent> {
  const file = config.module;
  let loaded: { default?: unknown };
  try {
    loaded = await import(pathToFileURL(file).href) as { default?: unknown };
  } catch (error) {
    throw configError(file, `cannot be loaded: ${errorMessage(error)}`, error);
  }
  const exported = loaded.default;
  if (exported === undefined) throw configError(file, 'has no default export');
  let agent: unknown = exported;
  if (typeof exported === 'function') {
    try {
      agent = isClass(exported as AgentFactory) ? new (exported as AgentClass)(config.options, context) : await (exported as AgentFactory)(config.options, context);
    } catch (error) {
      throw configError(file, `its default export threw while building the agent: ${errorMessage(error)}`, error);
    }
  }
  if (!isAgent(agent)) throw configError(file, `its default export ${typeof exported === 'function' ? 'returned' : 'is'} ${describe(agent)}, not an Agent`);
  return agent;
}

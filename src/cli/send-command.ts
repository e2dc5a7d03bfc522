// `gatehouse send SESSION TEXT`, read without commander and the other commands' modules, as
// `status` is (status-command.ts): scripts and bots call it once per message. A command line this
// cannot read exactly (--help, a typo, a missing TEXT, a bad --timeout) goes to the full CLI,
// which explains it; both run sendCommand.
import { EXIT } from '../exit-codes.js';
import { DEFAULT_PROFILE, profilePaths } from '../paths.js';
import { fail, say } from './output.js';
import { runningApi } from './running-api.js';
import { secondsToMs } from './start-command.js';

const { parseArgs } = process.getBuiltinModule('node:util');

/** How long `--wait` waits for the reply when --timeout does not say. */
export const DEFAULT_WAIT_MS = 120_000;

export interface SendCommandOptions {
  readonly profile: string;
  readonly session: string;
  readonly text: string;
  readonly wait?: boolean;
  /** Milliseconds (the command line says seconds). */
  readonly timeout: number;
}

/** `send SESSION TEXT [-p|--profile NAME] [--wait] [--timeout S]`, or null for anything else. */
export function parseSendCommand(args: readonly string[]): SendCommandOptions | null {
  // `--` ends the options for commander and parseArgs alike, but what follows it is left to the full CLI.
  if (args[0] !== 'send' || args.includes('--')) return null;
  try {
    const { values, positionals } = parseArgs({
      args: args.slice(1),
      options: { profile: { type: 'string', short: 'p' }, wait: { type: 'boolean' }, timeout: { type: 'string' } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length !== 2) return null;
    const timeout = values.timeout === undefined ? DEFAULT_WAIT_MS : secondsToMs(values.timeout);
    if (timeout === null) return null;
    const [session, text] = positionals as [string, string];
    return { profile: values.profile ?? DEFAULT_PROFILE, session, text, timeout, ...(values.wait === true ? { wait: true } : {}) };
  } catch {
    return null;
  }
}

export async function sendCommand(options: SendCommandOptions): Promise<void> {
  const paths = profilePaths(options.profile);
  const api = await runningApi(paths, 'the message was not sent');
  if (api === null) return;
  const { client, ApiError } = api;
  let messageId: string;
  try {
    messageId = await client.send(options.session, options.text);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    fail(`the gateway refused the token in ${paths.token} (401): the file changed after it started`, '`gatehouse stop`, then `gatehouse start`');
    process.exitCode = EXIT.FAILURE;
    return;
  }
  if (options.wait !== true) {
    say(messageId);
    return;
  }
  const reply = await client.waitForReply(options.session, messageId, options.timeout);
  if (reply === null) {
    fail(`no reply within ${options.timeout} ms (message ${messageId} is accepted and will be answered)`);
    process.exitCode = EXIT.FAILURE;
    return;
  }
  say(reply.text);
}

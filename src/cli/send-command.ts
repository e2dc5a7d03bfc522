// `gatehouse send SESSION TEXT`, read without commander and the other commands' modules, as
// `status` is (status-command.ts): scripts and bots call it once per message. A command line this
// cannot read exactly (--help, a typo, a missing TEXT, a bad --timeout) goes to the full CLI,
// which explains it; both run sendCommand. The message goes over the control endpoint
// (control/send-message.ts); only --wait, and a gateway too old for that, use the HTTP API.
import { EXIT } from '../exit-codes.js';
import { profilePaths, type ProfilePaths } from '../paths.js';
import type { ApiClient } from '../control/api-client.js';
import { readCommandLine } from './fast-args.js';
import { fail, say } from './output.js';
import { runningApi, sayNotRunning, sayUnproven } from './running-api.js';
import { secondsToMs } from './start-command.js';

/** How an error that stopped the message ends. */
const NOT_SENT = 'the message was not sent';

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
  return readCommandLine(args, { name: 'send', options: { wait: { type: 'boolean' }, timeout: { type: 'string' } }, positionals: 2 }, (values, positionals) => {
    const timeout = values.timeout === undefined ? DEFAULT_WAIT_MS : secondsToMs(values.timeout);
    const [session, text] = positionals as [string, string];
    return timeout === null ? null : { session, text, timeout, ...(values.wait === true ? { wait: true } : {}) };
  });
}

export async function sendCommand(options: SendCommandOptions): Promise<void> {
  const paths = profilePaths(options.profile);
  const { sendOverControl } = await import('../control/send-message.js');
  const sent = await sendOverControl(paths, options.session, options.text);
  switch (sent.kind) {
    case 'unsupported': return sendOverHttp(paths, options);
    case 'not-running':
      sayNotRunning();
      return;
    case 'unproven':
      await sayUnproven(paths, sent.claim, NOT_SENT);
      return;
    case 'refused':
      fail(`the gateway refused the message (${sent.code}): ${sent.message}`);
      process.exitCode = EXIT.FAILURE;
      return;
    case 'gave-up':
      fail(`the gateway did not take the message (${sent.detail}); it was stored at most once`, '`gatehouse status` says why; send it again once it runs');
      process.exitCode = EXIT.FAILURE;
      return;
    case 'accepted':
      if (options.wait !== true) return say(sent.messageId);
      if (sent.apiUrl === null) {
        fail(`message ${sent.messageId} is accepted, but the gateway's API is not listening to wait for its reply`);
        process.exitCode = EXIT.FAILURE;
        return;
      }
      return waitForReply(new (await import('../control/api-client.js')).ApiClient(sent.apiUrl, sent.target.key as string), options, sent.messageId);
  }
}

/** The reply to an accepted message, polled over the HTTP API (the token is the one the send proved). */
async function waitForReply(client: ApiClient, options: SendCommandOptions, messageId: string): Promise<void> {
  const reply = await client.waitForReply(options.session, messageId, options.timeout);
  if (reply === null) {
    fail(`no reply within ${options.timeout} ms (message ${messageId} is accepted and will be answered)`);
    process.exitCode = EXIT.FAILURE;
    return;
  }
  say(reply.text);
}

/** A gateway older than `send` on the control endpoint: the message goes over its HTTP API. */
async function sendOverHttp(paths: ProfilePaths, options: SendCommandOptions): Promise<void> {
  const api = await runningApi(paths, NOT_SENT);
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
  if (options.wait !== true) return say(messageId);
  return waitForReply(client, options, messageId);
}

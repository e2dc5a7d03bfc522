// send: put a message into a session through the API; --wait prints the reply.
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { fail, say } from './output.js';
import { runningApi } from './running-api.js';
import { parseSeconds, pathsFor, withProfile, type ProfileOption } from './options.js';

const DEFAULT_WAIT_MS = 120_000;

export function registerSendCommand(program: Command): void {
  withProfile(program.command('send'))
    .description('send TEXT to SESSION through the HTTP API')
    .argument('<session>', 'session id')
    .argument('<text>', 'message text')
    .option('--wait', 'wait for the reply and print it')
    .option('--timeout <seconds>', 'how long --wait waits', parseSeconds, DEFAULT_WAIT_MS)
    .action(async (session: string, text: string, options: ProfileOption & { wait?: boolean; timeout: number }) => {
      const paths = pathsFor(options);
      const api = await runningApi(paths, 'the message was not sent');
      if (api === null) return;
      const { client, ApiError } = api;
      let messageId: string;
      try {
        messageId = await client.send(session, text);
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
      const reply = await client.waitForReply(session, messageId, options.timeout);
      if (reply === null) {
        fail(`no reply within ${options.timeout} ms (message ${messageId} is accepted and will be answered)`);
        process.exitCode = EXIT.FAILURE;
        return;
      }
      say(reply.text);
    });
}

// send: put a message into a session through the API; --wait prints the reply.
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { fail, say } from './output.js';
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
      const [{ ApiClient }, { requestStatus }, { readToken }, { platform }] = await Promise.all([
        import('../control/api-client.js'), import('../control/client.js'), import('../gateway/token.js'), import('../platform/index.js'),
      ]);
      const token = readToken(paths.token);
      const status = token === null ? null : await requestStatus(platform.controlEndpoint(paths.dir).address, token);
      if (token === null || status === null || !status.ok || status.data.apiUrl === null) {
        fail('gatehouse is not running', 'start it with `gatehouse start`');
        process.exitCode = EXIT.NOT_RUNNING;
        return;
      }
      const client = new ApiClient(status.data.apiUrl, token);
      const messageId = await client.send(session, text);
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

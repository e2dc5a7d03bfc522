// send: put a message into a session through the API; --wait prints the reply. Read without
// commander on the way in (main.ts, send-command.ts); here for --help and the usage errors.
import type { Command } from 'commander';
import { parseSeconds, withProfile, type ProfileOption } from './options.js';
import { DEFAULT_WAIT_MS, sendCommand } from './send-command.js';

export function registerSendCommand(program: Command): void {
  withProfile(program.command('send'))
    .description('send TEXT to SESSION through the HTTP API')
    .argument('<session>', 'session id')
    .argument('<text>', 'message text')
    .option('--wait', 'wait for the reply and print it')
    .option('--timeout <seconds>', 'how long --wait waits', parseSeconds, DEFAULT_WAIT_MS)
    .action(async (session: string, text: string, options: ProfileOption & { wait?: boolean; timeout: number }) => {
      await sendCommand({ ...options, session, text });
    });
}

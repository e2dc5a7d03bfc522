// Chat commands the channel answers itself instead of passing them to the agent: /status (any
// allowed chat) and /restart (admin chats). /restart takes the same path as POST /v1/admin/restart
// (the worker asks the monitor over IPC); the request is committed with the update, once, so a
// redelivered /restart is a no-op (hm#49201, fixed there by #11940), and the worker that comes up
// after the restart sends the confirmation (hm#72663: it was dropped there).
import type { ChatRef } from './types.js';

export type Command = { readonly name: 'status' } | { readonly name: 'restart'; readonly full: boolean };

export interface CommandContext {
  readonly adminChats: readonly number[];
  /** The gateway's state as a few lines, for /status. */
  readonly statusText: () => string;
  /** Ask the monitor to replace the worker (or, full, the monitor too). */
  readonly requestRestart: (full: boolean) => void;
}

/** `/status`, `/restart`, `/restart full`, also as `/status@ThisBot`; anything else is not a command. */
export function parseCommand(text: string, username: string | null): Command | null {
  const match = /^\/(status|restart)(?:@([A-Za-z0-9_]+))?(?:\s+(.*))?$/s.exec(text.trim());
  if (match === null) return null;
  if (match[2] !== undefined && username !== null && match[2].toLowerCase() !== username.toLowerCase()) return null;
  if (match[1] === 'status') return { name: 'status' };
  return { name: 'restart', full: (match[3] ?? '').trim() === 'full' };
}

export interface CommandEffects {
  readonly parts: readonly string[];
  readonly restart: boolean;
}

/**
 * Answer a command: `commit` records the update with its answer (and a restart request) in one
 * transaction; side effects happen only after it returned. Returns 'committed'.
 */
export function runCommand(ctx: CommandContext, command: Command, chat: ChatRef, commit: (effects: CommandEffects) => void): 'committed' {
  if (command.name === 'status') {
    commit({ parts: [ctx.statusText()], restart: false });
    return 'committed';
  }
  if (!ctx.adminChats.includes(chat.chatId)) {
    commit({ parts: [`Only admin chats may /restart (this chat, ${chat.chatId}, is not in adminChats).`], restart: false });
    return 'committed';
  }
  commit({ parts: [`Restarting the gateway${command.full ? ' (monitor and worker)' : ''}; I will say when it is back.`], restart: true });
  ctx.requestRestart(command.full);
  return 'committed';
}

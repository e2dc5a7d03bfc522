// One update in, one transaction: the update's row in telegram_updates (with the offset one past
// it) and, for a chat message, its session message are committed together (or neither is), so the
// next getUpdates confirms to Telegram only what is durable here.
// Every update leaves a row, whatever became of it: accepted, a command, an unknown sender, too
// old to answer (the catch-up policy), or ignored.
import type { Logger } from '../../runtime/json-log.js';
import type { Dispatcher } from '../../gateway/dispatcher.js';
import type { SessionStore } from '../../gateway/store.js';
import { parseCommand, type CommandContext, runCommand } from './commands.js';
import type { TelegramChannelConfig } from './config.js';
import type { TelegramTables, UpdateRecord } from './tables.js';
import { chatRefOf, sessionIdFor, type ChatRef, type TgUpdate } from './types.js';

export type CommitResult = 'committed' | 'duplicate' | 'refused';

export interface InboundDeps {
  readonly config: TelegramChannelConfig;
  readonly botId: string;
  readonly username: () => string | null;
  readonly store: SessionStore;
  readonly dispatcher: Dispatcher;
  readonly tables: TelegramTables;
  readonly log: Logger;
  readonly commands: CommandContext;
}

function describeSender(update: TgUpdate): string {
  const m = update.message!;
  const who = m.from === undefined ? 'someone' : `user ${m.from.id}${m.from.username === undefined ? '' : ` (@${m.from.username})`}`;
  return `${who} in ${m.chat.type} chat ${m.chat.id}`;
}

/** Record an update that is not a session message, with the parts of its answer, in one transaction. */
function recordOnly(deps: InboundDeps, record: UpdateRecord, answer: readonly string[] = []): void {
  deps.store.inTransaction(() => {
    deps.tables.recordUpdate(record);
    if (answer.length > 0 && record.chat !== null) deps.tables.addParts(deps.tables.updateSource(record.updateId), record.chat, record.tgMessageId, answer);
  });
}

export function commitUpdate(deps: InboundDeps, update: TgUpdate, now: number = Date.now()): CommitResult {
  const { tables, config, botId } = deps;
  if (tables.isRecorded(update.update_id)) return 'duplicate';
  const base = { bot: botId, updateId: update.update_id, chat: null as ChatRef | null, tgMessageId: null as number | null, messageId: null, updateDate: null as number | null };
  const message = update.message;
  if (message === undefined) {
    recordOnly(deps, { ...base, outcome: 'ignored', detail: `not a message (${Object.keys(update).filter((k) => k !== 'update_id').join(', ') || 'empty'})` });
    return 'committed';
  }
  const chat = chatRefOf(message);
  const seen = { ...base, chat, tgMessageId: message.message_id, updateDate: message.date };
  if (!config.allowedChats.includes(chat.chatId)) {
    deps.log.warn({ chatId: chat.chatId, fromId: message.from?.id }, 'message from a chat that is not in allowedChats: recorded, not answered');
    recordOnly(deps, { ...seen, outcome: 'unknown_sender', detail: describeSender(update) });
    return 'committed';
  }
  const ageS = Math.floor(now / 1000) - message.date;
  if (config.catchUpMaxAgeS > 0 && ageS > config.catchUpMaxAgeS) {
    const when = new Date(message.date * 1000).toISOString();
    recordOnly(deps, { ...seen, outcome: 'skipped_old', detail: `${ageS} s old (catchUpMaxAgeS ${config.catchUpMaxAgeS})` },
      [`Not answered: your message from ${when} waited ${Math.round(ageS / 60)} min while the gateway was away, longer than its catch-up limit (${Math.round(config.catchUpMaxAgeS / 60)} min). Send it again if it still matters.`]);
    return 'committed';
  }
  if (message.text === undefined) {
    recordOnly(deps, { ...seen, outcome: 'ignored', detail: 'not a text message' }, ['I can only read text messages.']);
    return 'committed';
  }
  const command = parseCommand(message.text, deps.username());
  if (command !== null) {
    return runCommand(deps.commands, command, chat, (effects) => {
      deps.store.inTransaction(() => {
        tables.recordUpdate({ ...seen, outcome: 'command', detail: message.text!.slice(0, 100) });
        tables.addParts(tables.updateSource(update.update_id), chat, message.message_id, effects.parts);
        if (effects.restart) tables.recordRestartRequest(update.update_id, chat);
      });
    });
  }
  const accepted = deps.dispatcher.accept(sessionIdFor(botId, chat), message.text, (m) => {
    tables.recordUpdate({ ...seen, outcome: 'accepted', messageId: m.id, detail: null });
  });
  return accepted === null ? 'refused' : 'committed';
}

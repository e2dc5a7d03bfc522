// From stored reply to outbox parts. The reply is committed by the dispatcher in the transaction
// that closes the message; its parts are derived from it here (splitMessage is deterministic) and
// inserted in one transaction with the mark that says it was done, so a crash between the two
// steps loses nothing: the next pass (the next boot) derives the same parts again. A message the
// agent failed on gets a short notice instead of silence (oc#112259: a turn vanished unnoticed).
import type { SessionStore } from '../../gateway/store.js';
import { faultPoint } from './fault.js';
import { splitMessage } from './splitter.js';
import type { TelegramTables } from './tables.js';

export interface MaterializeResult {
  /** Parts were added: the sender has work. */
  readonly added: number;
  /** Chats with a message still being answered (for the typing indicator). */
  readonly busyChats: ReadonlyMap<number, number | null>;
  /** Chat messages committed and not yet answered. */
  readonly inFlight: number;
}

export function failureNotice(error: string | null): string {
  return `Sorry, this message could not be answered: ${(error ?? 'the agent failed').slice(0, 500)}`;
}

export function materialize(store: SessionStore, tables: TelegramTables): MaterializeResult {
  let added = 0;
  let inFlight = 0;
  const busyChats = new Map<number, number | null>();
  for (const row of tables.unanswered()) {
    let parts: string[] | null = null;
    let source = '';
    if (row.status === 'done' && row.replyId !== null) {
      parts = splitMessage(row.replyText ?? '');
      if (parts.length === 0) parts = ['(the agent gave an empty reply)'];
      source = `reply:${row.replyId}`;
    } else if (row.status === 'failed') {
      parts = [failureNotice(row.error)];
      source = `failed:${row.messageId}`;
    }
    if (parts === null) {
      inFlight += 1;
      busyChats.set(row.chat.chatId, row.chat.threadId);
      continue;
    }
    const texts = parts;
    store.inTransaction(() => {
      tables.addParts(source, row.chat, row.tgMessageId, texts);
      tables.markAnswered(row.updateId, row.sequence);
    });
    added += texts.length;
    faultPoint('after-outbox');
  }
  return { added, busyChats, inFlight };
}

// The Telegram channel's configuration: one entry of config.json's `channels` array. The shape the
// user writes is {kind, tokenFile, apiRoot, allowedChats, adminChats}; everything else has a default.
import { z } from 'zod';
import { channelName } from './channel-name.js';

export { channelName } from './channel-name.js';

export const DEFAULT_API_ROOT = 'https://api.telegram.org';
export const DEFAULT_TOKEN_FILE = 'telegram.token';
/** Telegram keeps an update for 24 h; what waited longer than this while we were down is skipped (and recorded). */
export const DEFAULT_CATCH_UP_MAX_AGE_S = 6 * 3600;
/** The long-poll timeout sent to getUpdates: Telegram holds the request open this long when idle. */
export const DEFAULT_POLL_TIMEOUT_S = 25;
/** At most this many chat messages accepted and not yet answered; polling pauses when full. */
export const DEFAULT_MAX_IN_FLIGHT = 32;
/** Update-ledger rows kept below the last offset Telegram confirmed (retention.ts removes older answered ones). */
export const DEFAULT_KEEP_UPDATES = 1_000;
/** Telegram's documented limits (FAQ "My bot is hitting limits"). */
export const TELEGRAM_LIMITS = { perChatPerS: 1, chatBurst: 3, perGroupPerMin: 20, perBotPerS: 30 } as const;

const chatId = z.number().int().refine((n) => n !== 0, { message: 'a chat id is a non-zero integer' });

const limitsSchema = z.strictObject({
  perChatPerS: z.number().positive().default(TELEGRAM_LIMITS.perChatPerS),
  chatBurst: z.number().int().min(1).default(TELEGRAM_LIMITS.chatBurst),
  perGroupPerMin: z.number().positive().default(TELEGRAM_LIMITS.perGroupPerMin),
  perBotPerS: z.number().positive().default(TELEGRAM_LIMITS.perBotPerS),
});

export const telegramChannelSchema = z
  .strictObject({
    kind: z.literal('telegram'),
    /** Names the channel in status and logs; default `telegram` (then `telegram-2`, ...). */
    name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" or "-"').optional(),
    /** Relative to the profile directory; mode 0600. TELEGRAM_BOT_TOKEN stands in when it does not exist. */
    tokenFile: z.string().min(1).default(DEFAULT_TOKEN_FILE),
    apiRoot: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://api.telegram.org' }).default(DEFAULT_API_ROOT),
    /** Chats that are answered. Empty: none (said at start). */
    allowedChats: z.array(chatId).default([]),
    /** Chats that may /restart; each must be allowed too. */
    adminChats: z.array(chatId).default([]),
    catchUpMaxAgeS: z.number().int().min(0).default(DEFAULT_CATCH_UP_MAX_AGE_S),
    pollTimeoutS: z.number().int().min(0).max(50).default(DEFAULT_POLL_TIMEOUT_S),
    maxInFlight: z.number().int().min(1).max(100).default(DEFAULT_MAX_IN_FLIGHT),
    keepUpdates: z.number().int().min(0).default(DEFAULT_KEEP_UPDATES),
    /** Only for self-hosted Bot API servers and tests: Telegram's own limits are the default. */
    limits: limitsSchema.default({ ...TELEGRAM_LIMITS }),
  })
  .superRefine((channel, ctx) => {
    const allowed = new Set(channel.allowedChats);
    for (const [index, admin] of channel.adminChats.entries()) {
      if (!allowed.has(admin)) ctx.addIssue({ code: 'custom', path: ['adminChats', index], message: `chat ${admin} is an admin chat but not in allowedChats` });
    }
  });

/** `channels` in config.json: one entry per bot (Telegram is the only kind so far). */
export const channelsSchema = z.array(telegramChannelSchema).default([]).superRefine((channels, ctx) => {
  const names = channels.map(channelName);
  names.forEach((name, i) => {
    if (names.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `two channels are named ${JSON.stringify(name)}` });
  });
});

export type TelegramChannelConfig = z.infer<typeof telegramChannelSchema>;
export type TelegramLimits = TelegramChannelConfig['limits'];

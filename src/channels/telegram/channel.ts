// One Telegram bot, wired: token -> getMe -> the poller lock -> sender and poller, plus a short
// tick that turns stored replies into outbox parts and keeps a typing indicator up for chats
// waiting on the agent (typing.ts). It starts only when the worker is told to resume (no other
// worker is alive), so two workers never poll or send at once, and on a stop the poller stops
// first, the dispatcher drains, and the outbox flushes until the deadline.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../runtime/json-log.js';
import type { Dispatcher } from '../../gateway/dispatcher.js';
import type { SessionStore } from '../../gateway/store.js';
import { BotApi } from './bot-api.js';
import { Budgets } from './budget.js';
import type { CommandContext } from './commands.js';
import type { TelegramChannelConfig } from './config.js';
import { commitUpdate, type InboundDeps } from './inbound.js';
import { materialize } from './outbox.js';
import { acquirePollerLock, type PollerLock } from './poller-lock.js';
import { Poller, type PollerEvent } from './poller.js';
import { PollWatch } from '../poll-watch.js';
import { redact } from './redact.js';
import { Retention } from './retention.js';
import { retryDelayMs, SLOW_RETRY_MS } from './retry.js';
import { Sender } from './sender.js';
import { TelegramTables, writeChannelState, type StateFields } from './tables.js';
import { readBotToken } from './token.js';
import { TypingIndicator } from './typing.js';
import type { TgUser } from './types.js';

const TICK_MS = 20;
const IDLE_TICK_MS = 200;
/** The last successful poll is recorded at most this often. */
const POLL_WRITE_MS = 1_000;

export interface ChannelDeps {
  readonly name: string;
  readonly profileDir: string;
  readonly store: SessionStore;
  readonly dispatcher: Dispatcher;
  readonly log: Logger;
  readonly commands: Omit<CommandContext, 'adminChats'>;
  readonly env?: NodeJS.ProcessEnv;
  /** Out-of-band alerts (runtime/alerts): a refused channel, dead letters. */
  readonly alerts?: AlertSink;
  /** A reply part was confirmed this long after it entered the outbox (for /metrics). */
  readonly onDelivered?: (latencyMs: number) => void;
  /** No completed poll for this long is an incident (alerts.pollStaleAfterMs); undefined: not watched. */
  readonly pollStaleAfterMs?: number;
}

/** What the channel needs of the gateway's Alerts. */
export interface AlertSink {
  fire(incident: string, raise: { severity: 'critical' | 'warning' | 'info'; title: string; message: string; oneShot?: boolean }): void;
  resolve(incident: string, message: string): void;
}

interface Running {
  readonly token: string;
  readonly botId: string;
  readonly username: string;
  readonly api: BotApi;
  readonly lock: PollerLock;
  readonly tables: TelegramTables;
  readonly sender: Sender;
  readonly poller: Poller;
  readonly retention: Retention;
  readonly watch: PollWatch | null;
}

export class TelegramChannel {
  private running: Running | null = null;
  private readonly aborter = new AbortController();
  private tickTimer: NodeJS.Timeout | null = null;
  private state = 'starting';
  private budgets: Budgets;
  private readonly typing: TypingIndicator;
  private starting: Promise<void> | null = null;

  constructor(private readonly config: TelegramChannelConfig, private readonly deps: ChannelDeps) {
    this.budgets = new Budgets(config.limits);
    this.typing = new TypingIndicator(this.budgets);
  }

  get stateName(): string {
    return this.state;
  }

  /** Connect and start polling; failures are reported in status and retried slowly, never thrown. */
  start(): Promise<void> {
    this.starting ??= this.connect().catch((error: unknown) => {
      this.fail(`the channel stopped: ${redact(String(error), this.running?.token)}`);
    });
    return this.starting;
  }

  private get stopped(): boolean {
    return this.aborter.signal.aborted;
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.aborter.signal }).catch(() => { /* stopped */ });
  }

  private write(fields: StateFields): void {
    this.state = fields.state;
    this.alertOnState(fields);
    try {
      writeChannelState(this.deps.store.database, this.deps.name, fields);
    } catch (error) {
      this.deps.log.warn({ channel: this.deps.name }, `could not record the channel state: ${String(error)}`);
    }
  }

  /** Refused (401, 409, no usable token) is an incident until the channel polls again. */
  private alertOnState(fields: StateFields): void {
    const incident = `channel_refused:${this.deps.name}`;
    if (fields.state === 'failed' || fields.state === 'conflict') {
      this.deps.alerts?.fire(incident, { severity: 'critical', title: `channel ${this.deps.name} does not work`, message: redact(fields.detail ?? fields.state, this.running?.token) });
    } else if (fields.state === 'polling') {
      this.deps.alerts?.resolve(incident, `channel ${this.deps.name} polls again`);
    }
  }

  private fail(detail: string, bot: string | null = null): void {
    if (this.state !== 'failed' || detail !== this.lastFailure) this.deps.log.error({ channel: this.deps.name }, detail);
    this.lastFailure = detail;
    this.write({ state: 'failed', detail, bot, lastError: detail });
  }

  private lastFailure: string | null = null;
  private lastPollWrite = 0;

  private async connect(): Promise<void> {
    const { log, name } = this.deps;
    if (this.config.allowedChats.length === 0) log.warn({ channel: name }, 'telegram: allowedChats is empty, so no chat will be answered (messages are recorded as unknown senders)');
    let failures = 0;
    while (!this.stopped) {
      const token = readBotToken(this.deps.profileDir, this.config.tokenFile, this.deps.env);
      if (!token.ok) {
        this.fail(token.reason);
        await this.pause(SLOW_RETRY_MS);
        continue;
      }
      const api = new BotApi(this.config.apiRoot, token.token);
      const me = await api.call<TgUser>('getMe', {}, { signal: this.aborter.signal });
      if (me.kind !== 'ok') {
        api.close();
        if (this.stopped) return;
        const unauthorized = me.kind === 'refused' && me.status === 401;
        const detail = me.kind === 'refused' ? me.description : me.detail;
        this.fail(unauthorized ? `Telegram refused the bot token from ${token.from} (401 Unauthorized): put the right token there (BotFather, /token); retrying every ${SLOW_RETRY_MS / 1000} s` : `cannot reach the Bot API at ${this.config.apiRoot}: ${detail}`, token.botId);
        failures += 1;
        await this.pause(unauthorized ? SLOW_RETRY_MS : retryDelayMs(failures));
        continue;
      }
      const username = me.result.username ?? String(me.result.id);
      const lock = await acquirePollerLock(token.token, `profile ${this.deps.profileDir} (pid ${process.pid}, @${username})`);
      if (!lock.ok) {
        api.close();
        this.fail(`another gateway already polls bot @${username} on this machine: ${lock.holder}; one bot token can be polled by one gateway only`, token.botId);
        await this.pause(SLOW_RETRY_MS);
        continue;
      }
      if (this.stopped) {
        lock.lock.release();
        api.close();
        return;
      }
      this.begin(token.token, token.botId, username, api, lock.lock);
      return;
    }
  }

  private begin(token: string, botId: string, username: string, api: BotApi, lock: PollerLock): void {
    const { store, log, dispatcher } = this.deps;
    const tables = new TelegramTables(store.database, botId);
    const sender = new Sender(api, tables, this.budgets, log, {
      unauthorized: (detail) => this.fail(`Telegram refused the bot token (401) while sending: ${detail}`, botId),
      error: (detail) => this.write({ state: this.state, detail: null, bot: botId, lastError: detail }),
      deadLetter: (seq, chatId, detail) => this.deps.alerts?.fire(`dead_letter:${this.deps.name}:${seq}`, {
        severity: 'warning', title: `a reply could not be delivered on ${this.deps.name}`, oneShot: true,
        message: `outbox part ${seq} to chat ${chatId} is a dead letter: ${redact(detail, token)}`,
      }),
      delivered: (latencyMs) => this.deps.onDelivered?.(latencyMs),
    });
    const inbound: InboundDeps = {
      config: this.config, botId, username: () => username, store, dispatcher, tables, log,
      commands: { ...this.deps.commands, adminChats: this.config.adminChats },
    };
    const poller = new Poller({
      api, tables, log, pollTimeoutS: this.config.pollTimeoutS,
      capacity: () => this.config.maxInFlight - tables.unansweredCount(),
      commit: (update) => commitUpdate(inbound, update),
      event: (event) => this.onPollerEvent(event, botId),
    });
    const watch = this.deps.pollStaleAfterMs === undefined ? null : new PollWatch({
      channel: this.deps.name, staleAfterMs: this.deps.pollStaleAfterMs, alerts: this.deps.alerts,
      judged: () => this.state === 'polling' && !this.stopped,
    });
    const retention = new Retention(store.database, botId, this.config.keepUpdates, (work) => store.inTransaction(work));
    this.running = { token, botId, username, api, lock, tables, sender, poller, retention, watch };
    this.confirmRestarts(tables);
    log.info({ channel: this.deps.name, bot: `@${username}` }, 'telegram: polling');
    this.write({ state: 'polling', detail: `@${username}`, bot: botId, username });
    sender.start();
    poller.start();
    watch?.start();
    this.tick();
  }

  private onPollerEvent(event: PollerEvent, botId: string): void {
    const watch = this.running?.watch;
    switch (event.kind) {
      case 'paused':
      case 'resumed':
        watch?.pause(event.kind === 'paused');
        return;
      case 'polled': {
        watch?.polled();
        // One write a second at most: under a stream of updates polls follow each other closely.
        const now = Date.now();
        if (this.state === 'polling' && now - this.lastPollWrite < POLL_WRITE_MS) return;
        this.lastPollWrite = now;
        this.write({ state: 'polling', detail: `@${this.running?.username ?? '?'}`, bot: botId, lastPollAt: now });
        return;
      }
      case 'confirmed':
        this.prune(event.offset);
        return;
      case 'sequence-restarted':
        this.deps.log.info({ channel: this.deps.name, bot: `@${this.running?.username ?? '?'}`, offset: event.offset, updateId: event.updateId, sequence: event.sequence },
          `telegram: update ids started over (update ${event.updateId} below offset ${event.offset}; Telegram picks new ids after a week without updates): polling on from there as sequence ${event.sequence}`);
        return;
      case 'conflict':
      {
        const detail = `Telegram says another program polls this bot (409 Conflict: ${event.detail}); stop it (or delete its webhook); retrying every ${SLOW_RETRY_MS / 1000} s`;
        if (this.state !== 'conflict') this.deps.log.error({ channel: this.deps.name }, detail);
        this.write({ state: 'conflict', detail, bot: botId, lastError: detail });
        return;
      }
      case 'unauthorized':
        this.fail(`Telegram refused the bot token (401 Unauthorized: ${event.detail}); fix the token and run gatehouse restart`, botId);
        return;
      case 'error':
        watch?.failed(redact(event.detail, this.running?.token));
        this.deps.log.warn({ channel: this.deps.name }, `telegram: ${event.detail}`);
        this.write({ state: this.state === 'starting' ? 'polling' : this.state, detail: null, bot: botId, lastError: event.detail });
    }
  }

  /** After each answered poll: one bounded retention pass. A store that refuses it (a full disk) only delays it. */
  private prune(confirmedOffset: number): void {
    try {
      this.running?.retention.pass(confirmedOffset);
    } catch (error) {
      this.deps.log.warn({ channel: this.deps.name }, `telegram: retention pass failed, retried after the next poll: ${String(error)}`);
    }
  }

  /** The restart this chat asked for has happened (a different worker is running now): say so. */
  private confirmRestarts(tables: TelegramTables): void {
    for (const request of tables.restartsToConfirm()) {
      this.deps.store.inTransaction(() => {
        tables.addParts(`restarted:${request.updateId}:${request.requestedAt}`, request.chat, null, [`The gateway is back: worker pid ${process.pid} replaced pid ${request.byPid} (restart requested ${new Date(request.requestedAt).toISOString()}).`]);
        tables.confirmRestart(request.updateId);
      });
    }
  }

  /** Materialize replies, wake the sender, keep typing indicators up. */
  private tick(): void {
    const r = this.running;
    if (r === null) return;
    let busy = 0;
    try {
      const result = materialize(this.deps.store, r.tables);
      if (result.added > 0) r.sender.pump();
      busy = result.inFlight;
      this.typing.update(r.api, result.busyChats);
    } catch (error) {
      this.deps.log.error({ channel: this.deps.name }, `telegram: outbox pass failed: ${redact(String(error), r.token)}`);
    }
    this.tickTimer = setTimeout(() => this.tick(), busy > 0 ? TICK_MS : IDLE_TICK_MS);
  }

  /** First step of a stop: take no more updates. */
  async stopPolling(): Promise<void> {
    this.aborter.abort();
    await this.starting;
    this.running?.watch?.stop();
    await this.running?.poller.stop();
  }

  /** After the dispatcher drained: deliver what is stored, until the deadline. */
  async flush(deadline: number): Promise<void> {
    const r = this.running;
    if (r === null) return;
    materialize(this.deps.store, r.tables);
    await r.sender.flush(deadline);
  }

  async close(): Promise<void> {
    this.aborter.abort();
    if (this.tickTimer !== null) clearTimeout(this.tickTimer);
    const r = this.running;
    if (r === null) return;
    r.watch?.stop();
    await r.sender.stop();
    r.lock.release();
    r.api.close();
    this.write({ state: 'stopped', detail: `@${r.username}`, bot: r.botId });
  }
}

// Raising and clearing incidents from inside the gateway (monitor or worker). It writes files and
// starts the detached sender; it never waits for a receiver and never throws into its caller.
import type { ProfilePaths } from '../../paths.js';
import type { AlertsConfig } from './config.js';
import { openIncident, resolveIncident, type AlertRaise } from './outbox.js';
import { ensureSender } from './sender.js';

export type AlertErrorSink = (error: unknown, what: string) => void;

export class Alerts {
  constructor(
    private readonly paths: ProfilePaths,
    private readonly config: AlertsConfig,
    private readonly onError: AlertErrorSink,
    private readonly startSender: (paths: ProfilePaths) => void = ensureSender,
  ) {}

  /** A webhook is configured: incidents are sent, not only recorded. */
  get enabled(): boolean {
    return this.config.webhook !== undefined || this.config.webhookFile !== undefined;
  }

  /** Open the incident (once: repeats while it is open do nothing). */
  fire(incident: string, raise: AlertRaise): void {
    this.guard(`raise ${incident}`, () => openIncident(this.paths.dir, this.paths.profile, incident, raise, this.enabled));
  }

  /** Close it, with a `resolved` alert, if it was open. */
  resolve(incident: string, message: string): void {
    this.guard(`resolve ${incident}`, () => resolveIncident(this.paths.dir, this.paths.profile, incident, message, this.enabled));
  }

  private guard(what: string, change: () => boolean): void {
    try {
      if (change() && this.enabled) this.startSender(this.paths);
    } catch (error) {
      this.onError(error, what); // a full disk must not take the gateway down with its alert
    }
  }
}

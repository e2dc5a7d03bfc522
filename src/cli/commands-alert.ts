// `gatehouse alert`: alerting outside the chat. Without flags it says where alerts go and what is
// open; --test sends one now; --check is the watchdog the service manager runs on a timer.
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import type { ProfilePaths } from '../paths.js';
import type { AlertsConfig } from '../runtime/alerts/config.js';
import { ALERT_SEND_COMMAND } from '../runtime/alerts/names.js';
import { fail, printJson, say, warn } from './output.js';
import { pathsFor, withProfile, type ProfileOption } from './options.js';

interface AlertFlags extends ProfileOption {
  readonly test?: boolean;
  readonly check?: boolean;
  readonly now?: boolean;
  readonly json?: boolean;
}

async function alertsConfig(paths: ProfilePaths): Promise<AlertsConfig> {
  const { loadAlertsConfig } = await import('../runtime/alerts/config.js');
  return loadAlertsConfig(paths.config);
}

async function sendTest(paths: ProfilePaths, config: AlertsConfig, json: boolean): Promise<number> {
  const { resolveWebhook, webhookOrigin } = await import('../runtime/alerts/webhook.js');
  const { deliver } = await import('../runtime/alerts/sender.js');
  const { newEvent } = await import('../runtime/alerts/outbox.js');
  const webhook = resolveWebhook(paths.dir, config);
  if (webhook === null) {
    fail('no alerts are configured', 'set "alerts": {"webhook": "https://..."} (or webhookFile) in config.json');
    return EXIT.FAILURE;
  }
  if ('error' in webhook) {
    fail(webhook.error);
    return EXIT.FAILURE;
  }
  const event = newEvent(paths.profile, 'test', 'test', { severity: 'info', title: 'test alert', message: 'sent by `gatehouse alert --test`: alerts reach you' });
  const outcome = await deliver(paths.dir, webhook.url, config, event);
  if (json) printJson({ delivered: outcome.ok, to: webhookOrigin(webhook.url), error: outcome.error });
  else if (outcome.ok) say(`test alert delivered to ${webhookOrigin(webhook.url)}`);
  else fail(`the test alert was not delivered: ${outcome.error ?? 'unknown error'}`);
  return outcome.ok ? EXIT.OK : EXIT.FAILURE;
}

async function runCheck(paths: ProfilePaths, config: AlertsConfig, flags: AlertFlags): Promise<number> {
  const { Alerts } = await import('../runtime/alerts/index.js');
  const { checkGateway } = await import('../control/alert-check.js');
  // Send in this process, not a detached one: under a oneshot service (the systemd watchdog) the
  // manager ends every process of the unit when the check exits.
  let queued = false;
  const alerts = new Alerts(paths, config, (error, what) => warn(`could not ${what}: ${error instanceof Error ? error.message : String(error)}`), () => { queued = true; });
  const outcome = await checkGateway(paths, config, alerts, { now: flags.now === true });
  if (queued) {
    const { runSender } = await import('../runtime/alerts/sender.js');
    const sent = await runSender(paths, config);
    if (sent.lastError !== null) warn(`alert delivery: ${sent.lastError}`);
  }
  if (flags.json === true) printJson(outcome);
  else say(`${outcome.verdict}: ${outcome.detail}`);
  return EXIT.OK;
}

async function showAlerts(paths: ProfilePaths, json: boolean): Promise<number> {
  const { alertsStatus } = await import('../control/alert-probe.js');
  const summary = alertsStatus(paths);
  if (json) {
    printJson(summary);
    return EXIT.OK;
  }
  say(summary.configured ? `alerts go to ${summary.to}` : `alerts are not sent: ${summary.error ?? 'no alerts.webhook in config.json'}`);
  say(summary.open.length === 0 ? 'no open incident' : `open: ${summary.open.map((i) => `${i.incident} (since ${i.openedAt})`).join(', ')}`);
  say(`last sent: ${summary.lastSentAt ?? 'never'}; last delivered: ${summary.lastDeliveredAt ?? 'never'}${summary.lastError === null ? '' : `; last error: ${summary.lastError} at ${summary.lastErrorAt}`}`);
  return EXIT.OK;
}

export function registerAlertCommands(program: Command): void {
  withProfile(program.command('alert'))
    .description('alerts outside the chat: where they go and what is open; --test sends one; --check is the watchdog')
    .option('--test', 'send a test alert now and say whether it was delivered')
    .option('--check', 'look at the gateway once: raise gateway_down / gateway_wedged, or clear them')
    .option('--now', 'with --check: no grace period (the service manager says the gateway failed)')
    .option('--json', 'print one JSON object')
    .action(async (flags: AlertFlags) => {
      const paths = pathsFor(flags);
      const config = await alertsConfig(paths);
      if (flags.test === true) process.exitCode = await sendTest(paths, config, flags.json === true);
      else if (flags.check === true) process.exitCode = await runCheck(paths, config, flags);
      else process.exitCode = await showAlerts(paths, flags.json === true);
    });

  withProfile(program.command(ALERT_SEND_COMMAND, { hidden: true }))
    .action(async (flags: ProfileOption) => {
      const { runSender } = await import('../runtime/alerts/sender.js');
      const paths = pathsFor(flags);
      const outcome = await runSender(paths, await alertsConfig(paths));
      process.exitCode = outcome.failed === 0 ? EXIT.OK : EXIT.FAILURE;
    });
}

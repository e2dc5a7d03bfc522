// A local webhook receiver for alert tests: it records every JSON body it took, can refuse the next
// N posts with 503 (a receiver having a bad minute), and listens on a path holding a "secret", as
// Slack and Discord webhook URLs do, so tests can check the secret never leaks.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedAlert {
  readonly text: string;
  readonly content: string;
  readonly title: string;
  readonly message: string;
  readonly topic?: string;
  readonly gatehouse: { readonly state: string; readonly incident: string; readonly severity: string; readonly profile: string };
}

export class WebhookReceiver {
  readonly received: ReceivedAlert[] = [];
  /** Posts refused so far (each with 503). */
  refused = 0;
  private refuseNext = 0;
  private server: Server | null = null;
  readonly secret = `T0SECRET${Math.random().toString(36).slice(2, 12)}`;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => { body += c; });
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== `/hooks/${this.secret}` || req.headers['content-type'] !== 'application/json') {
          res.writeHead(404).end();
          return;
        }
        if (this.refuseNext > 0) {
          this.refuseNext -= 1;
          this.refused += 1;
          res.writeHead(503).end('busy');
          return;
        }
        this.received.push(JSON.parse(body) as ReceivedAlert);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/${this.secret}`;
    return this;
  }

  refuse(count: number): void {
    this.refuseNext = count;
  }

  /** Alerts for one incident, in arrival order, as `state` strings. */
  states(incident: string): string[] {
    return this.received.filter((a) => a.gatehouse.incident === incident).map((a) => a.gatehouse.state);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => { if (this.server === null) resolve(); else this.server.close(() => resolve()); });
  }
}

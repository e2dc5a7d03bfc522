// The store's and the dispatcher's part of /metrics: stored messages by status and the work queue.
import type { MetricFamily } from '../runtime/metrics-text.js';
import type { Dispatcher } from './dispatcher.js';
import type { SessionStore, UserMessageStatus } from './store.js';

const STATUSES: readonly UserMessageStatus[] = ['queued', 'processing', 'resume_pending', 'done', 'failed'];

export function storeFamilies(store: SessionStore, dispatcher: Dispatcher): MetricFamily[] {
  const counts = store.countByStatus();
  return [
    {
      name: 'gatehouse_messages', help: 'Stored user messages by status.', type: 'gauge',
      samples: STATUSES.map((status) => ({ labels: { status }, value: counts[status] ?? 0 })),
    },
    { name: 'gatehouse_queue_depth', help: 'Messages this worker holds: queued or being answered.', type: 'gauge', samples: [{ value: dispatcher.inFlight }] },
  ];
}

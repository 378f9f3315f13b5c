/**
 * @module observe/alerts/sender
 * Works off the delivery queue: leases due deliveries, hands each to its channel, records
 * the outcome, and retries with exponential backoff (1 s doubling to 5 min, at most 12
 * attempts, ~25 min in all). A lease that lapses (the sender died mid-send) makes the
 * delivery due again: delivery is at-least-once, and the delivery id travels as
 * `X-Baton-Delivery` / Message-ID so a receiver can drop the duplicate.
 */
import type { AlertStore, DeliveryRecord } from '../../store/index.js';
import { errorMessage } from '../../shared/index.js';
import type { Channel, DeliveryOutcome, Notification } from '../channels/types.js';

/** Attempts before a delivery is given up. */
export const MAX_DELIVERY_ATTEMPTS = 12;
/** How long a sender holds a delivery it is sending, ms. */
export const DELIVERY_LEASE_MS = 60_000;

/** Delay before attempt `n + 1` after `n` failed ones, ms. */
export function deliveryBackoff(failed: number): number {
  return Math.min(1000 * 2 ** Math.max(0, failed - 1), 5 * 60_000);
}

/** One finished delivery attempt, for metrics and the channel-failing rule. */
export interface DeliveryReport {
  delivery: DeliveryRecord;
  outcome: DeliveryOutcome;
  /** `delivered`, `retrying`, `failed`. */
  result: 'delivered' | 'retrying' | 'failed';
}

/** Sends due deliveries. */
export class Sender {
  private busy: Promise<number> | undefined;

  constructor(
    private readonly store: AlertStore,
    private readonly channels: ReadonlyMap<string, Channel>,
    private readonly owner: string,
    private readonly now: () => number,
    private readonly report: (r: DeliveryReport) => void,
  ) {}

  /** Sends what is due now (one pass at a time); resolves with how many were tried. */
  pass(): Promise<number> {
    this.busy ??= this.run().finally(() => {
      this.busy = undefined;
    });
    return this.busy;
  }

  private async run(): Promise<number> {
    let tried = 0;
    for (;;) {
      const due = await this.store.claimDeliveries(this.owner, this.now(), DELIVERY_LEASE_MS, 10);
      if (due.length === 0) return tried;
      await Promise.all(due.map((d) => this.send(d)));
      tried += due.length;
    }
  }

  private async send(d: DeliveryRecord): Promise<void> {
    const channel = this.channels.get(d.channel);
    let outcome: DeliveryOutcome;
    if (!channel) outcome = { ok: false, retryable: false, error: `no channel "${d.channel}" is configured`, durationMs: 0 };
    else {
      try {
        outcome = await channel.send(d.body as unknown as Notification, d.id);
      } catch (e) {
        outcome = { ok: false, retryable: true, error: errorMessage(e), durationMs: 0 };
      }
    }
    const attempts = d.attempts + 1;
    const now = this.now();
    const result = outcome.ok ? 'delivered' : outcome.retryable && attempts < MAX_DELIVERY_ATTEMPTS ? 'retrying' : 'failed';
    await this.store.finishDelivery(d.id, this.owner, {
      state: result === 'retrying' ? 'pending' : result, attempts,
      nextAt: result === 'retrying' ? now + deliveryBackoff(attempts) : now,
      ...(outcome.statusCode !== undefined ? { statusCode: outcome.statusCode } : outcome.exitCode !== undefined ? { statusCode: outcome.exitCode } : {}),
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      ...(outcome.ok ? { deliveredAt: now } : {}),
    });
    this.report({ delivery: { ...d, attempts }, outcome, result });
  }
}

/**
 * @module store/postgres/fleet-listen
 * LISTEN on a dedicated connection (a pooled one would be handed to other queries, and a
 * LISTEN lives as long as its session). When the connection drops (server restart,
 * `pg_terminate_backend`, network error) it reconnects with exponential backoff and
 * LISTENs again; notifications sent in between are lost, so `onConnect` tells the consumer
 * to poll. TCP keep-alive is on, so a silently dead peer is noticed by the OS.
 */
import type pg from 'pg';
import type { FleetChannel, FleetListener, ListenOptions } from '../fleet-types.js';
import { loadPg } from './dialect.js';
import { coerceError } from '../../shared/index.js';

const CHANNELS: readonly FleetChannel[] = ['baton_tasks', 'baton_done', 'baton_cancel'];

function isChannel(s: string): s is FleetChannel {
  return (CHANNELS as readonly string[]).includes(s);
}

/** The listener behind `FleetStore.listen`. */
export class PgListener implements FleetListener {
  private client: pg.Client | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private reconnects = 0;

  constructor(
    private readonly url: string,
    private readonly channels: FleetChannel[],
    private readonly onNotify: (channel: FleetChannel, payload: string) => void,
    private readonly opts: ListenOptions = {},
    private readonly connectTimeoutMs = 10_000,
  ) {
    for (const ch of channels) if (!isChannel(ch)) throw new TypeError(`unknown fleet channel '${String(ch)}'`);
  }

  /** Connects and LISTENs once. @throws the driver's error when the first connection fails. */
  async start(): Promise<void> {
    await this.open();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  private async open(): Promise<void> {
    const c = new (loadPg().Client)({
      connectionString: this.url,
      connectionTimeoutMillis: this.connectTimeoutMs,
      keepAlive: true,
      application_name: 'baton-listen',
    });
    let dead = false;
    const lost = (e: Error): void => {
      if (dead) return;
      dead = true;
      // Only a connection that was serving counts; one failing inside open() rejects there.
      if (this.client === c) this.drop(c, e);
    };
    c.on('error', lost);
    c.on('end', () => lost(new Error('LISTEN connection ended')));
    c.on('notification', (m) => {
      if (isChannel(m.channel)) this.onNotify(m.channel, m.payload ?? '');
    });
    try {
      await c.connect();
      await c.query(this.channels.map((ch) => `LISTEN ${ch}`).join('; '));
    } catch (e) {
      dead = true;
      await c.end().catch(() => undefined);
      throw e;
    }
    if (this.closed) {
      await c.end().catch(() => undefined);
      return;
    }
    this.client = c;
    if (dead) {
      // Dropped between the LISTEN's reply and here.
      this.drop(c, new Error('LISTEN connection ended'));
      return;
    }
    this.failures = 0;
    this.opts.onConnect?.(this.reconnects);
  }

  private drop(c: pg.Client, e: Error): void {
    this.client = undefined;
    c.end().catch(() => undefined);
    this.opts.onError?.(e);
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    const delay = Math.min(this.opts.maxBackoffMs ?? 5_000, (this.opts.backoffMs ?? 100) * 2 ** this.failures++);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reconnects++;
      this.open().catch((e: unknown) => {
        this.reconnects--;
        this.opts.onError?.(coerceError(e));
        this.schedule();
      });
    }, delay);
  }
}

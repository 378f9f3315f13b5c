/**
 * @module store/alert-sql
 * The one implementation of {@link AlertStore}, over a {@link SqlExecutor} each store
 * provides. Statements are written once with `?` placeholders; a transaction is a fixed
 * list of statements (no reads in between), so SQLite can run it synchronously inside one
 * better-sqlite3 transaction — where no other statement of the process can slip in — and
 * PostgreSQL inside BEGIN/COMMIT. A statement marked `guard` must change exactly one row,
 * or the whole list is rolled back: that is how compare-and-set versions and the unique
 * open key keep alerting exactly-once across servers.
 */
import { randomBytes } from 'node:crypto';
import type { JsonObject } from '../shared/index.js';
import type {
  AlertChange, AlertEventRecord, AlertFilter, AlertGroupRecord, AlertRecord, AlertState, AlertStore,
  DeliveryRecord, DeliveryState, NewAlertEvent, SilenceRecord, StoredAlertRule, StoredAlertRules,
} from './alert-types.js';

/** One statement of a transaction; `guard`: it must change exactly one row. */
export interface SqlStatement {
  sql: string;
  params: unknown[];
  guard?: boolean;
}

/** What a store gives the alert store: reads, and all-or-nothing statement lists. */
export interface SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  all(sql: string, params: unknown[]): Promise<Record<string, unknown>[]>;
  /** Runs the statements in one transaction; false (rolled back) when a guard changed no row. */
  transaction(statements: SqlStatement[]): Promise<boolean>;
}

/** Time-sortable id with a prefix: 8 base-36 chars of ms time + 8 random hex chars. */
export function newAlertId(prefix: string, now: number): string {
  return `${prefix}_${now.toString(36).padStart(8, '0')}${randomBytes(4).toString('hex')}`;
}

const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));
const json = <T>(v: unknown, fallback: T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : fallback);

function toAlert(r: Record<string, unknown>): AlertRecord {
  const a: AlertRecord = {
    id: String(r.id), key: String(r.alert_key), rule: String(r.rule), kind: String(r.kind),
    severity: r.severity as AlertRecord['severity'], state: r.state as AlertState, summary: String(r.summary),
    subject: json(r.subject, {}), labels: json(r.labels, {}), groupKey: String(r.group_key),
    firedAt: Number(r.fired_at), updatedAt: Number(r.updated_at), count: Number(r.seen),
    level: Number(r.level), round: Number(r.round), escalationDone: Number(r.escalation_done) === 1, version: Number(r.version),
  };
  const details = json<JsonObject | undefined>(r.details, undefined);
  if (details) a.details = details;
  const opt = { acknowledgedAt: num(r.acknowledged_at), resolvedAt: num(r.resolved_at), notifiedAt: num(r.notified_at) };
  for (const [k, v] of Object.entries(opt)) if (v !== undefined) (a as unknown as Record<string, unknown>)[k] = v;
  if (typeof r.acknowledged_by === 'string') a.acknowledgedBy = r.acknowledged_by;
  if (typeof r.resolved_by === 'string') a.resolvedBy = r.resolved_by;
  if (r.notified === 'firing' || r.notified === 'resolved') a.notified = r.notified;
  return a;
}

function toDelivery(r: Record<string, unknown>): DeliveryRecord {
  const d: DeliveryRecord = {
    id: String(r.id), channel: String(r.channel), body: json(r.body, {}), alertIds: json(r.alert_ids, []), reason: String(r.reason),
    state: r.state as DeliveryState, attempts: Number(r.attempts), nextAt: Number(r.next_at), createdAt: Number(r.created_at),
  };
  const deliveredAt = num(r.delivered_at);
  if (deliveredAt !== undefined) d.deliveredAt = deliveredAt;
  const statusCode = num(r.status_code);
  if (statusCode !== undefined) d.statusCode = statusCode;
  if (typeof r.error === 'string') d.error = r.error;
  if (typeof r.lease_owner === 'string') d.leaseOwner = r.lease_owner;
  const leaseUntil = num(r.lease_until);
  if (leaseUntil !== undefined) d.leaseUntil = leaseUntil;
  return d;
}

function toSilence(r: Record<string, unknown>): SilenceRecord {
  const s: SilenceRecord = {
    id: String(r.id), matchers: json(r.matchers, []), startsAt: Number(r.starts_at), endsAt: Number(r.ends_at),
    createdBy: String(r.created_by), createdAt: Number(r.created_at),
  };
  if (typeof r.comment === 'string') s.comment = r.comment;
  const expiredAt = num(r.expired_at);
  if (expiredAt !== undefined) s.expiredAt = expiredAt;
  return s;
}

/** Column of each patchable alert field, with how its value is written. */
const ALERT_COLUMNS: Record<string, [column: string, write: (v: unknown) => unknown]> = {
  rule: ['rule', String], kind: ['kind', String], severity: ['severity', String], state: ['state', String], summary: ['summary', String],
  subject: ['subject', (v) => JSON.stringify(v)], labels: ['labels', (v) => JSON.stringify(v)],
  details: ['details', (v) => (v === undefined ? null : JSON.stringify(v))], groupKey: ['group_key', String],
  updatedAt: ['updated_at', Number], acknowledgedAt: ['acknowledged_at', (v) => v ?? null], acknowledgedBy: ['acknowledged_by', (v) => v ?? null],
  resolvedAt: ['resolved_at', (v) => v ?? null], resolvedBy: ['resolved_by', (v) => v ?? null], count: ['seen', Number],
  notified: ['notified', (v) => v ?? null], notifiedAt: ['notified_at', (v) => v ?? null], level: ['level', Number], round: ['round', Number],
  escalationDone: ['escalation_done', (v) => (v ? 1 : 0)], firedAt: ['fired_at', Number],
};

function eventStatement(e: NewAlertEvent): SqlStatement {
  return {
    sql: 'INSERT INTO alert_events (alert_id, at, type, actor, note, data) VALUES (?, ?, ?, ?, ?, ?)',
    params: [e.alertId, e.at, e.type, e.actor, e.note ?? null, e.data ? JSON.stringify(e.data) : null],
  };
}

/**
 * Alert event types that are changes the live feed carries (`events` rows of type `alert`).
 * `notified` is left out: it is delivery progress, written on every send, and the page of
 * an alert reads its deliveries from their own rows.
 */
export const FEED_ALERT_CHANGES: ReadonlySet<string> = new Set(['fired', 'seen-again', 'acknowledged', 'resolved', 'silenced', 'unsilenced', 'refired', 'escalated']);

/**
 * Where the feed's alert rows are written differently by dialect (the rest of the alert SQL
 * is the same text): reading a field of a JSON text column, building a JSON object, and
 * PostgreSQL's need for typed parameters where a function or a SELECT list gives no type.
 */
const FEED_DIALECT = {
  sqlite: { field: (col: string, f: string) => `json_extract(${col}, '$.${f}')`, object: 'json_object', json: (col: string) => `json(${col})`, param: (_t: string) => '?' },
  postgres: { field: (col: string, f: string) => `(${col}::json->>'${f}')`, object: 'json_build_object', json: (col: string) => `${col}::json`, param: (t: string) => `?::${t}` },
} as const;

/**
 * The `events` row of an alert change, read from the alert's own row in the same
 * transaction: placed before the alert's update, `from_state` is the state it leaves;
 * after an insert (`opened`), there is none. The run is the subject's, else the one the
 * details name (a step rule's latest failed run); '' when there is none.
 */
function feedStatement(dialect: SqlExecutor['dialect'], e: NewAlertEvent, to: AlertState | undefined, opened: boolean): SqlStatement {
  const d = FEED_DIALECT[dialect];
  const p = d.param;
  const run = `COALESCE(${d.field('subject', 'runId')}, ${d.field('details', 'runId')}, '')`;
  const step = `COALESCE(${d.field('subject', 'stepId')}, ${d.field('details', 'stepId')})`;
  const data = `${d.object}('alertId', id, 'rule', rule, 'kind', kind, 'severity', severity, 'summary', summary, 'change', ${p('text')}, 'actor', ${p('text')}, 'subject', ${d.json('subject')})`;
  return {
    sql: `INSERT INTO events (run_id, step_id, alert_id, type, from_state, to_state, at, data)
          SELECT ${run}, ${step}, id, 'alert', ${opened ? 'NULL' : 'state'}, COALESCE(${p('text')}, state), ${p('bigint')}, ${data} FROM alerts WHERE id = ?`,
    params: [to ?? null, e.at, e.type, e.actor, e.alertId],
  };
}

/**
 * On PostgreSQL, locks the row of the run an alert is about before its feed row is numbered,
 * as the engine's commit does (store/postgres/dialect.ts, 4): a run's events then commit in
 * sequence order for a reader of `getEvents(run, afterSeq)`. SQLite has one writer.
 */
function lockRunStatement(alertId: string): SqlStatement {
  const d = FEED_DIALECT.postgres;
  return {
    sql: `SELECT 1 FROM runs r JOIN alerts a ON r.id = COALESCE(${d.field('a.subject', 'runId')}, ${d.field('a.details', 'runId')}) WHERE a.id = ? FOR UPDATE OF r`,
    params: [alertId],
  };
}

function deliveryStatement(d: DeliveryRecord): SqlStatement {
  return {
    // A delivery id derived from its cause (a run report's run) is written once, whoever writes it first.
    sql: 'INSERT INTO alert_deliveries (id, channel, body, alert_ids, reason, state, attempts, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    params: [d.id, d.channel, JSON.stringify(d.body), JSON.stringify(d.alertIds), d.reason, d.state, d.attempts, d.nextAt, d.createdAt],
  };
}

/** {@link AlertStore} over any {@link SqlExecutor}. */
export class SqlAlertStore implements AlertStore {
  constructor(private readonly x: SqlExecutor) {}

  async open(a: AlertRecord, event: NewAlertEvent): Promise<{ created: boolean; alert: AlertRecord }> {
    const created = await this.x.transaction([
      {
        sql: `INSERT INTO alerts (id, alert_key, open_key, rule, kind, severity, state, summary, subject, labels, details, group_key, fired_at, updated_at, seen, level, round, version, active)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 1) ON CONFLICT (open_key) DO NOTHING`,
        params: [a.id, a.key, a.key, a.rule, a.kind, a.severity, a.state, a.summary, JSON.stringify(a.subject), JSON.stringify(a.labels),
          a.details ? JSON.stringify(a.details) : null, a.groupKey, a.firedAt, a.updatedAt, a.count],
        guard: true,
      },
      eventStatement(event),
      ...(this.x.dialect === 'postgres' ? [lockRunStatement(a.id)] : []),
      feedStatement(this.x.dialect, event, undefined, true),
    ]);
    if (created) return { created, alert: { ...a, version: 0 } };
    const open = await this.openByKey(a.key);
    if (open) return { created: false, alert: open };
    // Resolved between the insert and the read: the key is free again.
    return this.open(a, event);
  }

  async apply(c: AlertChange): Promise<boolean> {
    const statements: SqlStatement[] = [];
    for (const u of c.updates ?? []) {
      if (u.event && FEED_ALERT_CHANGES.has(u.event.type)) {
        if (this.x.dialect === 'postgres') statements.push(lockRunStatement(u.id));
        statements.push(feedStatement(this.x.dialect, u.event, u.patch.state, false));
      }
      const sets: string[] = ['version = version + 1'];
      const params: unknown[] = [];
      for (const [field, value] of Object.entries(u.patch)) {
        const col = ALERT_COLUMNS[field];
        if (!col) continue;
        sets.push(`${col[0]} = ?`);
        params.push(col[1](value));
      }
      if (u.patch.state === 'resolved') sets.push('open_key = NULL');
      statements.push({ sql: `UPDATE alerts SET ${sets.join(', ')} WHERE id = ? AND version = ?`, params: [...params, u.id, u.version], guard: true });
      // The notifier is done with an alert once it is resolved and its channels were told (or
      // never were); a second statement, because SET reads the row as it was before.
      statements.push({ sql: "UPDATE alerts SET active = CASE WHEN state = 'resolved' AND (notified IS NULL OR notified = 'resolved') THEN 0 ELSE 1 END WHERE id = ?", params: [u.id] });
      if (u.event) statements.push(eventStatement(u.event));
    }
    if (c.group) {
      statements.push(c.group.version === undefined
        ? { sql: 'INSERT INTO alert_groups (group_key, sent_at, version) VALUES (?, ?, 1) ON CONFLICT (group_key) DO NOTHING', params: [c.group.key, c.group.sentAt], guard: true }
        : { sql: 'UPDATE alert_groups SET sent_at = ?, version = version + 1 WHERE group_key = ? AND version = ?', params: [c.group.sentAt, c.group.key, c.group.version], guard: true });
    }
    for (const d of c.deliveries ?? []) statements.push(deliveryStatement(d));
    if (statements.length === 0) return true;
    return this.x.transaction(statements);
  }

  async get(id: string): Promise<AlertRecord | undefined> {
    const [r] = await this.x.all('SELECT * FROM alerts WHERE id = ?', [id]);
    return r ? toAlert(r) : undefined;
  }

  async openByKey(key: string): Promise<AlertRecord | undefined> {
    const [r] = await this.x.all('SELECT * FROM alerts WHERE open_key = ?', [key]);
    return r ? toAlert(r) : undefined;
  }

  async list(f: AlertFilter = {}): Promise<AlertRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.state?.length) {
      where.push(`state IN (${f.state.map(() => '?').join(', ')})`);
      params.push(...f.state);
    }
    if (f.rule !== undefined) {
      where.push('rule = ?');
      params.push(f.rule);
    }
    if (f.workflow !== undefined) {
      // Subjects are small JSON objects written by one serializer: an exact-text match is exact.
      where.push('subject LIKE ?');
      params.push(`%${JSON.stringify('workflow')}:${JSON.stringify(f.workflow)}%`);
    }
    const sql = `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY fired_at DESC, id DESC LIMIT ?`;
    return (await this.x.all(sql, [...params, f.limit ?? 100])).map(toAlert);
  }

  async active(): Promise<AlertRecord[]> {
    return (await this.x.all('SELECT * FROM alerts WHERE active = 1 ORDER BY fired_at, id', [])).map(toAlert);
  }

  async events(alertId: string): Promise<AlertEventRecord[]> {
    const rows = await this.x.all('SELECT * FROM alert_events WHERE alert_id = ? ORDER BY seq', [alertId]);
    return rows.map((r) => {
      const e: AlertEventRecord = { seq: Number(r.seq), alertId: String(r.alert_id), at: Number(r.at), type: String(r.type), actor: String(r.actor) };
      if (typeof r.note === 'string') e.note = r.note;
      const data = json<JsonObject | undefined>(r.data, undefined);
      if (data) e.data = data;
      return e;
    });
  }

  async groups(keys: string[]): Promise<AlertGroupRecord[]> {
    if (keys.length === 0) return [];
    const rows = await this.x.all(`SELECT * FROM alert_groups WHERE group_key IN (${keys.map(() => '?').join(', ')})`, keys);
    return rows.map((r) => {
      const g: AlertGroupRecord = { key: String(r.group_key), version: Number(r.version) };
      const sentAt = num(r.sent_at);
      if (sentAt !== undefined) g.sentAt = sentAt;
      return g;
    });
  }

  async createSilence(s: SilenceRecord): Promise<void> {
    await this.x.transaction([{
      sql: 'INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      params: [s.id, JSON.stringify(s.matchers), s.startsAt, s.endsAt, s.createdBy, s.comment ?? null, s.createdAt],
    }]);
  }

  async silences(now: number): Promise<SilenceRecord[]> {
    return (await this.x.all('SELECT * FROM silences WHERE expired_at IS NULL AND ends_at > ? ORDER BY starts_at, id', [now])).map(toSilence);
  }

  async getSilence(id: string): Promise<SilenceRecord | undefined> {
    const [r] = await this.x.all('SELECT * FROM silences WHERE id = ?', [id]);
    return r ? toSilence(r) : undefined;
  }

  async expireSilence(id: string, now: number): Promise<boolean> {
    return this.x.transaction([{ sql: 'UPDATE silences SET expired_at = ? WHERE id = ? AND expired_at IS NULL AND ends_at > ?', params: [now, id, now], guard: true }]);
  }

  async claimDeliveries(owner: string, now: number, leaseMs: number, limit: number): Promise<DeliveryRecord[]> {
    const lock = this.x.dialect === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '';
    const rows = await this.x.all(
      `UPDATE alert_deliveries SET lease_owner = ?, lease_until = ?
       WHERE id IN (SELECT id FROM alert_deliveries WHERE state = 'pending' AND next_at <= ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_at, id LIMIT ? ${lock})
       RETURNING *`,
      [owner, now + leaseMs, now, now, limit],
    );
    return rows.map(toDelivery).sort((a, b) => a.nextAt - b.nextAt || a.id.localeCompare(b.id));
  }

  async finishDelivery(id: string, owner: string, p: Pick<DeliveryRecord, 'state' | 'attempts' | 'nextAt'> & Partial<Pick<DeliveryRecord, 'statusCode' | 'error' | 'deliveredAt'>>): Promise<boolean> {
    return this.x.transaction([{
      sql: `UPDATE alert_deliveries SET state = ?, attempts = ?, next_at = ?, status_code = ?, error = ?, delivered_at = ?, lease_owner = NULL, lease_until = NULL
            WHERE id = ? AND lease_owner = ?`,
      params: [p.state, p.attempts, p.nextAt, p.statusCode ?? null, p.error ?? null, p.deliveredAt ?? null, id, owner],
      guard: true,
    }]);
  }

  async deliveriesFor(alertId: string): Promise<DeliveryRecord[]> {
    return (await this.x.all('SELECT * FROM alert_deliveries WHERE alert_ids LIKE ? ORDER BY created_at, id', [`%${JSON.stringify(alertId)}%`])).map(toDelivery);
  }

  async channelDeliveries(channel: string, limit: number): Promise<DeliveryRecord[]> {
    return (await this.x.all('SELECT * FROM alert_deliveries WHERE channel = ? ORDER BY created_at DESC, id DESC LIMIT ?', [channel, limit])).map(toDelivery);
  }

  async getCursor(name: string): Promise<string | undefined> {
    const [r] = await this.x.all('SELECT cursor FROM feed_cursors WHERE name = ?', [name]);
    return r ? String(r.cursor) : undefined;
  }

  async moveCursor(name: string, from: string | undefined, to: string): Promise<boolean> {
    const now = Date.now();
    return this.x.transaction([from === undefined
      ? { sql: 'INSERT INTO feed_cursors (name, cursor, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING', params: [name, to, now], guard: true }
      : { sql: 'UPDATE feed_cursors SET cursor = ?, updated_at = ? WHERE name = ? AND cursor = ?', params: [to, now, name, from], guard: true }]);
  }

  async counts(): Promise<{ alerts: { rule: string; state: AlertState; n: number }[]; deliveries: { channel: string; state: DeliveryState; n: number }[] }> {
    const alerts = await this.x.all('SELECT rule, state, COUNT(*) AS n FROM alerts GROUP BY rule, state', []);
    const deliveries = await this.x.all('SELECT channel, state, COUNT(*) AS n FROM alert_deliveries GROUP BY channel, state', []);
    return {
      alerts: alerts.map((r) => ({ rule: String(r.rule), state: r.state as AlertState, n: Number(r.n) })),
      deliveries: deliveries.map((r) => ({ channel: String(r.channel), state: r.state as DeliveryState, n: Number(r.n) })),
    };
  }

  async rulesVersion(): Promise<number> {
    const [r] = await this.x.all('SELECT version FROM alert_rules_version WHERE id = 1', []);
    return Number(r?.version ?? 0);
  }

  async storedRules(): Promise<StoredAlertRules> {
    const version = await this.rulesVersion();
    const rows = await this.x.all('SELECT * FROM alert_rules ORDER BY name', []);
    return {
      version,
      rules: rows.map((r) => ({ name: String(r.name), definition: json<JsonObject>(r.definition, {}), updatedAt: Number(r.updated_at), updatedBy: String(r.updated_by) })),
    };
  }

  async putRule(r: StoredAlertRule): Promise<{ created: boolean }> {
    const bump: SqlStatement = { sql: 'UPDATE alert_rules_version SET version = version + 1 WHERE id = 1', params: [], guard: true };
    const definition = JSON.stringify(r.definition);
    // Insert a new name, else replace the row; each guarded, so a delete or put of the same
    // name by another server between the two only sends this round again.
    for (;;) {
      const inserted = await this.x.transaction([
        { sql: 'INSERT INTO alert_rules (name, definition, updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING', params: [r.name, definition, r.updatedAt, r.updatedBy], guard: true },
        bump,
      ]);
      if (inserted) return { created: true };
      const replaced = await this.x.transaction([
        { sql: 'UPDATE alert_rules SET definition = ?, updated_at = ?, updated_by = ? WHERE name = ?', params: [definition, r.updatedAt, r.updatedBy, r.name], guard: true },
        bump,
      ]);
      if (replaced) return { created: false };
    }
  }

  async deleteRule(name: string): Promise<boolean> {
    return this.x.transaction([
      { sql: 'DELETE FROM alert_rules WHERE name = ?', params: [name], guard: true },
      { sql: 'UPDATE alert_rules_version SET version = version + 1 WHERE id = 1', params: [], guard: true },
    ]);
  }

  async prune(before: number, limit: number): Promise<number> {
    const ids = (await this.x.all('SELECT id FROM alerts WHERE resolved_at IS NOT NULL AND resolved_at < ? AND active = 0 ORDER BY resolved_at LIMIT ?', [before, limit])).map((r) => String(r.id));
    if (ids.length === 0) return 0;
    const list = ids.map(() => '?').join(', ');
    await this.x.transaction([
      { sql: `DELETE FROM alert_events WHERE alert_id IN (${list})`, params: ids },
      // Its rows in the feed; those of a run that retention deleted first are gone already.
      { sql: `DELETE FROM events WHERE alert_id IN (${list})`, params: ids },
      ...ids.map((id) => ({ sql: "DELETE FROM alert_deliveries WHERE alert_ids LIKE ? AND state <> 'pending'", params: [`%${JSON.stringify(id)}%`] })),
      { sql: `DELETE FROM alerts WHERE id IN (${list})`, params: ids },
    ]);
    return ids.length;
  }
}

/**
 * @module store/postgres/fleet-queries
 * The fleet's statements (see store/fleet-types.ts for the design). Each is a named
 * prepared statement whose header lists its parameters. Every time is `baton_now_ms()`,
 * the database clock (migration 0004).
 *
 * **Locks and why they cannot deadlock.** Claims and the reaper lock with `SKIP LOCKED`, so
 * they never wait on a row; the heartbeat and cancel requests lock the rows they change in
 * id order, so they wait on each other in one order only; a pooled claim takes its pools'
 * advisory locks in name order before touching rows, and only claims with `SKIP LOCKED`.
 */
import { DEFAULT_WORKER_LEASE_MS } from '../fleet-types.js';
import type { NamedQuery } from './queries.js';
import { Q } from './queries.js';

const q = (name: string, text: string): NamedQuery => ({ name: `baton_fleet_${name}`, text });

/**
 * A worker (alias `w`, `c.now` the database time) that heartbeated within its lease, whatever
 * its stored state: one that did not, and is not stopped, reads `lost`.
 */
function heartbeatFresh(): string {
  return `c.now - w.heartbeat_at <= COALESCE(w.lease_ms, ${DEFAULT_WORKER_LEASE_MS})`;
}

/**
 * A live worker, as a predicate over alias `w` with `c.now` the database time: registered
 * `active` and heartbeating within its lease. One home for "is this worker alive?".
 */
const LIVE_WORKER = `(w.state = 'active' AND ${heartbeatFresh()})`;

/** A claimable attempt, as a predicate over alias `a` (implies the `attempts_claimable` index predicate). */
const CLAIMABLE = `a.state = 'running' AND a.claimed_by IS NULL AND a.task IS NOT NULL AND NOT a.cancel_requested`;

/**
 * Attempts `a` named by the ids in $1, joined id by id. Not `id = ANY($1) AND applied = false`:
 * a cached generic plan for that ANDs the primary key with a scan of the whole
 * `attempts_unapplied` index, whose size grows with every attempt ended since the last
 * vacuum, so each read of a few ends cost time in proportion to all ends so far.
 */
const BY_IDS = 'unnest($1::text[]) AS u(id) JOIN attempts a ON a.id = u.id';

/**
 * The attempt's circuit breaker lets it start, as a predicate over alias `a`: it has none, or
 * the breaker is closed (no row yet counts as closed), or the attempt is its half-open trial.
 */
const BREAKER_LETS_IT = `(a.breaker IS NULL OR NOT EXISTS (SELECT 1 FROM breakers b
          WHERE b.key = a.breaker AND b.state <> 'closed' AND b.trial_attempt IS DISTINCT FROM a.id))`;

/** Columns a claim returns. */
const CLAIMED_COLUMNS = 'a.id, a.run_id, a.step_id, a.number, a.fence, a.lease_expires_at, a.priority_key, a.pool, a.runs_on, a.log_path, a.task';

/**
 * The fast claim's CTEs after `clock`: pools that are full, then the best claimable attempts
 * the worker can run, locked with `SKIP LOCKED`. $1 worker id, $2 tags, $3 max.
 */
const CLAIM_CTES = `full_pools AS (
      SELECT l.name FROM pool_limits l
      WHERE (SELECT count(*) FROM attempts r WHERE r.pool = l.name AND r.state = 'running' AND r.claimed_by IS NOT NULL) >= l.max),
    picked AS (
      SELECT a.id, a.pool FROM attempts a
      WHERE ${CLAIMABLE}
        AND (a.runs_on IS NULL OR a.runs_on <@ $2::text[])
        AND (a.pool IS NULL OR a.pool NOT IN (SELECT name FROM full_pools))
        AND ${BREAKER_LETS_IT}
        AND EXISTS (SELECT 1 FROM workers w WHERE w.id = $1 AND w.state = 'active')
      ORDER BY a.priority_key DESC, a.id
      LIMIT $3
      FOR UPDATE OF a SKIP LOCKED)`;

/** Claims the picked attempts outside limited pools: lease from database time, fence + 1. $1 worker id, $4 lease_ms. */
const CLAIM_UPDATE = `UPDATE attempts a SET claimed_by = $1, worker = $1, claimed_at = clock.now, lease_ms = $4::int,
          lease_expires_at = clock.now + $4::int, fence = a.fence + 1
        FROM picked, clock
        WHERE a.id = picked.id AND (picked.pool IS NULL OR picked.pool NOT IN (SELECT name FROM pool_limits))
        RETURNING ${CLAIMED_COLUMNS}`;

/** The heartbeat statement over the held attempts that `held` (a predicate over alias `a`) selects. */
function heartbeatText(held: string): string {
  return `WITH clock AS (SELECT baton_now_ms() AS now),
    beat AS (UPDATE workers w SET heartbeat_at = clock.now, load = $2::json FROM clock WHERE w.id = $1 RETURNING w.id),
    held AS (SELECT a.id FROM attempts a WHERE ${held} AND a.state = 'running' ORDER BY a.id FOR UPDATE),
    renewed AS (
      UPDATE attempts a SET lease_expires_at = clock.now + a.lease_ms FROM held, clock WHERE a.id = held.id
      RETURNING a.id, a.cancel_requested)
    SELECT r.id, r.cancel_requested, (SELECT count(*) FROM beat) AS beat FROM renewed r`;
}

/** The fleet's statements, by purpose. */
export const FQ = {
  /**
   * Creates or refreshes a worker (a restart under the same id starts `active` again).
   * Attempts still held under that id belong to the dead incarnation: they become `lost`
   * at once rather than being renewed by a process that does not know them.
   * $1 id, $2 host, $3 pid, $4 platform, $5 tags, $6 slots, $7 version, $8 lease_ms,
   * $9 facts (JSON text or NULL).
   */
  registerWorker: q('register_worker', `WITH clock AS (SELECT baton_now_ms() AS now),
    orphaned AS (
      UPDATE attempts a SET state = 'lost', ended_at = clock.now, applied = false,
        error = json_build_object('type', 'lost', 'message', 'worker ' || $1::text || ' restarted before it reported', 'retryable', true)
      FROM clock WHERE a.claimed_by = $1 AND a.state = 'running' AND a.lease_expires_at IS NOT NULL RETURNING a.run_id),
    notified AS (SELECT pg_notify('baton_done', run_id) FROM (SELECT DISTINCT run_id FROM orphaned) d),
    w AS (
      INSERT INTO workers (id, host, pid, platform, tags, slots, version, started_at, heartbeat_at, state, load, lease_ms, facts)
      SELECT $1, $2, $3, $4, $5::text[], $6, $7, clock.now, clock.now, 'active', NULL, $8::int, $9::json FROM clock
      ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, platform = EXCLUDED.platform,
        tags = EXCLUDED.tags, slots = EXCLUDED.slots, version = EXCLUDED.version, started_at = EXCLUDED.started_at,
        heartbeat_at = EXCLUDED.heartbeat_at, state = 'active', load = NULL, lease_ms = EXCLUDED.lease_ms, stopped_at = NULL,
        facts = EXCLUDED.facts
      RETURNING *)
    SELECT w.*, 0::bigint AS heartbeat_age_ms, (SELECT count(*) FROM notified) AS notified FROM w`),

  /**
   * Records load and renews the running attempts the worker holds among `$3`, by each one's
   * lease length from database time, in one statement. Rows are locked in id order.
   * $1 worker id, $2 load (JSON text), $3 attempt ids (found by primary key).
   */
  heartbeat: q('heartbeat', heartbeatText('a.id = ANY($3::text[]) AND a.claimed_by = $1')),

  /**
   * `heartbeat` for every running attempt the worker holds, found among the leased ones (a
   * claimed running attempt always has a lease). $1 worker id, $2 load (JSON text).
   */
  heartbeatAll: q('heartbeat_all', heartbeatText('a.claimed_by = $1 AND a.lease_expires_at IS NOT NULL')),

  /**
   * All workers; the heartbeat's age is measured on the database clock, and a worker not
   * stopped whose heartbeat is older than its lease reads `lost` (it died without a word).
   */
  listWorkers: q('list_workers', `SELECT w.id, w.host, w.pid, w.platform, w.tags, w.slots, w.version, w.started_at, w.heartbeat_at,
      w.load, w.lease_ms, w.stopped_at, w.facts, c.now - w.heartbeat_at AS heartbeat_age_ms,
      CASE WHEN w.state <> 'stopped' AND NOT (${heartbeatFresh()}) THEN 'lost' ELSE w.state END AS state
    FROM workers w, (SELECT baton_now_ms() AS now) c ORDER BY w.id COLLATE "C"`),

  /** $1 id, $2 state; `stopped` records its time, any other state clears it. */
  setWorkerState: q('set_worker_state', `UPDATE workers SET state = $2::text,
      stopped_at = CASE WHEN $2::text = 'stopped' THEN baton_now_ms() END WHERE id = $1`),

  /**
   * Deletes rows stopped, or lost (their lease lapsed), more than $1 ms ago. The table holds
   * one row per worker process of the last day: a sequential scan of a few rows.
   * $1 retention, ms.
   */
  pruneWorkers: q('prune_workers', `DELETE FROM workers w USING (SELECT baton_now_ms() AS now) c
    WHERE (w.state = 'stopped' AND COALESCE(w.stopped_at, w.heartbeat_at) < c.now - $1::bigint)
       OR (w.state <> 'stopped' AND w.heartbeat_at + COALESCE(w.lease_ms, ${DEFAULT_WORKER_LEASE_MS}) < c.now - $1::bigint)`),

  /**
   * The published, unclaimed attempts of runs $1 with what decides why they wait: their
   * `runs_on` and pool, whether the pool is full, the state of a circuit breaker that holds
   * it back (NULL when none does), and how long since published (database time).
   * $1 run ids.
   */
  waiting: q('waiting', `SELECT a.id, a.run_id, a.step_id, a.runs_on, a.pool, c.now - COALESCE(a.published_at, a.started_at) AS waited_ms,
      (l.max IS NOT NULL AND (SELECT count(*) FROM attempts r WHERE r.pool = a.pool AND r.state = 'running' AND r.claimed_by IS NOT NULL) >= l.max) AS pool_full,
      a.breaker, (SELECT b.state FROM breakers b WHERE b.key = a.breaker AND b.state <> 'closed' AND b.trial_attempt IS DISTINCT FROM a.id) AS breaker_state
    FROM attempts a CROSS JOIN (SELECT baton_now_ms() AS now) c LEFT JOIN pool_limits l ON l.name = a.pool
    WHERE a.run_id = ANY($1::text[]) AND ${CLAIMABLE} ORDER BY a.id`),

  /**
   * Fails the claimable attempts of runs $1 whose claim deadline passed (database time):
   * error type `unclaimed`, not retryable, naming the tags of `runs_on` no live worker has;
   * `applied = false` and NOTIFY `baton_done` per run, as a completion. Rows another caller
   * (or a claim) holds are skipped. $1 run ids.
   */
  expireUnclaimed: q('expire_unclaimed', `WITH clock AS (SELECT baton_now_ms() AS now),
    live AS (SELECT w.platform, w.tags FROM workers w, clock c WHERE ${LIVE_WORKER}),
    expired AS (
      SELECT a.id, a.claim_deadline - a.published_at AS timeout_ms,
          ARRAY(SELECT t FROM unnest(COALESCE(a.runs_on, '{}')) t
            WHERE NOT EXISTS (SELECT 1 FROM live WHERE live.platform = t OR t = ANY(live.tags))) AS missing
        FROM attempts a WHERE a.run_id = ANY($1::text[]) AND ${CLAIMABLE}
          AND a.claim_deadline < (SELECT now FROM clock)
        ORDER BY a.id FOR UPDATE OF a SKIP LOCKED),
    failed AS (
      UPDATE attempts a SET state = 'failed', ended_at = clock.now, applied = false,
          error = json_build_object('type', 'unclaimed',
            'message', 'no worker claimed it within its queue timeout of ' || round(e.timeout_ms / 1000.0, 1)::text || ' s'
              || CASE WHEN cardinality(e.missing) > 0 THEN ': no live worker has ' || array_to_string(e.missing, ', ')
                 WHEN NOT EXISTS (SELECT 1 FROM live) THEN ': no live worker' ELSE ': every worker that could run it was busy' END,
            'retryable', false,
            'details', json_build_object('runsOn', COALESCE(a.runs_on, '{}'), 'missingTags', e.missing, 'queueTimeoutMs', e.timeout_ms))
        FROM expired e, clock WHERE a.id = e.id
        RETURNING a.id, a.run_id, e.missing),
    notified AS (SELECT pg_notify('baton_done', run_id) FROM (SELECT DISTINCT run_id FROM failed) d)
    SELECT f.id, f.run_id, f.missing, (SELECT count(*) FROM notified) AS notified FROM failed f`),

  /** $1 name, $2 max. */
  setPoolLimit: q('set_pool_limit', 'INSERT INTO pool_limits (name, max) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET max = EXCLUDED.max'),

  /** $1 name. */
  deletePoolLimit: q('delete_pool_limit', 'DELETE FROM pool_limits WHERE name = $1'),

  /**
   * Publishes attempts: inserts them `running` and unclaimed, or sets the task fields on
   * rows the coordinator already inserted (only while unclaimed and running); then one
   * NOTIFY `baton_tasks` with the pools published. Ids must be distinct (folded beforehand).
   * $1 the rows as one JSON array of objects with keys id, run_id, step_id, number,
   * started_at, log_path, priority, aging_ms, queued_at (null: database time), pool, runs_on
   * (a string array or null), queue_timeout_ms (null: no claim deadline), breaker (null: none), task. A row
   * published again keeps its first publication time, so its queue timeout is not reset. One JSON document rather than a text array per column:
   * the driver escapes every element of a text array in JavaScript, which for tasks of a few
   * hundred bytes of JSON each was a large share of the coordinator's CPU.
   */
  enqueue: q('enqueue', `WITH ins AS (
      INSERT INTO attempts (id, run_id, step_id, number, state, started_at, log_path, priority_key, pool, runs_on, task,
          published_at, claim_deadline, breaker)
      SELECT u.id, u.run_id, u.step_id, u.number, 'running', u.started_at, u.log_path,
          u.priority::bigint * u.aging_ms - COALESCE(u.queued_at, c.now), u.pool,
          CASE WHEN u.runs_on IS NULL THEN NULL ELSE ARRAY(SELECT json_array_elements_text(u.runs_on)) END,
          u.task, c.now, c.now + u.queue_timeout_ms, u.breaker
        FROM json_to_recordset($1::json) AS u(id text, run_id text, step_id text, number int, started_at bigint,
            log_path text, priority int, aging_ms bigint, queued_at bigint, pool text, runs_on json, queue_timeout_ms bigint, task json, breaker text),
          (SELECT baton_now_ms() AS now) c
      ON CONFLICT (id) DO UPDATE SET priority_key = EXCLUDED.priority_key, pool = EXCLUDED.pool,
          runs_on = EXCLUDED.runs_on, task = EXCLUDED.task, breaker = EXCLUDED.breaker,
          -- Published again (a coordinator taking the run over): the wait counts from the first time.
          published_at = COALESCE(attempts.published_at, EXCLUDED.published_at),
          claim_deadline = COALESCE(attempts.published_at, EXCLUDED.published_at) + (EXCLUDED.claim_deadline - EXCLUDED.published_at)
        WHERE attempts.state = 'running' AND attempts.claimed_by IS NULL
      RETURNING pool)
    SELECT pg_notify('baton_tasks', left(COALESCE(string_agg(DISTINCT pool, ','), ''), 7000)) FROM ins HAVING count(*) > 0`),

  /**
   * The fast claim: one statement, no pool counting. Takes the best claimable attempts the
   * worker can run (`runs_on` ⊆ its tags ∪ {platform}) with `SKIP LOCKED`, skipping pools
   * that are full; claims those without a pool limit, each with its own lease and fence + 1.
   * Limited pools among those taken are returned in `limited_pools` for the pooled claim.
   * Always one row at least: claimed columns NULL when nothing was claimed.
   * A worker that is not registered `active` claims nothing.
   * $1 worker id, $2 tags (platform included), $3 max, $4 lease_ms.
   */
  claimFast: q('claim_fast', `WITH clock AS (SELECT baton_now_ms() AS now),
    ${CLAIM_CTES},
    claimed AS (${CLAIM_UPDATE})
    SELECT c.*, (SELECT array_agg(DISTINCT p.pool) FROM picked p JOIN pool_limits l ON l.name = p.pool) AS limited_pools
      FROM (SELECT 1) AS one LEFT JOIN claimed c ON true`),

  /**
   * Takes transaction-level advisory locks on pools, in the order given (callers sort
   * names), so claims in one pool take turns and each counts what the last committed.
   * $1 pool names.
   */
  lockPools: q('lock_pools', `SELECT pg_advisory_xact_lock(hashtext('baton:pool:' || u.name))
    FROM unnest($1::text[]) WITH ORDINALITY AS u(name, ord) ORDER BY u.ord`),

  /**
   * The pooled claim, after `lockPools` in the same transaction (so this statement's
   * snapshot sees every claim committed under those locks): per pool, its free slots
   * (`max` minus claimed running attempts) best candidates; then the best `$3` overall.
   * $1 worker id, $2 tags (platform included), $3 max, $4 lease_ms, $5 pool names.
   */
  claimPooled: q('claim_pooled', `WITH clock AS (SELECT baton_now_ms() AS now),
    free AS (
      SELECT l.name, l.max - (SELECT count(*) FROM attempts r WHERE r.pool = l.name AND r.state = 'running' AND r.claimed_by IS NOT NULL) AS free
        FROM pool_limits l WHERE l.name = ANY($5::text[])),
    cand AS (
      SELECT c.id, c.priority_key, f.free, row_number() OVER (PARTITION BY f.name ORDER BY c.priority_key DESC, c.id) AS rn
        FROM free f CROSS JOIN LATERAL (
          SELECT a.id, a.priority_key FROM attempts a
            WHERE a.pool = f.name AND ${CLAIMABLE} AND (a.runs_on IS NULL OR a.runs_on <@ $2::text[]) AND ${BREAKER_LETS_IT}
            ORDER BY a.priority_key DESC, a.id LIMIT $3) c
        WHERE f.free > 0),
    chosen AS (SELECT id FROM cand WHERE rn <= free ORDER BY priority_key DESC, id LIMIT $3),
    locked AS (
      SELECT a.id FROM attempts a WHERE a.id IN (SELECT id FROM chosen) AND ${CLAIMABLE}
        AND EXISTS (SELECT 1 FROM workers w WHERE w.id = $1 AND w.state = 'active')
        ORDER BY a.id FOR UPDATE OF a SKIP LOCKED)
    UPDATE attempts a SET claimed_by = $1, worker = $1, claimed_at = clock.now, lease_ms = $4::int,
        lease_expires_at = clock.now + $4::int, fence = a.fence + 1
      FROM locked, clock WHERE a.id = locked.id
      RETURNING ${CLAIMED_COLUMNS}`),

  /**
   * The guarded completion: only the holder, with the current fence, of a running attempt.
   * NOTIFYs `baton_done` with the run id when it matched.
   * $1 id, $2 worker id, $3 fence, $4 state, $5 exit_code, $6 error (JSON text), $7 output (JSON text),
   * $8 peak_rss_bytes, $9 cpu_ms.
   */
  complete: q('complete', `WITH done AS (
      UPDATE attempts SET state = $4::text, ended_at = baton_now_ms(), exit_code = $5, error = $6::json, output = $7::json,
          peak_rss_bytes = $8, cpu_ms = $9, applied = false
        WHERE id = $1::text AND claimed_by = $2::text AND fence = $3::int AND state = 'running'
        RETURNING run_id)
    SELECT d.run_id, pg_notify('baton_done', d.run_id) FROM done d`),

  /**
   * Completes, then claims, for one worker in one statement: what a busy worker sends once
   * per event-loop turn. One commit, and one NOTIFY per run (the server-wide NOTIFY lock is
   * taken once per batch, not once per attempt).
   *
   * Completions are guarded like `complete` (holder, fence, state `running`) and NOTIFY
   * `baton_done` with `<run id> <attempt id> …` (just the run id when the ids would not
   * fit a payload), so the coordinator reads exactly those rows. The claim is the fast claim
   * (`claimFast`); `$3` = 0 claims nothing. Rows completed here are held, so never claimed.
   * Always one row at least: claimed columns NULL when nothing was claimed; `done_ids` the
   * completions that matched, as JSON text (it repeats on every row returned: the driver
   * hands json over as text, where a text[] it would parse again, character by character,
   * for each claimed row); `limited_pools` as in `claimFast`.
   * $1 worker id, $2 tags (platform included), $3 max to claim, $4 lease_ms; completions as
   * arrays: $5 id, $6 fence, $7 state, $8 exit_code, $9 error (JSON text), $10 output (JSON text),
   * $11 peak_rss_bytes, $12 cpu_ms; log chunks of the completed attempts not stored yet, as
   * arrays (migration 0010; stored with the end, so a reader who sees the end sees the whole
   * log; a chunk already there stays): $13 attempt_id, $14 byte_offset, $15 run_id, $16 at, $17 bytes.
   */
  completeAndClaim: q('complete_and_claim', `WITH clock AS (SELECT baton_now_ms() AS now),
    logged AS (
      INSERT INTO attempt_log_chunks (attempt_id, byte_offset, run_id, at, bytes)
        SELECT * FROM unnest($13::text[], $14::bigint[], $15::text[], $16::bigint[], $17::bytea[])
        ON CONFLICT (attempt_id, byte_offset) DO NOTHING),
    u AS (
      SELECT * FROM unnest($5::text[], $6::int[], $7::text[], $8::int[], $9::text[], $10::text[], $11::bigint[], $12::float8[])
        AS u(id, fence, state, exit_code, error, output, peak_rss_bytes, cpu_ms)),
    done AS (
      UPDATE attempts a SET state = u.state, ended_at = clock.now, exit_code = u.exit_code, error = u.error::json,
          output = u.output::json, peak_rss_bytes = u.peak_rss_bytes, cpu_ms = u.cpu_ms, applied = false
        FROM u, clock WHERE a.id = u.id AND a.claimed_by = $1::text AND a.fence = u.fence AND a.state = 'running'
        RETURNING a.id, a.run_id),
    notified AS (
      SELECT pg_notify('baton_done', CASE WHEN r.len < 7900 THEN r.run_id || ' ' || r.ids ELSE r.run_id END)
        FROM (SELECT run_id, string_agg(id, ' ') AS ids, sum(length(id) + 1) + length(run_id) AS len FROM done GROUP BY run_id) r),
    ${CLAIM_CTES},
    claimed AS (${CLAIM_UPDATE})
    SELECT c.*, (SELECT json_agg(id) FROM done) AS done_ids, (SELECT count(*) FROM notified) AS runs,
        (SELECT array_agg(DISTINCT p.pool) FROM picked p JOIN pool_limits l ON l.name = p.pool) AS limited_pools
      FROM (SELECT 1) AS one LEFT JOIN claimed c ON true`),

  /** $1 id. The attempt a completion did not match, with its run row locked (events commit in seq order, dialect.ts point 4). */
  lockForDiscard: q('lock_for_discard', `SELECT a.id, a.run_id, a.step_id, a.state, a.claimed_by, a.fence,
      (SELECT true FROM runs r WHERE r.id = a.run_id FOR NO KEY UPDATE) AS run_locked
    FROM attempts a WHERE a.id = $1`),

  /** $1 run_id, $2 step_id, $3 attempt_id, $4 data (JSON text). */
  insertDiscarded: q('insert_discarded', `INSERT INTO events (run_id, step_id, attempt_id, type, at, data)
    VALUES ($1, $2, $3, 'attempt-discarded', baton_now_ms(), $4::json)`),

  /**
   * Makes attempts whose lease expired (database time) `lost`, once each: rows another
   * caller is reaping (or a heartbeat is renewing) are skipped, and the lock re-checks
   * the lease. NOTIFYs `baton_done` per run. No parameters.
   */
  reap: q('reap', `WITH clock AS (SELECT baton_now_ms() AS now),
    expired AS (
      SELECT a.id FROM attempts a WHERE a.state = 'running' AND a.lease_expires_at < (SELECT now FROM clock)
        ORDER BY a.id FOR UPDATE SKIP LOCKED),
    lost AS (
      UPDATE attempts a SET state = 'lost', ended_at = clock.now, applied = false,
          error = json_build_object('type', 'lost', 'message',
            'the lease of worker ' || COALESCE(a.claimed_by, '?') || ' expired before it reported', 'retryable', true)
        FROM expired, clock WHERE a.id = expired.id
        RETURNING a.id, a.run_id, a.claimed_by),
    notified AS (SELECT pg_notify('baton_done', run_id) FROM (SELECT DISTINCT run_id FROM lost) d)
    SELECT l.id, l.run_id, l.claimed_by, (SELECT count(*) FROM notified) AS notified FROM lost l`),

  /** $1 run ids. */
  takeCompleted: q('take_completed', `SELECT id, run_id, step_id, number, state, started_at, ended_at, exit_code, error, log_path,
      pid, peak_rss_bytes, cpu_ms, worker, fence, output, claimed_by
    FROM attempts
    WHERE run_id = ANY($1::text[]) AND applied = false AND state <> 'running' ORDER BY ended_at, id`),

  /**
   * $1 attempt ids: those of them that ended and are not applied yet (what a `baton_done`
   * payload names). Found id by id through the primary key ({@link BY_IDS}).
   */
  takeEnded: q('take_ended', `SELECT a.id, a.run_id, a.step_id, a.number, a.state, a.started_at, a.ended_at, a.exit_code, a.error,
      a.log_path, a.pid, a.peak_rss_bytes, a.cpu_ms, a.worker, a.fence, a.output, a.claimed_by
    FROM ${BY_IDS} WHERE a.applied = false AND a.state <> 'running' ORDER BY a.ended_at, a.id`),

  /** $1 attempt ids. The statement a coordinator's commit runs (queries.ts). */
  markApplied: Q.markApplied,

  /**
   * Flags running attempts (locked in id order) and NOTIFYs `baton_cancel` once per
   * holding worker, payload its id. $1 attempt ids.
   */
  requestCancel: q('request_cancel', `WITH locked AS (
      SELECT a.id FROM attempts a WHERE a.id = ANY($1::text[]) AND a.state = 'running' ORDER BY a.id FOR UPDATE),
    marked AS (UPDATE attempts a SET cancel_requested = true FROM locked WHERE a.id = locked.id RETURNING a.id, a.claimed_by),
    notified AS (SELECT pg_notify('baton_cancel', w) FROM (SELECT DISTINCT claimed_by AS w FROM marked WHERE claimed_by IS NOT NULL) d)
    SELECT m.id, m.claimed_by, (SELECT count(*) FROM notified) AS notified FROM marked m`),
} as const;

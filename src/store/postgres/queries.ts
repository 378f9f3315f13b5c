/**
 * @module store/postgres/queries
 * The PostgreSQL store's statements. Each is a named prepared statement (parsed and planned
 * once per connection); its header lists the parameters. Batched statements take one
 * array per column and expand it with `unnest`, so a batch of any size is one round trip
 * per table (store/postgres/dialect.ts, point 3).
 */

/** A named statement for `client.query({ name, text, values })`. */
export interface NamedQuery {
  name: string;
  text: string;
}

const q = (name: string, text: string): NamedQuery => ({ name: `baton_${name}`, text });

/** Statements, by purpose. */
export const Q = {
  /** $1 version, $2 name, $3 definition (JSON text), $4 source_path, $5 created_at. Keeps an existing version. */
  saveWorkflow: q('save_workflow', `INSERT INTO workflows (version, name, definition, source_path, created_at)
    VALUES ($1, $2, $3::json, $4, $5) ON CONFLICT (version) DO NOTHING`),

  /** $1 version. */
  getWorkflow: q('get_workflow', 'SELECT * FROM workflows WHERE version = $1'),

  /**
   * $1 id, $2 workflow, $3 version, $4 state, $5 trigger, $6 params (JSON text), $7 priority, $8 concurrency, $9 step_count,
   * $10 created_at, $11 due_at, $12 schedule_id, $13 tick_at, $14 wait_for_schedule, $15 owner, $16 owner_pid,
   * $17 owner_host, $18 lease_expires_at (a run created by the engine that executes it is held from its first row),
   * $19 queued_at, $20 retry_of.
   */
  insertRun: q('insert_run', `INSERT INTO runs (id, workflow, version, state, trigger, params, priority, concurrency, step_count, created_at,
      due_at, schedule_id, tick_at, wait_for_schedule, owner, owner_pid, owner_host, lease_expires_at, queued_at, retry_of,
      parent_run_id, parent_step_id, depth)
    VALUES ($1, $2, $3, $4, $5, $6::json, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`),

  /**
   * The items of a mapped step, added to an existing run; a row already there stays.
   * Columns as arrays: $1 run_id, $2 step_id, $3 position, $4 state, $5 item (JSON text).
   */
  insertStepRunItems: q('insert_step_run_items', `INSERT INTO step_runs (run_id, step_id, position, state, attempts, lost_attempts, item)
    SELECT run_id, step_id, position, state, 0, 0, item::json FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[])
      AS u(run_id, step_id, position, state, item)
    ON CONFLICT (run_id, step_id) DO NOTHING`),

  /** Columns as arrays: $1 run_id, $2 step_id, $3 position, $4 state. */
  insertStepRuns: q('insert_step_runs', `INSERT INTO step_runs (run_id, step_id, position, state, attempts, lost_attempts)
    SELECT run_id, step_id, position, state, 0, 0 FROM unnest($1::text[], $2::text[], $3::int[], $4::text[])
      AS u(run_id, step_id, position, state)`),

  /**
   * Locks the rows of runs about to get events, in id order (no deadlock between batches),
   * so a run's events commit in seq order. $1 run ids.
   */
  lockRuns: q('lock_runs', 'SELECT 1 FROM runs WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE'),

  /**
   * Columns as arrays: $1 id, $2 run_id, $3 step_id, $4 number, $5 started_at, $6 log_path, $7 worker.
   * Idempotent: a batch retried after a commit whose outcome was lost with its connection
   * finds its attempts already there.
   */
  insertAttempts: q('insert_attempts', `INSERT INTO attempts (id, run_id, step_id, number, state, started_at, log_path, worker)
    SELECT id, run_id, step_id, number, 'running', started_at, log_path, worker
      FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::text[], $7::text[])
      AS u(id, run_id, step_id, number, started_at, log_path, worker)
    ON CONFLICT (id) DO NOTHING`),

  /**
   * Guarded: only a running attempt ends, so a late report after `lost` changes nothing.
   * Columns as arrays: $1 id, $2 state, $3 ended_at, $4 exit_code, $5 error (JSON text), $6 peak_rss_bytes, $7 cpu_ms.
   */
  endAttempts: q('end_attempts', `UPDATE attempts a SET state = u.state, ended_at = u.ended_at, exit_code = u.exit_code,
      error = u.error::json, peak_rss_bytes = u.peak_rss_bytes, cpu_ms = u.cpu_ms
    FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[], $5::text[], $6::bigint[], $7::float8[])
      AS u(id, state, ended_at, exit_code, error, peak_rss_bytes, cpu_ms)
    WHERE a.id = u.id AND a.state = 'running'`),

  /** $1 attempt ids: fleet attempts whose end the coordinator applied in this transaction. */
  // Joined id by id, not `id = ANY($1) AND NOT applied`: see BY_IDS in fleet-queries.ts.
  markApplied: q('mark_applied', 'UPDATE attempts a SET applied = true FROM unnest($1::text[]) AS u(id) WHERE a.id = u.id AND NOT a.applied'),

  /** Columns as arrays: $1 id, $2 pid. */
  setAttemptPids: q('set_attempt_pids', `UPDATE attempts a SET pid = u.pid
    FROM unnest($1::text[], $2::int[]) AS u(id, pid) WHERE a.id = u.id`),

  /**
   * Full step run rows. Columns as arrays: $1 run_id, $2 step_id, $3 state, $4 attempts, $5 lost_attempts,
   * $6 queued_at, $7 due_at, $8 started_at, $9 ended_at, $10 reason, $11 output (JSON text), $12 error (JSON text),
   * $13 circuit (JSON text: why a queued step waits, `StepCircuit`).
   * Arrays, not one JSON document: a generic plan assumes `unnest` yields 10 rows and
   * `json_to_recordset` 100, and with 100 it joins a table of up to some 20,000 rows by
   * scanning all of it, once per statement.
   */
  updateStepRuns: q('update_step_runs', `UPDATE step_runs s SET state = u.state, attempts = u.attempts,
      lost_attempts = u.lost_attempts, queued_at = u.queued_at, due_at = u.due_at, started_at = u.started_at,
      ended_at = u.ended_at, reason = u.reason, output = u.output::json, error = u.error::json, circuit = u.circuit
    FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::bigint[], $7::bigint[], $8::bigint[],
        $9::bigint[], $10::text[], $11::text[], $12::text[], $13::text[])
      AS u(run_id, step_id, state, attempts, lost_attempts, queued_at, due_at, started_at, ended_at, reason, output, error, circuit)
    WHERE s.run_id = u.run_id AND s.step_id = u.step_id`),

  /**
   * Run updates, one per run (folded beforehand). A NULL state leaves the state; started_at
   * is set only if unset; ended_at / reason change only where their flag is true (null clears).
   * Columns as arrays: $1 id, $2 state, $3 started_at, $4 set_ended, $5 ended_at, $6 set_reason, $7 reason.
   */
  updateRuns: q('update_runs', `UPDATE runs r SET state = COALESCE(u.state, r.state), started_at = COALESCE(r.started_at, u.started_at),
      ended_at = CASE WHEN u.set_ended THEN u.ended_at ELSE r.ended_at END,
      reason = CASE WHEN u.set_reason THEN u.reason ELSE r.reason END
    FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bool[], $5::bigint[], $6::bool[], $7::text[])
      AS u(id, state, started_at, set_ended, ended_at, set_reason, reason)
    WHERE r.id = u.id`),

  /**
   * Events in input order (ORDER BY ordinality, so seq follows the array order): $1 a JSON
   * array of them (`eventValues` in batch.ts).
   */
  insertEvents: q('insert_events', `INSERT INTO events (run_id, step_id, attempt_id, type, from_state, to_state, at, data)
    SELECT run_id, step_id, attempt_id, type, from_state, to_state, at, data::json
      FROM ROWS FROM (json_to_recordset($1::json) AS (run_id text, step_id text, attempt_id text, type text,
          from_state text, to_state text, at bigint, data text))
      WITH ORDINALITY AS u(run_id, step_id, attempt_id, type, from_state, to_state, at, data, ord)
      ORDER BY ord`),

  /** $1 id. */
  runExists: q('run_exists', 'SELECT id FROM runs WHERE id = $1'),

  /** $1 LIKE pattern of the lowercased prefix (escape `\`). At most 6 candidates, in byte order. */
  runsByPrefix: q('runs_by_prefix', `SELECT id FROM runs WHERE lower(id) LIKE $1 ESCAPE '\\' ORDER BY id COLLATE "C" LIMIT 6`),

  /** $1 id. */
  getRun: q('get_run', 'SELECT * FROM runs WHERE id = $1'),

  /** $1 run_id. */
  getStepRun: q('get_step_run', 'SELECT * FROM step_runs WHERE run_id = $1 AND step_id = $2'),
  getStepRuns: q('get_step_runs', 'SELECT * FROM step_runs WHERE run_id = $1 ORDER BY position, length(step_id), step_id COLLATE "C"'),

  /** $1 run_id. */
  getAttemptsOfRun: q('get_attempts_of_run', 'SELECT * FROM attempts WHERE run_id = $1 ORDER BY started_at, number'),

  /** $1 run_id, $2 step_id. */
  getAttemptsOfStep: q('get_attempts_of_step', 'SELECT * FROM attempts WHERE run_id = $1 AND step_id = $2 ORDER BY number'),

  /** $1 run_id, $2 after seq (exclusive), $3 limit. */
  getEvents: q('get_events', 'SELECT * FROM events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3'),

  /** $1 id. Inside acquireRun's transaction: holds the row until the holder is decided. */
  lockRun: q('lock_run', 'SELECT * FROM runs WHERE id = $1 FOR UPDATE'),

  /** $1 id, $2 owner, $3 owner_pid, $4 owner_host, $5 lease_expires_at. A new holder starts with no cancel request. */
  takeRun: q('take_run', `UPDATE runs SET owner = $2, owner_pid = $3, owner_host = $4, lease_expires_at = $5,
    cancel_requested_at = NULL WHERE id = $1`),

  /**
   * Renews the lease only for the holder, in one statement, and reports the cancel and pause
   * flags whoever holds the run. No row when the run does not exist.
   * $1 id, $2 owner, $3 lease_expires_at.
   */
  renewRun: q('renew_run', `WITH renewed AS (
      UPDATE runs SET lease_expires_at = $3 WHERE id = $1 AND owner = $2 RETURNING id)
    SELECT EXISTS (SELECT 1 FROM renewed) AS held, cancel_requested_at IS NOT NULL AS cancel_requested,
        paused_at IS NOT NULL AS paused
      FROM runs WHERE id = $1`),

  /** $1 id, $2 owner. Only the holder can let go. */
  releaseRun: q('release_run', `UPDATE runs SET owner = NULL, owner_pid = NULL, owner_host = NULL, lease_expires_at = NULL
    WHERE id = $1 AND owner = $2`),

  /**
   * Records the first cancel request and its event in one statement; a repeated request
   * finds cancel_requested_at set (re-checked after waiting on the row lock) and adds nothing.
   * $1 id, $2 now.
   */
  requestCancel: q('request_cancel', `WITH marked AS (
      UPDATE runs SET cancel_requested_at = $2 WHERE id = $1 AND cancel_requested_at IS NULL RETURNING id)
    INSERT INTO events (run_id, type, at) SELECT id, 'cancel-requested', $2 FROM marked`),

  /**
   * Inserts or replaces groups of one batch step. $1 run_id, $2 step_id; columns as arrays:
   * $3 group_index, $4 items (JSON text), $5 state, $6 attempts, $7 outputs (JSON text), $8 error (JSON text), $9 updated_at.
   */
  saveBatchGroups: q('save_batch_groups', `INSERT INTO batch_groups (run_id, step_id, group_index, items, state, attempts, outputs, error, updated_at)
    SELECT $1, $2, group_index, items::json, state, attempts, outputs::json, error::json, updated_at
      FROM unnest($3::int[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::bigint[])
      AS u(group_index, items, state, attempts, outputs, error, updated_at)
    ON CONFLICT (run_id, step_id, group_index) DO UPDATE SET items = EXCLUDED.items, state = EXCLUDED.state,
      attempts = EXCLUDED.attempts, outputs = EXCLUDED.outputs, error = EXCLUDED.error, updated_at = EXCLUDED.updated_at`),

  /** $1 run_id, $2 step_id. */
  getBatchGroups: q('get_batch_groups', 'SELECT * FROM batch_groups WHERE run_id = $1 AND step_id = $2 ORDER BY group_index'),
} as const;

/**
 * @module executors/env
 * The environment a shell step starts with. A step inherits the environment of the process
 * that executes it, minus what baton itself reads to reach its store and server: its own
 * `BATON_*` variables (`BATON_DATABASE_URL` holds the orchestration database's credentials,
 * `BATON_TOKEN` an API token) and the PostgreSQL credentials the `pg` driver reads
 * (`PGPASSWORD`, and `PGPASSFILE`, the file of passwords). A step that needs one of them
 * names it in `inheritEnv`. Handlers are not covered: they run in baton's own process and
 * share its `process.env`.
 */

/**
 * libpq variables holding credentials that baton's PostgreSQL driver reads (node-postgres
 * reads `PGPASSWORD`; its `pgpass` module reads `PGPASSFILE`). `PGHOST`, `PGUSER`,
 * `PGDATABASE` and `PGPORT` say where a database is, not how to log in, and steps use them
 * for their own databases, so they pass. `DATABASE_URL` passes too: baton never reads it.
 */
export const WITHHELD_PG_VARIABLES: readonly string[] = ['PGPASSWORD', 'PGPASSFILE'];

/** Whether baton keeps the variable `name` from shell steps unless they ask for it by name. */
export function isWithheldVariable(name: string): boolean {
  // Case-insensitive: Windows environments are, and `Baton_Token` reaches baton there.
  return /^BATON_/i.test(name) || WITHHELD_PG_VARIABLES.includes(name.toUpperCase());
}

/**
 * `env` without the variables of {@link isWithheldVariable}, except those named in `inherit`.
 * The variables baton sets for the step itself (`BATON_OUTPUT`, `BATON_RUN_ID`, …) and the
 * step's own `env:` are added on top by the caller, so they are unaffected.
 * @param env - the executing process's environment.
 * @param inherit - names the workflow or step lists in `inheritEnv`.
 */
export function scrubEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  inherit: readonly string[] = [],
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!isWithheldVariable(name) || inherit.includes(name)) out[name] = value;
  }
  return out;
}

// Counts and times node-postgres statements in this process (bench profiling only): wraps
// pg.Client.prototype.query, keyed by prepared-statement name (or the first words of the
// SQL). Time is the client-side round trip, from the call until the result is delivered.
import { createRequire } from 'node:module';

export function profileQueries() {
  // The same module instance baton loads (createRequire('pg') in dist/store/postgres/dialect.js).
  const pg = createRequire(new URL('../dist/store/postgres/dialect.js', import.meta.url))('pg');
  const orig = pg.Client.prototype.query;
  let stats = new Map();
  pg.Client.prototype.query = function (config, values, cb) {
    const key = typeof config === 'string' ? config.trim().split(/\s+/).slice(0, 2).join(' ') : config?.name ?? String(config?.text ?? '').trim().split(/\s+/).slice(0, 2).join(' ');
    const t0 = performance.now();
    const done = () => {
      const s = stats.get(key) ?? { n: 0, ms: 0 };
      s.n++;
      s.ms += performance.now() - t0;
      stats.set(key, s);
    };
    // pg.Pool#query passes a callback (then Client#query returns nothing); direct calls get a promise.
    if (typeof values === 'function') values = wrap(values, done);
    else if (typeof cb === 'function') cb = wrap(cb, done);
    else if (typeof config?.callback === 'function') config.callback = wrap(config.callback, done);
    const p = orig.call(this, config, values, cb);
    if (p && typeof p.then === 'function') p.then(done, () => undefined);
    return p;
  };
  const wrap = (fn, done) => function (...a) {
    done();
    return fn.apply(this, a);
  };
  return {
    reset: () => (stats = new Map()),
    snapshot: () => Object.fromEntries(stats),
    restore: () => (pg.Client.prototype.query = orig),
  };
}

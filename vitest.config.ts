import { defineConfig } from 'vitest/config';

/**
 * Files that load the whole machine (a fleet of processes killed at random, npm installs,
 * a browser with its own server, CPU and memory hogs for the adaptive throttle, which also
 * read the machine's load and so need it to themselves) or whose assertions bound wall time
 * under such load: they run one at a time, after the rest, with nothing beside them.
 */
const EXCLUSIVE = [
  'test/engine-throttle.test.ts',
  'test/worker-throttle.test.ts',
  'test/cli-throttle.test.ts',
  'test/fleet-faults.test.ts',
  'test/fleet-e2e.test.ts',
  'test/package-install.test.ts',
  'test/web/**/*.test.ts',
];

const common = {
  exclude: ['**/node_modules/**', 'examples/**/out/**'],
  testTimeout: 30_000,
  hookTimeout: 30_000,
  // Integration tests spawn real processes and time out children of their own: forks, not threads.
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    // Most files wait on child processes, sockets and databases rather than on the CPU, so
    // three of them share two cores; each PostgreSQL test owns its database (pg-helpers.ts)
    // and every server listens on a port of its own, so files do not meet.
    maxWorkers: 3,
    minWorkers: 1,
    projects: [
      {
        test: {
          ...common,
          name: 'shared',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts', 'web/src/**/*.test.ts'],
          exclude: [...common.exclude, ...EXCLUSIVE],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...common,
          name: 'exclusive',
          include: EXCLUSIVE,
          // One fork runs these files one after another (a project's own `fileParallelism`
          // is not honoured under a shared `maxWorkers` in vitest 3).
          poolOptions: { forks: { singleFork: true } },
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

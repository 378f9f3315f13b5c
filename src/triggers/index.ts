/**
 * @module triggers
 * What creates runs besides a person: cron schedules and delayed runs, and the long-running
 * server loop that fires them and starts due runs on a local engine.
 */
export * from './scheduler.js';
export * from './registry.js';
export * from './server.js';
export * from './webhooks.js';

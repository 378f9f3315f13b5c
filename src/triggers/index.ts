/**
 * @module triggers
 * What creates runs besides a person: cron schedule ticks (one node fires each), backfills
 * of past ticks, and the
 * served folder of workflow files whose schedules they are. The loop that fires them and
 * starts runs lives with the process, in modes/.
 */
export * from './scheduler.js';
export * from './registry.js';
export * from './webhooks.js';
export * from './backfill.js';
export * from './intake.js';

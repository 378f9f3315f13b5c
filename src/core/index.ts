/**
 * @module core
 * The pure heart of baton: states, the run state machine, backoff and failures. No I/O,
 * no clock, no randomness: time and random numbers are arguments.
 */
export * from './states.js';
export * from './failure.js';
export * from './backoff.js';
export * from './machine.js';
export * from './outcome.js';
export * from './rerun.js';
export * from './aging.js';
export * from './map.js';
export * from './throttle.js';
export * from './breaker.js';

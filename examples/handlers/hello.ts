/**
 * @module examples/handlers/hello
 * The smallest useful handler, used by `examples/all-fields.yaml`.
 */
import type { JsonObject, StepContext } from '../../src/workflow/model.js';

/** What `with:` gives this handler. */
export type HelloInputs = JsonObject & { name: string; times: number };

/** The handler's output, readable downstream as `${{ steps.<id>.output.greeting }}` etc. */
export type HelloOutput = { greeting: string; runId: string; attempt: number };

/**
 * Greets `with.name`, `with.times` times, in the attempt's log, and returns the greeting.
 * Values may arrive as strings when they came through an expression, hence the coercion.
 */
export function hello(ctx: StepContext<HelloInputs>): HelloOutput {
  const name = String(ctx.inputs.name || 'world');
  const times = Math.max(1, Math.min(10, Number(ctx.inputs.times) || 1));
  const greeting = `hello, ${name}`;
  for (let i = 0; i < times; i++) ctx.log.info(greeting, { i });
  return { greeting, runId: ctx.run.id, attempt: ctx.attempt };
}

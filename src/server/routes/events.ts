/**
 * @module server/routes/events
 * Live views: every state change as Server-Sent Events, resumable with `Last-Event-ID`
 * from the durable event table, and attempt logs by byte range or as a live tail.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html (event stream format, Last-Event-ID)
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { FeedEvent, FeedFilter } from '../../store/index.js';
import type { ApiApp, ApiContext } from '../app.js';
import { ApiError } from '../errors.js';
import { ErrorSchema } from '../schemas.js';
import { cursorBeyond, followEvents } from '../feed.js';
import { readAttemptLog, readAttemptLogTail } from '../../observe/index.js';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema };
/** A comment line this often keeps proxies and clients from timing the stream out, ms. */
const KEEPALIVE_MS = 15_000;
/** Default and largest byte range of one log read. */
const LOG_DEFAULT_BYTES = 64 * 1024;
const LOG_MAX_BYTES = 1024 * 1024;

/** An event as the stream carries it: the record, its workflow, no cursor (that is the SSE id). */
function view({ cursor: _c, ...e }: FeedEvent): Omit<FeedEvent, 'cursor'> {
  return e;
}

/** Writes and waits for the socket to take it, so a slow client slows its own feed only. */
async function write(res: ServerResponse, chunk: string | Buffer): Promise<void> {
  if (res.destroyed) return;
  if (!res.write(chunk)) await new Promise<void>((resolve) => {
    res.once('drain', resolve);
    res.once('close', resolve);
  });
}

/** Registers `/events` and the log route on the `/api/v1` scope. */
export function registerEventRoutes(app: ApiApp, ctx: ApiContext): void {
  const { store } = ctx;

  app.get('/events', {
    config: { role: 'viewer' },
    schema: {
      tags: ['events'],
      operationId: 'streamEvents',
      summary: 'Every state change, live, as Server-Sent Events',
      description: 'Each message: `id` = a cursor, `data` = the event as JSON (`type`, `runId`, `stepId`, `from`, `to`, `at`, `workflow`, ...). Reconnect with the `Last-Event-ID` header (EventSource does this by itself) or `?after=` to resume exactly after the last event received; without either the stream starts at the present.\n\n' +
        'Alert changes are events too, in commit order with the rest: `type` `alert`, `alertId`, `from` and `to` the alert states before and after (`from` absent when it fired; equal when it was seen again or escalated), `runId` the run it is about (`\'\'` for none: a worker, a schedule), `stepId` its step if any, `workflow` its subject\'s (`\'\'` for none), and `data` `{ alertId, rule, kind, severity, summary, change, actor, subject }`, `change` being `fired`, `seen-again`, `acknowledged`, `resolved`, `silenced`, `unsilenced`, `refired` or `escalated`.',
      querystring: z.object({
        run: z.string().optional().describe('only this run (id or unique prefix), with the changes of alerts about it'),
        workflow: z.string().optional().describe('only runs of this workflow, with the changes of alerts whose subject names it'),
        type: z.enum(['run', 'step', 'alert']).optional().describe('only run transitions, only step transitions or only alert changes'),
        after: z.string().optional().describe("resume after this event id (as Last-Event-ID); '0' or empty: from the first event kept, on SQLite and PostgreSQL alike"),
      }),
      response: { 200: { description: 'Server-Sent Events: `id: <cursor>` and `data: <event as JSON>` per message', content: { 'text/event-stream': { schema: z.string() } } }, ...errors },
    },
  }, async (req, reply) => {
    const filter: FeedFilter = {};
    if (req.query.run !== undefined) filter.runId = await store.resolveRunId(req.query.run);
    if (req.query.workflow !== undefined) filter.workflow = req.query.workflow;
    if (req.query.type !== undefined) filter.type = req.query.type;
    const lastId = req.headers['last-event-id'];
    const after = (typeof lastId === 'string' && lastId !== '' ? lastId : undefined) ?? req.query.after;
    const head = await store.api.eventsHead();
    // '0' and '' name the beginning on both stores (a PostgreSQL cursor is '<tx>-<seq>').
    const start = after === '' || after === '0' ? undefined : after ?? head;
    await store.api.eventsAfter(start, filter, 1); // a malformed cursor fails here, as a 400, before the stream opens
    if (start !== undefined && cursorBeyond(start, head)) {
      throw new ApiError(400, 'bad-cursor', `event id '${start}' is beyond the newest event ('${head}'): pass an id this server sent, or '0' for the beginning`);
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    req.raw.on('close', stop);
    res.on('close', stop);
    const keepalive = setInterval(() => void write(res, ': keepalive\n\n'), KEEPALIVE_MS);
    try {
      await followEvents(start, { store, filter, signal: ctx.feedSignal, pollMs: ctx.feedPollMs, abort: abort.signal, onError: (e) => req.log.warn({ err: e }, 'event feed read failed; retrying') }, async (page) => {
        await write(res, page.map((e) => `id: ${e.cursor}\ndata: ${JSON.stringify(view(e))}\n\n`).join(''));
      });
    } finally {
      clearInterval(keepalive);
      res.end();
    }
  });

  app.get('/runs/:id/steps/:step/attempts/:number/log', {
    config: { role: 'viewer' },
    schema: {
      tags: ['runs'],
      operationId: 'getAttemptLog',
      summary: "An attempt's log: a byte range, or a live tail",
      description: "Plain text: the attempt's log file when this server has it, else (fleet, PostgreSQL) the chunks the worker that ran it shipped to the store, the same bytes at the same offsets. `X-Log-Size` is the size when read, `X-Log-Offset` where the bytes sent start and `X-Log-Next-Offset` where the next read starts; `tail=N` reads the last N bytes, the page a viewer opens a long log on. With `follow=true` the response streams what the attempt writes until it ends (new chunks are read every 250 ms).",
      params: z.object({ id: z.string(), step: z.string(), number: z.coerce.number().int().min(1) }),
      querystring: z.object({
        offset: z.coerce.number().int().min(0).default(0).describe('first byte'),
        limit: z.coerce.number().int().min(1).max(LOG_MAX_BYTES).default(LOG_DEFAULT_BYTES).describe('bytes at most (without follow)'),
        follow: z.enum(['true', 'false']).default('false'),
        tail: z.coerce.number().int().min(1).max(LOG_MAX_BYTES).optional().describe('the last this many bytes instead of a range from offset (the first line may be cut; `X-Log-Offset` says where the bytes start); not with follow'),
      }),
      response: { 200: { description: 'the log bytes as written by the step (UTF-8 text as a rule; not re-encoded)', content: { 'text/plain': { schema: z.string() } } }, ...errors },
    },
  }, async (req, reply) => {
    const runId = await store.resolveRunId(req.params.id);
    const attempt = (await store.getAttempts(runId, req.params.step)).find((a) => a.number === req.params.number);
    if (!attempt) throw new ApiError(404, 'attempt-not-found', `run ${runId} has no attempt ${req.params.number} of step '${req.params.step}'`);
    if (req.query.follow === 'false') {
      const { tail } = req.query;
      const { text, size, next, offset } = tail !== undefined ? await readAttemptLogTail(store, attempt, tail) : { ...(await readAttemptLog(store, attempt, req.query.offset, req.query.limit)), offset: req.query.offset };
      return reply
        .header('content-type', 'text/plain; charset=utf-8')
        .header('x-log-offset', String(offset))
        .header('x-log-size', String(size))
        .header('x-log-next-offset', String(next))
        // The bytes as read, not re-encoded (a range may split a UTF-8 character): fastify
        // sends a Buffer as it is; the schema's string is what a client reads it as.
        .send(text as unknown as string);
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    let offset = req.query.offset;
    let open_ = true;
    req.raw.on('close', () => (open_ = false));
    while (open_) {
      const got = await readAttemptLog(store, attempt, offset, LOG_MAX_BYTES);
      if (got.next > offset) {
        await write(res, got.text);
        offset = got.next;
        continue;
      }
      // A fleet worker stores the log's last chunk before it reports the attempt's end, so
      // once the attempt reads ended, one more read finds the rest.
      const current = (await store.getAttempts(runId, req.params.step)).find((a) => a.number === req.params.number);
      if (current?.state !== 'running') {
        for (;;) {
          const rest = await readAttemptLog(store, attempt, offset, LOG_MAX_BYTES);
          if (rest.next <= offset) break;
          await write(res, rest.text);
          offset = rest.next;
        }
        break;
      }
      await new Promise((r) => setTimeout(r, ctx.feedPollMs));
    }
    res.end();
  });
}

/**
 * A scripted server on loopback speaking the OpenAI chat-completions protocol
 * (`POST /v1/chat/completions`): a JSON completion, or `stream: true` server-sent chunks
 * ending in `data: [DONE]`, or an error response, or no answer at all — one scripted reply
 * per request, in order. Every request body is kept for the test to inspect.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted reply. */
export type LlmReply =
  | { content: string; usage?: { prompt_tokens: number; completion_tokens: number } }
  | { status: number; message: string }
  | { hang: true };

/** A request as received. */
export interface LlmRequest {
  path: string;
  raw: string;
  body: { model?: string; stream?: boolean; messages: { role: string; content: string }[] };
  authorization?: string;
}

/** A running scripted server. */
export interface LlmServer {
  /** Base URL with `/v1`, as BATON_LLM_URL takes it. */
  url: string;
  requests: LlmRequest[];
  /** Appends replies to the script. */
  script(...replies: LlmReply[]): void;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 on a free port. A request beyond the script gets a 500. */
export async function startLlmServer(): Promise<LlmServer> {
  const queue: LlmReply[] = [];
  const requests: LlmRequest[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.setEncoding('utf8').on('data', (c: string) => (raw += c)).on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } }));
        return;
      }
      const body = JSON.parse(raw) as LlmRequest['body'];
      requests.push({ path: req.url, raw, body, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      const reply = queue.shift() ?? { status: 500, message: 'no scripted reply left' };
      if ('hang' in reply) {
        hanging.push(res);
        return;
      }
      if ('status' in reply) {
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: reply.message, type: 'server_error', code: null } }));
        return;
      }
      const id = `chatcmpl-${requests.length}`;
      const created = Math.floor(Date.now() / 1000);
      const model = body.model ?? 'test';
      const usage = reply.usage ?? { prompt_tokens: Math.ceil(raw.length / 4), completion_tokens: Math.ceil(reply.content.length / 4) };
      if (body.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        const send = (o: unknown): boolean => res.write(`data: ${JSON.stringify(o)}\n\n`);
        send({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
        // Three pieces, cut anywhere: the client must join the deltas.
        const n = reply.content.length;
        for (const [a, b] of [[0, Math.floor(n / 3)], [Math.floor(n / 3), Math.floor((2 * n) / 3)], [Math.floor((2 * n) / 3), n]] as const) {
          send({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: { content: reply.content.slice(a, b) }, finish_reason: null }] });
        }
        send({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
        send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
        res.end('data: [DONE]\n\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        id, object: 'chat.completion', created, model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply.content }, finish_reason: 'stop' }],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...replies) => queue.push(...replies),
    close: () => new Promise<void>((r) => {
      for (const h of hanging) h.destroy();
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/**
 * A real HTTP receiver on loopback for notification tests: it records each POST's
 * headers and JSON body by path, and answers the status codes a test queues (then 204).
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got. */
export interface Received<T> {
  path: string;
  headers: IncomingHttpHeaders;
  body: T;
}

/** A started receiver. */
export interface Receiver<T> {
  /** `http://127.0.0.1:<port><path>`. */
  url(path?: string): string;
  /** Requests answered 2xx, in order of arrival. */
  received: Received<T>[];
  /** Bodies that reached `path` (answered 2xx). */
  at(path: string): T[];
  /** Status codes to answer next at `path` before 204. */
  answer(path: string, ...codes: number[]): void;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1, a free port. */
export async function startReceiver<T = Record<string, unknown>>(): Promise<Receiver<T>> {
  const received: Received<T>[] = [];
  const answers: Record<string, number[]> = {};
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => {
      const path = req.url ?? '/';
      const code = answers[path]?.shift() ?? 204;
      if (code < 300) received.push({ path, headers: req.headers, body: JSON.parse(text) as T });
      res.writeHead(code).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (path = '/') => base + path,
    received,
    at: (path) => received.filter((r) => r.path === path).map((r) => r.body),
    answer: (path, ...codes) => void (answers[path] = [...(answers[path] ?? []), ...codes]),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * @module server/routes/web
 * The dashboard's files (`web/`, built by `npm run build` into `dist/web`): hashed assets
 * cached for a year (a new build has new names), `index.html` never cached, and every
 * other page address a browser asks for answered with `index.html`, so a reload or a
 * shared link of a dashboard page (`/runs/abc`) opens that page (client-side routing).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiApp } from '../app.js';

/**
 * Where the built dashboard is: `dist/web` of the package, both from `dist/server/routes`
 * (the built server) and from `src/server/routes` (tests run the sources).
 */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

/** Paths that are never dashboard pages: an unknown one answers the API's 404, not a page. */
const NOT_PAGES = /^\/(api|hooks|metrics|healthz|readyz)(\/|$|\?)/;
/** Files at the top of the build (Vite copies `web/public` there) that a page may name. */
const TOP_FILE = /^\/([\w-]+\.(?:svg|ico|png|txt|webmanifest))$/;

/** The message a browser gets when the server was installed without the dashboard built. */
export const WEB_NOT_BUILT = 'the dashboard is not built: run `npm run build` (or `npm run build:web`) in the baton package, then restart the server';

/**
 * Serves the dashboard from `dir` and returns the not-found fallback that answers page
 * addresses with `index.html`: true when it answered.
 */
export async function registerWebRoutes(app: ApiApp, dir: string): Promise<(req: FastifyRequest, reply: FastifyReply) => boolean> {
  const built = existsSync(join(dir, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, { root: join(dir, 'assets'), prefix: '/assets/', maxAge: '365d', immutable: true, index: false, schemaHide: true });
  }
  const sendIndex = (reply: FastifyReply): void => {
    if (!built) {
      void reply.status(503).type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(WEB_NOT_BUILT);
      return;
    }
    void reply.header('cache-control', 'no-cache').sendFile('index.html', dir, { maxAge: 0, immutable: false, cacheControl: false });
  };
  app.get('/', { schema: { hide: true } }, (_req, reply) => sendIndex(reply));
  return (req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = req.url.split('?')[0]!;
    if (NOT_PAGES.test(path)) return false;
    const top = TOP_FILE.exec(path);
    if (top && built && existsSync(join(dir, top[1]!))) {
      void reply.sendFile(top[1]!, dir, { maxAge: '1d', immutable: false });
      return true;
    }
    // Only a browser asking for a page gets one; a script asking for JSON gets the 404.
    if (!(req.headers.accept ?? '').includes('text/html')) return false;
    sendIndex(reply);
    return true;
  };
}

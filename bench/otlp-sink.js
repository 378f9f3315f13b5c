#!/usr/bin/env node
// A minimal OTLP/HTTP trace receiver for `bench/run.js --otlp`: accepts POST /v1/traces
// (JSON), answers {}, and counts spans. Prints `listening <port>` once it listens, and the
// span count on SIGTERM, so the bench can tell that no span was dropped.
import { createServer } from 'node:http';

let spans = 0;
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      for (const rs of JSON.parse(Buffer.concat(chunks).toString('utf8')).resourceSpans ?? []) {
        for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0;
      }
    } catch {
      // not JSON: counted as nothing
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => {
  console.log(`spans ${spans}`);
  process.exit(0);
});

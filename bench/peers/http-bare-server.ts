/**
 * The gateway suite's ceiling: a bare node:http server that reads the JSON body, parses it and answers it back as
 * JSON, with no routing or RPC behind it. Announces its port as ready.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announceReady } from '../lib/child-ready.ts';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  announceReady((server.address() as AddressInfo).port, () => new Promise<void>((resolve) => server.close(() => resolve())));
});

/**
 * The raw-tcp ceiling's echo server, run as a child process: parses each request body as JSON and
 * replies with it re-stringified, as any RPC server would. Listens on 127.0.0.1 only.
 */
import { createServer, type Socket } from 'node:net';
import { announceReady } from '../lib/child-ready.ts';
import { ECHO_ENDPOINT, FrameReader, type FrameSink, FrameTypes, FrameWriter } from '../lib/raw-frames.ts';

class EchoConnection implements FrameSink {
  readonly #writer: FrameWriter;

  constructor(socket: Socket) {
    this.#writer = new FrameWriter(socket);
    const reader = new FrameReader(this);
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        process.stderr.write(`raw-tcp-server: closing a connection: ${String(err)}\n`);
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
  }

  onFrame(type: number, _flags: number, streamId: number, buf: Buffer, headerStart: number, bodyStart: number, end: number): void {
    if (type !== FrameTypes.REQUEST) return;
    if (buf.compare(ECHO_ENDPOINT, 0, ECHO_ENDPOINT.length, headerStart, bodyStart) !== 0) {
      this.#writer.write(FrameTypes.ERROR, 0, streamId, undefined, `unknown endpoint ${buf.toString('latin1', headerStart, bodyStart)}`);
      return;
    }
    let reply: string;
    try {
      reply = JSON.stringify(JSON.parse(buf.toString('utf8', bodyStart, end)));
    } catch (err) {
      this.#writer.write(FrameTypes.ERROR, 0, streamId, undefined, `bad request body: ${String(err)}`);
      return;
    }
    this.#writer.write(FrameTypes.RESPONSE, 0, streamId, undefined, reply);
  }
}

const sockets = new Set<Socket>();
const server = createServer({ noDelay: true }, (socket) => {
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
  new EchoConnection(socket);
});
server.listen({ host: '127.0.0.1', port: 0 }, () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  announceReady(port, () => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

/**
 * The raw-tcp ceiling's client: one socket, request id in the frame's stream id, replies matched by
 * id, bodies as JSON. Everything an RPC client must do, and nothing more.
 */
import { connect, type Socket } from 'node:net';
import { MicroError } from '../../src/mesh/errors.ts';
import { ECHO_ENDPOINT, FrameReader, type FrameSink, FrameTypes, FrameWriter } from '../lib/raw-frames.ts';
import type { RpcClient } from '../lib/rpc-impl.ts';

interface PendingCall {
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

const MAX_STREAM_ID = 0xffff_ffff;

export class RawTcpClient implements RpcClient, FrameSink {
  readonly #socket: Socket;
  readonly #writer: FrameWriter;
  readonly #calls = new Map<number, PendingCall>();
  #nextId = 1;
  #closed: MicroError | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.#writer = new FrameWriter(socket);
    const reader = new FrameReader(this);
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        this.#fail(err instanceof MicroError ? err : new MicroError('PROTOCOL_ERROR', String(err), { cause: err }));
      }
    });
    socket.on('error', (err) => this.#fail(new MicroError('UNAVAILABLE', `raw-tcp connection failed: ${err.message}`, { cause: err })));
    socket.on('close', () => this.#fail(new MicroError('NODE_GONE', 'raw-tcp connection closed')));
  }

  /** Connects to a raw-tcp echo server on `host:port`. */
  static connect(host: string, port: number): Promise<RawTcpClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawTcpClient(socket));
      });
    });
  }

  call(body: unknown): Promise<unknown> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    const id = this.#nextId;
    this.#nextId = id === MAX_STREAM_ID ? 1 : id + 1;
    const json = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      this.#writer.write(FrameTypes.REQUEST, 0, id, ECHO_ENDPOINT, json);
    });
  }

  onFrame(type: number, _flags: number, streamId: number, buf: Buffer, _headerStart: number, bodyStart: number, end: number): void {
    const call = this.#calls.get(streamId);
    if (call === undefined) return;
    this.#calls.delete(streamId);
    const text = buf.toString('utf8', bodyStart, end);
    if (type !== FrameTypes.RESPONSE) {
      call.reject(new MicroError('INTERNAL', `raw-tcp server error: ${text}`));
      return;
    }
    try {
      call.resolve(JSON.parse(text));
    } catch (err) {
      call.reject(new MicroError('DECODE_FAILED', 'raw-tcp reply is not JSON', { cause: err }));
    }
  }

  async close(): Promise<void> {
    this.#fail(new MicroError('CANCELLED', 'raw-tcp client closed'));
    if (this.#socket.closed) return;
    await new Promise<void>((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#socket.destroy();
    });
  }

  #fail(error: MicroError): void {
    if (this.#closed !== undefined) return;
    this.#closed = error;
    for (const call of this.#calls.values()) call.reject(error);
    this.#calls.clear();
    this.#socket.destroy();
  }
}

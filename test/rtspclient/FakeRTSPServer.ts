// A scripted RTSP server for tolerance tests: a node:net server whose answers the test writes,
// so we can be every odd server real clients meet (cameras, old servers, other stacks).
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { RTSPHeaders, RTSPParser, serializeRTSPRequest, serializeRTSPResponse, writeInterleavedHeader, type RTSPHeadersInit, type RTSPRequest, type RTSPResponse } from '@dorsvr/livemedia';

/** What the handler answers: a response, raw bytes, or nothing (no answer at all). */
export type FakeAnswer = { status: number; reason?: string; headers?: RTSPHeadersInit; body?: string | Uint8Array } | Uint8Array | undefined;

/** One connection to the fake server. */
export interface FakeConnection {
  readonly socket: Socket;
  /** Requests received on it, in order. */
  readonly requests: RTSPRequest[];
  /** Responses the client sent us (to requests we sent it). */
  readonly responses: RTSPResponse[];
  /** `$` frames the client sent us. */
  readonly interleaved: Array<{ channel: number; payload: Buffer }>;
  /** Send the client a request (what cameras do). */
  sendRequest(method: string, uri: string, headers: RTSPHeadersInit): void;
  /** Send a `$` frame. */
  sendInterleaved(channel: number, payload: Uint8Array): void;
}

export type FakeHandler = (req: RTSPRequest, conn: FakeConnection) => FakeAnswer | Promise<FakeAnswer>;

export class FakeRTSPServer {
  readonly connections: FakeConnection[] = [];
  #server: Server;
  #handler: FakeHandler;

  private constructor(server: Server, handler: FakeHandler) {
    this.#server = server;
    this.#handler = handler;
  }

  static async start(handler: FakeHandler, host = '127.0.0.1'): Promise<FakeRTSPServer> {
    const server = createServer();
    const fake = new FakeRTSPServer(server, handler);
    server.on('connection', (socket) => fake.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    return fake;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Every request on every connection, in arrival order per connection. */
  get requests(): RTSPRequest[] {
    return this.connections.flatMap((c) => c.requests);
  }

  /** `rtsp://host:port/path` of this server. */
  url(path: string, host = '127.0.0.1'): string {
    return `rtsp://${host.includes(':') ? `[${host}]` : host}:${this.port}/${path}`;
  }

  set handler(h: FakeHandler) {
    this.#handler = h;
  }

  #accept(socket: Socket): void {
    const parser = new RTSPParser();
    const conn: FakeConnection = {
      socket,
      requests: [],
      responses: [],
      interleaved: [],
      sendRequest: (method, uri, headers) => socket.write(serializeRTSPRequest({ method, uri, headers })),
      sendInterleaved: (channel, payload) => socket.write(Buffer.concat([writeInterleavedHeader(channel, payload.length), payload])),
    };
    this.connections.push(conn);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const item of parser.push(chunk)) {
        if (item.type === 'request') {
          conn.requests.push(item);
          void Promise.resolve(this.#handler(item, conn)).then((a) => {
            if (a === undefined || socket.destroyed) return;
            if (a instanceof Uint8Array) {
              socket.write(a);
              return;
            }
            const headers = new RTSPHeaders(a.headers);
            if (!headers.has('CSeq') && item.headers.get('CSeq') !== undefined) headers.set('CSeq', item.headers.get('CSeq')!);
            socket.write(serializeRTSPResponse({ status: a.status, reason: a.reason, headers, body: a.body }));
          });
        } else if (item.type === 'response') {
          conn.responses.push(item);
        } else if (item.type === 'interleaved') {
          conn.interleaved.push({ channel: item.channel, payload: Buffer.from(item.payload) });
        }
      }
    });
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}

/** A minimal SDP: one PCMU audio track with control `track1` (options change lines). */
export function pcmuSDP(extra: { sessionControl?: string; mediaControl?: string | null; mediaLines?: string[] } = {}): string {
  const lines = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=fake', 't=0 0'];
  if (extra.sessionControl !== undefined) lines.push(`a=control:${extra.sessionControl}`);
  lines.push('m=audio 0 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000');
  if (extra.mediaControl !== null) lines.push(`a=control:${extra.mediaControl ?? 'track1'}`);
  lines.push(...(extra.mediaLines ?? []));
  return `${lines.join('\r\n')}\r\n`;
}

/** An RTP packet: 12-byte header + payload. */
export function rtpPacket(seq: number, timestamp: number, ssrc: number, payload: Uint8Array, payloadType = 0, marker = false): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = (marker ? 0x80 : 0) | payloadType;
  h.writeUInt16BE(seq & 0xffff, 2);
  h.writeUInt32BE(timestamp >>> 0, 4);
  h.writeUInt32BE(ssrc >>> 0, 8);
  return Buffer.concat([h, payload]);
}

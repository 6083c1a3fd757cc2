import { connect, type Socket } from 'node:net';
import { RTSPParser, type RTSPResponse, type RTSPInterleavedFrame } from '@dorsvr/livemedia';

/** A response as a test sees it: status, lower-case headers, body text. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** Every value of each header (lower-case names). */
  all: Record<string, string[]>;
  body: string;
}

function toRaw(r: RTSPResponse): RawResponse {
  const headers: Record<string, string> = {};
  const all: Record<string, string[]> = {};
  for (const [n, v] of r.headers) {
    const k = n.toLowerCase();
    headers[k] ??= v;
    (all[k] ??= []).push(v);
  }
  return { status: r.status, headers, all, body: Buffer.from(r.body).toString('utf8') };
}

/**
 * A deliberately dumb RTSP client over a real TCP socket: writes exactly the bytes a test gives
 * (including malformed ones) and returns the server's responses in order; counts `$` frames.
 */
export class RawRTSPClient {
  readonly socket: Socket;
  readonly #parser = new RTSPParser();
  readonly #responses: RawResponse[] = [];
  #waiters: Array<() => void> = [];
  /** Interleaved frames received, per channel. */
  readonly frames = new Map<number, RTSPInterleavedFrame[]>();
  closed = false;
  #cseq = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const item of this.#parser.push(chunk)) {
        if (item.type === 'response') this.#responses.push(toRaw(item));
        else if (item.type === 'interleaved') {
          const list = this.frames.get(item.channel) ?? [];
          list.push({ ...item, payload: Uint8Array.from(item.payload) });
          this.frames.set(item.channel, list);
        }
      }
      this.#wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
    socket.on('error', () => {});
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Connect to `host:port`, from `localAddress` when given (e.g. 127.0.0.2: another client address on loopback). */
  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawRTSPClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host, localAddress }, () => {
        s.off('error', reject);
        resolve(new RawRTSPClient(s));
      });
      s.once('error', reject);
    });
  }

  /** Send raw bytes. */
  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Wait until `pred()` holds, the socket closes, or `ms` pass (then reject). */
  async waitFor(pred: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (this.closed) throw new Error(`connection closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 20));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next response (in order). */
  async response(ms = 5000): Promise<RawResponse> {
    await this.waitFor(() => this.#responses.length > 0, ms, 'a response');
    return this.#responses.shift()!;
  }

  /** Send a well-formed request (CSeq added) and return its response. */
  async request(method: string, uri: string, headers: Record<string, string> = {}, body = ''): Promise<RawResponse> {
    let msg = `${method} ${uri} RTSP/1.0\r\nCSeq: ${++this.#cseq}\r\n`;
    for (const [k, v] of Object.entries(headers)) msg += `${k}: ${v}\r\n`;
    if (body) msg += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    msg += `\r\n${body}`;
    this.write(msg);
    return this.response();
  }

  /** Frames received on `channel` so far. */
  frameCount(channel: number): number {
    return this.frames.get(channel)?.length ?? 0;
  }

  close(): void {
    this.socket.destroy();
  }
}

import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';

/**
 * A TCP relay between an RTSP client (over TCP: `-rtsp_transport tcp`, `dorsvr-client -t`) and a
 * server that drops chosen `$`-interleaved RTP frames going one way: what a publisher sends
 * (`toServer`) or what a reader is sent (`toClient`), a known loss on a loopback path that has
 * none. It reads that direction's byte stream as RTSP messages (head plus Content-Length body) and
 * `$` frames, and passes everything else on unchanged; the other direction goes through as it is.
 */
export class DroppingRTSPProxy {
  /** RTP frames dropped so far. */
  dropped = 0;
  /** RTP frames passed on so far (channel `channel`). */
  passed = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #shouldDrop: (index: number) => boolean;
  readonly #channel: number;

  /**
   * @param target the server's port on 127.0.0.1
   * @param shouldDrop given the 0-based index of an RTP frame on `channel`, whether to drop it
   */
  readonly #direction: 'toServer' | 'toClient';

  constructor(readonly target: number, shouldDrop: (index: number) => boolean, channel = 0, direction: 'toServer' | 'toClient' = 'toServer') {
    this.#shouldDrop = shouldDrop;
    this.#channel = channel;
    this.#direction = direction;
    this.#server = createServer((client) => this.#relay(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #relay(client: Socket): void {
    const upstream = connect(this.target, '127.0.0.1');
    this.#sockets.add(client).add(upstream);
    const [from, to] = this.#direction === 'toServer' ? [client, upstream] : [upstream, client];
    to.pipe(from);
    let buf: Buffer = Buffer.alloc(0);
    let rtpIndex = 0;
    from.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      for (;;) {
        if (buf.length === 0) break;
        if (buf[0] === 0x24) {
          if (buf.length < 4) break;
          const len = 4 + buf.readUInt16BE(2);
          if (buf.length < len) break;
          const frame = buf.subarray(0, len);
          buf = buf.subarray(len);
          if (frame[1] === this.#channel) {
            if (this.#shouldDrop(rtpIndex++)) {
              this.dropped++;
              continue;
            }
            this.passed++;
          }
          to.write(frame);
          continue;
        }
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = buf.subarray(0, end + 4).toString('latin1');
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        const total = end + 4 + (m ? Number(m[1]) : 0);
        if (buf.length < total) break;
        to.write(buf.subarray(0, total));
        buf = buf.subarray(total);
      }
    });
    const done = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', done).on('error', done);
    upstream.on('close', done).on('error', done);
  }
}

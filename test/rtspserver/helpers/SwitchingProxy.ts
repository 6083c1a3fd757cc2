import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy that plays "the server restarted between two requests": each connection is relayed
 * to server `first` until the response carrying an SDP (DESCRIBE's 200) has passed, then to server
 * `second` (a new connection) for the rest. The player then presents `first`'s nonce to `second`,
 * which never issued it. Response header blocks are read as text until a PLAY answer (`RTP-Info:`
 * or `Range:`) has passed, kept in `responses`, then bytes are relayed untouched (media follows).
 */
export class SwitchingProxy {
  /** Header blocks of the responses relayed, with the server (`first`/`second`) that sent each. */
  readonly responses: Array<{ from: 'first' | 'second'; head: string }> = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(firstPort: number, secondPort: number): Promise<SwitchingProxy> {
    const server = createServer();
    const proxy = new SwitchingProxy(server);
    server.on('connection', (client) => proxy.#relay(client, firstPort, secondPort));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  #relay(client: Socket, firstPort: number, secondPort: number): void {
    this.#sockets.add(client);
    client.on('error', () => undefined);
    let upstream = this.#open(client, firstPort, 'first', () => {
      // DESCRIBE answered: from now on, the other server.
      upstream.removeAllListeners('close');
      upstream.destroy();
      upstream = this.#open(client, secondPort, 'second', () => undefined);
    });
    client.on('data', (d: Buffer) => upstream.write(d));
    client.on('close', () => upstream.destroy());
  }

  #open(client: Socket, port: number, from: 'first' | 'second', onSDP: () => void): Socket {
    const upstream = connect(port, '127.0.0.1');
    this.#sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    let text = true;
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      if (!text) {
        client.write(chunk);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = pending.subarray(0, end + 4).toString('latin1');
        const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        client.write(pending.subarray(0, end + 4 + length));
        pending = pending.subarray(end + 4 + length);
        this.responses.push({ from, head });
        if (/^content-type:\s*application\/sdp/im.test(head)) {
          onSDP();
          return;
        }
        if (/^(rtp-info|range):/im.test(head)) {
          text = false;
          if (pending.length > 0) client.write(pending);
          return;
        }
      }
    });
    return upstream;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}

import createDebug from 'debug';
import {
  ServerMediaStream,
  ServerMediaSubsession,
  type ClientTransport,
  type SDPMediaInit,
  type StreamStartInfo,
} from '@dorsvr/livemedia';
import type { MulticastAddress } from './MulticastGroupPool.js';

const debug = createDebug('dorsvr:rtspserver:multicast');

/**
 * One track as its multicast readers see it (live555's on-demand multicast): the real track sends
 * ONE stream to a server-chosen group and port pair, shared by every reader that SETs it up with
 * `Transport: RTP/AVP;multicast`. Each reader gets a handle of its own; the shared stream starts
 * with the first reader's PLAY, pauses when no reader plays, and is deleted (its group given back
 * through `onIdle`) when the last reader leaves. A shared stream is not seeked while two readers
 * watch it. The RTSP server keeps this in place of the real track in a reader's session.
 */
export class MulticastSubsession extends ServerMediaSubsession {
  /** The track that sends. */
  readonly real: ServerMediaSubsession;
  /** Where the shared stream goes. */
  readonly address: MulticastAddress;
  /** TTL of the packets. */
  readonly ttl: number;
  readonly #onIdle: () => void;
  #shared: Promise<ServerMediaStream> | undefined;
  /** Each reader's handle, with what detaches it from the shared stream's events. */
  readonly #readers = new Map<ServerMediaStream, () => void>();
  #settled: ServerMediaStream | undefined;
  readonly #playing = new Set<ServerMediaStream>();

  constructor(real: ServerMediaSubsession, address: MulticastAddress, ttl: number, onIdle: () => void) {
    super();
    this.real = real;
    this.address = address;
    this.ttl = ttl;
    this.#onIdle = onIdle;
    this.trackNumber = real.trackNumber;
    this.parentSession = real.parentSession;
  }

  /** Readers set up on the shared stream. */
  get readerCount(): number {
    return this.#readers.size;
  }

  override get trackId(): string {
    return this.real.trackId;
  }

  override sdpMedia(): Promise<SDPMediaInit> {
    return this.real.sdpMedia();
  }

  override durationSeconds(): number | undefined {
    return this.real.durationSeconds();
  }

  /** The transport of the shared stream: UDP to the group. */
  get transport(): ClientTransport {
    return { mode: 'udp', clientAddress: this.address.group, clientRTPPort: this.address.rtpPort, clientRTCPPort: this.address.rtcpPort };
  }

  /** A reader's handle on the shared stream (created with the first reader). */
  override async getStreamParameters(clientSessionId: string): Promise<ServerMediaStream> {
    this.#shared ??= this.real.getStreamParameters(`multicast-${this.address.group}`, this.transport);
    let shared: ServerMediaStream;
    try {
      shared = await this.#shared;
      this.#settled = shared;
    } catch (err) {
      this.#shared = undefined;
      if (this.#readers.size === 0) this.#onIdle();
      throw err;
    }
    const handle = new ServerMediaStream(clientSessionId, this.transport);
    handle.serverRTPPort = shared.serverRTPPort;
    handle.serverRTCPPort = shared.serverRTCPPort;
    handle.ssrc = shared.ssrc;
    handle.updateStats = () => {
      shared.updateStats?.();
      Object.assign(handle.stats, shared.stats);
    };
    const onEnd = (): void => void handle.emit('end');
    const onError = (err: unknown): void => void handle.emit('error', err);
    shared.on('end', onEnd);
    shared.on('error', onError);
    this.#readers.set(handle, () => {
      shared.off('end', onEnd);
      shared.off('error', onError);
    });
    debug('%s: reader %s on %s:%d (%d readers)', this.trackId, clientSessionId, this.address.group, this.address.rtpPort, this.#readers.size);
    return handle;
  }

  override async startStream(handle: ServerMediaStream): Promise<StreamStartInfo> {
    const shared = await this.#sharedStream();
    this.#playing.add(handle);
    handle.playing = true;
    // Started once; later readers get where it is now (their RTP-Info).
    return this.real.startStream(shared);
  }

  override pauseStream(handle: ServerMediaStream): void {
    if (!this.#playing.delete(handle)) return;
    handle.playing = false;
    if (this.#playing.size === 0) void this.#sharedStream().then((s) => this.real.pauseStream(s), () => undefined);
  }

  override seekStream(_handle: ServerMediaStream, npt: number, endNpt?: number): number | null {
    if (this.#readers.size > 1 || this.#settled === undefined) return null;
    return this.real.seekStream(this.#settled, npt, endNpt);
  }

  override currentNPT(_handle: ServerMediaStream): number {
    return this.#settled === undefined ? 0 : this.real.currentNPT(this.#settled);
  }

  override handleIncomingRTCP(): void {
    // Receivers report to the group, not to us.
  }

  override deleteStream(handle: ServerMediaStream): void {
    const detach = this.#readers.get(handle);
    if (detach === undefined) return;
    this.#readers.delete(handle);
    detach();
    this.pauseStream(handle);
    handle.deleted = true;
    if (this.#readers.size > 0) return;
    const shared = this.#shared;
    this.#shared = undefined;
    this.#settled = undefined;
    void shared?.then((s) => this.real.deleteStream(s), () => undefined);
    debug('%s: last reader left %s', this.trackId, this.address.group);
    this.#onIdle();
  }

  async #sharedStream(): Promise<ServerMediaStream> {
    if (this.#shared === undefined) throw new Error('no shared multicast stream');
    this.#settled = await this.#shared;
    return this.#settled;
  }

  override close(): void {
    for (const h of [...this.#readers.keys()]) this.deleteStream(h);
  }
}

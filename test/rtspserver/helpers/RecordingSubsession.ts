import {
  ServerMediaStream,
  ServerMediaSubsession,
  type ClientTransport,
  type SDPMediaInit,
  type StreamStartInfo,
} from '@dorsvr/livemedia';

/**
 * A track that sends nothing and records what the RTSP server asked of it: the collaborator for
 * tests of the server's protocol handling (statuses, headers, sessions), where media is beside
 * the point. Interop tests use the real file subsessions instead.
 */
export class RecordingSubsession extends ServerMediaSubsession {
  readonly calls: string[] = [];
  readonly rtcp: Uint8Array[] = [];
  readonly live = new Set<ServerMediaStream>();
  #nextPort: number;
  #npt = new Map<ServerMediaStream, number>();
  readonly duration: number | undefined;

  constructor(options: { duration?: number; firstPort?: number } = {}) {
    super();
    this.duration = options.duration;
    this.#nextPort = options.firstPort ?? 47000;
  }

  override async sdpMedia(): Promise<SDPMediaInit> {
    return {
      mediaType: 'video',
      payloadType: 96,
      rtpmapLine: 'a=rtpmap:96 H264/90000',
      fmtpLine: 'a=fmtp:96 packetization-mode=1',
      control: this.trackId,
    };
  }

  override durationSeconds(): number | undefined {
    return this.duration;
  }

  override async getStreamParameters(clientSessionId: string, transport: ClientTransport): Promise<ServerMediaStream> {
    this.calls.push(`setup ${this.trackId} ${transport.mode}`);
    const s = new ServerMediaStream(clientSessionId, transport);
    if (transport.mode === 'udp') {
      s.serverRTPPort = this.#nextPort;
      s.serverRTCPPort = this.#nextPort + 1;
      this.#nextPort += 2;
    }
    s.ssrc = 0x12345678;
    this.live.add(s);
    this.#npt.set(s, 0);
    return s;
  }

  override async startStream(stream: ServerMediaStream): Promise<StreamStartInfo> {
    this.calls.push(`play ${this.trackId}`);
    stream.playing = true;
    return { seq: 4321, rtptime: 0xfffffff0 };
  }

  override pauseStream(stream: ServerMediaStream): void {
    this.calls.push(`pause ${this.trackId}`);
    stream.playing = false;
  }

  override seekStream(stream: ServerMediaStream, npt: number): number | null {
    this.calls.push(`seek ${this.trackId} ${npt}`);
    const reached = Math.floor(npt);
    this.#npt.set(stream, reached);
    return reached;
  }

  override currentNPT(stream: ServerMediaStream): number {
    return this.#npt.get(stream) ?? 0;
  }

  override handleIncomingRTCP(stream: ServerMediaStream, packet: Uint8Array): void {
    this.rtcp.push(Uint8Array.from(packet));
    stream.emit('rtcp');
  }

  override deleteStream(stream: ServerMediaStream): void {
    if (!this.live.delete(stream)) return;
    this.calls.push(`delete ${this.trackId}`);
    stream.deleted = true;
  }
}

import type { RTPPacketSender } from '../rtp/RTPSink.js';
import type { RelayTrack } from './RelayTrack.js';

/**
 * The RTP interface an `RTPSink` sends through to feed a {@link RelayTrack}: how a `FramedSource`
 * (a user's live source, a file through its framer) reaches the same relay a publisher does. Each
 * packet the sink sends is copied once into a buffer of its own (the sink reuses its header and
 * the frame's memory as soon as `send` returns) and pushed with {@link RelayTrack.pushRTP}; the
 * relay then fans it out to every reader without further copies.
 */
export class RelayRTPInterface implements RTPPacketSender {
  #track: RelayTrack | undefined;
  /** Packets pushed into the track. */
  packetsSent = 0;

  /** `track` may be given later with {@link attach} (the sink is made before the track's SDP exists). */
  constructor(track?: RelayTrack) {
    this.#track = track;
  }

  /** The track packets go to (packets sent before are dropped). */
  attach(track: RelayTrack): void {
    this.#track = track;
  }

  /** Copy one packet (header and payload chunks) into one buffer and push it into the track. Never holds the chunks. */
  send(chunks: readonly Uint8Array[]): false {
    const track = this.#track;
    if (track === undefined) return false;
    let n = 0;
    for (let i = 0; i < chunks.length; i++) n += chunks[i]!.length;
    const packet = new Uint8Array(n);
    let off = 0;
    for (let i = 0; i < chunks.length; i++) {
      packet.set(chunks[i]!, off);
      off += chunks[i]!.length;
    }
    this.packetsSent++;
    track.pushRTP(packet);
    return false;
  }
}

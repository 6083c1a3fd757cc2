import { MultiFramedRTPSource } from './MultiFramedRTPSource.js';
import type { RTPReceivedPacket, RTPSourceOptions } from './RTPSource.js';
import { hasStartCode, splitAnnexB } from './splitAnnexB.js';

/**
 * H.264 depacketizer (RFC 6184, packetization modes 0 and 1): single NAL unit packets, STAP-A and
 * FU-A. Each frame is one NAL unit without start code; the last NAL unit of a packet with the
 * marker bit has `endOfAccessUnit: true`, IDR slices are `key`. Annex-B start codes found inside a
 * payload (some cameras send them) split it into its NAL units. STAP-B, MTAP and FU-B (interleaved
 * mode) are reported as damaged. Default clock 90 kHz.
 */
export class H264VideoRTPSource extends MultiFramedRTPSource {
  /** The last SPS and PPS seen in-band (for writing a playable Annex-B file). */
  sps: Uint8Array | undefined;
  pps: Uint8Array | undefined;

  constructor(options: RTPSourceOptions) {
    super(options, 90_000);
  }

  #deliverNal(nal: Uint8Array, ts: number, endOfAccessUnit: boolean): void {
    // The last byte of a NAL unit is never 0x00 (H.264/H.265 §7.4.1): zeros there are the first byte
    // of a 4-byte start code that a packetizer (ffmpeg) sent along; drop them.
    let end = nal.length;
    while (end > 0 && nal[end - 1] === 0) end--;
    if (end === 0) return;
    if (end < nal.length) nal = nal.subarray(0, end);
    const parts = hasStartCode(nal) ? splitAnnexB(nal) : [nal];
    parts.forEach((p, i) => {
      const type = p[0]! & 0x1f;
      if (type === 7) this.sps = p;
      else if (type === 8) this.pps = p;
      this.deliverFrame(p, ts, { endOfAccessUnit: endOfAccessUnit && i === parts.length - 1, key: type === 5 });
    });
  }

  protected processPacket(packet: RTPReceivedPacket): void {
    const p = packet.payload;
    const ts = packet.timestamp;
    if (p.length === 0) return;
    if (p.length >= 3 && p[0] === 0 && p[1] === 0 && (p[2] === 1 || (p[2] === 0 && p[3] === 1))) {
      // A whole Annex-B byte stream in one payload.
      this.#deliverNal(p, ts, packet.marker);
      return;
    }
    const type = p[0]! & 0x1f;
    if (type >= 1 && type <= 23) {
      this.#deliverNal(p, ts, packet.marker);
    } else if (type === 24) {
      let off = 1;
      const nals: Uint8Array[] = [];
      while (off + 2 <= p.length) {
        const size = (p[off]! << 8) | p[off + 1]!;
        off += 2;
        if (size === 0 || off + size > p.length) {
          this.reportDamagedFrame(`STAP-A unit of ${size} bytes does not fit the packet`, ts);
          break;
        }
        nals.push(p.subarray(off, off + size));
        off += size;
      }
      nals.forEach((nal, i) => this.#deliverNal(nal, ts, packet.marker && i === nals.length - 1));
    } else if (type === 28) {
      if (p.length < 3) {
        this.reportDamagedFrame('FU-A packet too short', ts);
        return;
      }
      const fu = p[1]!;
      const start = (fu & 0x80) !== 0;
      const end = (fu & 0x40) !== 0;
      if (start) {
        this.startFragment(ts, Uint8Array.of((p[0]! & 0xe0) | (fu & 0x1f)));
        this.appendFragment(p.subarray(2));
      } else if (!this.fragmentInProgress) {
        this.orphanFragment(ts, end);
        return;
      } else {
        this.appendFragment(p.subarray(2));
      }
      if (end && this.fragmentInProgress) this.#deliverNal(this.finishFragment(), ts, packet.marker);
    } else {
      this.reportDamagedFrame(`unsupported H.264 payload NAL type ${type}`, ts);
    }
  }
}

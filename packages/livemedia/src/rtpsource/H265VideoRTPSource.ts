import { MultiFramedRTPSource } from './MultiFramedRTPSource.js';
import type { RTPReceivedPacket, RTPSourceOptions } from './RTPSource.js';
import { hasStartCode, splitAnnexB } from './splitAnnexB.js';

/**
 * H.265 depacketizer (RFC 7798, without DONL, i.e. sprop-max-don-diff = 0): single NAL unit
 * packets, aggregation packets (AP) and fragmentation units (FU). One frame per NAL unit without
 * start code; IRAP pictures (types 16–21) are `key`. PACI packets are reported as damaged.
 * Default clock 90 kHz.
 */
export class H265VideoRTPSource extends MultiFramedRTPSource {
  /** The last VPS, SPS and PPS seen in-band. */
  vps: Uint8Array | undefined;
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
      const type = (p[0]! >> 1) & 0x3f;
      if (type === 32) this.vps = p;
      else if (type === 33) this.sps = p;
      else if (type === 34) this.pps = p;
      this.deliverFrame(p, ts, { endOfAccessUnit: endOfAccessUnit && i === parts.length - 1, key: type >= 16 && type <= 21 });
    });
  }

  protected processPacket(packet: RTPReceivedPacket): void {
    const p = packet.payload;
    const ts = packet.timestamp;
    if (p.length === 0) return;
    if (p.length >= 3 && p[0] === 0 && p[1] === 0 && (p[2] === 1 || (p[2] === 0 && p[3] === 1))) {
      this.#deliverNal(p, ts, packet.marker);
      return;
    }
    if (p.length < 3) {
      this.reportDamagedFrame(`H.265 payload of ${p.length} bytes`, ts);
      return;
    }
    const type = (p[0]! >> 1) & 0x3f;
    if (type < 48) {
      this.#deliverNal(p, ts, packet.marker);
    } else if (type === 48) {
      let off = 2;
      const nals: Uint8Array[] = [];
      while (off + 2 <= p.length) {
        const size = (p[off]! << 8) | p[off + 1]!;
        off += 2;
        if (size < 2 || off + size > p.length) {
          this.reportDamagedFrame(`AP unit of ${size} bytes does not fit the packet`, ts);
          break;
        }
        nals.push(p.subarray(off, off + size));
        off += size;
      }
      nals.forEach((nal, i) => this.#deliverNal(nal, ts, packet.marker && i === nals.length - 1));
    } else if (type === 49) {
      const fu = p[2]!;
      const start = (fu & 0x80) !== 0;
      const end = (fu & 0x40) !== 0;
      if (start) {
        this.startFragment(ts, Uint8Array.of((p[0]! & 0x81) | ((fu & 0x3f) << 1), p[1]!));
        this.appendFragment(p.subarray(3));
      } else if (!this.fragmentInProgress) {
        this.orphanFragment(ts, end);
        return;
      } else {
        this.appendFragment(p.subarray(3));
      }
      if (end && this.fragmentInProgress) this.#deliverNal(this.finishFragment(), ts, packet.marker);
    } else {
      this.reportDamagedFrame(`unsupported H.265 payload type ${type}`, ts);
    }
  }
}

import { MultiFramedRTPSource } from './MultiFramedRTPSource.js';
import type { RTPReceivedPacket, RTPSourceOptions } from './RTPSource.js';

/** RFC 3640 parameters, as the SDP `a=fmtp` line gives them. Defaults are AAC-hbr's. */
export interface MPEG4GenericRTPSourceOptions extends RTPSourceOptions {
  /** `sizeLength` (bits of an AU size). Default 13. 0 means there is no AU header section. */
  sizeLength?: number;
  /** `indexLength`. Default 3. */
  indexLength?: number;
  /** `indexDeltaLength`. Default 3. */
  indexDeltaLength?: number;
  /** `CTSDeltaLength` (a 1-bit flag then the delta, on AUs after the first). Default 0. */
  ctsDeltaLength?: number;
  /** `DTSDeltaLength` (a 1-bit flag then the delta). Default 0. */
  dtsDeltaLength?: number;
  /** `randomAccessIndication`: a 1-bit RAP flag per AU header. Default false. */
  randomAccessIndication?: boolean;
  /** `streamStateIndication`: bits of stream state per AU header. Default 0. */
  streamStateIndication?: number;
  /** RTP ticks per access unit (`constantDuration`; 1024 for AAC). Default 1024. */
  constantDuration?: number;
}

/**
 * MPEG-4 generic depacketizer (RFC 3640), e.g. AAC in `mode=AAC-hbr`: reads the AU header section,
 * delivers one frame per access unit (raw AAC, no ADTS header) with timestamps advancing by
 * `constantDuration`, and reassembles an AU fragmented over several packets (a fragment lost means
 * the AU is reported damaged and dropped). Default clock 44.1 kHz (pass the SDP rate).
 */
export class MPEG4GenericRTPSource extends MultiFramedRTPSource {
  readonly sizeLength: number;
  readonly indexLength: number;
  readonly indexDeltaLength: number;
  readonly ctsDeltaLength: number;
  readonly dtsDeltaLength: number;
  readonly randomAccessIndication: boolean;
  readonly streamStateIndication: number;
  readonly constantDuration: number;
  #fragmentSize = 0;

  constructor(options: MPEG4GenericRTPSourceOptions) {
    super(options, 44_100);
    this.sizeLength = options.sizeLength ?? 13;
    this.indexLength = options.indexLength ?? 3;
    this.indexDeltaLength = options.indexDeltaLength ?? 3;
    this.ctsDeltaLength = options.ctsDeltaLength ?? 0;
    this.dtsDeltaLength = options.dtsDeltaLength ?? 0;
    this.randomAccessIndication = options.randomAccessIndication ?? false;
    this.streamStateIndication = options.streamStateIndication ?? 0;
    this.constantDuration = options.constantDuration ?? 1024;
  }

  get #durationUs(): number {
    return Math.round((this.constantDuration * 1_000_000) / this.timestampFrequency);
  }

  protected processPacket(packet: RTPReceivedPacket): void {
    const p = packet.payload;
    const ts = packet.timestamp;
    const sizes: number[] = [];
    let dataOff = 0;
    if (this.sizeLength > 0) {
      if (p.length < 2) {
        this.reportDamagedFrame('AU-headers-length missing', ts);
        return;
      }
      const headerBits = (p[0]! << 8) | p[1]!;
      const headerBytes = (headerBits + 7) >> 3;
      if (2 + headerBytes > p.length) {
        this.reportDamagedFrame(`AU header section of ${headerBits} bits runs past the packet`, ts);
        return;
      }
      let bit = 16;
      const endBit = 16 + headerBits;
      const read = (n: number): number => {
        let v = 0;
        for (let i = 0; i < n; i++, bit++) v = v * 2 + ((p[bit >> 3]! >> (7 - (bit & 7))) & 1);
        return v;
      };
      while (bit < endBit) {
        const first = sizes.length === 0;
        const need =
          this.sizeLength + (first ? this.indexLength : this.indexDeltaLength) +
          (this.randomAccessIndication ? 1 : 0) + this.streamStateIndication;
        if (bit + need > endBit) break;
        sizes.push(read(this.sizeLength));
        read(first ? this.indexLength : this.indexDeltaLength);
        if (this.ctsDeltaLength > 0 && !first && bit < endBit && read(1) === 1) read(Math.min(this.ctsDeltaLength, endBit - bit));
        if (this.dtsDeltaLength > 0 && bit < endBit && read(1) === 1) read(Math.min(this.dtsDeltaLength, endBit - bit));
        if (this.randomAccessIndication) read(1);
        read(this.streamStateIndication);
      }
      dataOff = 2 + headerBytes;
    }
    const data = p.subarray(dataOff);

    if (this.fragmentInProgress) {
      // Continuation of a fragmented AU: the AU header repeats the whole AU's size.
      if (!this.appendFragment(data)) return;
      if (this.fragmentBytes >= this.#fragmentSize || packet.marker) {
        const complete = this.fragmentBytes === this.#fragmentSize;
        const au = this.finishFragment();
        if (complete) this.deliverFrame(au, ts, { durationUs: this.#durationUs });
        else this.reportDamagedFrame(`fragmented AU has ${au.length} of ${this.#fragmentSize} bytes`, ts);
      }
      return;
    }
    if (sizes.length === 0) {
      if (data.length > 0) this.deliverFrame(data, ts, { durationUs: this.#durationUs });
      return;
    }
    if (sizes.length === 1 && sizes[0]! > data.length && this.skippingFragmentOf(ts)) {
      // The rest of an AU already reported damaged.
      this.orphanFragment(ts, packet.marker);
      return;
    }
    if (sizes.length === 1 && sizes[0]! > data.length) {
      if (packet.marker) {
        this.reportDamagedFrame(`AU of ${sizes[0]} bytes in a ${data.length}-byte payload`, ts);
        return;
      }
      this.#fragmentSize = sizes[0]!;
      this.startFragment(ts, data);
      return;
    }
    let off = 0;
    for (let i = 0; i < sizes.length; i++) {
      const size = sizes[i]!;
      const auTs = (ts + i * this.constantDuration) >>> 0;
      if (off + size > data.length) {
        this.reportDamagedFrame(`AU ${i} of ${size} bytes runs past the packet`, auTs);
        return;
      }
      this.deliverFrame(data.subarray(off, off + size), auTs, { durationUs: this.#durationUs });
      off += size;
    }
  }
}

import { DorsvrError, limitOption } from '@dorsvr/scheduler';
import { RTSPHeaders } from './RTSPHeaders.js';
import type { RTSPParsedItem, RTSPParseFailure } from './RTSPMessage.js';

/**
 * Limits of {@link RTSPParser}; each has a default sized for real RTSP traffic. Each must be a
 * positive integer: anything else (a string, NaN, 0, -1, Infinity) throws `ERR_RTSP_PARSER_OPTIONS`
 * from the constructor rather than leaving the limit off.
 */
export interface RTSPParserOptions {
  /** Longest start line or header line, in bytes, without its line ending (default 8192; refused unless a positive integer). */
  maxLineLength?: number;
  /** Most header lines in one message (default 100; refused unless a positive integer). */
  maxHeaderCount?: number;
  /** Most bytes in the start line + header block of one message (default 65536; refused unless a positive integer). */
  maxHeaderBytes?: number;
  /** Largest Content-Length accepted (default 1 MiB; refused unless a positive integer); larger bodies are skipped and reported (413). */
  maxBodySize?: number;
}

const ST_IDLE = 0;
const ST_HEAD = 1;
const ST_DISCARD_HEAD = 2;
const ST_BODY = 3;
const ST_DISCARD_BODY = 4;
const ST_FRAME_HEADER = 5;
const ST_FRAME_PAYLOAD = 6;

const LF = 0x0a;
const CR = 0x0d;
const DOLLAR = 0x24;
const EMPTY = new Uint8Array(0);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VERSION = /^(?:RTSP|HTTP)\/\d{1,3}\.\d{1,3}$/;
const STATUS_LINE = /^((?:RTSP|HTTP)\/\d{1,3}\.\d{1,3})[ \t]+(\d{3})(?:[ \t]+(.*?))?[ \t]*$/;

function decode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/**
 * The error of a failure caused by a peer's bytes. It is built without a stack trace: the trace
 * would only ever point into this parser, and capturing it costs ten times the rest of a failure,
 * which a peer sending a few bytes of garbage per failure could otherwise turn into CPU.
 */
function peerError(code: string, message: string, status: number): DorsvrError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new DorsvrError(code, message, { status });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function looksLikeStatusLine(first: Uint8Array): boolean {
  if (first.length < 5) return false;
  const s = String.fromCharCode(first[0]!, first[1]!, first[2]!, first[3]!, first[4]!);
  return s === 'RTSP/' || s === 'HTTP/';
}

/**
 * Incremental RTSP parser for one connection's byte stream: feed it chunks as they arrive, in any
 * split, and it returns the requests, responses and `$`-interleaved frames completed so far.
 *
 * It is an explicit state machine that looks at each byte at most once (no re-scanning of
 * buffered data), keeps bodies and frame payloads as views of the incoming chunk when they fit
 * in it (copying once when they span chunks), and bounds every length it reads. A malformed
 * message is yielded as an {@link RTSPParseFailure} and skipped, so one bad request costs a 400,
 * not the connection. `push` itself never throws on any input.
 *
 * @example
 * ```ts
 * import { RTSPParser } from '@dorsvr/livemedia';
 *
 * const parser = new RTSPParser();
 * const bytes = Buffer.from('OPTIONS rtsp://example.com/ RTSP/1.0\r\nCSeq: 1\r\n\r\n$\x00\x00\x02hi');
 * for (const item of [...parser.push(bytes.subarray(0, 20)), ...parser.push(bytes.subarray(20))]) {
 *   if (item.type === 'request') console.log(item.method, item.headers.get('CSeq')); // OPTIONS 1
 *   else if (item.type === 'interleaved') console.log(`channel ${item.channel}: ${item.payload.length} bytes`);
 *   else if (item.type === 'error') console.log(`answer ${item.error.status}`); // 400, 413, …
 * }
 * ```
 */
export class RTSPParser {
  private readonly maxLineLength: number;
  private readonly maxHeaderCount: number;
  private readonly maxHeaderBytes: number;
  private readonly maxBodySize: number;

  private state = ST_IDLE;
  // Partial line carried across chunks.
  private lineParts: Uint8Array[] = [];
  private lineLen = 0;
  // Message being assembled.
  private startLine: string | undefined;
  private isRequest: boolean | undefined;
  private method = '';
  private uri = '';
  private version = '';
  private status = 0;
  private reason = '';
  private headers = new RTSPHeaders();
  // The last header line read, held back until the next header line or the end of the head so
  // that continuation lines (obs-fold) append to a string, not rebuild the header block each.
  private pendingName: string | undefined;
  private pendingValue = '';
  private headBytes = 0;
  private cseq: number | undefined;
  // Body / frame payload being assembled.
  private need = 0;
  private buf: Uint8Array = EMPTY;
  private filled = 0;
  // `$` frame header bytes (channel, length hi, length lo).
  private frameHdr = new Uint8Array(3);
  private frameHdrLen = 0;
  private channel = 0;
  // Discarding a bad head: true when the previous non-CR byte was LF.
  private atLineStart = false;

  constructor(options: RTSPParserOptions = {}) {
    this.maxLineLength = limitOption(options.maxLineLength, 8192, 'maxLineLength', 'ERR_RTSP_PARSER_OPTIONS');
    this.maxHeaderCount = limitOption(options.maxHeaderCount, 100, 'maxHeaderCount', 'ERR_RTSP_PARSER_OPTIONS');
    this.maxHeaderBytes = limitOption(options.maxHeaderBytes, 65536, 'maxHeaderBytes', 'ERR_RTSP_PARSER_OPTIONS');
    this.maxBodySize = limitOption(options.maxBodySize, 1 << 20, 'maxBodySize', 'ERR_RTSP_PARSER_OPTIONS');
  }

  /** Bytes held for a message not yet complete (bounded by the limits). */
  get bufferedBytes(): number {
    return this.lineLen + this.filled;
  }

  /** True when no message is partly received. */
  get idle(): boolean {
    return this.state === ST_IDLE;
  }

  /**
   * Feeds the next chunk of the stream; returns every item it completes, in stream order. The
   * chunk must not be modified afterwards while returned views of it are in use.
   */
  push(chunk: Uint8Array): RTSPParsedItem[] {
    const out: RTSPParsedItem[] = [];
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      switch (this.state) {
        case ST_IDLE: {
          const b = chunk[pos]!;
          if (b === CR || b === LF) {
            pos++; // empty lines between messages are tolerated
          } else if (b === DOLLAR) {
            pos++;
            this.frameHdrLen = 0;
            this.state = ST_FRAME_HEADER;
          } else {
            this.beginHead();
          }
          break;
        }
        case ST_FRAME_HEADER: {
          while (this.frameHdrLen < 3 && pos < len) this.frameHdr[this.frameHdrLen++] = chunk[pos++]!;
          if (this.frameHdrLen === 3) {
            this.channel = this.frameHdr[0]!;
            this.need = (this.frameHdr[1]! << 8) | this.frameHdr[2]!;
            this.filled = 0;
            this.buf = EMPTY;
            this.state = ST_FRAME_PAYLOAD;
            if (this.need === 0) {
              out.push({ type: 'interleaved', channel: this.channel, payload: EMPTY });
              this.state = ST_IDLE;
            }
          }
          break;
        }
        case ST_FRAME_PAYLOAD:
        case ST_BODY: {
          let data: Uint8Array;
          if (this.filled === 0 && len - pos >= this.need) {
            // Whole payload in this chunk: hand out a view, no copy.
            data = chunk.subarray(pos, pos + this.need);
            pos += this.need;
          } else {
            if (this.buf.length !== this.need) this.buf = new Uint8Array(this.need);
            const n = Math.min(this.need - this.filled, len - pos);
            this.buf.set(chunk.subarray(pos, pos + n), this.filled);
            this.filled += n;
            pos += n;
            if (this.filled < this.need) break;
            data = this.buf;
          }
          this.buf = EMPTY;
          this.filled = 0;
          if (this.state === ST_FRAME_PAYLOAD) {
            out.push({ type: 'interleaved', channel: this.channel, payload: data });
          } else {
            out.push(this.finishMessage(data));
          }
          this.state = ST_IDLE;
          break;
        }
        case ST_DISCARD_BODY: {
          const n = Math.min(this.need, len - pos);
          this.need -= n;
          pos += n;
          if (this.need === 0) this.state = ST_IDLE;
          break;
        }
        case ST_DISCARD_HEAD: {
          while (pos < len) {
            const b = chunk[pos++]!;
            if (b === LF) {
              if (this.atLineStart) {
                this.state = ST_IDLE;
                break;
              }
              this.atLineStart = true;
            } else if (b !== CR) {
              this.atLineStart = false;
            }
          }
          break;
        }
        case ST_HEAD: {
          const lf = chunk.indexOf(LF, pos);
          if (lf < 0) {
            const n = len - pos;
            if (this.lineLen + n > this.maxLineLength + 1) {
              // +1: a CR that may still be followed by LF does not count against the limit.
              out.push(this.lineTooLong(false, this.lineParts[0] ?? chunk.subarray(pos)));
            } else {
              this.lineParts.push(chunk.subarray(pos));
              this.lineLen += n;
            }
            pos = len;
            break;
          }
          let line: Uint8Array;
          if (this.lineParts.length === 0) {
            line = chunk.subarray(pos, lf);
          } else {
            this.lineParts.push(chunk.subarray(pos, lf));
            line = Buffer.concat(this.lineParts, this.lineLen + (lf - pos));
            this.lineParts = [];
          }
          this.lineLen = 0;
          pos = lf + 1;
          let end = line.length;
          if (end > 0 && line[end - 1] === CR) end--;
          if (end > this.maxLineLength) {
            out.push(this.lineTooLong(true, line));
            break;
          }
          this.headBytes += line.length + 1;
          if (this.headBytes > this.maxHeaderBytes) {
            out.push(this.headFailure('ERR_RTSP_HEADERS_TOO_LARGE', `header block exceeds ${this.maxHeaderBytes} bytes`, 400, true));
            break;
          }
          const item = this.onLine(decode(line.subarray(0, end)));
          if (item !== undefined) out.push(item);
          break;
        }
      }
    }
    return out;
  }

  /**
   * Tells the parser the stream has ended. Returns a failure (code `ERR_RTSP_TRUNCATED`) when a
   * message or frame was cut off, else null; either way the parser is reset.
   */
  end(): RTSPParseFailure | null {
    const truncated = this.state !== ST_IDLE && this.state !== ST_DISCARD_HEAD && this.state !== ST_DISCARD_BODY;
    const failure: RTSPParseFailure | null = truncated
      ? {
          type: 'error',
          error: peerError('ERR_RTSP_TRUNCATED', 'stream ended inside an RTSP message or interleaved frame', 400),
          cseq: this.cseq,
          isRequest: this.isRequest,
        }
      : null;
    this.resetMessage();
    this.state = ST_IDLE;
    return failure;
  }

  private beginHead(): void {
    this.resetMessage();
    this.state = ST_HEAD;
  }

  private resetMessage(): void {
    this.lineParts = [];
    this.lineLen = 0;
    this.startLine = undefined;
    this.isRequest = undefined;
    this.headers = new RTSPHeaders();
    this.pendingName = undefined;
    this.pendingValue = '';
    this.headBytes = 0;
    this.cseq = undefined;
    this.buf = EMPTY;
    this.filled = 0;
    this.need = 0;
  }

  private lineTooLong(lineComplete: boolean, first: Uint8Array): RTSPParseFailure {
    const isStart = this.startLine === undefined;
    if (isStart) this.isRequest = !looksLikeStatusLine(first);
    // A request line too long is 414 Request-URI Too Long; anything else is a plain 400.
    const status = isStart && this.isRequest ? 414 : 400;
    this.lineParts = [];
    this.lineLen = 0;
    return this.headFailure(
      'ERR_RTSP_LINE_TOO_LONG',
      `${isStart ? 'start' : 'header'} line exceeds ${this.maxLineLength} bytes`,
      status,
      lineComplete,
    );
  }

  /** Fails the current head and skips to the blank line that ends it. */
  private headFailure(code: string, message: string, status: number, atLineStart: boolean): RTSPParseFailure {
    this.flushPendingHeader(); // its CSeq, if it is one, goes with the failure
    const failure: RTSPParseFailure = {
      type: 'error',
      error: peerError(code, message, status),
      cseq: this.cseq,
      isRequest: this.isRequest,
    };
    this.resetMessage();
    this.atLineStart = atLineStart;
    this.state = ST_DISCARD_HEAD;
    return failure;
  }

  private onLine(line: string): RTSPParsedItem | undefined {
    if (this.startLine === undefined) return this.onStartLine(line);
    if (line.length === 0) {
      this.flushPendingHeader();
      return this.onHeadEnd();
    }
    const c = line.charCodeAt(0);
    if (c === 0x20 || c === 0x09) {
      // obs-fold continuation of the previous header's value
      if (this.pendingName === undefined) {
        return this.headFailure('ERR_RTSP_PARSE', 'continuation line before any header', 400, true);
      }
      const more = line.trim();
      this.pendingValue = this.pendingValue.length > 0 ? `${this.pendingValue} ${more}` : more;
      return undefined;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trimEnd() : '';
    if (!TOKEN.test(name)) {
      return this.headFailure('ERR_RTSP_PARSE', `malformed header line: ${JSON.stringify(line.slice(0, 80))}`, 400, true);
    }
    this.flushPendingHeader();
    if (this.headers.size >= this.maxHeaderCount) {
      return this.headFailure('ERR_RTSP_HEADERS_TOO_LARGE', `more than ${this.maxHeaderCount} header lines`, 400, true);
    }
    this.pendingName = name;
    this.pendingValue = line.slice(colon + 1).trim();
    return undefined;
  }

  /** Adds the header line held back (with its continuations) to the header block. */
  private flushPendingHeader(): void {
    const name = this.pendingName;
    if (name === undefined) return;
    const value = this.pendingValue;
    this.pendingName = undefined;
    this.pendingValue = '';
    this.headers.append(name, value);
    if (this.cseq === undefined && name.length === 4 && name.toLowerCase() === 'cseq' && /^\d{1,15}$/.test(value)) {
      this.cseq = Number(value);
    }
  }

  private onStartLine(line: string): RTSPParsedItem | undefined {
    this.startLine = line;
    if (line.startsWith('RTSP/') || line.startsWith('HTTP/')) {
      this.isRequest = false;
      const m = STATUS_LINE.exec(line);
      if (m === null) {
        return this.headFailure('ERR_RTSP_PARSE', `malformed status line: ${JSON.stringify(line.slice(0, 80))}`, 400, true);
      }
      this.version = m[1]!;
      this.status = Number(m[2]);
      this.reason = m[3] ?? '';
      return undefined;
    }
    this.isRequest = true;
    const parts = line.split(/[ \t]+/);
    if (parts.length === 4 && parts[3] === '') parts.pop();
    if (parts.length !== 3 || !TOKEN.test(parts[0]!) || parts[1]!.length === 0 || !VERSION.test(parts[2]!)) {
      return this.headFailure('ERR_RTSP_PARSE', `malformed request line: ${JSON.stringify(line.slice(0, 80))}`, 400, true);
    }
    this.method = parts[0]!;
    this.uri = parts[1]!;
    this.version = parts[2]!;
    return undefined;
  }

  private onHeadEnd(): RTSPParsedItem | undefined {
    const lengths = this.headers.getAll('content-length');
    let size = 0;
    if (lengths.length > 0) {
      const first = lengths[0]!;
      if (!/^\d{1,16}$/.test(first) || lengths.some((l) => l !== first)) {
        return this.bodyFailure('ERR_RTSP_PARSE', `invalid Content-Length: ${JSON.stringify(lengths.join(', ').slice(0, 40))}`, 400, 0);
      }
      size = Number(first);
      if (size > this.maxBodySize) {
        return this.bodyFailure('ERR_RTSP_BODY_TOO_LARGE', `body of ${size} bytes exceeds ${this.maxBodySize}`, 413, size);
      }
    }
    if (size === 0) {
      const msg = this.finishMessage(EMPTY);
      this.state = ST_IDLE;
      return msg;
    }
    this.need = size;
    this.filled = 0;
    this.buf = EMPTY;
    this.state = ST_BODY;
    return undefined;
  }

  /** Fails a message whose head was read but whose body cannot be taken; skips `skip` body bytes. */
  private bodyFailure(code: string, message: string, status: number, skip: number): RTSPParseFailure {
    const failure: RTSPParseFailure = {
      type: 'error',
      error: peerError(code, message, status),
      cseq: this.cseq,
      isRequest: this.isRequest,
    };
    this.resetMessage();
    this.need = skip;
    this.state = skip > 0 ? ST_DISCARD_BODY : ST_IDLE;
    return failure;
  }

  private finishMessage(body: Uint8Array): RTSPParsedItem {
    const headers = this.headers;
    const item: RTSPParsedItem = this.isRequest
      ? { type: 'request', method: this.method, uri: this.uri, version: this.version, headers, body }
      : { type: 'response', version: this.version, status: this.status, reason: this.reason, headers, body };
    this.resetMessage();
    return item;
  }
}

import { DorsvrError } from '@dorsvr/scheduler';

/** A `Session:` header: the session id and the optional timeout in seconds. */
export interface SessionHeader {
  id: string;
  /** Seconds of silence after which the server reclaims the session (`;timeout=`). */
  timeout?: number | undefined;
}

/**
 * Parses `Session: <id>[;timeout=<seconds>]`. Unknown parameters are ignored; a missing or
 * malformed id throws `ERR_RTSP_SESSION` (status 400), a bad timeout is ignored as live555 does.
 */
export function parseSessionHeader(value: string): SessionHeader {
  const parts = value.split(';');
  const id = parts[0]!.trim();
  if (!/^[A-Za-z0-9$\-_.+]{1,256}$/.test(id)) {
    throw new DorsvrError('ERR_RTSP_SESSION', `malformed Session id ${JSON.stringify(id.slice(0, 80))}`, { status: 400 });
  }
  const out: SessionHeader = { id };
  for (const p of parts.slice(1)) {
    const m = /^\s*timeout\s*=\s*(\d{1,9})\s*$/i.exec(p);
    if (m !== null) out.timeout = Number(m[1]);
  }
  return out;
}

/** Formats `id;timeout=N` (timeout omitted when undefined). */
export function formatSessionHeader(s: SessionHeader): string {
  return s.timeout === undefined ? s.id : `${s.id};timeout=${s.timeout}`;
}

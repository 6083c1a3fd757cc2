import { isDorsvrError } from '@dorsvr/scheduler';

/** Codes of a track whose file is not what its name says: a format its reader cannot read. */
const UNREADABLE_MEDIA = new Set(['ERR_H26X_NO_NAL_UNITS', 'ERR_H26X_PARSE', 'ERR_WAV_FORMAT', 'ERR_ADTS_FORMAT', 'ERR_MP3_FORMAT', 'ERR_AUDIO_CONFIG']);

/**
 * The answer to a SETUP whose track failed to open its media, as DESCRIBE answers it: 404 when
 * the file went away (`ERR_FILE_OPEN`), 415 when it is not what its name says; undefined for any
 * other failure (a server error, 500).
 */
export function mediaFailureStatus(err: unknown): 404 | 415 | undefined {
  if (!isDorsvrError(err) || err.status !== undefined) return undefined;
  if (err.code === 'ERR_FILE_OPEN') return 404;
  return UNREADABLE_MEDIA.has(err.code) ? 415 : undefined;
}

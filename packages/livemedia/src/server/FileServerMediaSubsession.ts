import type { OnDemandServerMediaSubsessionOptions } from './OnDemandServerMediaSubsession.js';
import { OnDemandServerMediaSubsession } from './OnDemandServerMediaSubsession.js';

/** Options of the file subsessions (`H264VideoFileServerMediaSubsession`, …). */
export type FileServerMediaSubsessionOptions = OnDemandServerMediaSubsessionOptions;

/**
 * live555's FileServerMediaSubsession: an on-demand track read from a file. Each client gets its
 * own reader (so it can pause and seek) unless `reuseFirstSource` is set.
 */
export abstract class FileServerMediaSubsession extends OnDemandServerMediaSubsession {
  /** The file streamed. */
  readonly fileName: string;

  constructor(fileName: string, options: FileServerMediaSubsessionOptions = {}) {
    super(options);
    this.fileName = fileName;
  }
}

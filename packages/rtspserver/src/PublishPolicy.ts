import { DorsvrError } from '@dorsvr/scheduler';
import { checkAuthenticationDatabase, type AuthenticationDatabase } from '@dorsvr/livemedia';

/** Who is asking, as the publish hooks see it. */
export interface PublishRequester {
  /** The RTSP connection's number. */
  readonly connectionId: number;
  /** The client's IP address. */
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** The publisher currently holding a path, as {@link PublishPolicy.onBusyPath} sees it. */
export interface PublisherInfo {
  /** The path (stream name) published. */
  readonly path: string;
  /** The publisher's RTSP session id. */
  readonly sessionId: string;
  /** The user it authenticated as, if any. */
  readonly username: string | undefined;
  readonly remoteAddress: string;
  /** True once it sent RECORD (readers can see the path). */
  readonly recording: boolean;
}

/** What to do when a second publisher ANNOUNCEs a busy path. */
export type BusyPathDecision = 'refuse' | 'takeover';

/**
 * Who may publish where, and who may read a published path: hooks an application sets (all
 * optional, each with a safe default). A hook that throws or rejects denies (fail closed).
 */
export interface PublishPolicy {
  /**
   * May `username` (undefined when no credentials database is in use) publish at `path` from
   * this connection? Default: yes, once authenticated when a database is in use (the server then
   * has already refused a request without valid credentials with 401). A `false` answers 403.
   */
  authorizePublish?(path: string, username: string | undefined, requester: PublishRequester): boolean | Promise<boolean>;
  /**
   * May `username` read the published `path` (DESCRIBE, SETUP, PLAY of it)? Default: yes (the
   * server's database, if any, was already checked). A `false` answers 403. Applies to published
   * paths only; files and streams added by the application are not asked about.
   */
  authorizeRead?(path: string, username: string | undefined, requester: PublishRequester): boolean | Promise<boolean>;
  /**
   * A second publisher ANNOUNCEs `path` while `current` holds it. Default `'refuse'`: the newcomer
   * gets {@link PUBLISH_BUSY_STATUS}. `'takeover'` ends the current publisher's stream (its
   * readers get an RTCP BYE) and lets the newcomer in.
   */
  onBusyPath?(path: string, current: PublisherInfo, requester: PublishRequester): BusyPathDecision | Promise<BusyPathDecision>;
}

/**
 * Publishing (ANNOUNCE / SETUP with `mode=record` / RECORD) on an {@link RTSPServer}: the policy
 * hooks and the limits on what a publisher can make the server hold. Every limit has a default.
 */
export interface PublishOptions extends PublishPolicy {
  /**
   * Credentials publishing needs (ANNOUNCE, SETUP, RECORD of a publisher). Default: the server's
   * `authDatabase`; with neither, anyone allowed by {@link PublishPolicy.authorizePublish} may
   * publish. Give one here to require credentials for publishing while reading stays open.
   */
  authDatabase?: AuthenticationDatabase;
  /** Most tracks (`m=` sections) in an ANNOUNCEd SDP (default 8); more answers 400. */
  maxTracks?: number;
  /** Largest ANNOUNCE SDP body in bytes (default 16384); larger answers 413. */
  maxSDPBytes?: number;
  /**
   * Largest RTP or RTCP packet accepted from a publisher, in bytes (default 4096); larger ones
   * are dropped and counted ({@link PublishedStreamStats.oversized}).
   */
  maxPacketSize?: number;
  /** Most streams published at once (default 64); more answers 453. */
  maxPublishers?: number;
  /** Most streams published at once from one IP address (default 8); more answers 453. */
  maxPublishersPerAddress?: number;
  /**
   * Seconds a publisher may stay between ANNOUNCE and RECORD (default 10); then its stream is
   * dropped and its path is free again.
   */
  announceTimeoutSeconds?: number;
  /**
   * Seconds a reader's DESCRIBE of a path nobody publishes waits for a publisher to RECORD
   * there, instead of answering 404 at once (default 0: no waiting). At most 60.
   */
  waitForPublisherSeconds?: number;
  /**
   * First UDP port for publishers' RTP/RTCP pairs (default 6970); the range ends at 65535. The
   * server's `rtpPortRange`, when set, is used instead (publishers, readers and on-demand tracks
   * all bind inside it).
   */
  portBase?: number;
}

/** The status a second publisher on a busy path gets (453, reason {@link PUBLISH_BUSY_REASON}). */
export const PUBLISH_BUSY_STATUS = 453;
/** The reason phrase of {@link PUBLISH_BUSY_STATUS} for a busy path. */
export const PUBLISH_BUSY_REASON = 'Path Already Published';

/** {@link PublishOptions} with every limit resolved. */
export interface ResolvedPublishOptions extends PublishPolicy {
  authDatabase: AuthenticationDatabase | undefined;
  maxTracks: number;
  maxSDPBytes: number;
  maxPacketSize: number;
  maxPublishers: number;
  maxPublishersPerAddress: number;
  announceTimeoutSeconds: number;
  waitForPublisherSeconds: number;
  portBase: number;
}

function limit(name: string, v: number | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    // Fail closed: a misconfigured limit is refused, not replaced by something laxer.
    throw new DorsvrError('ERR_SERVER_OPTION', `publish.${name} must be a number in ${min}..${max}, got ${String(v)}`);
  }
  return v;
}

/** Resolve the defaults of {@link PublishOptions}; throws `ERR_SERVER_OPTION` for a bad value. */
export function resolvePublishOptions(o: PublishOptions): ResolvedPublishOptions {
  for (const hook of ['authorizePublish', 'authorizeRead', 'onBusyPath'] as const) {
    if (o[hook] !== undefined && typeof o[hook] !== 'function') {
      throw new DorsvrError('ERR_SERVER_OPTION', `publish.${hook} must be a function`);
    }
  }
  return {
    authorizePublish: o.authorizePublish,
    authorizeRead: o.authorizeRead,
    onBusyPath: o.onBusyPath,
    // Not a usable database: refused (ERR_AUTH_DATABASE), never publishing without credentials.
    authDatabase: checkAuthenticationDatabase(o.authDatabase, 'publish.authDatabase'),
    maxTracks: limit('maxTracks', o.maxTracks, 8, 1, 64),
    maxSDPBytes: limit('maxSDPBytes', o.maxSDPBytes, 16384, 64, 1 << 20),
    maxPacketSize: limit('maxPacketSize', o.maxPacketSize, 4096, 64, 65535),
    maxPublishers: limit('maxPublishers', o.maxPublishers, 64, 1, 100_000),
    maxPublishersPerAddress: limit('maxPublishersPerAddress', o.maxPublishersPerAddress, 8, 1, 100_000),
    announceTimeoutSeconds: limit('announceTimeoutSeconds', o.announceTimeoutSeconds, 10, 0.001, 3600),
    waitForPublisherSeconds: limit('waitForPublisherSeconds', o.waitForPublisherSeconds, 0, 0, 60),
    portBase: limit('portBase', o.portBase, 6970, 1024, 65534),
  };
}

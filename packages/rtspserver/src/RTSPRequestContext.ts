import type { RTSPHeaders, RTSPRequest, ServerMediaSession, ServerMediaSubsession } from '@dorsvr/livemedia';
import type { EventEmitter } from 'eventemitter3';
import type { TaskScheduler } from '@dorsvr/scheduler';
import type { RTSPClientConnection } from './RTSPClientConnection.js';
import type { RTSPSessionRegistry } from './RTSPSessionRegistry.js';
import type { MulticastSubsession } from './MulticastSubsession.js';
import type { RTSPServerEvents } from './RTSPServer.js';

/** A response under construction: status, headers (CSeq, Date, Server already set) and body. */
export interface RTSPResponse {
  status: number;
  /** Reason phrase, when not the standard one for the status (it tells a peer why). */
  reason?: string;
  headers: RTSPHeaders;
  body?: string | Uint8Array;
}

/**
 * One request as a handler sees it: the connection it came on, the request (its URI made
 * absolute on the address the client reached), and the response headers being built.
 */
export interface RTSPRequestContext {
  /** The TCP connection the request arrived on. */
  readonly connection: RTSPClientConnection;
  /** The request; `uri` is absolute (`rtsp://host:port/…`) or `*`. */
  readonly request: RTSPRequest;
  /** The response's headers: `CSeq`, `Date` and `Server` are already in. */
  readonly headers: RTSPHeaders;
  /** The user this request authenticated as, once checked (undefined without a database). */
  username: string | undefined;
}

/** What a request URL names: a stream, maybe one of its tracks, and the stream's base URL. */
export interface RTSPRequestTarget {
  readonly sms: ServerMediaSession;
  /** The track named by the URL, if any. */
  readonly subsession: ServerMediaSubsession | undefined;
  /** The URL of the aggregate stream as the client addresses it (no trailing slash). */
  readonly baseURL: string;
}

/** What a request asks to do with a stream, for access checks. */
export type RTSPAccessAction = 'read' | 'publish';

/**
 * What the request handlers of an RTSPServer use of it: its scheduler, session registry,
 * URL resolution and access control, and its events. Handlers are functions over this, so that
 * each job of the server lives in a file of its own.
 */
export interface RTSPServerCore {
  readonly scheduler: TaskScheduler;
  readonly sessions: RTSPSessionRegistry;
  /** Whether the server is closing (late results of slow requests are then discarded). */
  readonly closed: boolean;
  /** The stream (and track) a request URL names, if any. */
  resolveTarget(uri: string): Promise<RTSPRequestTarget | undefined>;
  /**
   * Authentication and the access check for `action` on `sms` (or on no stream): undefined when
   * allowed, else the 401/403 response to send.
   */
  authorize(ctx: RTSPRequestContext, sms: ServerMediaSession | undefined, action: RTSPAccessAction): Promise<RTSPResponse | undefined>;
  /** The server's events. */
  readonly events: EventEmitter<RTSPServerEvents>;
  /**
   * The shared multicast stream of a track (made with the first multicast reader), when the
   * server was given multicast groups; undefined otherwise. Throws (453) when every group is taken.
   */
  readonly multicastFor?: ((subsession: ServerMediaSubsession) => MulticastSubsession) | undefined;
}

import { isDorsvrError } from '@dorsvr/scheduler';
import { RelayServerMediaSession } from '@dorsvr/livemedia';
import type { RTSPRequestContext, RTSPResponse, RTSPServerCore } from './RTSPRequestContext.js';

/** DESCRIBE: the stream's SDP, with `Content-Base` its URL and a trailing slash. */
export async function handleDescribeRequest(core: RTSPServerCore, ctx: RTSPRequestContext): Promise<RTSPResponse> {
  const { headers } = ctx;
  const target = await core.resolveTarget(ctx.request.uri);
  if (!target || target.subsession !== undefined) {
    // Authenticate before saying "not found" only when a server-wide database exists, so that
    // unauthenticated clients cannot probe for names.
    const denied = await core.authorize(ctx, undefined, 'read');
    if (denied) return denied;
    return { status: 404, headers };
  }
  const denied = await core.authorize(ctx, target.sms, 'read');
  if (denied) return denied;
  // A relay whose sources or publisher are gone takes no reader (its SETUP answers 404): not
  // described either, rather than a 200 whose every track then answers 404.
  if (target.sms instanceof RelayServerMediaSession && target.sms.ended) return { status: 404, headers };
  let sdp: string;
  try {
    sdp = await target.sms.generateSDPDescription(ctx.connection.localAddress || '0.0.0.0');
  } catch (err) {
    // The stream exists but cannot be described: its file went away (404) or is not what its
    // name says (415). Reported as an error event too, for the operator.
    core.events.emit('error', err);
    const status = isDorsvrError(err, 'ERR_FILE_OPEN') ? 404 : isDorsvrError(err) && err.status !== undefined ? err.status : 415;
    return { status, headers };
  }
  headers.append('Content-Base', `${target.baseURL}/`);
  headers.append('Content-Type', 'application/sdp');
  return { status: 200, headers, body: sdp };
}

import type { RTSPParameterHandler } from './RTSPServer.js';
import type { RTSPRequestContext, RTSPResponse, RTSPServerCore } from './RTSPRequestContext.js';

/**
 * GET_PARAMETER / SET_PARAMETER: with an empty body a keep-alive (the named session is renewed);
 * otherwise each named parameter goes through the application's `handler` (451 when unknown).
 */
export async function handleParameterRequest(
  core: RTSPServerCore,
  ctx: RTSPRequestContext,
  handler: RTSPParameterHandler | undefined,
): Promise<RTSPResponse> {
  const { request: req, headers } = ctx;
  const session = core.sessions.fromRequest(req);
  if (req.uri !== '*' && !session) {
    const target = await core.resolveTarget(req.uri);
    const denied = await core.authorize(ctx, target?.sms, 'read');
    if (denied) return denied;
  } else {
    const denied = await core.authorize(ctx, session?.serverMediaSession, 'read');
    if (denied) return denied;
  }
  if (session) headers.append('Session', core.sessions.sessionHeader(session));
  const body = Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength).toString('utf8').trim();
  if (body.length === 0) return { status: 200, headers };
  const lines = body
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .slice(0, 100);
  if (req.method === 'GET_PARAMETER') {
    let out = '';
    for (const name of lines) {
      const v = handler?.get?.(name, session);
      if (v === undefined) return { status: 451, headers };
      out += `${name}: ${v}\r\n`;
    }
    headers.append('Content-Type', 'text/parameters');
    return { status: 200, headers, body: out };
  }
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) return { status: 451, headers };
    const ok = handler?.set?.(line.slice(0, colon).trim(), line.slice(colon + 1).trim(), session) ?? false;
    if (!ok) return { status: 451, headers };
  }
  return { status: 200, headers };
}

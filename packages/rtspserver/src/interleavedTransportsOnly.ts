import { RTSPHeaders, formatTransportSpec, parseTransportHeader, type RTSPRequest } from '@dorsvr/livemedia';

/**
 * Under RTSPS (and a tunnel over TLS) a SETUP may only ask for the stream inside the protected
 * connection: the request with its `Transport:` reduced to the `$`-interleaved (TCP) specs it
 * offers, in its order, or undefined when it offers none (the server answers 461). A Transport the
 * parser cannot read is passed on unchanged (SETUP answers it as it answers any bad header).
 */
export function interleavedTransportsOnly(req: RTSPRequest): RTSPRequest | undefined {
  const value = req.headers.get('Transport');
  if (value === undefined) return req;
  let specs;
  try {
    specs = parseTransportHeader(value);
  } catch {
    return req;
  }
  const tcp = specs.filter((s) => s.lowerTransport === 'TCP');
  if (tcp.length === 0) return undefined;
  if (tcp.length === specs.length) return req;
  const headers = new RTSPHeaders(req.headers);
  headers.set('Transport', tcp.map(formatTransportSpec).join(','));
  return { ...req, headers };
}

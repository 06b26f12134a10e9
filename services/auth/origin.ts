// Which browser origins may talk to the hub with a user's session (issue 7 item 13). The hub's
// own origin always; others only when listed in HUB_ALLOWED_ORIGINS (e.g. a dashboard served
// from another host during development). A request without an Origin header is not from a
// browser page (CLI, devices, curl, server-side clients): it carries its own credentials, and
// nothing a victim's browser holds can be replayed through it.
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

export interface OriginPolicy {
  /** extra allowed origins (scheme://host[:port]) */
  allowed: readonly string[];
  /** HUB_TRUST_PROXY: which peers' X-Forwarded-Host to believe (fastify's rule, applied here too) */
  trustProxy: boolean | string[];
}

const compiled = new WeakMap<string[], (addr: string, i: number) => boolean>();

/** fastify's trustProxy semantics for a raw request (socket.io's handshake is not a fastify request). */
function trustsPeer(req: IncomingMessage, tp: OriginPolicy['trustProxy']): boolean {
  if (tp === true) return true;
  if (tp === false || tp.length === 0) return false;
  const addr = req.socket.remoteAddress;
  if (addr === undefined) return false;
  let fn = compiled.get(tp);
  if (!fn) compiled.set(tp, (fn = proxyAddr.compile(tp)));
  return fn(addr, 0);
}

/** The host[:port] the client addressed: the Host header, or X-Forwarded-Host from a trusted proxy. */
export function requestHost(req: IncomingMessage, tp: OriginPolicy['trustProxy']): string | undefined {
  const fwd = trustsPeer(req, tp) ? req.headers['x-forwarded-host'] : undefined;
  const h = (Array.isArray(fwd) ? fwd[0] : fwd)?.split(',')[0]?.trim() || req.headers.host;
  return h?.toLowerCase();
}

/**
 * True when a request may act with the caller's session: no Origin (not a browser page), the
 * hub's own origin (the host and port the client addressed), or an allowed one. "null"
 * (sandboxed frames, file://) and anything unparseable are refused.
 */
export function originAllowed(req: IncomingMessage, p: OriginPolicy): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (p.allowed.includes(origin.replace(/\/$/, ''))) return true;
  let host: string;
  try {
    host = new URL(origin).host.toLowerCase();
  } catch {
    return false;
  }
  const addressed = requestHost(req, p.trustProxy);
  return addressed !== undefined && host === addressed;
}

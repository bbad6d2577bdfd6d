/** Credentials from the Authorization header (Bearer tokens, HTTP Basic pairs), compared in constant time. */
import { HttpProblem } from "./problem";

export function bearerToken(header: string | undefined): string | null {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? m[1]! : null;
}

/**
 * `Basic base64(user:password)` (RFC 7617) as its two parts, split at the first colon; null when
 * the header is not Basic, not base64 or not UTF-8, or holds no colon. Callers add their own
 * rules (the registry wants a password; OAuth form-decodes both parts).
 */
export function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  const m = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!m) return null;
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(m[1]!), (ch) => ch.charCodeAt(0)));
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function unauthorized(detail: string): HttpProblem {
  return new HttpProblem(401, "unauthorized", "Unauthorized", { detail }, { "www-authenticate": 'Bearer realm="changecast"' });
}

/** Equal-length digests make the comparison constant-time whatever the inputs' lengths. */
export async function tokensEqual(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [da, db] = await Promise.all([crypto.subtle.digest("SHA-256", enc.encode(a)), crypto.subtle.digest("SHA-256", enc.encode(b))]);
  return crypto.subtle.timingSafeEqual(da, db);
}

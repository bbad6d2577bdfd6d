/** Bearer tokens from the Authorization header, compared in constant time. */
import { HttpProblem } from "./problem";

export function bearerToken(header: string | undefined): string | null {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? m[1]! : null;
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

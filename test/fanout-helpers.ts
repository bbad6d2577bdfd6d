/** Route set-up and waiting on the real receiver (test/receiver.ts), for end-to-end delivery tests. */
import { admin } from "./helpers";
import { receivedRequests, receiverUrl, scriptAnswers, type ReceivedRequest, type ScriptStep } from "./receiver";

export { receiverUrl };
/** The webhooks (POSTs) a path received, oldest first; handshake OPTIONS requests are left out. */
export async function received(path: string): Promise<ReceivedRequest[]> {
  return (await receivedRequests(path)).filter((r) => r.method === "POST");
}
export const script = scriptAnswers;
export type Received = ReceivedRequest;
export type Step = ScriptStep;

let pathCounter = 0;
/** A fresh path on the receiver, so tests never see each other's requests. */
export function freshPath(name: string): string {
  return `/${name}-${Date.now().toString(36)}-${pathCounter++}`;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function receivedAtLeast(path: string, n: number, timeoutMs?: number): Promise<Received[]> {
  return waitFor(`${n} request(s) at ${path}`, async () => {
    const got = await received(path);
    return got.length >= n ? got : null;
  }, timeoutMs);
}

export async function newSubscriber(tenant: string, name = "CRM"): Promise<string> {
  const res = await admin("POST", `/tenants/${tenant}/subscribers`, { name, purposes: ["crm"], agreements: {} });
  if (res.status !== 201) throw new Error(`subscriber not created: ${JSON.stringify(res.json)}`);
  return res.json.id;
}

export async function newRoute(tenant: string, subscriberId: string, path: string, extra: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const res = await admin("POST", `/tenants/${tenant}/routes`, { subscriberId, url: receiverUrl() + path, ...extra });
  if (res.status !== 201) throw new Error(`route not created: ${JSON.stringify(res.json)}`);
  return { id: res.json.id, secret: res.json.secret };
}

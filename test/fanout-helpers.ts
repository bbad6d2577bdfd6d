/** Route set-up and the real receiver (test/receivers.global-setup.ts), for end-to-end delivery tests. */
import { inject } from "vitest";
import { admin } from "./helpers";

export type Received = { method: string; path: string; headers: Record<string, string>; body: string; receivedAt: number };
export type Step = number | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number };

export function receiverUrl(): string {
  return inject("receiverUrl" as never) as unknown as string;
}

let pathCounter = 0;
/** A fresh path on the receiver, so tests never see each other's requests. */
export function freshPath(name: string): string {
  return `/${name}-${Date.now().toString(36)}-${pathCounter++}`;
}

export async function received(path: string): Promise<Received[]> {
  const res = await fetch(`${receiverUrl()}/__requests?path=${encodeURIComponent(path)}`);
  return (await res.json()) as Received[];
}

/** The receiver answers `path` with these steps in order, then 200. */
export async function script(path: string, steps: Step[]): Promise<void> {
  const res = await fetch(`${receiverUrl()}/__script?path=${encodeURIComponent(path)}`, { method: "POST", body: JSON.stringify(steps) });
  if (res.status !== 204) throw new Error(`receiver script refused: ${res.status}`);
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

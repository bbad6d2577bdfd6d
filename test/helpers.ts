/** Drives the real Worker through its public HTTP surface, as a location and an admin would. */
import { SELF } from "cloudflare:test";

export const ADMIN_TOKEN = "test-admin-token";
const BASE = "http://changecast.test";

export async function call(method: string, path: string, opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] = "application/json";
  }
  return SELF.fetch(BASE + path, { method, headers, body });
}

export async function admin<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await call(method, `/admin/v1${path}`, { token: ADMIN_TOKEN, body });
  return { status: res.status, json: (await res.json()) as T };
}

let counter = 0;
/** A fresh tenant with one location; answers the location's key. */
export async function newTenant(region: "us" | "eu" | "ap" = "us", locations = ["store-1"]): Promise<{ tenant: string; keys: Record<string, string> }> {
  const tenant = `t${Date.now().toString(36)}${counter++}`;
  const created = await admin("POST", "/tenants", { id: tenant, name: `Tenant ${tenant}`, region });
  if (created.status !== 201) throw new Error(`tenant not created: ${JSON.stringify(created.json)}`);
  const keys: Record<string, string> = {};
  for (const id of locations) {
    const loc = await admin("POST", `/tenants/${tenant}/locations`, { id, name: `Location ${id}` });
    keys[id] = loc.json.key;
  }
  return { tenant, keys };
}

export type Result = { id: string | null; status: "accepted" | "duplicate" | "rejected"; eventId?: string; sequence?: number; error?: { field: string; reason: string } };

export async function push(key: string, changes: unknown[]): Promise<{ status: number; results: Result[]; body: any }> {
  const res = await call("POST", "/v1/changes", { token: key, body: { changes } });
  const body = (await res.json()) as any;
  return { status: res.status, results: body.results ?? [], body };
}

let changeCounter = 0;
export function change(recordId: string, op = "update", data: Record<string, unknown> = { name: `n${changeCounter}` }, extra: Record<string, unknown> = {}) {
  return { id: `chg-${Date.now()}-${changeCounter++}`, recordType: "customer", recordId, op, occurredAt: new Date().toISOString(), data, ...extra };
}

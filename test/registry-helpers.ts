/** Calls the schema registry as a Confluent client does: vnd content type, bearer admin token. */
import { ADMIN_TOKEN, call } from "./helpers";

export const VND = "application/vnd.schemaregistry.v1+json";

export type RegistryAnswer<T = any> = { status: number; type: string | null; json: T };

export async function registry<T = any>(tenant: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RegistryAnswer<T>> {
  const res = await call(method, `/registry/t/${tenant}${path}`, {
    token: ADMIN_TOKEN,
    ...(body === undefined ? {} : { rawBody: typeof body === "string" ? body : JSON.stringify(body) }),
    headers: { accept: VND, ...(body === undefined ? {} : { "content-type": VND }), ...headers },
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), json: text === "" ? null : JSON.parse(text) };
}

/** A client for one tenant: `r("POST", "/subjects/customer/versions", {schema, schemaType})`. */
export const registryOf = (tenant: string) => <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => registry<T>(tenant, method, path, body, headers);

/** JSON Schemas of a customer record, closed (additionalProperties: false) so that adding an
 * optional property is BACKWARD compatible under Confluent's JSON Schema rules. */
export function customerSchema(props: Record<string, unknown>, required: string[] = ["id"], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", ...extra, type: "object", properties: props, required, additionalProperties: false });
}

/** Reads a JSON request body and validates it with a zod schema, or throws problem+json. */
import type { Context } from "hono";
import type { z } from "zod";
import { HttpProblem, fromZodError } from "./problem";

export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpProblem(400, "unreadable-body", "Body is not JSON", { field: "body", detail: "the request body must be a JSON document" });
  }
}

export async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const parsed = schema.safeParse(await readJson(c));
  if (!parsed.success) throw fromZodError(parsed.error);
  return parsed.data;
}

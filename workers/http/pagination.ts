/**
 * Cursor pagination as DESIGN.md fixes it: `?limit=` (default 50, max 250) and `?cursor=`,
 * answered as `{items, nextCursor}`. The cursor is opaque (base64url of the last sort key).
 */
import { Buffer } from "node:buffer";
import type { Context } from "hono";
import { invalidField } from "./problem";

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 250;

export type PageParams = { limit: number; after: string };

export function pageParams(c: Context): PageParams {
  const limitText = c.req.query("limit");
  const limit = limitText === undefined ? DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw invalidField("limit", `an integer from 1 to ${MAX_LIMIT}`);
  const cursor = c.req.query("cursor");
  if (cursor === undefined || cursor === "") return { limit, after: "" };
  const after = Buffer.from(cursor, "base64url").toString("utf8");
  if (encodeCursor(after) !== cursor) throw invalidField("cursor", "not a cursor this API issued");
  return { limit, after };
}

export function encodeCursor(key: string): string {
  return Buffer.from(key, "utf8").toString("base64url");
}

/** `rows` holds up to limit + 1 items: the extra one only says whether a next page exists. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => string): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(keyOf(items[items.length - 1]!)) : null };
}

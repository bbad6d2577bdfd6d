/**
 * Location keys: `loc_` + 32 random bytes (base64url). Only the SHA-256 digest is stored, so
 * a leaked database cannot be replayed against the ingest API.
 */
import { Buffer } from "node:buffer";
import { sha256Hex } from "../audit/entry";

export const LOCATION_KEY_PREFIX = "loc_";

export function formatLocationKey(random: Uint8Array): string {
  if (random.length < 32) throw new RangeError("a location key needs at least 32 random bytes");
  return LOCATION_KEY_PREFIX + Buffer.from(random).toString("base64url");
}

export function hashLocationKey(key: string): string {
  return sha256Hex(key);
}

/** The first characters shown in listings so an operator can tell keys apart. */
export function keyHint(key: string): string {
  return key.slice(0, LOCATION_KEY_PREFIX.length + 6);
}

export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

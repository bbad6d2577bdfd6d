/**
 * A configuration variable that names one of a few choices (DELIVERY_SHARD_KEY, RECORD_TRAIL):
 * unset or empty means the default; any other value outside the list is a configuration error
 * that names the variable, so a typo fails fast instead of silently picking the default.
 */
export function parseChoice<T extends string>(name: string, choices: readonly T[], fallback: T, raw: string | undefined): { ok: true; value: T } | { ok: false; reason: string } {
  if (raw === undefined || raw === "") return { ok: true, value: fallback };
  return (choices as readonly string[]).includes(raw) ? { ok: true, value: raw as T } : { ok: false, reason: `${name} must be one of ${choices.join(", ")}, not ${JSON.stringify(raw)}` };
}

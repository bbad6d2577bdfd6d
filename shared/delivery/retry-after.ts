/**
 * Retry-After (RFC 9110 §10.2.3): how many whole seconds a receiver asked us to wait, from
 * delay-seconds or an HTTP-date, capped at 24 h; null when absent or unparsable. Pure: "now"
 * is a parameter.
 */

/** Never wait longer than a day on a receiver's word: also Cloudflare Queues' largest delay. */
export const MAX_RETRY_AFTER_SECONDS = 86_400;

const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const DAY_LONG = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTH = `(${MONTHS.join("|")})`;
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";

// The three forms a recipient MUST accept (RFC 9110 §5.6.7); HTTP-date is case-sensitive there.
/** IMF-fixdate, the only form senders may generate: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** Obsolete RFC 850 form: `Sunday, 06-Nov-94 08:49:37 GMT` (two-digit year). */
const RFC850_DATE = new RegExp(`^${DAY_LONG}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
/** Obsolete asctime() form: `Sun Nov  6 08:49:37 1994` (day padded with a space). */
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ((?:\\d| )\\d) ${TIME} (\\d{4})$`);

/**
 * @param value the Retry-After header as received (null when the response had none)
 * @param nowMs the current time, Unix ms
 * @returns whole seconds in [0, MAX_RETRY_AFTER_SECONDS]: 0 for a date already past; null when
 *   the value is absent or matches neither form (then the caller falls back to its own policy)
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  // delay-seconds = 1*DIGIT: no sign, no fraction; a huge number only hits the cap.
  if (/^\d+$/.test(text)) return Math.min(MAX_RETRY_AFTER_SECONDS, Number(text));
  const at = parseHttpDate(text, nowMs);
  if (at === null) return null;
  // Round up: retrying a fraction of a second early would be refused again.
  const seconds = Math.ceil((at - nowMs) / 1000);
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, seconds));
}

/** An HTTP-date (RFC 9110 §5.6.7) as Unix ms, or null when it is not one or names no real day. */
export function parseHttpDate(text: string, nowMs: number): number | null {
  let m = IMF_FIXDATE.exec(text);
  if (m) return toMs(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = RFC850_DATE.exec(text);
  if (m) return toMs(fullYear(Number(m[3]), nowMs), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = ASCTIME_DATE.exec(text);
  if (m) return toMs(Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!);
  return null;
}

/**
 * RFC 9110 §5.6.7: a two-digit year that "appears to be more than 50 years in the future" is
 * the most recent past year with the same last two digits. So: the one year with those digits
 * in (now − 50, now + 50].
 */
function fullYear(twoDigits: number, nowMs: number): number {
  const thisYear = new Date(nowMs).getUTCFullYear();
  const candidate = thisYear - (thisYear % 100) + twoDigits;
  if (candidate > thisYear + 50) return candidate - 100;
  return candidate <= thisYear - 50 ? candidate + 100 : candidate;
}

function toMs(year: number, monthName: string, day: number, hh: string, mm: string, ss: string): number | null {
  const month = MONTHS.indexOf(monthName);
  const [h, min, s] = [Number(hh), Number(mm), Number(ss)];
  // Second 60 is allowed for a leap second (RFC 9110 §5.6.7 time-of-day); Date folds it forward.
  if (h > 23 || min > 59 || s > 60 || day < 1) return null;
  const midnight = Date.UTC(year, month, day);
  // Date.UTC rolls 31 Feb into March: such a date is not a date.
  if (new Date(midnight).getUTCDate() !== day) return null;
  return midnight + ((h * 60 + min) * 60 + s) * 1000;
}

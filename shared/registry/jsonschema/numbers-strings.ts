/**
 * Numeric ranges, multipleOf and string constraints: the reader's bound must be no tighter than
 * the bound the writer's conjunction already guarantees. Regex patterns, formats and content
 * keywords are compared by equality only: inclusion of ECMA-262 regexes (lookaround,
 * backreferences) is undecidable in general, so a different pattern is reported, never guessed.
 */
import type { Incompatibility } from "../compatibility";
import { child, issue, num, type Obj, type Sch } from "./context";

export type Bound = { value: number; exclusive: boolean; keyword: string };

/**
 * minimum/exclusiveMinimum in either spelling: draft-04 makes exclusiveMinimum a boolean that
 * modifies minimum (draft-04 validation §5.1.3); draft-06 on make it a number of its own (§6.5).
 */
export function lowerBound(s: Obj): Bound | undefined {
  return bound(s, "minimum", "exclusiveMinimum", (a, b) => b.value > a.value || (b.value === a.value && b.exclusive));
}

export function upperBound(s: Obj): Bound | undefined {
  return bound(s, "maximum", "exclusiveMaximum", (a, b) => b.value < a.value || (b.value === a.value && b.exclusive));
}

function bound(s: Obj, inclusive: string, exclusive: string, tighter: (a: Bound, b: Bound) => boolean): Bound | undefined {
  const m = num(s[inclusive]);
  const e = s[exclusive];
  if (typeof e === "boolean") return m === undefined ? undefined : { value: m, exclusive: e, keyword: e ? exclusive : inclusive };
  const a = m === undefined ? undefined : { value: m, exclusive: false, keyword: inclusive };
  const b = num(e) === undefined ? undefined : { value: e as number, exclusive: true, keyword: exclusive };
  return !a ? b : !b ? a : tighter(a, b) ? b : a;
}

/** The tightest bound over a conjunction: every node's bound holds at once. */
function fold(W: Sch[], one: (s: Obj) => Bound | undefined, lower: boolean): Bound | undefined {
  let best: Bound | undefined;
  for (const s of W) {
    const b = one(s.node);
    if (!b) continue;
    const tighter = !best || (lower ? b.value > best.value : b.value < best.value) || (b.value === best.value && b.exclusive);
    if (tighter) best = b;
  }
  return best;
}
export const writerLower = (W: Sch[]) => fold(W, lowerBound, true);
export const writerUpper = (W: Sch[]) => fold(W, upperBound, false);

/** Over the integers, x > 10 is x ≥ 11 and x ≥ 10.5 is x ≥ 11: compare inclusive integer bounds. */
export function onIntegers(b: Bound | undefined, lower: boolean): Bound | undefined {
  if (!b) return b;
  const value = lower ? (b.exclusive ? Math.floor(b.value) + 1 : Math.ceil(b.value)) : b.exclusive ? Math.ceil(b.value) - 1 : Math.floor(b.value);
  return { value, exclusive: false, keyword: b.keyword };
}

/** Does the writer's bound imply the reader's? (lower: the writer starts at or above the reader.) */
export function implies(writer: Bound | undefined, reader: Bound | undefined, lower: boolean): boolean {
  if (!reader) return true;
  if (!writer) return false;
  if (writer.value !== reader.value) return lower ? writer.value > reader.value : writer.value < reader.value;
  return writer.exclusive || !reader.exclusive;
}

/** x is a multiple of m, allowing for binary fractions: 0.3 / 0.1 is 2.9999999999999996. */
export function isMultiple(x: number, m: number): boolean {
  const q = x / m;
  return Math.abs(q - Math.round(q)) <= 1e-9 * Math.max(1, Math.abs(q));
}

const say = (b: Bound | undefined, lower: boolean) => (b ? `${lower ? (b.exclusive ? ">" : "≥") : b.exclusive ? "<" : "≤"} ${b.value}` : "no bound");

/** MINIMUM_INCREASED, MAXIMUM_DECREASED, MULTIPLE_OF_CHANGED. `integers`: the writer's numbers here are all integers. */
export function checkNumbers(r: Sch, W: Sch[], integers: boolean): Incompatibility[] {
  const out: Incompatibility[] = [];
  const norm = (b: Bound | undefined, lower: boolean) => (integers ? onIntegers(b, lower) : b);
  for (const lower of [true, false]) {
    const rb = (lower ? lowerBound : upperBound)(r.node);
    const wb = (lower ? writerLower : writerUpper)(W);
    if (implies(norm(wb, lower), norm(rb, lower), lower)) continue;
    out.push(issue(child(r.path, rb!.keyword), lower ? "MINIMUM_INCREASED" : "MAXIMUM_DECREASED", `the reader requires ${say(rb, lower)} but the writer allows ${say(wb, lower)}`));
  }
  const m = num(r.node.multipleOf);
  if (m !== undefined && m > 0) {
    const ok = W.some((s) => num(s.node.multipleOf) !== undefined && isMultiple(s.node.multipleOf as number, m)) || (integers && isMultiple(1, m));
    const theirs = W.map((s) => s.node.multipleOf).filter((x) => x !== undefined);
    if (!ok) out.push(issue(child(r.path, "multipleOf"), "MULTIPLE_OF_CHANGED", `the reader requires multiples of ${m} but the writer's ${theirs.length ? `multipleOf ${theirs.join(", ")} is not one` : "numbers are not restricted to them"}`));
  }
  return out;
}

/** MIN_LENGTH_INCREASED, MAX_LENGTH_DECREASED, PATTERN_CHANGED, FORMAT_CHANGED, CONTENT_*_CHANGED. */
export function checkStrings(r: Sch, W: Sch[]): Incompatibility[] {
  const out: Incompatibility[] = [];
  const rMin = num(r.node.minLength) ?? 0;
  const wMin = Math.max(0, ...W.map((s) => num(s.node.minLength) ?? 0));
  if (wMin < rMin) out.push(issue(child(r.path, "minLength"), "MIN_LENGTH_INCREASED", `the reader requires at least ${rMin} characters but the writer guarantees ${wMin}`));
  const rMax = num(r.node.maxLength);
  const wMax = Math.min(Infinity, ...W.map((s) => num(s.node.maxLength) ?? Infinity));
  if (rMax !== undefined && wMax > rMax) out.push(issue(child(r.path, "maxLength"), "MAX_LENGTH_DECREASED", `the reader allows at most ${rMax} characters but the writer allows ${wMax === Infinity ? "any length" : wMax}`));
  // Equality only (see the module note). A format is compared even though 2019-09 on make it an
  // annotation by default: a reader may turn format assertion on (2020-12 validation §7.2.2).
  for (const [keyword, rule] of [
    ["pattern", "PATTERN_CHANGED"],
    ["format", "FORMAT_CHANGED"],
    ["contentEncoding", "CONTENT_ENCODING_CHANGED"],
    ["contentMediaType", "CONTENT_MEDIA_TYPE_CHANGED"],
  ] as const) {
    const want = r.node[keyword];
    if (typeof want !== "string" || W.some((s) => s.node[keyword] === want)) continue;
    const theirs = W.map((s) => s.node[keyword]).filter((x) => typeof x === "string");
    out.push(issue(child(r.path, keyword), rule, `the reader requires ${keyword} ${JSON.stringify(want)} but the writer's strings ${theirs.length ? `have ${keyword} ${theirs.map((x) => JSON.stringify(x)).join(", ")}` : `have no ${keyword}`}`));
  }
  return out;
}

/**
 * The reader's anyOf, oneOf, not and if/then/else (its allOf is already spread into the
 * conjunction). The writer's own unions are split before this point, so each writer branch is
 * matched against the reader's branches pairwise; a branch the writer lost or the reader dropped
 * shows up as a writer branch no reader branch reads.
 */
import type { Incompatibility } from "../compatibility";
import { child, issue, type Conj, type Ctx, type Root, type Sch } from "./context";
import { conjOf, flatten, synthetic } from "./conj";
import { disjoint } from "./disjoint";
import { typePieces, type Kinds } from "./types";

export function checkCombined(ctx: Ctx, r: Sch, W: Sch[], kinds: Kinds, oneOfDone: boolean): Incompatibility[] {
  const out: Incompatibility[] = [];
  const anyOf = r.node.anyOf;
  if (Array.isArray(anyOf)) {
    const reads = (j: number, piece: Sch[]) => ctx.sub(anyOf[j], r.root, child(r.path, "anyOf", j), piece).length === 0;
    if (!covered(ctx, r, W, kinds, anyOf.length, reads))
      out.push(issue(child(r.path, "anyOf"), "ANY_OF_NARROWED", `no branch of the reader's anyOf reads everything the writer may write${reason(ctx, r, "anyOf", W)}`));
  }
  const oneOf = r.node.oneOf;
  if (Array.isArray(oneOf) && !oneOfDone) {
    // oneOf needs exactly one passing branch (2020-12 core §10.2.1.3): the branch that reads the
    // writer's data must be provably disjoint from every other, or some document may match two.
    const others = oneOf.map((b) => flatten(ctx, b, r.root, "#", "#", "writer"));
    const reads = (j: number, piece: Sch[]) => ctx.sub(oneOf[j], r.root, child(r.path, "oneOf", j), piece).length === 0 && others.every((o, k) => k === j || disjoint(ctx, piece, o));
    if (!covered(ctx, r, W, kinds, oneOf.length, reads))
      out.push(issue(child(r.path, "oneOf"), "ONE_OF_NARROWED", `no branch of the reader's oneOf provably reads the writer's data while excluding every other branch${reason(ctx, r, "oneOf", W)}`));
  }
  return [...out, ...checkNot(ctx, r, W), ...checkConditional(ctx, r, W)];
}

/** Some branch reads the whole writer; failing that, split the writer by JSON type and let each part find its own branch. */
function covered(ctx: Ctx, r: Sch, W: Sch[], kinds: Kinds, n: number, reads: (j: number, piece: Sch[]) => boolean): boolean {
  const someBranch = (piece: Sch[]) => Array.from({ length: n }, (_, j) => j).some((j) => reads(j, piece));
  if (someBranch(W)) return true;
  const pieces = typePieces(kinds);
  return pieces.length > 1 && pieces.every((t) => someBranch([...W, synthetic(ctx, { type: t }, r.root)]));
}

function reason(ctx: Ctx, r: Sch, keyword: "anyOf" | "oneOf", W: Sch[]): string {
  const first = (r.node[keyword] as unknown[])[0];
  const inner = first === undefined ? [] : ctx.sub(first, r.root, child(r.path, keyword, 0), W);
  return inner.length ? ` (branch 0: ${inner[0]!.message})` : "";
}

/** Do the two schemas accept the same documents? Both inclusions, each proven. */
export function equivalent(ctx: Ctx, a: unknown, aRoot: Root, b: unknown, bRoot: Root): boolean {
  return ctx.sub(a, aRoot, "#", flatten(ctx, b, bRoot, "#", "#", "writer")).length === 0 && ctx.sub(b, bRoot, "#", flatten(ctx, a, aRoot, "#", "#", "writer")).length === 0;
}

/** The writer has a oneOf whose branches match the reader's one to one, each equivalent: the same oneOf, reordered. */
export function sameOneOf(ctx: Ctx, r: Sch, W: Sch[]): boolean {
  const rb = r.node.oneOf as unknown[];
  return W.some((w) => {
    const wb = w.node.oneOf;
    if (!Array.isArray(wb) || wb.length !== rb.length) return false;
    const used = new Set<number>();
    return rb.every((x) => {
      const i = wb.findIndex((y, k) => !used.has(k) && equivalent(ctx, x, r.root, y, w.root));
      return i >= 0 && (used.add(i), true);
    });
  });
}

/**
 * NOT_ADDED / NOT_WIDENED: the writer must write nothing the reader's `not` names. Proven when the
 * writer has a `not` that excludes at least as much (reader's ⊆ writer's), or when the two are disjoint.
 */
function checkNot(ctx: Ctx, r: Sch, W: Sch[]): Incompatibility[] {
  if (!("not" in r.node)) return [];
  const at = child(r.path, "not");
  const excluded = flatten(ctx, r.node.not, r.root, at, at, "writer");
  if (excluded === null) return [];
  const theirs = W.filter((s) => "not" in s.node);
  if (theirs.some((s) => ctx.sub(s.node.not, s.root, at, excluded).length === 0)) return [];
  if (disjoint(ctx, W, excluded)) return [];
  return [
    theirs.length
      ? issue(at, "NOT_WIDENED", "the reader's not excludes documents the writer's not allows")
      : issue(at, "NOT_ADDED", "the reader's not excludes documents the writer may write"),
  ];
}

/**
 * if/then/else (draft-07 validation §6.6): the writer's data that passes the reader's `if` must pass
 * `then`, the rest `else`. When the writer has an equivalent `if`, its own then/else tell what that
 * data looks like; otherwise only the writer's other keywords do.
 */
function checkConditional(ctx: Ctx, r: Sch, W: Sch[]): Incompatibility[] {
  const cond = r.node.if;
  if (cond === undefined || (r.node.then === undefined && r.node.else === undefined)) return [];
  const twin = W.find((s) => s.node.if !== undefined && equivalent(ctx, cond, r.root, s.node.if, s.root));
  const extra = (k: "then" | "else"): Conj => (twin ? conjOf(ctx, [[twin.node[k], twin.root]]) : []);
  const out: Incompatibility[] = [];
  const passing = flatten(ctx, cond, r.root, "#", "#", "writer");
  const thenExtra = extra("then");
  if (r.node.then !== undefined && passing !== null && thenExtra !== null && !disjoint(ctx, W, passing))
    out.push(...ctx.sub(r.node.then, r.root, child(r.path, "then"), [...W, ...passing, ...thenExtra]));
  const elseExtra = extra("else");
  const alwaysPasses = ctx.sub(cond, r.root, child(r.path, "if"), W).length === 0;
  if (r.node.else !== undefined && elseExtra !== null && !alwaysPasses) out.push(...ctx.sub(r.node.else, r.root, child(r.path, "else"), [...W, ...elseExtra]));
  return out;
}

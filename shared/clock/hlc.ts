/**
 * Hybrid logical clock (Kulkarni, Demirbas et al., "Logical Physical Clocks", 2014, Fig. 5).
 * Pure: the physical time `pt` is always passed in. Text form sorts like the clock itself.
 */

export type Hlc = { readonly wall: number; readonly logical: number };

export const HLC_ZERO: Hlc = { wall: 0, logical: 0 };

/** The text form `<15-digit ms>-<6-digit logical>` (DESIGN.md) caps the counter. */
export const MAX_LOGICAL = 999_999;
const HLC_TEXT = /^(\d{15})-(\d{6})$/;

export function formatHlc(h: Hlc): string {
  return `${String(h.wall).padStart(15, "0")}-${String(h.logical).padStart(6, "0")}`;
}

export function parseHlc(text: string): Hlc | null {
  const m = HLC_TEXT.exec(text);
  if (!m) return null;
  return { wall: Number(m[1]), logical: Number(m[2]) };
}

export function compareHlc(a: Hlc, b: Hlc): number {
  return a.wall !== b.wall ? a.wall - b.wall : a.logical - b.logical;
}

/**
 * The paper bounds c by the clock drift; the 6-digit text form cannot hold more, so an
 * overflowing counter carries into the wall part (still strictly monotonic).
 */
function carry(wall: number, logical: number): Hlc {
  return logical > MAX_LOGICAL ? { wall: wall + 1, logical: 0 } : { wall, logical };
}

/** Send / local event rule: l := max(l', pt); c := l = l' ? c + 1 : 0. */
export function tickLocal(local: Hlc, pt: number): Hlc {
  const wall = Math.max(local.wall, pt);
  return carry(wall, wall === local.wall ? local.logical + 1 : 0);
}

/** Receive rule: l := max(l', l.m, pt), c chosen by which term won (paper, Fig. 5). */
export function tickReceive(local: Hlc, remote: Hlc, pt: number): Hlc {
  const wall = Math.max(local.wall, remote.wall, pt);
  let logical: number;
  if (wall === local.wall && wall === remote.wall) logical = Math.max(local.logical, remote.logical) + 1;
  else if (wall === local.wall) logical = local.logical + 1;
  else if (wall === remote.wall) logical = remote.logical + 1;
  else logical = 0;
  return carry(wall, logical);
}

export type SkewCheck = { ok: true } | { ok: false; aheadMs: number };

/**
 * A remote clock far ahead of ours would drag every later timestamp of the record forward
 * (HLC's l can never go back); refuse it instead of absorbing it.
 */
export function checkSkew(remote: Hlc, pt: number, maxSkewMs: number): SkewCheck {
  const aheadMs = remote.wall - pt;
  return aheadMs > maxSkewMs ? { ok: false, aheadMs } : { ok: true };
}

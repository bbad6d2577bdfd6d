/** Public ids are prefixed (`sub_…`, `rt_…`, `sec_…`, `inc_…`) and carry 80 random bits. */
export function newId(prefix: "sub" | "rt" | "sec" | "inc"): string {
  const hex = Array.from(crypto.getRandomValues(new Uint8Array(10)), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${prefix}_${hex}`;
}

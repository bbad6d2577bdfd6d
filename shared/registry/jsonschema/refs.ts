/**
 * Local references: which draft a document speaks, and where a `$ref` points inside it (JSON
 * pointers, `$id`, `$anchor`, `$dynamicAnchor`). Only the document itself is searched: shared/ does
 * no I/O, so a reference to another document stays unresolved and the caller decides what that means.
 */
import { isObj, type Obj, type Root } from "./context";

/** Keywords whose values are data, never schemas: an `$id` inside an `enum` value is not an id. */
const DATA_KEYWORDS = new Set(["enum", "const", "default", "examples"]);
/** Keywords whose values map names to schemas: the names themselves may be "enum" or "default". */
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"]);

/**
 * The draft, from `$schema`. Without one, draft-07: Confluent's and Apicurio's default for JSON
 * Schema subjects. Numbers compare by age: 4, 6, 7, 2019, 2020.
 */
export function draftOf(doc: unknown): number {
  const uri = isObj(doc) && typeof doc.$schema === "string" ? doc.$schema : "";
  if (uri.includes("draft-04") || uri.includes("draft-03")) return 4;
  if (uri.includes("draft-06")) return 6;
  if (uri.includes("2019-09")) return 2019;
  if (uri.includes("2020-12")) return 2020;
  return 7;
}

export function makeRoot(doc: unknown): Root {
  const root: Root = { doc, draft: draftOf(doc), anchors: new Map(), ids: new Map() };
  const base = isObj(doc) && typeof doc.$id === "string" ? absolute(doc.$id) : undefined;
  index(root, doc, base);
  return root;
}

function absolute(uri: string, base?: string): string | undefined {
  try {
    return new URL(uri, base).href;
  } catch {
    return undefined;
  }
}

function index(root: Root, v: unknown, base: string | undefined): void {
  if (Array.isArray(v)) return v.forEach((x) => index(root, x, base));
  if (!isObj(v)) return;
  // draft-04 spells it `id`; later drafts `$id` (draft-06 §9.2 renamed it).
  const id = root.draft === 4 && typeof v.id === "string" ? v.id : v.$id;
  if (typeof id === "string") {
    const hash = id.indexOf("#");
    const resource = hash < 0 ? id : id.slice(0, hash);
    const fragment = hash < 0 ? "" : id.slice(hash + 1);
    if (resource !== "") {
      root.ids.set(resource, v);
      const abs = absolute(resource, base);
      if (abs) (root.ids.set(abs, v), (base = abs));
    }
    // draft-06/07 name a plain-name fragment with "$id": "#name" (draft-07 core §8.2.3).
    if (fragment !== "" && !fragment.startsWith("/")) root.anchors.set(fragment, v);
  }
  for (const k of ["$anchor", "$dynamicAnchor"]) if (typeof v[k] === "string") root.anchors.set(v[k] as string, v);
  for (const [k, c] of Object.entries(v)) {
    if (DATA_KEYWORDS.has(k)) continue;
    if (SCHEMA_MAPS.has(k) && isObj(c)) Object.values(c).forEach((s) => index(root, s, base));
    else index(root, c, base);
  }
}

/** The reference a node makes. `$dynamicRef`/`$recursiveRef` are followed statically: within one
 * document nothing outer can override the anchor, so the static target is the dynamic one. */
export function refOf(node: Obj): string | undefined {
  for (const k of ["$ref", "$dynamicRef", "$recursiveRef"]) if (typeof node[k] === "string") return node[k] as string;
  return undefined;
}

/** The schema a reference names within `root`, or undefined when it points outside the document. */
export function resolveRef(root: Root, ref: string): unknown {
  const hash = ref.indexOf("#");
  const resourceUri = hash < 0 ? ref : ref.slice(0, hash);
  const fragment = hash < 0 ? "" : ref.slice(hash + 1);
  let resource: unknown = root.doc;
  if (resourceUri !== "") {
    const rootId = isObj(root.doc) && typeof root.doc.$id === "string" ? absolute(root.doc.$id) : undefined;
    resource = root.ids.get(resourceUri) ?? root.ids.get(absolute(resourceUri, rootId) ?? "");
    if (resource === undefined) return undefined;
  }
  if (fragment === "") return resource;
  let decoded: string;
  try {
    decoded = decodeURIComponent(fragment);
  } catch {
    return undefined;
  }
  return decoded.startsWith("/") ? pointer(resource, decoded) : root.anchors.get(decoded);
}

/** RFC 6901: "~1" is "/", "~0" is "~", decoded in that order. */
function pointer(doc: unknown, p: string): unknown {
  let cur = doc;
  for (const raw of p.slice(1).split("/")) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(cur)) cur = /^(0|[1-9]\d*)$/.test(seg) ? cur[Number(seg)] : undefined;
    else if (isObj(cur)) cur = Object.hasOwn(cur, seg) ? cur[seg] : undefined;
    else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

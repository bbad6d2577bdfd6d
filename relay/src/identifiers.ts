/**
 * PostgreSQL names as users type them (`customers`, `app.customers`, `"Mixed Case"`) parsed
 * the way psql would: unquoted parts fold to lower case, quoted parts are kept verbatim.
 * Every name the relay puts into SQL goes through quoteIdent, so no flag can inject SQL.
 */

export type QualifiedName = { schema: string | null; name: string };

export type NameParse = { ok: true; value: QualifiedName } | { ok: false; reason: string };

const BARE_PART = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const MAX_IDENTIFIER_BYTES = 63; // NAMEDATALEN - 1: longer names are silently truncated by PostgreSQL

function splitParts(text: string): string[] | null {
  const parts: string[] = [];
  let i = 0;
  while (i <= text.length) {
    if (text[i] === '"') {
      let part = "";
      i++;
      for (;;) {
        if (i >= text.length) return null;
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += text[i];
        i++;
      }
      if (part === "") return null;
      parts.push(part);
    } else {
      const end = text.indexOf(".", i);
      const raw = end === -1 ? text.slice(i) : text.slice(i, end);
      if (!BARE_PART.test(raw)) return null;
      parts.push(raw.toLowerCase());
      i = end === -1 ? text.length : end;
    }
    if (i === text.length) return parts;
    if (text[i] !== ".") return null;
    i++;
  }
  return null;
}

/** `table` or `schema.table`, each part bare (folded to lower case) or double-quoted. */
export function parseQualifiedName(text: string): NameParse {
  const parts = splitParts(text.trim());
  if (!parts || parts.length === 0 || parts.length > 2) {
    return { ok: false, reason: `"${text}" is not a table name (use name or schema.name; quote mixed case as "Name")` };
  }
  if (parts.some((p) => Buffer.byteLength(p) > MAX_IDENTIFIER_BYTES)) {
    return { ok: false, reason: `"${text}" has a part longer than ${MAX_IDENTIFIER_BYTES} bytes` };
  }
  return parts.length === 2 ? { ok: true, value: { schema: parts[0]!, name: parts[1]! } } : { ok: true, value: { schema: null, name: parts[0]! } };
}

/** A single column name as typed: same folding rules as a table name part. */
export function parseColumnName(text: string): string | null {
  const parts = splitParts(text.trim());
  return parts && parts.length === 1 && Buffer.byteLength(parts[0]!) <= MAX_IDENTIFIER_BYTES ? parts[0]! : null;
}

export function quoteIdent(part: string): string {
  return `"${part.replaceAll('"', '""')}"`;
}

/** `"schema"."name"` or `"name"` (then the search_path decides, as in the application's own SQL). */
export function qualifiedSql(name: QualifiedName): string {
  return name.schema === null ? quoteIdent(name.name) : `${quoteIdent(name.schema)}.${quoteIdent(name.name)}`;
}

/** The readable form used in ids, logs and checkpoint keys: `schema.name` or `name`. */
export function displayName(name: QualifiedName): string {
  return name.schema === null ? name.name : `${name.schema}.${name.name}`;
}

/** A SQL string literal (for trigger arguments and pg_notify channels, which take no parameters). */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Name of an object derived from a table (`<table>_notify`), kept within the identifier limit. */
export function derivedName(base: QualifiedName, suffix: string): QualifiedName {
  const room = MAX_IDENTIFIER_BYTES - suffix.length;
  return { schema: base.schema, name: `${base.name.slice(0, room)}${suffix}` };
}

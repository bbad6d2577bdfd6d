/**
 * Which webhook URLs a route may target: public https hosts only, so a subscriber cannot point
 * changecast's delivery at internal or metadata services (SSRF). Checked on the URL text. Pure.
 *
 * Limit: a public name that resolves to a private address (or re-resolves to one later: DNS
 * rebinding) cannot be caught here — Workers have no resolver to ask before fetch(). So this is
 * the first wall, not the only one: deliveries also never follow redirects, so an accepted URL
 * cannot bounce to a refused one.
 */

export type TargetUrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

// Cloud metadata endpoints by name (GCP's names; AWS, Azure and others answer on 169.254.169.254
// and AWS's IPv6 fd00:ec2::254, which the address checks below name as metadata).
const METADATA_HOSTS = new Set(["metadata.google.internal", "metadata"]);

export function checkTargetUrl(raw: string, opts: { allowLoopback: boolean }): TargetUrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "The URL could not be parsed." };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: "The URL must use https." };
  // Credentials in a URL end up in logs and attempt records, and the receiver should check signatures instead.
  if (url.username !== "" || url.password !== "") return { ok: false, reason: "The URL must not contain a user name or password." };

  const hostProblem = checkHost(url.hostname, raw);
  if (hostProblem === "loopback") {
    return opts.allowLoopback ? { ok: true, url } : { ok: false, reason: "The URL points at a loopback address." };
  }
  if (hostProblem) return { ok: false, reason: hostProblem };
  if (url.protocol !== "https:") return { ok: false, reason: "The URL must use https." };
  return { ok: true, url };
}

/** null when the host is public, "loopback" for a loopback host, otherwise the reason to refuse. */
function checkHost(hostname: string, raw: string): string | "loopback" | null {
  if (hostname.startsWith("[")) return checkIPv6(hostname.slice(1, -1));
  const ipv4 = parseDottedQuad(hostname);
  if (ipv4) {
    // WHATWG URL turns 2130706433, 0x7f.1 and 0177.0.0.1 into 127.0.0.1. Those spellings exist
    // to slip past filters, so refuse any IPv4 host not written as the plain dotted quad.
    if (rawHost(raw) !== hostname) return "The host is an IP address written in an unusual form (integer, hex or octal); write it as a dotted quad.";
    return checkIPv4(ipv4);
  }
  // A trailing dot is the same name, fully qualified: "localhost." is localhost.
  const name = hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
  // RFC 6761 §6.3: localhost and every name under .localhost resolve to loopback.
  if (name === "localhost" || name.endsWith(".localhost")) return "loopback";
  if (METADATA_HOSTS.has(name)) return "The URL points at a cloud metadata service.";
  return null;
}

function checkIPv4([a, b, c, d]: readonly number[]): string | "loopback" | null {
  if (a === 127) return "loopback";
  if (a === 169 && b === 254 && c === 169 && d === 254) return "The URL points at a cloud metadata service.";
  if (a === 0) return "The URL points at 0.0.0.0/8, which is not a host on the internet.";
  // RFC 1918 private networks.
  if (a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168)) return "The URL points at a private network address.";
  // RFC 6598 shared address space (carrier-grade NAT).
  if (a === 100 && b! >= 64 && b! <= 127) return "The URL points at a carrier-grade NAT address (100.64.0.0/10).";
  // RFC 3927 link-local.
  if (a === 169 && b === 254) return "The URL points at a link-local address.";
  // Multicast 224/4, reserved 240/4 and broadcast: never a webhook receiver.
  if (a! >= 224) return "The URL points at a multicast or reserved address.";
  return null;
}

function checkIPv6(text: string): string | "loopback" | null {
  const g = parseIPv6(text);
  if (!g) return "The URL's IPv6 address could not be read.";
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const zeroPrefix = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (zeroPrefix && g5 === 0 && g6 === 0 && g7 === 0) return "The URL points at the unspecified address (::).";
  if (zeroPrefix && g5 === 0 && g6 === 0 && g7 === 1) return "loopback";
  // An IPv4 address in IPv6 clothing reaches the same host: check what it wraps. RFC 4291 §2.5.5.2
  // mapped ::ffff:0:0/96, §2.5.5.1 compatible ::/96 (deprecated), RFC 6052 NAT64 64:ff9b::/96.
  const mapped = zeroPrefix && (g5 === 0xffff || g5 === 0);
  const nat64 = g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0;
  if (mapped || nat64) {
    const wrapped = checkIPv4([g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff]);
    if (wrapped === null) return null;
    // Loopback is allowed only as written (127.x, ::1, localhost), never wrapped.
    const what = wrapped === "loopback" ? "a loopback address" : wrapped.replace(/^The URL points at /, "").replace(/\.$/, "");
    return `The URL's IPv6 address embeds a refused IPv4 address (${what}).`;
  }
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0x254) {
    return "The URL points at a cloud metadata service.";
  }
  if ((g0 & 0xffc0) === 0xfe80) return "The URL points at a link-local address.";
  // RFC 4193 unique local addresses: IPv6's private networks.
  if ((g0 & 0xfe00) === 0xfc00) return "The URL points at a private network address (IPv6 unique local).";
  if ((g0 & 0xff00) === 0xff00) return "The URL points at a multicast address.";
  return null;
}

/** [a, b, c, d] for exactly "a.b.c.d" in canonical decimal (what URL serializes IPv4 hosts as). */
function parseDottedQuad(host: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

/** Eight 16-bit groups from URL's serialized IPv6 (hex groups, at most one "::", maybe a dotted tail). */
function parseIPv6(text: string): number[] | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    for (const piece of part.split(":")) {
      const quad = piece.includes(".") ? parseDottedQuad(piece) : undefined;
      if (quad) out.push((quad[0]! << 8) | quad[1]!, (quad[2]! << 8) | quad[3]!);
      else if (/^[0-9a-f]{1,4}$/i.test(piece)) out.push(parseInt(piece, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const fill = 8 - head.length - tail.length;
  return fill >= 1 ? [...head, ...new Array<number>(fill).fill(0), ...tail] : undefined;
}

/**
 * The host as the subscriber typed it, lower-cased: the text after "scheme:" and any slashes
 * (WHATWG accepts "\" too), up to the path, query or fragment, without user info and port.
 */
function rawHost(raw: string): string {
  // WHATWG URL drops tabs and newlines anywhere and trims C0 controls and spaces at the ends.
  const cleaned = raw.replace(/[\t\n\r]/g, "").trim();
  const afterScheme = cleaned.replace(/^[a-z][a-z0-9+.-]*:[/\\]*/i, "");
  const authority = afterScheme.split(/[/\\?#]/, 1)[0]!;
  const hostPort = authority.slice(authority.lastIndexOf("@") + 1);
  return hostPort.replace(/:\d*$/, "").toLowerCase();
}

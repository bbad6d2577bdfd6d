/**
 * shared/delivery/target-url.ts: webhook URLs must be public https; loopback only when allowed
 * (local development and tests); internal, metadata and obfuscated hosts never (SSRF).
 */
import { describe, expect, it } from "vitest";
import { checkTargetUrl } from "./target-url";

const strict = { allowLoopback: false };
const dev = { allowLoopback: true };

describe("accepted targets", () => {
  it.each([
    { url: "https://hooks.example.com/changecast", opts: strict, href: "https://hooks.example.com/changecast" },
    { url: "https://hooks.example.com:8443/in?x=1#f", opts: strict, href: "https://hooks.example.com:8443/in?x=1#f" },
    { url: "HTTPS://Hooks.Example.COM/a", opts: strict, href: "https://hooks.example.com/a" },
    { url: "https://8.8.8.8/hook", opts: strict, href: "https://8.8.8.8/hook" },
    { url: "https://172.32.0.1/", opts: strict, href: "https://172.32.0.1/" },
    { url: "https://100.128.0.1/", opts: strict, href: "https://100.128.0.1/" },
    { url: "https://[2606:4700::1111]/hook", opts: strict, href: "https://[2606:4700::1111]/hook" },
    { url: "https://[::ffff:8.8.8.8]/", opts: strict, href: "https://[::ffff:808:808]/" },
    { url: "https://xn--bcher-kva.example/", opts: strict, href: "https://xn--bcher-kva.example/" },
    { url: "https://metadata.example.com/", opts: strict, href: "https://metadata.example.com/" },
    { url: "http://127.0.0.1:8787/hook", opts: dev, href: "http://127.0.0.1:8787/hook" },
    { url: "http://127.1.2.3/", opts: dev, href: "http://127.1.2.3/" },
    { url: "https://127.0.0.1/", opts: dev, href: "https://127.0.0.1/" },
    { url: "http://localhost:9000/x", opts: dev, href: "http://localhost:9000/x" },
    { url: "http://api.localhost/", opts: dev, href: "http://api.localhost/" },
    { url: "http://[::1]:3000/", opts: dev, href: "http://[::1]:3000/" },
    { url: "https://hooks.example.com/", opts: dev, href: "https://hooks.example.com/" },
  ])("$url (allowLoopback $opts.allowLoopback)", ({ url, opts, href }) => {
    const result = checkTargetUrl(url, opts);
    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(result.url.href).toBe(href);
  });
});

describe("refused targets, with the reason", () => {
  it.each([
    // Parsing and scheme.
    { url: "not a url", opts: strict, reason: /could not be parsed/ },
    { url: "", opts: strict, reason: /could not be parsed/ },
    { url: "http://hooks.example.com/", opts: strict, reason: /must use https/ },
    { url: "http://hooks.example.com/", opts: dev, reason: /must use https/ },
    { url: "ftp://hooks.example.com/", opts: strict, reason: /must use https/ },
    { url: "javascript:alert(1)", opts: strict, reason: /must use https/ },
    { url: "file:///etc/passwd", opts: dev, reason: /must use https/ },
    { url: "ws://127.0.0.1/", opts: dev, reason: /must use https/ },
    // Credentials.
    { url: "https://user:pass@hooks.example.com/", opts: strict, reason: /user name or password/ },
    { url: "https://token@hooks.example.com/", opts: strict, reason: /user name or password/ },
    { url: "https://:pw@hooks.example.com/", opts: strict, reason: /user name or password/ },
    // Loopback when not allowed.
    { url: "https://127.0.0.1/", opts: strict, reason: /loopback/ },
    { url: "http://127.0.0.1:8787/", opts: strict, reason: /loopback/ },
    { url: "https://127.255.255.254/", opts: strict, reason: /loopback/ },
    { url: "https://localhost/", opts: strict, reason: /loopback/ },
    { url: "https://LOCALHOST./", opts: strict, reason: /loopback/ },
    { url: "https://a.b.localhost/", opts: strict, reason: /loopback/ },
    { url: "https://[::1]/", opts: strict, reason: /loopback/ },
    { url: "https://[0:0:0:0:0:0:0:1]/", opts: strict, reason: /loopback/ },
    // Private, CGNAT, link-local, this-network, multicast (IPv4).
    { url: "https://10.0.0.1/", opts: dev, reason: /private network/ },
    { url: "https://10.255.255.255/", opts: strict, reason: /private network/ },
    { url: "https://172.16.0.1/", opts: dev, reason: /private network/ },
    { url: "https://172.31.255.255/", opts: strict, reason: /private network/ },
    { url: "https://192.168.1.1/", opts: dev, reason: /private network/ },
    { url: "https://100.64.0.1/", opts: strict, reason: /carrier-grade NAT/ },
    { url: "https://100.127.255.255/", opts: strict, reason: /carrier-grade NAT/ },
    { url: "https://169.254.1.1/", opts: dev, reason: /link-local/ },
    { url: "https://0.0.0.0/", opts: dev, reason: /0\.0\.0\.0\/8/ },
    { url: "https://0.1.2.3/", opts: strict, reason: /0\.0\.0\.0\/8/ },
    { url: "https://224.0.0.1/", opts: strict, reason: /multicast or reserved/ },
    { url: "https://255.255.255.255/", opts: strict, reason: /multicast or reserved/ },
    // IPv6 ranges.
    { url: "https://[::]/", opts: dev, reason: /unspecified/ },
    { url: "https://[fe80::1]/", opts: dev, reason: /link-local/ },
    { url: "https://[febf:ffff::1]/", opts: strict, reason: /link-local/ },
    { url: "https://[fc00::1]/", opts: dev, reason: /unique local/ },
    { url: "https://[fd12:3456:789a::1]/", opts: strict, reason: /unique local/ },
    { url: "https://[ff02::1]/", opts: strict, reason: /multicast/ },
    // IPv4 wrapped in IPv6: mapped, compatible, NAT64.
    { url: "https://[::ffff:127.0.0.1]/", opts: dev, reason: /embeds a refused IPv4 address \(a loopback address\)/ },
    { url: "https://[::ffff:7f00:1]/", opts: strict, reason: /embeds a refused IPv4 address/ },
    { url: "https://[::ffff:10.1.2.3]/", opts: strict, reason: /embeds a refused IPv4 address \(a private network address\)/ },
    { url: "https://[::ffff:169.254.169.254]/", opts: strict, reason: /embeds a refused IPv4 address \(a cloud metadata service\)/ },
    { url: "https://[::ffff:192.168.0.1]/", opts: strict, reason: /embeds a refused IPv4 address/ },
    { url: "https://[::ffff:100.64.0.1]/", opts: strict, reason: /carrier-grade NAT/ },
    { url: "https://[::127.0.0.1]/", opts: strict, reason: /embeds a refused IPv4 address/ },
    { url: "https://[64:ff9b::a00:1]/", opts: strict, reason: /embeds a refused IPv4 address \(a private network address\)/ },
    // Cloud metadata.
    { url: "http://169.254.169.254/latest/meta-data/", opts: dev, reason: /cloud metadata/ },
    { url: "https://169.254.169.254/", opts: strict, reason: /cloud metadata/ },
    { url: "https://metadata.google.internal/computeMetadata/v1/", opts: dev, reason: /cloud metadata/ },
    { url: "https://METADATA.GOOGLE.INTERNAL./", opts: strict, reason: /cloud metadata/ },
    { url: "https://metadata/", opts: strict, reason: /cloud metadata/ },
    { url: "https://[fd00:ec2::254]/", opts: dev, reason: /cloud metadata/ },
    // IPv4 in integer, hex, octal or short forms (WHATWG URL would quietly normalize them).
    { url: "http://2130706433/", opts: dev, reason: /unusual form/ },
    { url: "https://2130706433/", opts: strict, reason: /unusual form/ },
    { url: "https://134744072/", opts: strict, reason: /unusual form/ },
    { url: "https://0x7f000001/", opts: dev, reason: /unusual form/ },
    { url: "https://0x7f.0.0.1/", opts: dev, reason: /unusual form/ },
    { url: "https://0177.0.0.1/", opts: dev, reason: /unusual form/ },
    { url: "https://017700000001/", opts: dev, reason: /unusual form/ },
    { url: "https://127.1/", opts: dev, reason: /unusual form/ },
    { url: "https://10.1.1/", opts: strict, reason: /unusual form/ },
    { url: "https://0x08.0x08.0x08.0x08/", opts: strict, reason: /unusual form/ },
    { url: "https://%31%32%37.0.0.1/", opts: dev, reason: /unusual form/ },
    { url: "https://user@2130706433:80/", opts: strict, reason: /user name or password/ },
  ])("$url (allowLoopback $opts.allowLoopback)", ({ url, opts, reason }) => {
    const result = checkTargetUrl(url, opts);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(reason);
      // Reasons are short sentences for an API error body.
      expect(result.reason).toMatch(/^[A-Z].{10,110}\.$/);
    }
  });
});

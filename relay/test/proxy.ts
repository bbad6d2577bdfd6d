/**
 * A small HTTP proxy in front of the Worker, on 127.0.0.1, for the failure tests: it forwards
 * each request and lets the test decide, per request, to answer something itself (a 429 with
 * Retry-After) or to forward and then hold the Worker's answer back (so a relay can be killed
 * after its POST reached the edge and before it could checkpoint). It logs every request.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type ProxyDecision =
  | { answer: { status: number; headers?: Record<string, string>; body?: string } }
  | { forward: true; holdAnswerMs?: number; onForwarded?: (status: number) => void };

export type ProxiedRequest = { n: number; method: string; path: string; at: number; body: string };

export type Proxy = { url: string; requests: ProxiedRequest[]; close(): Promise<void> };

export async function startProxy(target: string, decide: (req: ProxiedRequest) => ProxyDecision = () => ({ forward: true })): Promise<Proxy> {
  const requests: ProxiedRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const seen: ProxiedRequest = { n: requests.length + 1, method: req.method ?? "GET", path: req.url ?? "/", at: Date.now(), body: body.toString("utf8") };
    requests.push(seen);
    const decision = decide(seen);
    try {
      if ("answer" in decision) {
        const { status, headers = {}, body: answer = "" } = decision.answer;
        res.writeHead(status, headers).end(answer);
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string" && name !== "host" && name !== "connection") headers[name] = value;
      const upstream = await fetch(target + seen.path, { method: seen.method, headers, body: body.length ? body : undefined });
      const answer = Buffer.from(await upstream.arrayBuffer());
      decision.onForwarded?.(upstream.status);
      if (decision.holdAnswerMs) await new Promise((resolve) => setTimeout(resolve, decision.holdAnswerMs));
      const out: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (!["content-encoding", "content-length", "transfer-encoding", "connection"].includes(name)) out[name] = value;
      });
      if (!res.destroyed) res.writeHead(upstream.status, out).end(answer);
    } catch (err) {
      if (!res.headersSent && !res.destroyed) res.writeHead(502).end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

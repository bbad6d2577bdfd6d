/**
 * A JSON-over-HTTP service on 127.0.0.1 (an ephemeral port) for a vitest globalSetup: what runs
 * only in Node (ajv-based validators, the AsyncAPI parser) is offered to the tests in workerd
 * this way. A handler that throws answers 500 with the error, so a test sees why.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type LoopbackService = { url: string; close: () => Promise<void> };

export async function serveOnLoopback(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<LoopbackService> {
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: String(err) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

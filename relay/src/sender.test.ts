import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LogEvent } from "./log.ts";
import type { OutgoingChange } from "./mapping.ts";
import { createSender, FatalSendError, SendAborted } from "./sender.ts";

type Reply = (req: IncomingMessage, body: { changes: OutgoingChange[] }, res: ServerResponse) => void;
let server: Server;
let base = "";
let replies: Reply[] = [];
let requests: { auth: string | undefined; ids: string[] }[] = [];

const answerAll = (status: "accepted" | "duplicate"): Reply => (_req, body, res) => {
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ results: body.changes.map((c) => ({ id: c.id, status })) }));
};
const statusReply = (status: number, headers: Record<string, string> = {}, body = ""): Reply => (_req, _body, res) => {
  res.writeHead(status, headers).end(body);
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk) => (text += chunk));
    req.on("end", () => {
      const body = JSON.parse(text) as { changes: OutgoingChange[] };
      requests.push({ auth: req.headers.authorization, ids: body.changes.map((c) => c.id) });
      (replies.shift() ?? answerAll("accepted"))(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  replies = [];
  requests = [];
});

function change(n: number): OutgoingChange {
  return { id: `outbox:${n}`, recordType: "customer", recordId: `c-${n}`, op: "insert", occurredAt: "2026-11-28T05:00:00.000Z", data: { n }, source: { kind: "outbox", txId: "9", position: String(n) } };
}

function setUp(ingestUrl = base) {
  const events: LogEvent[] = [];
  const sleeps: number[] = [];
  const controller = new AbortController();
  const sender = createSender({
    ingestUrl,
    locationKey: "loc_test",
    logger: { log: (e) => events.push(e) },
    signal: controller.signal,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    now: () => Date.parse("2026-11-28T06:00:00Z"),
  });
  return { sender, events, sleeps, controller };
}

describe("sender", () => {
  it("posts the batch with the key and counts the per-item answers", async () => {
    replies.push((_req, body, res) => {
      const statuses = ["accepted", "duplicate", "rejected"];
      res.writeHead(200).end(JSON.stringify({ results: body.changes.map((c, i) => ({ id: c.id, status: statuses[i], ...(i === 2 ? { error: { field: "changes[2].op", reason: "bad" } } : {}) })) }));
    });
    const { sender } = setUp();
    const outcome = await sender.send([change(1), change(2), change(3)]);
    expect(requests).toEqual([{ auth: "Bearer loc_test", ids: ["outbox:1", "outbox:2", "outbox:3"] }]);
    expect(outcome.accepted).toBe(1);
    expect(outcome.duplicate).toBe(1);
    expect(outcome.rejected).toEqual([{ change: change(3), error: { field: "changes[2].op", reason: "bad" } }]);
  });

  it("retries 503 and 429 with backoff, honouring Retry-After as the minimum", async () => {
    replies.push(statusReply(503, { "retry-after": "3" }), statusReply(429), statusReply(500));
    const { sender, events, sleeps } = setUp();
    const outcome = await sender.send([change(1)]);
    expect(outcome.accepted).toBe(1);
    expect(requests).toHaveLength(4);
    // random 0.5 → half the ceiling (500, 1000, 2000 ms), except where Retry-After: 3 asks for more
    expect(sleeps).toEqual([3000, 500, 1000]);
    expect(events.map((e) => (e.event === "retry" ? [e.status, e.attempt] : null))).toEqual([[503, 1], [429, 2], [500, 3]]);
  });

  it("retries network errors with status null", async () => {
    const controller = new AbortController();
    const events: LogEvent[] = [];
    const log = (e: LogEvent) => {
      events.push(e);
      controller.abort();
    };
    const sender = createSender({ ingestUrl: "http://127.0.0.1:1", locationKey: "loc_test", logger: { log }, signal: controller.signal });
    await expect(sender.send([change(1)])).rejects.toBeInstanceOf(SendAborted);
    expect(events).toMatchObject([{ event: "retry", status: null, attempt: 1 }]);
    expect((events[0] as { reason: string }).reason).toMatch(/^network: /);
  });

  it("splits a batch in halves on 413, down to one change that is rejected locally", async () => {
    replies.push(statusReply(413), answerAll("accepted"), statusReply(413), statusReply(413), answerAll("accepted"));
    const { sender } = setUp();
    const outcome = await sender.send([change(1), change(2), change(3), change(4)]);
    expect(requests.map((r) => r.ids.length)).toEqual([4, 2, 2, 1, 1]);
    expect(outcome.accepted).toBe(3);
    expect(outcome.rejected.map((r) => r.change.id)).toEqual(["outbox:3"]);
  });

  it.each([
    [401, /location key/],
    [403, /revoked/],
    [400, /refused the request \(400/],
    [404, /refused the request \(404/],
  ])("%i is fatal: %s", async (status, message) => {
    replies.push(statusReply(status, { "content-type": "application/problem+json" }, JSON.stringify({ title: "nope" })));
    const { sender } = setUp();
    const err = await sender.send([change(1)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FatalSendError);
    expect((err as Error).message).toMatch(message);
    expect(requests).toHaveLength(1);
  });

  it("a stop while waiting to retry ends the send without an answer", async () => {
    replies.push(statusReply(503));
    const controller = new AbortController();
    const sender = createSender({ ingestUrl: base, locationKey: "loc_test", logger: { log: () => controller.abort() }, signal: controller.signal, random: () => 1 });
    await expect(sender.send([change(1)])).rejects.toBeInstanceOf(SendAborted);
  });

  it("an answer that is not the edge's is retried, never counted as accepted", async () => {
    replies.push(statusReply(200, {}, "<html>proxy</html>"));
    const { sender, events } = setUp();
    expect((await sender.send([change(1)])).accepted).toBe(1);
    expect(events[0]).toMatchObject({ event: "retry", status: 200, reason: "unreadable answer" });
  });
});

/**
 * The Worker's entry in bench mode: `withBenchCounters(handler)` counts invocations, hands the
 * handler a counting env (./bindings.ts), counts queue reads, acks and retries per message, and
 * serves the counters:
 *   GET  /__bench/counters        → {"counts": {...}, "dollars": {"total", "byItem"}, "since"}
 *   POST /__bench/counters/reset  → zeroes them
 * Without BENCH_COUNTERS=1 every call goes straight to the handler with its own arguments, and
 * /__bench/* is an unknown path like any other (404).
 */
import { queueOpsPerMessage } from "../../shared/cost/model";
import { benchEnabled, countingEnv } from "./bindings";
import { count, reportTally, resetTally } from "./tally";

export function withBenchCounters<H extends ExportedHandler<Env>>(handler: H): H {
  const { fetch, queue, scheduled } = handler;
  // The same handlers, so callers (tests invoking worker.queue) keep the exact type they passed.
  const wrapped: ExportedHandler<Env> = {
    ...handler,
    ...(fetch && {
      async fetch(request, env, ctx) {
        if (!benchEnabled(env)) return fetch(request, env, ctx);
        const { pathname } = new URL(request.url);
        if (pathname.startsWith("/__bench/")) return countersEndpoint(request.method, pathname);
        count.invocation("fetch");
        return fetch(request, countingEnv(env), ctx);
      },
    }),
    ...(queue && {
      async queue(batch, env, ctx) {
        if (!benchEnabled(env)) return queue(batch, env, ctx);
        count.invocation("queue");
        const counting = countingBatch(batch);
        try {
          await queue(counting.batch, countingEnv(env), ctx);
          counting.settle("ack");
        } catch (err) {
          counting.settle("retry");
          throw err;
        }
      },
    }),
    ...(scheduled && {
      async scheduled(controller, env, ctx) {
        if (!benchEnabled(env)) return scheduled(controller, env, ctx);
        count.invocation("scheduled");
        return scheduled(controller, countingEnv(env), ctx);
      },
    }),
  };
  return wrapped as H;
}

function countersEndpoint(method: string, pathname: string): Response {
  if (method === "GET" && pathname === "/__bench/counters") return Response.json(reportTally());
  if (method === "POST" && pathname === "/__bench/counters/reset") {
    resetTally(Date.now());
    return Response.json({ reset: true, since: reportTally().since });
  }
  return Response.json({ error: `no bench endpoint ${method} ${pathname}` }, { status: 404 });
}

type Decision = "ack" | "retry";

/**
 * Each delivered message is one read per 64 KB; the consumer then acks it (a delete) or retries
 * it (its next delivery is another read). The first decision on a message holds; messages left
 * undecided are acked when the handler returns and retried when it throws, as Queues does.
 */
function countingBatch(batch: MessageBatch): { batch: MessageBatch; settle: (fallback: Decision) => void } {
  const decided = new Map<string, Decision>();
  const ops = new Map(batch.messages.map((m) => [m.id, queueOpsPerMessage(new TextEncoder().encode(JSON.stringify(m.body) ?? "").byteLength)]));
  let all: Decision | null = null;
  const decide = (id: string, d: Decision) => void (decided.has(id) || decided.set(id, d));
  count.queueConsumed(batch.queue, { messages: batch.messages.length, readOps: [...ops.values()].reduce((a, b) => a + b, 0) });

  const messages = batch.messages.map((m): Message => ({
    get id() { return m.id; },
    get timestamp() { return m.timestamp; },
    get body() { return m.body; },
    get attempts() { return m.attempts; },
    ack() {
      decide(m.id, "ack");
      m.ack();
    },
    retry(options?: QueueRetryOptions) {
      decide(m.id, "retry");
      m.retry(options);
    },
  }));
  const counting: MessageBatch = {
    get queue() { return batch.queue; },
    get metadata() { return batch.metadata; },
    messages,
    ackAll() {
      all ??= "ack";
      batch.ackAll();
    },
    retryAll(options?: QueueRetryOptions) {
      all ??= "retry";
      batch.retryAll(options);
    },
  };
  const settle = (fallback: Decision) => {
    let acked = 0;
    let deleteOps = 0;
    let retried = 0;
    for (const m of batch.messages) {
      if ((decided.get(m.id) ?? all ?? fallback) === "ack") {
        acked += 1;
        deleteOps += ops.get(m.id)!;
      } else retried += 1;
    }
    count.queueConsumed(batch.queue, { acked, deleteOps, retried });
  };
  return { batch: counting, settle };
}

/**
 * Replaying dead letters: a replay is a fresh delivery message for that route (attempt 1,
 * generation + 1) on the route's own queue shard of its region; the dead letter is closed first, so two
 * concurrent replays cannot both send. Bulk replays run as a job that pages through the
 * matching dead letters on the queue, recording progress in D1.
 */
import { v7 as uuidv7 } from "uuid";
import { DELIVER_MESSAGE_VERSION, type DeliverMessage } from "../../shared/delivery/message";
import type { Region } from "../../shared/record/region";
import { deliveryQueue, routeQueue } from "../../durable-objects/outbox";
import { getTenant } from "../tenancy/repository";
import { loadRoutingTable } from "../fanout/repository";
import { closeDeadLetter, countDeadLetters, listDeadLetters, type DeadLetter, type DeadLetterQuery } from "./dead-letters";

export type ReplayJobMessage = { v: 1; kind: "replay-job"; tenant: string; jobId: string };
export type ReplayJob = { id: string; tenant: string; routeId: string | null; fromMs: number | null; toMs: number | null; status: "running" | "done" | "failed"; total: number; done: number; createdAt: number; updatedAt: number };

const JOB_PAGE = 100;

export function isReplayJobMessage(body: unknown): body is ReplayJobMessage {
  const m = body as ReplayJobMessage;
  return typeof m === "object" && m !== null && m.v === 1 && m.kind === "replay-job" && typeof m.jobId === "string";
}

function splitSubject(subject: string): { recordType: string; recordId: string } {
  const slash = subject.indexOf("/");
  return { recordType: subject.slice(0, slash), recordId: subject.slice(slash + 1) };
}

/** Answers false when the dead letter was not open (already replayed or skipped) or its route is gone. */
export async function replayDeadLetter(env: Env, dl: DeadLetter, tenantRegion: Region, routeRegions: Map<string, Region>, nowMs: number): Promise<boolean> {
  const region = routeRegions.get(dl.routeId);
  if (!region) return false;
  if (!(await closeDeadLetter(env.DB, dl.tenant, dl.id, "replayed", nowMs))) return false;
  const message: DeliverMessage = {
    v: DELIVER_MESSAGE_VERSION,
    kind: "deliver",
    tenant: dl.tenant,
    recordRegion: tenantRegion,
    ...splitSubject(dl.subject),
    routingVersion: 0,
    event: dl.event,
    routes: [{ id: dl.routeId, attempt: 1, generation: dl.generation + 1, history: [] }],
  };
  await routeQueue(env, region, message, dl.routeId).send(message, { contentType: "json" });
  return true;
}

export async function routeRegions(env: Env, tenant: string): Promise<Map<string, Region>> {
  const table = await loadRoutingTable(env.DB, tenant);
  return new Map(table.routes.map((r) => [r.id, r.region]));
}

export async function startReplayJob(env: Env, tenant: string, region: Region, q: Pick<DeadLetterQuery, "routeId" | "fromMs" | "toMs">, nowMs: number): Promise<ReplayJob> {
  const total = await countDeadLetters(env.DB, tenant, { ...q, status: "open" });
  const job: ReplayJob = { id: `rj_${uuidv7()}`, tenant, routeId: q.routeId ?? null, fromMs: q.fromMs ?? null, toMs: q.toMs ?? null, status: total === 0 ? "done" : "running", total, done: 0, createdAt: nowMs, updatedAt: nowMs };
  await env.DB.prepare("INSERT INTO replay_jobs (tenant_id, id, route_id, from_ms, to_ms, status, total, done, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)")
    .bind(tenant, job.id, job.routeId, job.fromMs, job.toMs, job.status, total, nowMs, nowMs)
    .run();
  // Any shard's consumer runs a job page; shard 0 always exists.
  if (total > 0) await deliveryQueue(env, region).send({ v: 1, kind: "replay-job", tenant, jobId: job.id } satisfies ReplayJobMessage, { contentType: "json" });
  return job;
}

export async function getReplayJob(db: D1Database, tenant: string, id: string): Promise<ReplayJob | null> {
  const r = await db.prepare("SELECT * FROM replay_jobs WHERE tenant_id = ? AND id = ?").bind(tenant, id).first<Record<string, any>>();
  if (!r) return null;
  return { id: r.id, tenant: r.tenant_id, routeId: r.route_id, fromMs: r.from_ms, toMs: r.to_ms, status: r.status, total: r.total, done: r.done, createdAt: r.created_at, updatedAt: r.updated_at };
}

/** One page of a job; re-enqueues itself until no open dead letter matches. */
export async function continueReplayJob(env: Env, msg: ReplayJobMessage, queue: Queue, nowMs: number): Promise<void> {
  const job = await getReplayJob(env.DB, msg.tenant, msg.jobId);
  const tenant = await getTenant(env.DB, msg.tenant);
  if (!job || !tenant || job.status !== "running") return;
  const q: DeadLetterQuery = { status: "open", ...(job.routeId ? { routeId: job.routeId } : {}), ...(job.fromMs !== null ? { fromMs: job.fromMs } : {}), ...(job.toMs !== null ? { toMs: job.toMs } : {}) };
  const page = await listDeadLetters(env.DB, msg.tenant, q, null, JOB_PAGE);
  const regions = await routeRegions(env, msg.tenant);
  let replayed = 0;
  for (const dl of page) if (await replayDeadLetter(env, dl, tenant.region, regions, nowMs)) replayed++;
  // A page that replays nothing (routes deleted) must still end the job.
  const finished = page.length < JOB_PAGE || replayed === 0;
  await env.DB.prepare("UPDATE replay_jobs SET done = done + ?, status = ?, updated_at = ? WHERE tenant_id = ? AND id = ?")
    .bind(replayed, finished ? "done" : "running", nowMs, msg.tenant, msg.jobId)
    .run();
  if (!finished) await queue.send(msg, { contentType: "json" });
}

/**
 * RFC 9457 problem details: the one place where domain refusals become HTTP answers.
 * Handlers throw HttpProblem; app.onError renders it; anything else is a logged 500.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import { fieldPath } from "../../shared/change/schema";

export type ProblemBody = {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** The request field at fault, in `a.b[2].c` form, when there is one. */
  field?: string;
  [extension: string]: unknown;
};

const TYPE_BASE = "https://changecast.dev/problems/";

export class HttpProblem extends Error {
  readonly body: ProblemBody;
  readonly headers: Record<string, string>;
  constructor(status: number, slug: string, title: string, extra: Omit<Partial<ProblemBody>, "status" | "type" | "title"> = {}, headers: Record<string, string> = {}) {
    super(typeof extra.detail === "string" ? extra.detail : title);
    this.body = { type: TYPE_BASE + slug, title, status, ...extra };
    this.headers = headers;
  }
}

export function problemResponse(c: Context, problem: HttpProblem): Response {
  return c.body(JSON.stringify({ ...problem.body, instance: new URL(c.req.url).pathname }), problem.body.status as ContentfulStatusCode, {
    "content-type": "application/problem+json",
    ...problem.headers,
  });
}

export function invalidField(field: string, reason: string): HttpProblem {
  return new HttpProblem(400, "invalid-request", "Invalid request", { field, detail: `${field}: ${reason}` });
}

/** The first zod issue, named by its path under `prefix` ("body" for a request body). */
export function fromZodError(error: ZodError, prefix = "body"): HttpProblem {
  const issue = error.issues[0]!;
  const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0] ?? ""] : issue.path;
  const field = path.length === 0 ? prefix : fieldPath("", path).replace(/^\./, "");
  return invalidField(field, issue.message);
}

export function notFound(what: string): HttpProblem {
  return new HttpProblem(404, "not-found", "Not found", { detail: `${what} does not exist` });
}

export function conflict(detail: string): HttpProblem {
  return new HttpProblem(409, "conflict", "Conflict", { detail });
}

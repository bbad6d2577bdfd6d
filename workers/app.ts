/** The HTTP surface: ingestion for locations, /admin/v1 for operators, problem+json errors. */
import { Hono } from "hono";
import { admin } from "./admin";
import { cdc } from "./ingest/cdc";
import { changes } from "./ingest/changes";
import { oauthToken } from "./ingest/oauth-token";
import { receiverReports } from "./ingest/receiver-reports";
import { registry } from "./registry";
import { HttpProblem, problemResponse } from "./http/problem";

export const app = new Hono<{ Bindings: Env }>();

app.get("/", (c) => c.json({ name: "changecast", docs: "see README.md", ingest: "/v1/changes", admin: "/admin/v1" }));
app.route("/v1/changes", cdc);
app.route("/v1/changes", changes);
app.route("/v1/receiver-reports", receiverReports);
app.route("/v1/oauth/token", oauthToken);
app.route("/admin/v1", admin);
app.route("/registry/t/:tenant", registry);

app.notFound((c) => problemResponse(c, new HttpProblem(404, "not-found", "Not found", { detail: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` })));

app.onError((err, c) => {
  if (err instanceof HttpProblem) return problemResponse(c, err);
  console.error("unhandled error", err);
  return problemResponse(c, new HttpProblem(500, "internal", "Internal error", { detail: "the error was logged; retry later" }));
});

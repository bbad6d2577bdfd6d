/**
 * `npm run dev`: the whole stack on http://127.0.0.1:8787 from a fresh clone. Creates .dev.vars
 * from .dev.vars.example when missing, applies D1 migrations to the local database, then runs
 * `wrangler dev`. Extra args pass through and win: `npm run dev -- --port 9000`.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { constants } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "node_modules", ".bin");
const wrangler = join(bin, process.platform === "win32" ? "wrangler.cmd" : "wrangler");
const args = process.argv.slice(2);

// node_modules/.bin goes first on PATH even when this file is run with plain `node`: it holds
// Node 22 (devDependency `node`), and wrangler 4 refuses Node < 22.12.
const env = { WRANGLER_SEND_METRICS: "false", ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` };

if (!existsSync(wrangler)) fail("wrangler is not installed here; run `npm install` first");

/** The user's value for a flag (`--name v` or `--name=v`), if given. */
function given(...names) {
  for (const [i, arg] of args.entries()) {
    for (const name of names) {
      if (arg === name) return args[i + 1] ?? "";
      if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
    }
  }
  return undefined;
}

function fail(message) {
  console.error(`dev: ${message}`);
  process.exit(1);
}

// 1. Local secrets. Never overwrite: a developer's .dev.vars may hold their own values; name
// what the example gained since it was copied instead.
const varNames = (file) => new Set([...readFileSync(join(root, file), "utf8").matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/gm)].map((m) => m[1]));
if (!existsSync(join(root, ".dev.vars"))) {
  copyFileSync(join(root, ".dev.vars.example"), join(root, ".dev.vars"));
  console.log("dev: created .dev.vars from .dev.vars.example");
} else {
  const have = varNames(".dev.vars");
  const missing = [...varNames(".dev.vars.example")].filter((name) => !have.has(name));
  if (missing.length > 0) console.warn(`dev: .dev.vars lacks ${missing.join(", ")} (see .dev.vars.example)`);
}

// 2. Local D1 migrations, into the same state wrangler dev will read (--persist-to, --config and
// --env change which one). Wrangler asks "continue?" before applying; with CI=true and no stdin
// its confirm() takes the fallback answer (yes) instead of waiting for a keypress.
const shared = [];
for (const names of [["--persist-to"], ["-c", "--config"], ["-e", "--env"]]) {
  const value = given(...names);
  if (value !== undefined) shared.push(names.at(-1), value);
}
if (given("-r", "--remote") === undefined) {
  const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "changecast", "--local", ...shared], {
    cwd: root,
    env: { ...env, CI: "true" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (migrate.status !== 0) fail(`applying D1 migrations failed (${migrate.error?.message ?? `exit ${migrate.status ?? migrate.signal}`})`);
}

// 3. wrangler dev. Our defaults only where the user gave none: yargs would make a repeated
// --port an array and refuse it.
const defaults = [];
if (given("--ip") === undefined) defaults.push("--ip", "127.0.0.1");
if (given("--port") === undefined) defaults.push("--port", "8787");
const dev = spawn(wrangler, ["dev", ...defaults, ...args], { cwd: root, env, stdio: "inherit" });

// Ctrl-C reaches the whole process group, but `kill <pid>` (or npm forwarding SIGTERM) reaches
// only us: pass each signal on and stay alive until wrangler has shut workerd down.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => dev.kill(signal));
}
// `kill <npm pid>`: npm passes SIGTERM to its `sh -c`, which dies without passing it on and
// leaves us orphaned with workerd still holding the port. Notice the new parent and stop too.
const parent = process.ppid;
const orphaned = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(orphaned);
  dev.kill("SIGTERM");
}, 1000).unref();
dev.on("error", (err) => fail(`could not start wrangler dev: ${err.message}`));
dev.on("exit", (code, signal) => {
  process.exitCode = code ?? 128 + (constants.signals[signal] ?? 0);
  if (signal) {
    // Die the way wrangler did, so npm and shells see the signal rather than an error code.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
});

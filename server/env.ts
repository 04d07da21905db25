import "server-only";
// Environment, validated once. A bad value fails start-up with a message that
// names the variable. See .env.example for what each one does.
import { isIP } from "node:net";
import { z } from "zod";

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Address the server listens on (scripts/start.mjs): loopback unless opened on purpose. */
  HOST: optionalString.pipe(z.string().default("127.0.0.1")),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
      .optional(),
  ),
  /** Owner role for migrations; DATABASE_URL is then a role that may not alter the audit table (db/app-role.sql). */
  DATABASE_MIGRATION_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
      .optional(),
  ),
  PGLITE_DIR: z.string().default(".data/pglite"),
  /** HMAC key of the audit chain (kept outside the database). */
  AUDIT_KEY: optionalString.pipe(z.string().min(32, "must be at least 32 characters").optional()),
  AUDIT_KEY_FILE: optionalString,
  /** Retired audit keys, comma-separated: still accepted when verifying the events they sealed. */
  AUDIT_PREVIOUS_KEYS: optionalString
    .transform((v) =>
      v
        ? v
            .split(",")
            .map((k) => k.trim())
            .filter(Boolean)
        : [],
    )
    .pipe(z.array(z.string().min(32, "each key must be at least 32 characters"))),
  AUDIT_CHECKPOINT_FILE: optionalString,
  AUDIT_CHECKPOINT_SECONDS: z.coerce.number().int().min(0).default(600),
  /** Observed flows (issue 17): raw samples kept this many days, per-minute aggregates this many; swept every FLOW_SWEEP_SECONDS (0: never). */
  FLOW_SAMPLES_RETENTION_DAYS: z.coerce.number().int().min(1).default(7),
  FLOW_AGGREGATES_RETENTION_DAYS: z.coerce.number().int().min(1).default(90),
  FLOW_SWEEP_SECONDS: z.coerce.number().int().min(0).default(3600),
  /** SIEM violation events (server/flows/close.ts): a minute is closed, one event per path emitted, FLOW_CLOSE_GRACE_SECONDS after its end; passes every FLOW_CLOSE_SECONDS (0: never). */
  FLOW_CLOSE_GRACE_SECONDS: z.coerce.number().int().min(0).default(60),
  FLOW_CLOSE_SECONDS: z.coerce.number().int().min(0).default(10),
  /** Alert rules are evaluated every this many seconds (0: never) on each replica; an advisory lock makes one run at a time. */
  ALERT_EVALUATE_SECONDS: z.coerce.number().int().min(0).default(15),
  /** After a flow batch commits, the rules it can affect are evaluated, each at most once per this many ms per replica (0: only the timer). */
  ALERT_ON_INGEST_MS: z.coerce.number().int().min(0).default(1000),
  /** Flood control of POST /api/v1/flows: batches per second a cluster may send, sustained, and at once (server/api/flow-rate.ts); beyond: 429 with Retry-After. */
  FLOW_RATE_PER_SECOND: z.coerce.number().positive().default(20),
  FLOW_RATE_BURST: z.coerce.number().int().min(1).default(100),
  /** GET /api/v1/metrics (Prometheus; tokens with the `metrics` scope): "off" answers 404. */
  POLICYPLANE_METRICS: z.enum(["on", "off"]).default("on"),
  BETTER_AUTH_SECRET: optionalString.pipe(z.string().min(32, "must be at least 32 characters").optional()),
  BETTER_AUTH_URL: optionalString.pipe(z.url().optional()),
  /** Seed the demo organisation (public demo passwords). Default: on for the embedded database, off with DATABASE_URL. */
  POLICYPLANE_DEMO: z.enum(["on", "off"]).optional(),
  /** "yes": keep the demo's accounts even when HOST is not a loopback address (they share a published password). */
  POLICYPLANE_EXPOSE_DEMO: z.enum(["yes", "no"]).default("no"),
  /** "on": an admin may move the server's clock (e2e tests of exception expiry); refused unless HOST is a loopback address. */
  POLICYPLANE_TEST_CLOCK: z.enum(["on", "off"]).default("off"),
  AUTH_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(10),
  AUTH_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
  OIDC_PROVIDER_ID: z.string().default("oidc"),
  OIDC_PROVIDER_NAME: z.string().default("Single sign-on"),
  OIDC_DISCOVERY_URL: optionalString.pipe(z.url().optional()),
  OIDC_CLIENT_ID: optionalString,
  OIDC_CLIENT_SECRET: optionalString,
  OIDC_SCOPES: z.string().default("openid email profile"),
  /** A local folder holding the Git repository the GitOps export commits to (server/clusters/gitops.ts); unset: no export. */
  POLICYPLANE_GITOPS_DIR: optionalString,
  /** An HTTPS Git remote each GitOps commit is pushed to (plain http only to this machine); credentials never in the URL. */
  POLICYPLANE_GITOPS_REMOTE: optionalString.pipe(
    z
      .url()
      .refine((u) => {
        const url = new URL(u);
        return url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname));
      }, "must be an https:// URL (http:// only for this machine)")
      .refine((u) => {
        const url = new URL(u);
        return url.username === "" && url.password === "";
      }, "must not carry credentials: set POLICYPLANE_GITOPS_USERNAME and POLICYPLANE_GITOPS_TOKEN")
      .optional(),
  ),
  /** Basic-auth user and token (or password) for POLICYPLANE_GITOPS_REMOTE; read from the environment only. */
  POLICYPLANE_GITOPS_USERNAME: optionalString,
  POLICYPLANE_GITOPS_TOKEN: optionalString,
  /** The remote branch the export commits to (default main). */
  POLICYPLANE_GITOPS_BRANCH: optionalString.pipe(
    z
      .string()
      .regex(/^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]+$/, "must be a Git branch name (letters, digits, . _ / -)")
      .default("main"),
  ),
});

export type Env = Omit<z.infer<typeof envSchema>, "POLICYPLANE_DEMO"> & { POLICYPLANE_DEMO: "on" | "off" };

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  // A shared PostgreSQL is a real installation: the demo's accounts (with their
  // published password) only go in when asked for.
  const env = { ...result.data, POLICYPLANE_DEMO: result.data.POLICYPLANE_DEMO ?? (result.data.DATABASE_URL ? "off" : "on") } as const;
  if (env.POLICYPLANE_DEMO === "on" && demoRefusedOnHost(env)) {
    throw new Error(`Invalid environment:\n  POLICYPLANE_DEMO: ${demoExposedMessage(env)}`);
  }
  if (env.POLICYPLANE_TEST_CLOCK === "on" && !isLoopbackHost(env.HOST))
    throw new Error(
      `Invalid environment:\n  POLICYPLANE_TEST_CLOCK: a movable clock is for tests on this machine only; HOST=${env.HOST} is reachable from others`,
    );
  if (env.AUDIT_KEY && env.AUDIT_KEY_FILE) throw new Error("Invalid environment:\n  AUDIT_KEY, AUDIT_KEY_FILE: set one of them, not both");
  if (env.POLICYPLANE_GITOPS_REMOTE && !env.POLICYPLANE_GITOPS_DIR)
    throw new Error(
      "Invalid environment:\n  POLICYPLANE_GITOPS_REMOTE: needs POLICYPLANE_GITOPS_DIR (the local clone the export commits in before pushing)",
    );
  if (env.POLICYPLANE_GITOPS_TOKEN && !env.POLICYPLANE_GITOPS_REMOTE)
    throw new Error("Invalid environment:\n  POLICYPLANE_GITOPS_TOKEN: set without POLICYPLANE_GITOPS_REMOTE, the remote it is for");
  if (env.DATABASE_MIGRATION_URL && !env.DATABASE_URL)
    throw new Error("Invalid environment:\n  DATABASE_MIGRATION_URL: needs DATABASE_URL (the role the application runs as)");
  const oidcParts = [env.OIDC_DISCOVERY_URL, env.OIDC_CLIENT_ID, env.OIDC_CLIENT_SECRET];
  if (oidcParts.some(Boolean) && !oidcParts.every(Boolean)) {
    throw new Error("Invalid environment:\n  OIDC_DISCOVERY_URL, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set together");
  }
  return env;
}

/** True for 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (bare === "localhost") return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  return isIP(bare) === 6 && (bare === "::1" || bare === "0:0:0:0:0:0:0:1");
}

/** The demo's accounts would be reachable from other machines, and nobody said that is wanted. */
export function demoRefusedOnHost(env: Pick<Env, "HOST" | "POLICYPLANE_EXPOSE_DEMO">): boolean {
  return !isLoopbackHost(env.HOST) && env.POLICYPLANE_EXPOSE_DEMO !== "yes";
}

export function demoExposedMessage(env: Pick<Env, "HOST">): string {
  return (
    `the demo organisation's accounts share a password printed on the sign-in page, and HOST=${env.HOST} makes the server reachable from other machines. ` +
    "Set POLICYPLANE_DEMO=off (and use a database without the demo accounts), listen on 127.0.0.1, or set POLICYPLANE_EXPOSE_DEMO=yes to expose the demo on purpose."
  );
}

let cached: Env | undefined;
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** The next env() reads process.env again: for the integration run, whose files share a process and each set their own. */
export function forgetEnv(): void {
  cached = undefined;
}

// Environment, validated once. A bad value fails start-up with a message that
// names the variable. See .env.example for what each one does.
import { z } from "zod";

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
      .optional(),
  ),
  PGLITE_DIR: z.string().default(".data/pglite"),
  BETTER_AUTH_SECRET: optionalString.pipe(z.string().min(32, "must be at least 32 characters").optional()),
  BETTER_AUTH_URL: optionalString.pipe(z.url().optional()),
  /** Seed the demo organisation (public demo passwords). Default: on for the embedded database, off with DATABASE_URL. */
  POLICYPLANE_DEMO: z.enum(["on", "off"]).optional(),
  AUTH_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(10),
  AUTH_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
  OIDC_PROVIDER_ID: z.string().default("oidc"),
  OIDC_PROVIDER_NAME: z.string().default("Single sign-on"),
  OIDC_DISCOVERY_URL: optionalString.pipe(z.url().optional()),
  OIDC_CLIENT_ID: optionalString,
  OIDC_CLIENT_SECRET: optionalString,
  OIDC_SCOPES: z.string().default("openid email profile"),
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
  const oidcParts = [env.OIDC_DISCOVERY_URL, env.OIDC_CLIENT_ID, env.OIDC_CLIENT_SECRET];
  if (oidcParts.some(Boolean) && !oidcParts.every(Boolean)) {
    throw new Error("Invalid environment:\n  OIDC_DISCOVERY_URL, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set together");
  }
  return env;
}

let cached: Env | undefined;
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

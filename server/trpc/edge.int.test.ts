import { TRPCError } from "@trpc/server";
import { count } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, changeRequests, policyVersions } from "@/db/schema";
import { testDatabaseKind } from "@/db/testing";
import type { InvalidInput } from "@/server/errors";
import { callerFor } from "@/server/testing/actors";
import { useSeededDatabase } from "@/server/testing/database";
import { appRouter } from "./root";

const ADMIN = "alex.admin@acme.example";
const AUTHOR = "priya.payments@acme.example";
const VIEWER = "avery.audit@acme.example";

async function failure(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

type Callable = (input: unknown) => Promise<unknown>;
const procedureAt = (caller: object, path: string) =>
  path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as Callable;

describe(`text the database cannot store, refused at the tRPC edge on ${testDatabaseKind()}`, () => {
  const database = useSeededDatabase();
  const db = () => database().db;
  const counts = async () => ({
    versions: (await db().select({ n: count() }).from(policyVersions))[0]!.n,
    changes: (await db().select({ n: count() }).from(changeRequests))[0]!.n,
    audit: (await db().select({ n: count() }).from(auditEvents))[0]!.n,
  });

  it("refuses a NUL or a lone surrogate in any field of every procedure's input with BAD_REQUEST naming the field, and writes nothing but the refusals", async () => {
    const admin = await callerFor(db(), ADMIN);
    const paths = Object.keys(appRouter._def.procedures);
    expect(paths.length).toBeGreaterThan(20);
    const before = await counts();
    for (const path of paths) {
      for (const [bad, what] of [
        ["a\u0000b", /NUL/],
        ["a\udc00b", /lone UTF-16 surrogate/],
      ] as const) {
        const error = await failure(procedureAt(admin, path)({ deep: { list: ["fine", bad] } }));
        expect(error.code, path).toBe("BAD_REQUEST");
        expect(error.message, path).toMatch(what);
        expect((error.cause as InvalidInput).field, path).toBe("deep.list[1]");
      }
      // A key is text too.
      const error = await failure(procedureAt(admin, path)({ values: { ["ten\u0000ant"]: "payments" } }));
      expect((error.cause as InvalidInput).field, path).toBe("values.ten\u0000ant");
    }
    // Three refused calls per mutation, each recorded (its text made storable); queries leave nothing.
    const mutations = paths.filter(
      (path) => (appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>)[path]!._def.type === "mutation",
    );
    expect(mutations.length).toBeGreaterThan(5);
    expect(await counts()).toEqual({ ...before, audit: before.audit + 3 * mutations.length });
  });

  it("refuses a draft message with a NUL and a change description with a lone surrogate: 400 on that field, nothing written but the refusals", async () => {
    const author = await callerFor(db(), AUTHOR);
    const current = (await author.policies.get({ name: "payments-api" })).versions.at(-1)!;
    const before = await counts();
    const save = await failure(
      author.policies.saveDraft({
        policyName: "payments-api",
        baseVersion: current.version,
        yaml: current.yaml.replace("payments", "payments"),
        message: "fix\u0000",
      }),
    );
    expect(save.code).toBe("BAD_REQUEST");
    expect((save.cause as InvalidInput).field).toBe("message");
    const yaml = await failure(
      author.policies.saveDraft({ policyName: "payments-api", baseVersion: current.version, yaml: `${current.yaml}# \ud83d`, message: "" }),
    );
    expect((yaml.cause as InvalidInput).field).toBe("yaml");
    const propose = await failure(
      author.policies.proposeChange({ title: "Open the API", description: "why \ud800", policies: ["payments-api"] }),
    );
    expect((propose.cause as InvalidInput).field).toBe("description");
    expect(await counts()).toEqual({ ...before, audit: before.audit + 3 });
    // An emoji (a surrogate pair) is text like any other.
    expect((await author.policies.analyse({ yaml: current.yaml.replace("description:", "description: 🔒 ") })).errors).toEqual([]);
  });

  // The reader's own bounds (depth, aliases) are the engine's; here: whatever it refuses, the server answers 400 with the position.
  it("answers YAML the reader refuses with BAD_REQUEST and where it went wrong, for analyse (even from a viewer) and saveDraft alike", async () => {
    const viewer = await callerFor(db(), VIEWER);
    const author = await callerFor(db(), AUTHOR);
    const hostile = {
      "deep flow nesting": "[".repeat(1000) + "]".repeat(1000),
      "YAML that does not parse": Array.from({ length: 400 }, (_, i) => `${" ".repeat(i)}- a:`).join("\n"),
      "alias bomb": [
        "a: &a [x, x, x, x, x, x, x, x, x, x]",
        ...Array.from(
          { length: 9 },
          (_, i) =>
            `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
              .fill(`*${String.fromCharCode(97 + i)}`)
              .join(", ")}]`,
        ),
      ].join("\n"),
    };
    const before = await counts();
    for (const [name, yaml] of Object.entries(hostile)) {
      const analysed = await failure(viewer.policies.analyse({ yaml }));
      expect(analysed.code, name).toBe("BAD_REQUEST");
      expect((analysed.cause as InvalidInput).field, name).toBe("yaml");
      expect((analysed.cause as InvalidInput).position?.line, name).toBeGreaterThan(0);
      const saved = await failure(author.policies.saveDraft({ policyName: null, baseVersion: null, yaml, message: "" }));
      expect(saved.code, name).toBe("BAD_REQUEST");
      expect((saved.cause as InvalidInput).position?.line, name).toBeGreaterThan(0);
    }
    const huge = await failure(viewer.policies.analyse({ yaml: "a: b\n".repeat(1_000_000) }));
    expect(huge.code).toBe("BAD_REQUEST");
    expect(huge.message).toMatch(/too long/);
    // One refusal event per refused save; a refused analysis is a reading and leaves none.
    expect(await counts()).toEqual({ ...before, audit: before.audit + Object.keys(hostile).length });
  });
});

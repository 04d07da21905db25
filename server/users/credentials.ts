import "server-only";
// E-mail + password accounts are written here, inside the caller's transaction,
// in the shape better-auth reads (providerId "credential", scrypt hash), so that
// creating a user and its audit event commit or fail together.
import { randomUUID } from "node:crypto";
import { hashPassword } from "better-auth/crypto";
import { account, user } from "@/db/schema";
import type { Queryable } from "@/db/client";

export async function insertPasswordUser(db: Queryable, input: { name: string; email: string; password: string }): Promise<string> {
  const id = randomUUID();
  const now = new Date();
  await db
    .insert(user)
    .values({ id, name: input.name, email: input.email.toLowerCase(), emailVerified: true, createdAt: now, updatedAt: now });
  await db.insert(account).values({
    id: randomUUID(),
    accountId: id,
    providerId: "credential",
    userId: id,
    password: await hashPassword(input.password),
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

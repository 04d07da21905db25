import "server-only";
// Draft each submitted document as a new version and propose them together as
// one change request (REST: POST /api/v1/change-requests, for CI pipelines).
import { eq } from "drizzle-orm";
import { policies } from "@/db/schema";
import { withTransaction, type ServiceContext } from "@/server/context";
import { InvalidInput } from "@/server/errors";
import { proposeChange } from "@/server/changes/propose-change";
import { requireSomeAuthorRole } from "@/server/drafts/access";
import { writeDraft } from "@/server/drafts/save-draft";
import { requireValidPolicyYaml } from "@/server/drafts/validate";
import { findChange } from "./review";
import type { CreateChangeRequestInput } from "./schemas";
import { moveChange } from "./transition";

export async function createChangeRequest({ ctx, input }: { ctx: ServiceContext; input: CreateChangeRequestInput }) {
  requireSomeAuthorRole(ctx);
  return withTransaction(ctx, async (tx) => {
    const names: string[] = [];
    for (const [index, yaml] of input.documents.entries()) {
      const checked = await requireValidPolicyYaml(tx.db, yaml).catch((error: unknown) => {
        if (error instanceof InvalidInput)
          throw new InvalidInput(
            `documents[${index}]: ${error.message}`,
            `documents.${index}${error.field ? `.${error.field}` : ""}`,
            error.position,
          );
        throw error;
      });
      const name = checked.document.metadata.name;
      if (names.includes(name))
        throw new InvalidInput(`documents[${index}]: ${name} is sent twice; send each policy once.`, `documents.${index}`);
      const [existing] = await tx.db.select({ name: policies.name }).from(policies).where(eq(policies.name, name));
      await writeDraft({
        ctx: tx,
        document: checked.document,
        tenantId: checked.tenantId,
        policyName: existing ? name : null,
        baseVersion: null,
        message: `change request: ${input.title.trim()}`,
        positions: checked.positions,
      });
      names.push(name);
    }
    const proposed = await proposeChange({
      ctx: tx,
      input: { title: input.title, description: input.description, policies: names },
      heldAsDraft: input.draft,
      // A lint error names the document that carries it, when it is one of those sent.
      lintField: (f) => {
        const index = names.findIndex((n) => f.document?.endsWith(`/${n}`));
        return index < 0 ? "documents" : `documents.${index}`;
      },
    });
    const { cr } = await findChange(tx.db, ctx.actor, proposed.number, true);
    if (!input.draft) return { number: cr.number, state: cr.state, contentHash: cr.contentHash };
    // Proposing submits; a draft request is the same bundle, held back from review until its author submits it.
    await moveChange(tx, cr, "hold-as-draft", "draft", { contentHash: cr.contentHash });
    return { number: cr.number, state: "draft" as const, contentHash: cr.contentHash };
  });
}

// Instantiate a template with the author's parameters into a new draft policy.
import type { ServiceContext } from "@/server/context";
import { InvalidInput } from "@/server/errors";
import { instantiateTemplate } from "@/server/policy/documents/template";
import { requireSomeAuthorRole, writeDraft, type SaveDraftResult } from "./save-draft";
import { findTemplate } from "./templates";
import { requireValidPolicyYaml } from "./validate";
import { documentToYaml } from "./yaml";

export interface CreateFromTemplateInput {
  template: string;
  values: Record<string, string | number | boolean | string[]>;
}

/** The parameter a template problem is about: `parameter tenant of …` or a placeholder's value. */
function parameterOf(message: string, names: string[]): string | undefined {
  return names.find((n) => message.includes(`parameter ${n} `) || message.includes(`"${n}"`));
}

export async function createFromTemplate({ ctx, input }: { ctx: ServiceContext; input: CreateFromTemplateInput }): Promise<SaveDraftResult> {
  requireSomeAuthorRole(ctx);
  const template = findTemplate(input.template);
  const names = template.document.spec.parameters.map((p) => p.name);
  const result = instantiateTemplate(template, input.values);
  if (!result.document) {
    const first = result.errors[0]!;
    const param = parameterOf(first.detail, names);
    throw new InvalidInput(first.detail, param ? `values.${param}` : "values");
  }
  // Through the same checks as a save from the editor (the tenant must exist, …).
  const yaml = documentToYaml(result.document.document);
  const { document, tenantId } = await requireValidPolicyYaml(ctx.db, yaml).catch((error: unknown) => {
    // A refused tenant or name belongs with the template's values (on the parameter that set it, if one did).
    if (error instanceof InvalidInput && (error.field === "metadata.tenant" || error.field === "metadata.name")) {
      const param = names.find((n) => `metadata.${n}` === error.field);
      throw new InvalidInput(error.message, param ? `values.${param}` : "values");
    }
    throw error;
  });
  return writeDraft({ ctx, document, tenantId, policyName: null, baseVersion: null, message: `Created from template ${input.template}` });
}

import "server-only";
// Instantiate a template with the author's parameters into a new draft policy,
// and the live preview the template form shows before anything is written.
import type { ServiceContext } from "@/server/context";
import { InvalidInput } from "@/server/errors";
import { instantiateTemplate } from "@/server/policy/documents/template";
import type { PolicyDocument } from "@/server/policy/documents/schema";
import { analyseDraft } from "./analyse";
import { editorInventory } from "./inventory";
import { requireSomeAuthorRole } from "./access";
import { writeDraft, type SaveDraftResult } from "./save-draft";
import type { CreateFromTemplateInput } from "./schemas";
import { findTemplate } from "./templates";
import { requireValidPolicyYaml } from "./validate";
import { documentToYaml } from "@/lib/policy-yaml";

/** The parameter a template problem is about: `parameter tenant of …` or a placeholder's value. */
function parameterOf(message: string, names: string[]): string | undefined {
  return names.find((n) => message.includes(`parameter ${n} `) || message.includes(`"${n}"`));
}

/** The policy a template makes from the values (named `name` when given), or the refusal on the parameter it is about. */
function instantiate(input: CreateFromTemplateInput): { document: PolicyDocument; parameters: string[] } {
  const template = findTemplate(input.template);
  const parameters = template.document.spec.parameters.map((p) => p.name);
  const result = instantiateTemplate(template, input.values);
  if (!result.document) {
    const first = result.errors[0]!;
    const param = parameterOf(first.detail, parameters);
    throw new InvalidInput(first.detail, param ? `values.${param}` : "values");
  }
  const document = result.document.document as PolicyDocument;
  return { document: input.name ? { ...document, metadata: { ...document.metadata, name: input.name } } : document, parameters };
}

export async function createFromTemplate({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: CreateFromTemplateInput;
}): Promise<SaveDraftResult> {
  requireSomeAuthorRole(ctx);
  const { document: made, parameters } = instantiate(input);
  // Through the same checks as a save from the editor (the tenant must exist, …).
  const { document, tenantId } = await requireValidPolicyYaml(ctx.db, documentToYaml(made)).catch((error: unknown) => {
    // A refused tenant belongs with the parameter that set it; a refused name with the name field.
    if (error instanceof InvalidInput && error.field === "metadata.name") throw new InvalidInput(error.message, "name");
    if (error instanceof InvalidInput && error.field === "metadata.tenant")
      throw new InvalidInput(error.message, parameters.includes("tenant") ? "values.tenant" : "values");
    throw error;
  });
  return writeDraft({ ctx, document, tenantId, policyName: null, baseVersion: null, message: `Created from template ${input.template}` });
}

export interface TemplatePreview {
  /** The policy's name (the one given, or the template's); null while the values do not make a policy. */
  name: string | null;
  /** Why the values do not make a policy yet, on the field it is about. */
  problem: { field: string; message: string } | null;
  /** Compliance constraints the policy would break, in the engine's words. */
  conflicts: string[];
  /** Parameters left at their default that a constraint forbids, with a value from the inventory it allows. */
  suggestions: Record<string, string>;
}

/**
 * What "Create draft" would make, without writing it: its name and the compliance
 * constraints it breaks. A gateway the constraints forbid is swapped, in the
 * suggestion, for the first egress gateway of the inventory they allow (the PCI
 * constraint, for example, wants its own gateway for a payments application).
 */
export async function previewTemplate({ ctx, input }: { ctx: ServiceContext; input: CreateFromTemplateInput }): Promise<TemplatePreview> {
  const conflictsOf = async (values: CreateFromTemplateInput["values"]) => {
    const { document } = instantiate({ ...input, values });
    const analysis = await analyseDraft({ ctx, input: { yaml: documentToYaml(document) } });
    return { document, conflicts: analysis.findings.filter((f) => f.id === "constraint-conflict").map((f) => f.message) };
  };
  let first;
  try {
    first = await conflictsOf(input.values);
  } catch (error) {
    // Values still being typed: say what is missing where it is missing, not as a failed request.
    if (error instanceof InvalidInput)
      return { name: null, problem: { field: error.field ?? "values", message: error.message }, conflicts: [], suggestions: {} };
    throw error;
  }
  const { document, conflicts } = first;
  const suggestions: Record<string, string> = {};
  const template = findTemplate(input.template).document;
  const gatewayDefault = template.spec.parameters.find((p) => p.name === "gateway")?.default;
  const gatewayLeftAsIs = input.values.gateway === undefined || input.values.gateway === gatewayDefault;
  if (conflicts.length > 0 && gatewayDefault !== undefined && gatewayLeftAsIs) {
    for (const gateway of (await editorInventory({ ctx })).gateways) {
      if ((await conflictsOf({ ...input.values, gateway })).conflicts.length === 0) {
        suggestions.gateway = gateway;
        break;
      }
    }
  }
  return { name: document.metadata.name, problem: null, conflicts, suggestions };
}

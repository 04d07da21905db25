// Inputs of alert rules and silences (issue 17 item 7).
import { z } from "zod";
import { ALERT_RULE_KINDS, FLOW_CLASSES, SEVERITIES } from "@/lib/flows";
import { CRITICALITIES } from "@/lib/vocabulary";

const name = z.string().trim().min(1).max(253);
/** A silence or an alert rule looks back at most 7 days (the raw samples' retention). */
export const MAX_WINDOW_MINUTES = 7 * 24 * 60;
/** A silence lasts at most 30 days: a longer one should be a change to the rule. */
export const MAX_SILENCE_DAYS = 30;

export const alertRuleParams = z
  .object({
    windowMinutes: z.number().int().min(1).max(MAX_WINDOW_MINUTES),
    threshold: z.number().int().min(0).max(1_000_000_000).optional(),
    flowClass: z.enum(FLOW_CLASSES).exclude(["allowed"]).optional(),
    destinationCriticality: z.enum(CRITICALITIES).optional(),
    minSeverity: z.enum(SEVERITIES).optional(),
    cluster: name.optional(),
  })
  .strict();

export const alertRuleInput = z
  .object({
    name: z.string().trim().min(1).max(120),
    kind: z.enum(ALERT_RULE_KINDS),
    params: alertRuleParams,
    enabled: z.boolean().default(true),
  })
  .superRefine((r, ctx) => {
    if (r.kind === "threshold" && r.params.threshold === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["params", "threshold"],
        message: "A threshold rule needs a threshold: fire when more than N flows…",
      });
    if (r.kind !== "threshold" && r.params.flowClass !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["params", "flowClass"],
        message: `A ${r.kind} rule has its own class; flowClass is for threshold rules.`,
      });
  });
export type AlertRuleInput = z.input<typeof alertRuleInput>;

export const updateAlertRuleInput = z.object({ id: z.uuid(), rule: alertRuleInput });
export type UpdateAlertRuleInput = z.input<typeof updateAlertRuleInput>;

export const alertRuleIdInput = z.object({ id: z.uuid() });

export const silenceMatcher = z
  .object({ ruleId: z.uuid().optional(), cluster: name.optional(), source: name.optional(), destination: name.optional() })
  .strict()
  .refine((m) => Object.values(m).some((v) => v !== undefined), {
    message: "A silence must match something: give a rule, a cluster, a source or a destination.",
  });

export const createSilenceInput = z.object({
  matcher: silenceMatcher,
  reason: z.string().trim().min(1, "Say why the alerts are silenced.").max(2_000),
  /** How long it lasts, from now. */
  minutes: z
    .number()
    .int()
    .min(1)
    .max(MAX_SILENCE_DAYS * 24 * 60),
});
export type CreateSilenceInput = z.input<typeof createSilenceInput>;

export const endSilenceInput = z.object({ id: z.uuid() });

export const listAlertsInput = z.object({ limit: z.number().int().min(1).max(500).default(100) });

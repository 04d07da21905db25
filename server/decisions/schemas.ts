// The decision log's settings and search (issue 18 item 3): inputs validated here, used by the
// tRPC router and the services.
import { z } from "zod";

export const updateDecisionLogSettingsInput = z.object({
  /** Share of decisions logged: 0 none (off), 1 every one. */
  sampleRate: z.number().min(0, "The rate is a share from 0 to 1").max(1, "The rate is a share from 0 to 1"),
  /** Log every deny whatever the rate. */
  alwaysLogDenies: z.boolean(),
  retentionDays: z.number().int("Whole days, please").min(1, "At least one day").max(3650, "At most 3650 days"),
  expectedVersion: z.number().int().min(1),
});
export type UpdateDecisionLogSettingsInput = z.infer<typeof updateDecisionLogSettingsInput>;

export const DECISION_PAGE_SIZE = 50;

export const searchDecisionsInput = z
  .object({
    cluster: z.string().trim().max(120).optional(),
    decision: z.enum(["allow", "deny"]).optional(),
    /** Part of the source or destination as logged ("payments/", "10.0.", "stripe"). */
    source: z.string().trim().max(253).optional(),
    destination: z.string().trim().max(253).optional(),
    from: z.date().optional(),
    to: z.date().optional(),
    decisionId: z.uuid("A decision id is a UUID").optional(),
    /** Keyset paging: the last row of the previous page. */
    after: z.object({ decidedAt: z.date(), decisionId: z.uuid() }).optional(),
    limit: z.number().int().min(1).max(200).default(DECISION_PAGE_SIZE),
  })
  .refine((i) => !i.from || !i.to || i.from <= i.to, { message: "The time range ends before it starts", path: ["to"] });
export type SearchDecisionsInput = z.input<typeof searchDecisionsInput>;

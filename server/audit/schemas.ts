// Inputs of the audit trail services.
import { z } from "zod";

/** A page of the trail, newest first, filtered; `cursor` is the `nextBeforeSeq` of the previous page. */
export const listAuditEventsInput = z
  .object({
    actor: z.string().trim().max(200).optional(),
    action: z.string().trim().max(100).optional(),
    target: z.string().trim().max(200).optional(),
    from: z.date().optional(),
    to: z.date().optional(),
    cursor: z.number().int().positive().optional(),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { message: "The start of the range is after its end", path: ["from"] });
export type ListAuditEventsInput = z.infer<typeof listAuditEventsInput>;

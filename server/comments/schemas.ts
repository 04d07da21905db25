// Inputs of the change-request comment services.
import { z } from "zod";
import { COMMENT_SIDES, MAX_COMMENT_CHARS } from "@/lib/comments";

const changeNumber = z.number().int().min(1).max(2_147_483_647);

export const addCommentInput = z.object({
  number: changeNumber,
  // Checked in the service, not here, so a huge comment is refused with its size rather than a generic bound.
  body: z.string(),
  /** A line comment: one line of one policy's side-by-side diff, as the page numbers it. */
  anchor: z
    .object({
      policy: z.string().trim().min(1).max(63),
      side: z.enum(COMMENT_SIDES),
      line: z.number().int().min(1, "Lines are numbered from 1").max(1_000_000),
    })
    .nullable()
    .default(null),
});
export type AddCommentInput = z.infer<typeof addCommentInput>;
export { MAX_COMMENT_CHARS };

export const listCommentsInput = z.object({ number: changeNumber });
export type ListCommentsInput = z.infer<typeof listCommentsInput>;

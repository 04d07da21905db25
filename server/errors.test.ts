import { describe, expect, it } from "vitest";
import { Busy, Conflict, Forbidden, InvalidInput, NotFound, ServiceError, TooLarge, Unauthenticated } from "./errors";

describe("service error names", () => {
  it("are spelled out per class, so a minified build answers with the same names", () => {
    const names = [
      new ServiceError("x"),
      new NotFound("x"),
      new Unauthenticated("x"),
      new Forbidden("x"),
      new Conflict("x"),
      new TooLarge("x"),
      new Busy("x"),
      new InvalidInput("x"),
    ].map((e) => [e.name, e.status]);
    expect(names).toEqual([
      ["InternalError", 500],
      ["NotFound", 404],
      ["Unauthenticated", 401],
      ["Forbidden", 403],
      ["Conflict", 409],
      ["TooLarge", 413],
      ["RateLimited", 429],
      ["InvalidInput", 400],
    ]);
  });

  it("do not come from the class name (which a minifier renames)", () => {
    class Renamed extends Forbidden {}
    expect(new Renamed("x").name).toBe("Forbidden");
  });
});

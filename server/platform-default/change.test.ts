import { describe, expect, it } from "vitest";
import { describePlatformDefaultChange, formatPlatformDefault, loosensPlatformDefault } from "./change";

const on = (...excludeNamespaces: string[]) => ({ enabled: true, excludeNamespaces });
const off = { enabled: false, excludeNamespaces: [] };

describe("a change of the platform default", () => {
  it("loosens when it turns the default off or leaves a covered namespace out", () => {
    expect(loosensPlatformDefault(on(), off)).toBe(true);
    expect(loosensPlatformDefault(on(), on("kube-system"))).toBe(true);
    // Swapping which namespace is left out still uncovers one.
    expect(loosensPlatformDefault(on("monitoring"), on("kube-system"))).toBe(true);
  });

  it("does not loosen when it turns the default on or covers namespaces again", () => {
    expect(loosensPlatformDefault(off, on("kube-system"))).toBe(false);
    expect(loosensPlatformDefault(on("kube-system", "monitoring"), on("kube-system"))).toBe(false);
    expect(loosensPlatformDefault(on("kube-system"), on("kube-system"))).toBe(false);
    // While it is off nothing is covered, so leaving namespaces out of an off default uncovers nothing.
    expect(loosensPlatformDefault(off, { enabled: false, excludeNamespaces: ["kube-system"] })).toBe(false);
  });

  it("says what changes, one phrase per difference", () => {
    expect(describePlatformDefaultChange(on("monitoring"), on("kube-system"))).toEqual([
      "leaves kube-system out",
      "covers monitoring again",
    ]);
    expect(describePlatformDefaultChange(on(), off)).toEqual(["turns it off"]);
    expect(describePlatformDefaultChange(on("a"), on("a"))).toEqual([]);
    expect(formatPlatformDefault(on("kube-system"))).toBe("on, except kube-system");
    expect(formatPlatformDefault(off)).toBe("off");
  });
});

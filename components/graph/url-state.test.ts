import { describe, expect, it } from "vitest";
import { DEFAULT_FILTERS } from "./filters";
import { DEFAULT_URL_STATE, draftOnGraphUrl, graphUrl, readGraphUrl, runOnGraphUrl, type GraphUrlState } from "./url-state";

const read = (url: string) => readGraphUrl(new URL(url, "http://localhost").searchParams);

describe("the graph's view in its URL", () => {
  it("reads back every filter, the layout, the focus and the observed denials it wrote", () => {
    const state: GraphUrlState = {
      cluster: "prod-eu-1",
      overlay: "drafts",
      focus: "checkout/cart",
      layout: "force",
      filters: {
        tenant: "payments",
        namespace: "payments",
        destination: "w:prod-eu-1/payments/Deployment/ledger",
        showExternal: false,
        layers: { ...DEFAULT_FILTERS.layers, admin: false, default: false },
      },
      denials: true,
      run: "0b6f5e1c-3d2a-4c8e-9f10-2a3b4c5d6e7f",
    };
    const url = graphUrl(state);
    expect(url).toBe(
      "/graph?cluster=prod-eu-1&overlay=drafts&tenant=payments&namespace=payments&to=w%3Aprod-eu-1%2Fpayments%2FDeployment%2Fledger&hide=admin%2Cdefault&external=hide&layout=force&focus=checkout%2Fcart&denials=24h&run=0b6f5e1c-3d2a-4c8e-9f10-2a3b4c5d6e7f",
    );
    expect(read(url)).toEqual(state);
  });

  it("writes nothing for the defaults, so the plain link stays plain", () => {
    expect(graphUrl(DEFAULT_URL_STATE)).toBe("/graph");
    expect(graphUrl({ ...DEFAULT_URL_STATE, cluster: "prod-eu-1" })).toBe("/graph?cluster=prod-eu-1");
    expect(read("/graph")).toEqual(DEFAULT_URL_STATE);
  });

  it("reads what it does not know as the default, not as a filter", () => {
    const state = read("/graph?layout=spiral&hide=nonsense,admin&external=maybe&tenant=");
    expect(state.layout).toBe("grouped");
    expect(state.filters.showExternal).toBe(true);
    expect(state.filters.tenant).toBeNull();
    expect(state.filters.layers).toEqual({ ...DEFAULT_FILTERS.layers, admin: false });
  });

  it("links a saved draft to the drafts overlay, focused on a workload it selects in that workload's cluster", () => {
    const url = draftOnGraphUrl({ cluster: "prod-us-1", namespace: "payments", name: "psp-adapter" });
    expect(url).toBe("/graph?cluster=prod-us-1&overlay=drafts&focus=payments%2Fpsp-adapter");
    expect(read(url)).toMatchObject({ cluster: "prod-us-1", overlay: "drafts", focus: "payments/psp-adapter" });
    expect(draftOnGraphUrl()).toBe("/graph?overlay=drafts");
  });

  it("links a replay run to its changed paths on the graph of its cluster, and reads the run back", () => {
    const url = runOnGraphUrl({ id: "0b6f5e1c-3d2a-4c8e-9f10-2a3b4c5d6e7f", cluster: "prod-eu-1" });
    expect(url).toBe("/graph?cluster=prod-eu-1&run=0b6f5e1c-3d2a-4c8e-9f10-2a3b4c5d6e7f");
    expect(read(url)).toEqual({ ...DEFAULT_URL_STATE, cluster: "prod-eu-1", run: "0b6f5e1c-3d2a-4c8e-9f10-2a3b4c5d6e7f" });
    expect(read("/graph?run=%20").run).toBeNull();
  });
});

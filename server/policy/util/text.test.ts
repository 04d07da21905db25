import { describe, expect, it } from "vitest";
import { renderEgressRoute } from "../compile/istio";
import type { EgressRoute } from "../documents/lower";
import { describeRule, formatPeer, formatPortMatch, formatPortProtocol, formatPorts, ruleLabel } from "./text";

describe("engine text for ports, peers and rules", () => {
  it("writes ports as port/PROTOCOL, ranges, any-port clauses and named ports", () => {
    expect(formatPortProtocol(443, "TCP")).toBe("443/TCP");
    expect(formatPortMatch({ kind: "number", protocol: "TCP", port: 443 })).toBe("443/TCP");
    expect(formatPortMatch({ kind: "number", protocol: "TCP", port: 443, endPort: 443 })).toBe("443/TCP");
    expect(formatPortMatch({ kind: "number", protocol: "TCP", port: 8000, endPort: 8100 })).toBe("8000-8100/TCP");
    expect(formatPortMatch({ kind: "number", protocol: "UDP" })).toBe("any UDP port");
    expect(formatPortMatch({ kind: "named", name: "https" })).toBe("https");
    expect(formatPortMatch({ kind: "named", name: "dns", protocol: "UDP" })).toBe("dns/UDP");
    expect(formatPorts(null)).toBe("any port");
    expect(
      formatPorts([
        { kind: "number", protocol: "TCP", port: 80 },
        { kind: "named", name: "https" },
      ]),
    ).toBe("80/TCP, https");
  });

  it("writes peers and rules", () => {
    expect(formatPeer({ kind: "ipBlock", cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] })).toBe("CIDR 10.0.0.0/8 except 10.1.0.0/16");
    expect(formatPeer({ kind: "dns", pattern: "*.stripe.com" })).toBe("DNS name *.stripe.com");
    expect(formatPeer({ kind: "service", namespace: "payments", name: "ledger" })).toBe("service payments/ledger");
    const ref = { kind: "NetworkPolicy", namespace: "shop", name: "web", direction: "ingress" as const, ruleIndex: 1, ruleName: "from-lb" };
    expect(ruleLabel(ref)).toBe('shop/web ingress rule 1 "from-lb"');
    expect(describeRule(ref)).toBe('NetworkPolicy shop/web ingress rule 1 "from-lb"');
  });

  it("is what the Istio renderer says about peers and ports it cannot route", () => {
    const route: EgressRoute = {
      gateway: "egress",
      gatewayRef: { namespace: "istio-system", selector: { istio: "egress" } },
      namespaces: ["shop"],
      peers: [
        { kind: "dns", pattern: "api.example.com" },
        { kind: "ipBlock", cidr: "198.51.100.0/24", except: [] },
      ],
      ports: [
        { kind: "number", protocol: "TCP", port: 443 },
        { kind: "number", protocol: "TCP", port: 8000, endPort: 8100 },
      ],
      ref: { kind: "Policy", name: "out", direction: "egress", ruleIndex: 0 },
    };
    const { problems } = renderEgressRoute(route, "pp-out-0", { labels: {}, annotations: {} });
    expect(problems).toEqual([
      "CIDR 198.51.100.0/24 cannot be routed through egress gateway egress (Istio routes egress by host name); only the pod-to-gateway leg is compiled",
      "port 8000-8100/TCP cannot be routed through egress gateway egress: routing needs fixed port numbers",
    ]);
  });
});

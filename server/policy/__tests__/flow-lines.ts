// Flow lines for property tests of the simulate writers: valid and invalid values of every field,
// unknown fields (nested past the flow line bound), and hostile text.
import fc from "fast-check";

export const endpoint = fc.constantFrom(
  "default/apiserver",
  "default/test-plain",
  "default/test-bookstore-frontend",
  " default/apiserver ",
  "default/nope",
  "10.0.0.9",
  "example.com.",
  "a/b/c",
  "",
  "défaut/pod",
  7,
  null,
);
/** An array nested deeper than the flow line bound (16). */
const deeplyNested = (depth: number): unknown => (depth === 0 ? 1 : [deeplyNested(depth - 1)]);
const field = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
export const flowObject = fc.record(
  {
    src: field(endpoint),
    dst: field(endpoint),
    port: field(fc.constantFrom(80, 443, 0, 65535, 65536, 80.5, 1e3, -1, "80")),
    protocol: field(fc.constantFrom("TCP", "tcp", "Udp", "sctp", "SCTP", "ICMP", "", 6)),
    time: field(
      fc.constantFrom(
        "2026-12-01T00:00:00Z",
        "2026-12-01T00:00:00.123456789Z",
        "2026-12-01T00:00:00.1234567891Z",
        "2026-02-31T23:59:59Z",
        "2026-12-31T23:59:60Z",
        "2026-12-01T00:00:00.Z",
        "2026-12-01T24:00:00Z",
        "2026-12-01T00:00:00.123+01:00",
        "yesterday",
        "",
        1,
      ),
    ),
    extra: field(fc.constantFrom<unknown>(1, { deep: deeplyNested(20) })),
  },
  { requiredKeys: [] },
);
/** Lines that are not a flow object at all, or hold text no endpoint may hold. */
export const oddLines = [
  "",
  "   ",
  "{",
  "[]",
  "null",
  '{"src":"default/apiserver\u0000","dst":"default/apiserver","port":80}',
  '{"src":"default/api\ud800","dst":"default/apiserver","port":80}',
];

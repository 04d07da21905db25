import type { NextConfig } from "next";
import { MAX_REQUEST_BYTES } from "./lib/http-limits";

const config: NextConfig = {
  serverExternalPackages: ["@electric-sql/pglite", "piscina"],
  // With proxy.ts, Next buffers request bodies and silently cuts them at this size: one byte over
  // our own limit lets the route handlers see that a body is too large and answer 413.
  experimental: { proxyClientMaxBodySize: MAX_REQUEST_BYTES + 1 },
  // Separate build folders let several servers of one checkout run side by side (parallel e2e).
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  poweredByHeader: false,
  // `npm run typecheck` (part of `npm test`) checks the whole tree; the build
  // does not repeat it, so `npm start` never fails on a type-only problem.
  typescript: { ignoreBuildErrors: true },
  // Browsers ask for /favicon.ico on their own (before or without reading the icon link): answer with the icon, not a 404.
  async rewrites() {
    return [{ source: "/favicon.ico", destination: "/icon.svg" }];
  },
  // Headers that do not depend on the request; the CSP (with its nonce) is set in proxy.ts.
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
          { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
          { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
        ],
      },
    ];
  },
};

export default config;

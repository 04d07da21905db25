import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      ".next/",
      ".next-*/",
      ".data/",
      ".data-*/",
      "db/migrations/",
      "next-env.d.ts",
      "test-results/",
      "playwright-report/",
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    // The engine is a pure library: no database, React, Next.js or network.
    files: ["server/policy/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: ["@/db/*", "react", "next/*", "node:http", "node:net", "@/server/trpc/*", "drizzle-orm*"] },
      ],
    },
  },
  {
    // The browser/server line. Components run in the browser (or render for it): they reach the
    // server through tRPC and share pure code through lib/. Types may cross (the AppRouter type).
    files: ["components/**/*.{ts,tsx}"],
    ignores: ["**/*.test.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^(@/|(\\.\\./)+)(db|server)(/|$)",
              allowTypeImports: true,
              message:
                "Components must not import database or server modules at run time: move shared pure code to lib/, or call the server through tRPC (`import type` is fine).",
            },
          ],
        },
      ],
    },
  },
  {
    // lib/ is what both sides run: it may use the engine (server/policy, a pure library) but no
    // database, service or other server module.
    files: ["lib/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^(@/|(\\.\\./)+)(db(/|$)|server/(?!policy/))",
              allowTypeImports: true,
              message:
                "lib/ is shared with the browser: it may import the engine (server/policy) but no database, service or other server module (`import type` is fine).",
            },
          ],
        },
      ],
    },
  },
);

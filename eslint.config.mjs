import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", ".next/", ".next-*/", ".data/", ".data-*/", "db/migrations/", "next-env.d.ts", "test-results/", "playwright-report/"] },
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
      "no-restricted-imports": ["error", { patterns: ["@/db/*", "react", "next/*", "node:http", "node:net", "@/server/trpc/*", "drizzle-orm*"] }],
    },
  },
);

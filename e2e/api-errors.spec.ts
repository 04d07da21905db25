import { expect, test } from "@playwright/test";

// The e2e server is a production build, whose minifier renames classes: REST
// error bodies must still carry the stable names clients match on.
test("REST errors from the production build carry stable error names", async ({ request }) => {
  const unauthenticated = await request.get("/api/v1/whoami");
  expect(unauthenticated.status()).toBe(401);
  expect(await unauthenticated.json()).toMatchObject({ error: "Unauthenticated", message: expect.any(String) });

  const forged = await request.get("/api/v1/whoami", { headers: { authorization: "Bearer pp_forged-token-that-was-never-issued" } });
  expect(forged.status()).toBe(401);
  expect(await forged.json()).toMatchObject({ error: "Unauthenticated" });
});

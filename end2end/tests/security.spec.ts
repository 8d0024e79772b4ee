import { test, expect, signIn, PASSWORD } from "./helpers";

test("sign-in never sends the browser off the site", async ({ page, baseURL }) => {
  for (const next of ["/%09/evil.example", "//evil.example", "/%5Cevil.example", "https://evil.example"]) {
    await page.context().clearCookies();
    await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
    await page.getByLabel("Email").fill("owner@acme.test");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(`${baseURL}/`);
    await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  }
});

test("pages are sent with a strict Content-Security-Policy and are never cached", async ({ page }) => {
  await signIn(page, "owner@acme.test");
  const res = await page.goto("/requests");
  const headers = res!.headers();
  expect(headers["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]+' 'wasm-unsafe-eval'/);
  expect(headers["content-security-policy"]).not.toContain("unsafe-inline");
  expect(headers["cache-control"]).toBe("no-store");
  // The page still works under it (the fixture fails the test on any violation).
  await expect(page.getByTestId("request-table")).toBeVisible();
});

test("a request's detail says which secrets were redacted before storage", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/requests");
  await page.getByTestId("request-table").locator("tbody tr a").first().click();
  const note = page.getByTestId("redaction-note");
  await expect(note).toContainText("Secrets were replaced with [REDACTED] before storage");
  await expect(note).toContainText("request_headers.authorization");
  await expect(page.getByTestId("request-headers")).toContainText("Bearer [REDACTED]");
});

test("an owner revokes an API key after confirming", async ({ page }, testInfo) => {
  await signIn(page, "owner@acme.test");
  await page.goto("/settings/api-keys");
  const name = `revoke-${testInfo.project.name}-${Date.now()}`;
  await page.getByLabel("New key name").fill(name);
  await page.getByRole("button", { name: "Create production key" }).click();
  await expect(page.getByTestId("new-api-key")).toContainText(name);
  const row = page.getByRole("row").filter({ hasText: name });
  await row.getByText("Revoke", { exact: true }).click();
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await expect(page.getByRole("row").filter({ hasText: name })).toContainText("Revoked");
  await page.reload();
  await expect(page.getByRole("row").filter({ hasText: name })).toContainText("Revoked");
});

test("staff open an organization by slug, and it is recorded", async ({ page }) => {
  await signIn(page, "support@switchboard.test");
  await page.locator("summary").filter({ hasText: "User menu" }).click();
  await page.getByLabel("Open organization (slug or ID)").fill("globex");
  await page.getByRole("button", { name: "Open", exact: true }).click();
  await expect(page.getByText("Globex Corporation · Production · last 24 hours")).toBeVisible();
});

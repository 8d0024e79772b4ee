import { test, expect, signIn } from "./helpers";

test("a viewer cannot create an API key, in the page or by calling the server", async ({ page, baseURL }) => {
  await signIn(page, "viewer@acme.test");
  await page.goto("/settings/api-keys");
  await expect(page.getByTestId("admin-only-note")).toBeVisible();
  await expect(page.getByRole("button", { name: /Create .* key/ })).toHaveCount(0);

  const res = await page.request.post("/api/create_api_key", {
    form: { name: "sneaky" },
    headers: { Origin: baseURL!, Accept: "application/json" },
  });
  expect(res.ok()).toBe(false);
  expect(await res.text()).toContain("Only owners and admins can create API keys.");
  await page.reload();
  await expect(page.getByText("sneaky")).toHaveCount(0);
});

test("an owner creates an API key and sees it exactly once", async ({ page }, testInfo) => {
  await signIn(page, "owner@acme.test");
  await page.goto("/settings/api-keys");
  const name = `ci-${testInfo.project.name}-${Date.now()}`;
  await page.getByLabel("New key name").fill(name);
  await page.getByRole("button", { name: "Create production key" }).click();
  const notice = page.getByTestId("new-api-key");
  await expect(notice).toContainText(name);
  const secret = (await notice.locator("code").innerText()).trim();
  expect(secret).toMatch(/^sb_read_[0-9A-Za-z]{40}$/);
  await expect(page.getByRole("cell", { name, exact: true })).toBeVisible();
  await expect(page.getByText(`${secret.slice(0, 16)}…`)).toBeVisible();
  // Shown once: a reload lists the key by prefix only.
  await page.reload();
  await expect(page.getByTestId("new-api-key")).toHaveCount(0);
  await expect(page.getByText(secret)).toHaveCount(0);
});

test("a customer cannot see another organization's connection by URL", async ({ browser }) => {
  const globex = await browser.newPage();
  await signIn(globex, "owner@globex.test");
  await globex.goto("/connections");
  const foreignId = (await globex.getByTestId("connections-table").locator("div.font-mono").first().innerText()).trim();
  await globex.close();

  const acme = await browser.newPage();
  await signIn(acme, "owner@acme.test");
  const res = await acme.goto(`/connections/${foreignId}`);
  expect(res?.status()).toBe(404);
  await expect(acme.getByText(`No connection ${foreignId} was found in your organization.`)).toBeVisible();
  // The server function answers the same when called directly.
  const api = await acme.request.get(`/api/get_connection?id=${foreignId}`);
  expect(api.ok()).toBe(false);
  expect(await api.text()).toContain("No connection");
  await acme.close();
});

test("staff can switch to any organization", async ({ page }) => {
  await signIn(page, "support@switchboard.test");
  await page.getByLabel("Organization", { exact: true }).selectOption({ label: "Initech" });
  await page.getByRole("button", { name: "Switch" }).click();
  await expect(page.getByText("Initech · Production · last 24 hours")).toBeVisible();
  await page.locator("summary").filter({ hasText: "User menu" }).click();
  await expect(page.getByTestId("user-role")).toHaveText("staff · support");
});

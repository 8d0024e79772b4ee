import { test, expect, signIn, expectNoSideScroll } from "./helpers";

const pages: [string, string, RegExp][] = [
  ["Request Logs", "Request Logs", /\/requests$/],
  ["Connections", "Connections", /\/connections$/],
  ["Sync Runs", "Sync runs", /\/sync-runs$/],
  ["Sync Configuration", "Sync Configuration", /\/sync-configuration$/],
  ["Webhooks", "Webhooks", /\/webhooks$/],
  ["Errors", "Errors", /\/errors$/],
  ["API keys", "API keys", /\/settings\/api-keys$/],
  ["Overview", "Overview", /\/$/],
];

test("every navigation link reaches its page", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  const nav = page.getByRole("navigation", { name: "Main", exact: true });
  for (const [link, heading, url] of pages) {
    await nav.getByRole("link", { name: link, exact: true }).click();
    await expect(page).toHaveURL(url);
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    await expect(nav.getByRole("link", { name: link, exact: true })).toHaveAttribute("aria-current", "page");
  }
});

test("the overview shows real counts for the selected organization and environment", async ({ page }) => {
  await signIn(page, "owner@acme.test");
  await expect(page.getByText("Acme Corp · Production · last 24 hours")).toBeVisible();
  const requests = Number((await page.getByTestId("stat-requests").innerText()).replace(/,/g, ""));
  expect(requests).toBeGreaterThan(100);
  await expect(page.getByTestId("stat-error-rate")).toHaveText(/^\d+\.\d%$/);
  const byStatus = page.getByTestId("connections-by-status");
  for (const status of ["Healthy", "Degraded", "Needs re-auth", "Disabled", "Initializing"]) {
    await expect(byStatus.getByText(status, { exact: true })).toBeVisible();
  }
  await expect(page.getByTestId("stat-connections")).toHaveText("16");

  // Switching to sandbox shows that environment's own numbers.
  await page.getByLabel("Environment", { exact: true }).selectOption("sandbox");
  await page.getByRole("button", { name: "Switch" }).click();
  await expect(page.getByText("Acme Corp · Sandbox · last 24 hours")).toBeVisible();
  await expect(page.getByTestId("stat-connections")).toHaveText("5");
  await expect(page.getByTestId("current-environment")).toHaveText("Sandbox");
});

test("an unknown address shows a real 404 page", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  const res = await page.goto("/no-such-page");
  expect(res?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Back to the overview" })).toBeVisible();
});

test("the global search opens a pasted connection ID and explains anything else", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/connections");
  const id = (await page.getByTestId("connections-table").locator("div.font-mono").first().innerText()).trim();
  expect(id).toMatch(/^conn_[0-9a-z]{26}$/);
  await page.getByLabel("Find a request or connection by ID").fill(`  "${id}" `);
  await page.getByLabel("Find a request or connection by ID").press("Enter");
  await expect(page).toHaveURL(new RegExp(`/connections/${id}$`));
  await expect(page.getByText(id)).toBeVisible();

  await page.getByLabel("Find a request or connection by ID").fill("hello there");
  await page.getByLabel("Find a request or connection by ID").press("Enter");
  await expect(page.getByTestId("search-message")).toHaveText("\u201chello there\u201d is not a request ID or a connection ID.");
});

test("the layout is usable at phone width", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, "dev@acme.test");
  const compact = page.getByRole("navigation", { name: "Main (compact)" });
  // The navigation is a menu, not a strip cut off at the screen's edge.
  await expect(compact).toBeHidden();
  await page.getByTestId("phone-menu").getByText("Menu").click();
  await expect(compact).toBeVisible();
  await expect(compact.getByRole("link", { name: "Audit log" })).toBeInViewport();
  await compact.getByRole("link", { name: "Connections" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Connections" })).toBeVisible();
  await expect(compact).toBeHidden();
  await expectNoSideScroll(page, "shell");
});

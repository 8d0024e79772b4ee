import { test, expect, signIn } from "./helpers";

test("filter connections by several statuses; the counts link to each status", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/connections");
  await page.getByLabel("Healthy").check();
  await page.getByLabel("Degraded").check();
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/status=healthy&status=degraded/);
  const table = page.getByTestId("connections-table");
  const badges = await table.locator("tbody tr td:nth-child(4)").allInnerTexts();
  expect(badges.length).toBeGreaterThan(0);
  for (const b of badges) expect(["Healthy", "Degraded"]).toContain(b.trim());
  // The counts above the table: each one filters to its status.
  await page.getByTestId("status-counts").getByRole("link", { name: /Needs re-auth/ }).click();
  await expect(page).toHaveURL(/status=needs_reauth/);
  for (const b of await table.locator("tbody tr td:nth-child(4)").allInnerTexts()) expect(b.trim()).toBe("Needs re-auth");
});

test("find a connection by its ID or part of its name, and see connections behind the configuration", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/connections");
  const first = page.getByTestId("connections-table").locator("tbody tr").first();
  const id = (await first.locator("div.font-mono").innerText()).trim();
  const name = (await first.locator("a").first().innerText()).trim();
  await page.getByLabel("Name, connection ID or account ID").fill(id);
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page.getByTestId("connections-table").locator("tbody tr")).toHaveCount(1);
  await page.goto(`/connections?q=${encodeURIComponent(name.slice(1, 5).toLowerCase())}`);
  await expect(page.getByTestId("connections-table")).toContainText(name);
  await page.goto("/connections?behind=1");
  const rows = page.getByTestId("connections-table").locator("tbody tr");
  expect(await rows.count()).toBeGreaterThan(0);
  for (const r of await rows.allInnerTexts()) expect(r).toContain("behind");
});

test("a bad filter value gets a message that names it", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/connections?status=sleepy");
  await expect(page.getByTestId("filter-error")).toContainText('Unknown status "sleepy"');
});

test("backfill a selection of connections from the list", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/connections?type=accounting&status=healthy");
  const boxes = page.getByTestId("connections-table").locator("tbody input[type=checkbox]");
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await page.getByRole("button", { name: "Backfill selected…" }).click();
  await expect(page).toHaveURL(/\/backfills\/new\?connection=conn_.*&connection=conn_/);
  await expect(page.getByRole("heading", { name: "2 connections" })).toBeVisible();
  await page.getByLabel("accounts").check();
  await page.getByLabel("Last 30 days").check();
  await page.getByRole("button", { name: "Review backfill" }).click();
  await expect(page.getByTestId("backfill-review")).toContainText("for 2 connections");
});

test("backfill all connections matching the filters", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/connections?type=payments");
  const n = await page.getByTestId("connections-table").locator("tbody tr").count();
  await page.getByRole("link", { name: "Backfill all matching the filters…" }).click();
  await expect(page.getByRole("heading", { name: n === 1 ? "1 connection" : `${n} connections` })).toBeVisible();
});

test("a request's page says whether its connection is healthy", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/requests?status=4xx");
  await page.getByTestId("request-table").locator("tbody tr a").first().click();
  const health = page.getByTestId("connection-health");
  await expect(health).toContainText(/Healthy|Degraded|Needs re-auth|Disabled|Initializing/);
  await health.click();
  await expect(page).toHaveURL(/\/connections\/conn_[^?]+\?tab=overview/);
  await expect(page.getByTestId("object-table")).toBeVisible();
});

test("a connection's ID and platform account copy to the clipboard once the page is interactive", async ({ page, context }, testInfo) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/connections");
  await page.getByTestId("connections-table").locator("tbody tr a").first().click();
  const id = (await page.getByTestId("connection-id").innerText()).replace(/Cop(y|ied)$/, "").trim();
  expect(id).toMatch(/^conn_/);
  const copyId = page.getByRole("button", { name: "Copy connection id" });
  if (testInfo.project.name === "no-js") {
    // Nothing could copy without JavaScript, so no button is offered.
    await expect(copyId).toBeHidden();
    await expect(page.getByRole("button", { name: "Copy platform account" })).toBeHidden();
    return;
  }
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await copyId.click();
  await expect(copyId).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(id);
  const account = (await page.getByTestId("platform-account").innerText()).replace(/Cop(y|ied)$/, "").trim();
  await page.getByRole("button", { name: "Copy platform account" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(account);
});

test("a platform that reports no sync runs says so in the list, instead of looking idle", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/connections?platform=freshbooks");
  const cells = page.getByTestId("connections-table").locator("tbody tr td:nth-child(5)");
  await expect(cells.first()).toBeVisible();
  for (const text of await cells.allInnerTexts()) expect(text).toContain("FreshBooks does not report runs");
  await page.goto("/connections?platform=xero");
  for (const text of await cells.allInnerTexts()) expect(text).not.toContain("does not report runs");
});

import { test, expect, signIn, Page } from "./helpers";

/** Opens the first connection on the list whose row mentions all of `words`. */
async function openConnection(page: Page, ...words: string[]) {
  await page.goto("/connections");
  let rows = page.getByTestId("connections-table").locator("tbody tr");
  for (const w of words) rows = rows.filter({ hasText: w });
  const link = rows.first().locator("a").first();
  const id = (await rows.first().locator("div.font-mono").innerText()).trim();
  await link.click();
  await expect(page).toHaveURL(new RegExp(`/connections/${id}`));
  return id;
}

test("a connection opens from the global search by its ID and shows each object's state", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/connections");
  const id = (await page.getByTestId("connections-table").locator("div.font-mono").first().innerText()).trim();
  await page.getByLabel("Find a request or connection by ID").fill(` ${id} `);
  await page.getByRole("button", { name: "Find" }).click();
  await expect(page).toHaveURL(new RegExp(`/connections/${id}$`));
  await expect(page.getByTestId("object-table")).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Connection sections" }).getByRole("link", { name: "Overview" })).toHaveAttribute("aria-current", "page");
});

test("a failed run shows its cause, the raw platform error and the next step", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  const id = await openConnection(page, "Degraded");
  await page.goto(`/connections/${id}?tab=history&status=failed`);
  const history = page.getByTestId("sync-history");
  await expect(history).toBeVisible();
  await expect(history.getByTestId("run-next-step").first()).toContainText("Next step:");
  await history.locator("tbody tr a").first().click();
  await expect(page.getByTestId("run-error")).toContainText("Next step:");
  // The code is the classifier's reading of the platform's raw error, shown with its reasons.
  await expect(page.getByTestId("run-diagnosis")).toBeVisible();
  await expect(page.getByTestId("run-error-cause")).toHaveText(/\S/);
  await expect(page.getByTestId("run-error-rule")).toHaveText(/^[a-z_]+\.[\w.:-]+$/);
  await expect(page.getByTestId("run-platform-error")).toBeVisible();
  await expect(page.getByTestId("run-classifier-disagrees")).toHaveCount(0);
});

test("the sync history filters by a custom from–to range and names a reversed one", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  const id = await openConnection(page, "Healthy", "QuickBooks");
  await page.goto(`/connections/${id}?tab=history`);
  const minute = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 16);
  const [from, to] = [minute(20), minute(10)];
  await page.getByTestId("h-from").fill(from);
  await page.getByTestId("h-to").fill(to);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/from=.*&to=/);
  const queued = page.getByTestId("sync-history").locator("tbody tr td:nth-child(4)");
  await expect(queued.first()).toBeVisible();
  const times = await queued.allInnerTexts();
  expect(times.length).toBeGreaterThan(0);
  for (const t of times) {
    const at = t.trim().slice(0, 16).replace(" ", "T");
    expect(at >= from && at <= to, `${at} within ${from} – ${to}`).toBeTruthy();
  }
  // A range with no runs: the table says so, and there is no dead "Newer / Older" under it.
  await page.goto(`/connections/${id}?tab=history&from=2001-01-01T00:00&to=2001-01-02T00:00`);
  await expect(page.getByTestId("sync-history")).toContainText("No runs match these filters.");
  await expect(page.getByRole("navigation", { name: "Pages" })).toHaveCount(0);
  await page.goto(`/connections/${id}?tab=history&from=${to}&to=${from}`);
  await expect(page.getByText("The start of the time range (from) is after its end (to)")).toBeVisible();
});

test("a platform without sync history says so instead of an empty table", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  const id = await openConnection(page, "WooCommerce");
  await page.goto(`/connections/${id}?tab=history`);
  await expect(page.getByTestId("no-sync-history")).toContainText("does not report sync history");
});

test("the backfill form names what is wrong", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  const id = await openConnection(page, "QuickBooks Online", "Healthy");
  await page.goto(`/backfills/new?connection=${id}&review=1&range=30d`);
  await expect(page.getByTestId("backfill-error")).toContainText("Choose at least one data object");
  await page.goto(`/backfills/new?connection=${id}&review=1&object=invoices&range=custom&from=2026-10-02T00:00&to=2026-10-01T00:00`);
  await expect(page.getByTestId("backfill-error")).toContainText("start must be before its end");
  await page.goto(`/backfills/new?connection=${id}&review=1&object=invoices&range=custom&from=2099-01-01T00:00&to=2099-02-01T00:00`);
  await expect(page.getByTestId("backfill-error")).toContainText("in the future");
});

test("a developer triggers a backfill and watches it complete", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await signIn(page, "dev@acme.test");
  const id = await openConnection(page, "Xero", "Healthy");
  await page.getByRole("link", { name: "Backfill…" }).click();
  // The form starts from what the configuration syncs; this backfill wants two objects only.
  for (const box of await page.getByRole("group", { name: "Data objects" }).getByRole("checkbox").all()) {
    if (await box.isEnabled()) await box.uncheck();
  }
  await page.getByLabel("invoices").check();
  await page.getByLabel("customers").check();
  await page.getByLabel("Last 30 days").check();
  await page.getByRole("button", { name: "Review backfill" }).click();
  await expect(page.getByTestId("backfill-review")).toContainText("This queues 2 runs for 1 connection");
  await page.getByLabel("Reason (optional)").fill(`e2e ${testInfo.project.name}`);
  await page.getByRole("button", { name: "Queue 2 runs" }).click();
  await expect(page).toHaveURL(/\/backfills\/bf_/);
  const progress = page.getByTestId("backfill-progress");
  if (testInfo.project.name === "no-js") {
    // Without JavaScript the page is a snapshot: reload until it is done.
    await expect(async () => {
      await page.reload();
      await expect(progress).toContainText("2 of 2 runs done", { timeout: 1_000 });
    }).toPass({ timeout: 90_000 });
  } else {
    // With JavaScript it updates itself.
    await expect(progress).toContainText("2 of 2 runs done", { timeout: 90_000 });
  }
  await expect(page.getByTestId("backfill-matrix")).toContainText("invoices");
  await page.goto(`/connections/${id}?tab=history&kind=backfill`);
  await expect(page.getByTestId("sync-history").locator("tbody tr").first()).toBeVisible();
});

test("a running backfill can be cancelled", async ({ page }) => {
  test.setTimeout(90_000);
  await signIn(page, "owner@acme.test");
  const id = await openConnection(page, "QuickBooks Online", "Healthy");
  const objects = ["accounts", "customers", "vendors", "invoices", "invoice_payments", "bills", "bill_payments", "expenses", "journal_entries"];
  await page.goto(`/backfills/new?connection=${id}&review=1&range=full&${objects.map((o) => `object=${o}`).join("&")}`);
  await page.getByRole("button", { name: /^Queue \d+ runs?$/ }).click();
  await expect(page).toHaveURL(/\/backfills\/bf_/);
  await page.getByRole("button", { name: "Cancel backfill" }).click();
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("backfill-status")).toHaveText("Cancelled", { timeout: 1_000 });
  }).toPass({ timeout: 60_000 });
  await expect(page.getByRole("button", { name: "Cancel backfill" })).toHaveCount(0);
});

test("a viewer sees why they cannot start a backfill", async ({ page }) => {
  await signIn(page, "viewer@acme.test");
  const id = await openConnection(page, "Healthy");
  await expect(page.getByTestId("backfill-not-allowed")).toContainText("Viewers can read sync history but not start backfills");
  await page.goto(`/backfills/new?connection=${id}`);
  await expect(page.getByTestId("backfill-not-allowed")).toBeVisible();
  await expect(page.getByRole("button", { name: "Review backfill" })).toBeDisabled();
});

test("another organization's backfill is not reachable by URL or server function", async ({ browser }) => {
  const acme = await browser.newPage();
  await signIn(acme, "owner@acme.test");
  const id = await openConnection(acme, "Xero", "Healthy");
  await acme.goto(`/backfills/new?connection=${id}&review=1&range=30d&object=accounts`);
  await acme.getByRole("button", { name: "Queue 1 run" }).click();
  await expect(acme).toHaveURL(/\/backfills\/bf_/);
  const backfill = acme.url().split("/backfills/")[1].split("?")[0];
  await acme.close();

  const globex = await browser.newPage();
  await signIn(globex, "owner@globex.test");
  const res = await globex.goto(`/backfills/${backfill}`);
  expect(res?.status()).toBe(404);
  await expect(globex.getByText(`No backfill ${backfill} was found`)).toBeVisible();
  const api = await globex.request.get(`/api/get_backfill?id=${backfill}`);
  expect(api.status()).toBe(404);
  await globex.close();
});

test("a new backfill starts from the objects the configuration syncs, and Select all takes every one", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  const id = await openConnection(page, "QuickBooks Online", "Healthy");
  await page.goto(`/backfills/new?connection=${id}`);
  const boxes = page.getByRole("group", { name: "Data objects" }).getByRole("checkbox");
  const total = await boxes.count();
  const checked = await page.getByRole("group", { name: "Data objects" }).locator("input[type=checkbox]:checked").count();
  // Other specs change the configuration while this one runs, so only "some" is certain here
  // (which ones: `server::sync_config` effective objects, unit-tested).
  expect(checked, "objects preselected from the configuration").toBeGreaterThan(0);
  expect(checked).toBeLessThanOrEqual(total);
  const enabled = await page.getByRole("group", { name: "Data objects" }).locator("input[type=checkbox]:not([disabled])").count();
  expect(enabled).toBeGreaterThan(0);
  await page.getByTestId("select-all-objects").click();
  await expect(page).toHaveURL(/object=/);
  await expect(page.getByRole("group", { name: "Data objects" }).locator("input[type=checkbox]:checked")).toHaveCount(enabled);
  await page.getByRole("button", { name: "Review backfill" }).click();
  await expect(page.getByTestId("backfill-review")).toContainText(`This queues ${enabled} runs for 1 connection`);
});

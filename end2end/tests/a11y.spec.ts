import { test, expect, signIn, Page } from "./helpers";

/**
 * Opens every page of the console once, following links as a user would. The shared fixture
 * (helpers.ts) then runs axe-core on each page visited (hydrated, in the JavaScript project) and
 * fails on a serious or critical WCAG 2 A/AA violation.
 */
async function firstLink(page: Page, listUrl: string, table: string) {
  await page.goto(listUrl);
  const link = page.getByTestId(table).locator("tbody tr a").first();
  const href = await link.getAttribute("href");
  expect(href, `a row link on ${listUrl}`).toBeTruthy();
  return href!;
}

test("every page of the console meets WCAG 2 A and AA", async ({ page }, testInfo) => {
  test.skip(testInfo.project.use.javaScriptEnabled === false, "axe runs as a script: checked in the JavaScript project");
  // About 25 pages, each opened again and checked by axe after the walk.
  test.setTimeout(300_000);
  await signIn(page, "owner@acme.test");
  const visit = async (url: string) => {
    const response = await page.goto(url);
    expect(response?.status(), url).toBeLessThan(500);
  };
  for (const url of ["/", "/requests", "/connections", "/backfills", "/errors", "/errors/codes", "/settings/api-keys", "/search/help", "/sync-configuration", "/webhooks", "/no-such-page", "/settings/audit", "/sync-configuration/accounting/edit?base=2&preview=1&object=accounts&months=0&frequency=6h", "/sync-configuration/accounting/versions", "/sync-configuration/accounting/versions/1", "/sync-configuration/accounting/apply"]) {
    await visit(url);
  }
  await visit(await firstLink(page, "/requests", "request-table"));
  const connection = await firstLink(page, "/connections?status=degraded", "connections-table");
  for (const tab of ["overview", "history", "requests", "webhooks", "activity"]) {
    await visit(`${connection}?tab=${tab}`);
  }
  await visit(await firstLink(page, `${connection}?tab=history`, "sync-history"));
  const healthy = await firstLink(page, "/connections?status=healthy", "connections-table");
  const id = healthy.split("/").pop();
  await visit(`/backfills/new?connection=${id}`);
  await visit(`/backfills/new?connection=${id}&review=1&range=30d`);
  await page.getByRole("group", { name: "Data objects" }).getByRole("checkbox").first().check();
  await page.getByRole("button", { name: "Review backfill" }).click();
  await page.getByRole("button", { name: /^Queue \d+ runs?$/ }).click();
  await expect(page).toHaveURL(/\/backfills\/bf_/);
  await visit("/backfills");
  // Webhooks: the list, an endpoint with its form and recovery, the log and a delivery.
  const endpoint = await firstLink(page, "/webhooks", "endpoints");
  for (const url of [endpoint, `${endpoint}/edit`, `${endpoint}/recover`, "/webhooks/new", "/webhooks/deliveries"]) {
    await visit(url);
  }
  await visit(await firstLink(page, "/webhooks/deliveries", "deliveries"));
});

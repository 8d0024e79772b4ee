import { test, expect, signIn, expectNoSideScroll } from "./helpers";
import type { Page } from "./helpers";
import { readFileSync } from "node:fs";

/**
 * Exports, with JavaScript on and off: each filtered list offers CSV and NDJSON downloads of
 * every row its filters match; the file is named after the filters and holds only matching
 * rows, newest first.
 */
async function download(page: Page, testId: string) {
  const [file] = await Promise.all([page.waitForEvent("download"), page.getByTestId(testId).click()]);
  const path = await file.path();
  return { name: file.suggestedFilename(), text: readFileSync(path, "utf8") };
}

test("the request log downloads what its filters match, as CSV and NDJSON", async ({ page }, testInfo) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/requests?status=5xx");
  const table = page.getByTestId("request-table");
  await expect(table).toBeVisible();
  const shown = await table.locator("tbody tr").count();

  const csv = await download(page, "export-csv");
  expect(csv.name).toMatch(/^switchboard-requests-(production|sandbox)-status-5xx-\d{8}T\d{6}Z\.csv$/);
  const lines = csv.text.split("\r\n").filter((l) => l !== "");
  expect(lines[0]).toBe("id,created_at,method,path,status_code,error_code,platform,connection_id,latency_ms");
  const rows = lines.slice(1).map((l) => l.split(","));
  // Every match, not only the page on screen; each one a 5xx, newest first.
  expect(rows.length).toBeGreaterThanOrEqual(shown);
  for (const r of rows) expect(r[4]).toMatch(/^5\d\d$/);
  const times = rows.map((r) => r[1]);
  expect([...times].sort().reverse()).toEqual(times);
  // The first row on screen is the first row of the file.
  const firstOnScreen = await table.locator("tbody tr").first().getAttribute("data-request-id");
  expect(rows[0][0]).toBe(firstOnScreen);

  const nd = await download(page, "export-ndjson");
  expect(nd.name).toMatch(/-status-5xx-\d{8}T\d{6}Z\.ndjson$/);
  const items = nd.text.trim().split("\n").map((l) => JSON.parse(l));
  expect(items.length).toBe(rows.length);
  for (const i of items) expect(i.status_code).toBeGreaterThanOrEqual(500);

  // On a phone the links are there and the page does not scroll sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/requests?status=5xx");
  await expect(page.getByTestId("export-csv")).toBeVisible();
  await expectNoSideScroll(page, "export");
  await page.screenshot({ path: testInfo.outputPath(`export-390-${testInfo.project.name}.png`) });
});

test("a connection's sync history and the delivery log download with their filters", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/connections");
  const rows = page.getByTestId("connections-table").locator("tbody tr").filter({ hasText: "QuickBooks" });
  const id = (await rows.first().locator("div.font-mono").innerText()).trim();
  await page.goto(`/connections/${id}?tab=history&status=succeeded`);
  await expect(page.getByTestId("sync-history")).toBeVisible();
  const runs = await download(page, "export-csv");
  expect(runs.name).toMatch(new RegExp(`^switchboard-sync-runs-(production|sandbox)-connection-${id}-status-succeeded-\\d{8}T\\d{6}Z\\.csv$`));
  const runLines = runs.text.split("\r\n").filter((l) => l !== "");
  expect(runLines[0].startsWith("id,connection_id,platform,data_object,kind,trigger,status,")).toBe(true);
  expect(runLines.length).toBeGreaterThan(1);
  for (const l of runLines.slice(1)) expect(l.split(",")[6]).toBe("succeeded");

  await page.goto("/webhooks/deliveries?status=delivered");
  await expect(page.getByTestId("deliveries")).toBeVisible();
  const deliveries = await download(page, "export-ndjson");
  expect(deliveries.name).toMatch(/^switchboard-deliveries-(production|sandbox)-status-delivered-\d{8}T\d{6}Z\.ndjson$/);
  const items = deliveries.text.trim().split("\n").map((l) => JSON.parse(l));
  expect(items.length).toBeGreaterThan(0);
  for (const i of items) expect(i.status).toBe("delivered");
});
